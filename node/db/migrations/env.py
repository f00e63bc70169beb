"""Alembic environment: runs migrations on the engine :func:`node.db.engine.migrate` passes in.

There is no ``alembic.ini``; the config is built in code (``node.db.engine.alembic_config``). To
write a new revision after changing ``node/db/models.py``, autogenerate against a scratch SQLite
file at head, then review and hand-edit it (plain ``sa.*`` types, no sqlmodel imports)::

    from alembic import command
    from node.db.engine import alembic_config, open_database
    command.revision(alembic_config(open_database("sqlite:////tmp/x.sqlite")),
                     message="add column x", autogenerate=True, rev_id="0002")
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine
from sqlmodel import SQLModel

import node.db.models  # noqa: F401 - registers the tables on SQLModel.metadata

config = context.config
target_metadata = SQLModel.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no engine or sqlalchemy.url given to the migration environment")
    return create_engine(url)


def run_migrations_online() -> None:
    """Migrate over one connection, in one transaction. ``render_as_batch`` lets ALTERs work on
    SQLite (which rebuilds tables for most column changes)."""
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():  # pragma: no cover - we never render SQL scripts offline
    raise RuntimeError("offline migrations are not supported")
run_migrations_online()
