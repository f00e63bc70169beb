"""Pipeline unit fixtures: a real Ferveo ritual, a fresh database per test (SQLite and
PostgreSQL: ``database_url`` in tests/conftest.py), an in-memory store, and the fake chain from
``pipeline_testing``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_testing import FakeChain
from sqlalchemy import Engine
from sqlmodel import Session

from node.chain.anvil import devnet_account
from node.db.engine import open_database
from node.parsers.synthetic import chatgpt_export
from node.protocol.dkg_local import LocalRitual, run_local_ritual
from node.storage.memory import MemoryBlobStore


@pytest.fixture(scope="module")
def ritual() -> LocalRitual:
    return run_local_ritual(shares=4, threshold=3, ritual_id=1)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = open_database(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine):  # type: ignore[no-untyped-def]
    return lambda: Session(engine, expire_on_commit=False)


@pytest.fixture
def store() -> MemoryBlobStore:
    return MemoryBlobStore()


@pytest.fixture
def chain(ritual: LocalRitual) -> FakeChain:
    return FakeChain(account=devnet_account(5), ritual=ritual)


@pytest.fixture
def export_zip(tmp_path: Path) -> Path:
    path = tmp_path / "chatgpt.zip"
    chatgpt_export(path, seed=11, conversations=3)
    return path
