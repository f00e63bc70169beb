"""PostgreSQL for the tests: a fresh database per test on the server DATADAO_TEST_POSTGRES_URL
names (``scripts/postgres start`` prints it; ``.ci/run`` exports it).

The database tests, the pipeline tests and one devnet contribution test run on SQLite and on
PostgreSQL (the ``database_url`` fixture in ``tests/conftest.py``). Without the variable the
PostgreSQL cases are skipped with a reason on a developer's machine but *fail* in CI (``CI`` set),
so CI can never go green by not testing PostgreSQL. Each test gets its own database, created and
dropped here, so xdist workers and tests never share one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import URL, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

__all__ = ["ENV", "fresh_database", "server_url"]

ENV = "DATADAO_TEST_POSTGRES_URL"
_START = 'eval "$(./scripts/postgres start)"'


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def server_url() -> URL:
    """The test server's URL (a role that may CREATE DATABASE, and a database it can connect to).

    Fails the test in CI and skips it elsewhere when the variable is unset.
    """
    url = os.environ.get(ENV, "").strip()
    if not url:
        if _in_ci():
            pytest.fail(f"{ENV} is not set: CI must test PostgreSQL (.ci/run runs {_START})")
        pytest.skip(f"PostgreSQL: {ENV} is not set (start a throwaway server with {_START})")
    return make_url(url)


@contextmanager
def fresh_database(prefix: str = "datadao_t") -> Iterator[URL]:
    """An empty database on the test server for the duration of the block, then dropped (with
    FORCE, so a connection a failing test left open cannot keep it alive)."""
    base = server_url()
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
