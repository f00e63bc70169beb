"""The node's local database (SQLModel; SQLite by default, PostgreSQL via DATABASE_URL).

``models`` defines the tables and schemas, ``crud`` the keyword-only access functions, ``engine``
builds engines and applies the Alembic migrations in ``migrations/`` at start-up. Nothing is built
at import.
"""

from node.db.engine import SessionFactory, make_engine, migrate, open_database
from node.db.models import Submission, SubmissionCreate, SubmissionPublic, SubmissionStatus

__all__ = [
    "SessionFactory",
    "Submission",
    "SubmissionCreate",
    "SubmissionPublic",
    "SubmissionStatus",
    "make_engine",
    "migrate",
    "open_database",
]
