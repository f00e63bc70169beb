"""Alembic owns the schema: a fresh database migrates to head, and head equals the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import node.db.models  # noqa: F401 - registers the tables
from node.db.engine import alembic_config, make_engine, migrate, open_database


def _tables_of_ours(name: str) -> bool:
    return name in {"submission"}


def test_sqlite_file_directory_is_created(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'node.sqlite'}")
    try:
        assert (tmp_path / "deep" / "dir" / "node.sqlite").is_file()
        assert "submission" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_fresh_database_migrates_to_head(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        assert current == head == "0002"
        assert "submission" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    """Autogenerate against a migrated database finds nothing to do: no drift either way (on
    PostgreSQL too, where types are compared more strictly than SQLite's affinities)."""
    engine = open_database(database_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, type_, parent: (
                        type_ != "table" or _tables_of_ours(str(name))
                    ),
                },
            )
            diff = compare_metadata(ctx, SQLModel.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_migrating_twice_is_a_no_op_and_downgrade_round_trips(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)
        migrate(engine)
        command.downgrade(alembic_config(engine), "base")
        assert "submission" not in inspect(engine).get_table_names()
        migrate(engine)
        assert "submission" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
