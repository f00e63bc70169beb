"""Fixtures for the contribution pipeline on a real devnet: a fresh node home per test.

Each test gets its own data dir (database, blockstore, sealed files) pointed at the session
devnet's deployment file, so tests share the chain but never a database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session, select

from node.db.engine import open_database
from node.db.models import Submission
from node.parsers.synthetic import chatgpt_export
from node.storage.local import LocalBlockstore
from tests.integration.conftest import Devnet

CONTRIBUTOR_INDEX = 5  # the first contributor account of the default devnet
_CLEARED = frozenset(
    {"DATADAO_DATABASE_URL", "DATADAO_KUBO_API_URL", "DATADAO_CRASH_AFTER", "DATADAO_RPC_URL"}
)


@dataclass
class NodeHome:
    """One contributor node's data dir and the environment the CLI runs with."""

    home: Path
    env: dict[str, str]

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.home / 'node.sqlite'}"

    def rows(self) -> list[Submission]:
        engine = open_database(self.database_url)
        try:
            with Session(engine) as session:
                return list(session.exec(select(Submission)).all())
        finally:
            engine.dispose()

    def blockstore(self) -> LocalBlockstore:
        return LocalBlockstore(self.home / "blocks", fsync=False)

    def cli_env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if k not in _CLEARED}
        return {**inherited, **self.env}

    def cli(
        self, *args: str, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``datadao`` in a child process (so a crash hook's os._exit kills only it)."""
        env = {**self.cli_env(), **(extra_env or {})}
        return subprocess.run(
            [sys.executable, "-c", "from node.cli.main import main; main()", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.fixture
def node_home(tmp_path: Path, devnet: Devnet) -> NodeHome:
    home = tmp_path / "home"
    env = {
        "DATADAO_HOME": str(home),
        "DATADAO_DEPLOYMENT_FILE": str(devnet.home / "devnet" / "deployment.json"),
        "DATADAO_CONFIG": str(tmp_path / "no-config.toml"),
        "COLUMNS": "200",
    }
    return NodeHome(home=home, env=env)


@pytest.fixture
def export_zip(tmp_path: Path) -> Path:
    """A small synthetic ChatGPT export, unique per test (seeded by the path)."""
    path = tmp_path / "chatgpt.zip"
    chatgpt_export(path, seed=zlib.crc32(str(tmp_path).encode()), conversations=4)
    return path
