"""One module per Alembic revision."""

__all__: list[str] = []
