"""Database engine and migrations: built at start-up by the CLI (or API factory), never at import.

SQLite (a file in the data dir) is the default; PostgreSQL via ``DATADAO_DATABASE_URL``. The
schema is owned by Alembic from the first table on: :func:`open_database` runs
``alembic upgrade head`` programmatically on every start, so a node's database migrates in place
when the software is upgraded, and there is no separate step for users to forget.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from node.db.errors import DatabaseUnavailable
from node.errors import ConfigError

__all__ = [
    "MIGRATIONS_DIR",
    "SessionFactory",
    "alembic_config",
    "make_engine",
    "mask_url",
    "migrate",
    "open_database",
    "session_scope",
]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

SessionFactory = Callable[[], Session]
"""What the pipeline and the CLI are given: a zero-argument callable returning a new Session."""

PG_CONNECT_TIMEOUT_S = 10
"""libpq waits forever for a host that drops packets; a node should say so within seconds. A
``connect_timeout`` in the URL's query wins."""

_USERINFO_PASSWORD = re.compile(r"(://[^:/@]*):.*@")
"""user:password@ up to the *last* @: a password with a raw @ is masked whole (and, in a malformed
URL, perhaps the host too: masking too much is the safe failure)."""


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***``; works on strings that do not parse, so an
    error about a malformed URL can quote it safely."""
    return _USERINFO_PASSWORD.sub(r"\1:***@", url)


def _masked(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for a SQLite file, its directory is created first.

    SQLite connections get a 30 s busy timeout (two ``datadao`` processes may share the file) and
    foreign keys on.

    PostgreSQL connections give up after :data:`PG_CONNECT_TIMEOUT_S` unless the URL says.
    Nothing connects yet: :func:`open_database` does, and reports failures as typed errors.

    Raises:
        ConfigError: if the URL cannot be parsed, names an unknown backend or a driver that is not
            installed. The message quotes the URL with its password masked.
    """
    try:
        parsed = make_url(url)
    except Exception:  # sqlalchemy raises ArgumentError; its message quotes the whole URL
        raise ConfigError(
            f"invalid database URL {mask_url(url)!r}: expected e.g. sqlite:///path/node.sqlite "
            "or postgresql+psycopg://user:password@host:5432/name"
        ) from None
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args["timeout"] = 30
    elif parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    try:
        engine = create_engine(parsed, connect_args=connect_args)
    except ImportError as err:
        raise ConfigError(
            f"the database URL {_masked(parsed)} needs the driver {err.name or 'module'!r}, "
            "which is not installed (for PostgreSQL: pip install 'datadao[postgres]')"
        ) from None
    except Exception as err:  # NoSuchModuleError (an unknown dialect) and other ArgumentErrors
        raise ConfigError(
            f"unsupported database URL {_masked(parsed)}: {type(err).__name__}"
        ) from None
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
    # ConfigParser interpolates "%": a URL-encoded password (p%40ss) must reach Alembic intact.
    url = engine.url.render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (idempotent: a current database is left alone)."""
    command.upgrade(alembic_config(engine), revision)


def open_database(url: str) -> Engine:
    """Build the engine, check that it connects, and bring the schema up to date: what start-up
    code calls.

    Raises:
        ConfigError: see :func:`make_engine`.
        DatabaseUnavailable: the first connection failed (server down, wrong password, no such
            database, unopenable SQLite file); one line, password masked.
    """
    engine = make_engine(url)
    try:
        with engine.connect():
            pass
    except DBAPIError as err:
        engine.dispose()
        raise _unavailable(engine.url, err) from None
    migrate(engine)
    return engine


_PREAMBLE = re.compile(r"^(connection failed: )?(connection to server (at|on) .*? failed: )?")

_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("password authentication failed", "authentication failed", "no password supplied"),
        "check the user name and password in the database URL (DATADAO_DATABASE_URL)",
    ),
    (
        ("does not exist",),
        "create that database and role, or fix their names in the database URL "
        "(DATADAO_DATABASE_URL)",
    ),
    (
        ("unable to open database file", "readonly database", "not a database"),
        "check that the database URL (DATADAO_DATABASE_URL) names a writable SQLite file (not "
        "a directory) and that the file is a datadao database",
    ),
)
_DEFAULT_HINT = (
    "check that the server is running and that the host and port in the database URL "
    "(DATADAO_DATABASE_URL) are right"
)


def _unavailable(url: URL, err: DBAPIError) -> DatabaseUnavailable:
    """One line from a driver's connection error: its first meaningful line, without libpq's
    "connection to server at ... failed:" preamble or the severity tag, plus what to check."""
    text = str(err.orig) if err.orig is not None else type(err).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reason = _PREAMBLE.sub("", lines[0] if lines else type(err).__name__)
    reason = re.sub(r"^(FATAL|ERROR):\s+", "", reason) or type(err).__name__
    if url.password:
        reason = reason.replace(str(url.password), "***")
    lowered = reason.lower()
    hint = next((h for keys, h in _HINTS if any(k in lowered for k in keys)), _DEFAULT_HINT)
    return DatabaseUnavailable(_masked(url), reason[:300], hint)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that is closed afterwards (commits are explicit, in crud)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
