"""Database engine and migrations: built at start-up by the CLI (or API factory), never at import.

SQLite (a file in the data dir) is the default; PostgreSQL via ``DATADAO_DATABASE_URL``. The
schema is owned by Alembic from the first table on: :func:`open_database` runs
``alembic upgrade head`` programmatically on every start, so a node's database migrates in place
when the software is upgraded, and there is no separate step for users to forget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from node.errors import ConfigError

__all__ = [
    "MIGRATIONS_DIR",
    "SessionFactory",
    "alembic_config",
    "make_engine",
    "migrate",
    "open_database",
    "session_scope",
]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

SessionFactory = Callable[[], Session]
"""What the pipeline and the CLI are given: a zero-argument callable returning a new Session."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for a SQLite file, its directory is created first.

    SQLite connections get a 30 s busy timeout (two ``datadao`` processes may share the file) and
    foreign keys on.

    Raises:
        ConfigError: if the URL cannot be parsed.
    """
    try:
        parsed = make_url(url)
    except Exception as err:  # sqlalchemy raises ArgumentError; any failure is a config error
        raise ConfigError(f"invalid database URL: {err}") from None
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args["timeout"] = 30
    engine = create_engine(url, connect_args=connect_args)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at our migrations, bound to ``engine`` (no alembic.ini)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (idempotent: a current database is left alone)."""
    command.upgrade(alembic_config(engine), revision)


def open_database(url: str) -> Engine:
    """Build the engine and bring the schema up to date: what start-up code calls."""
    engine = make_engine(url)
    migrate(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that is closed afterwards (commits are explicit, in crud)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
