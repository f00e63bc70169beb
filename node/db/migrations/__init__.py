"""Alembic migrations of the node's database (run at start-up by ``node.db.engine``)."""

__all__: list[str] = []
