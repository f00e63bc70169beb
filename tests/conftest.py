"""Fixtures shared by every test package: a database URL per backend (tests/pg.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import fresh_database

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database of its own, once per backend: a SQLite file in ``tmp_path``,
    or a fresh database on the PostgreSQL test server (fails in CI, skips elsewhere, when none
    is configured)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'node.sqlite'}"
        return
    with fresh_database() as url:
        yield url.render_as_string(hide_password=False)
