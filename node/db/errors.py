"""Typed database errors: what the node says when its database cannot be reached or opened.

They subclass :class:`node.errors.DatabaseError`, so the CLI and API boundaries print one line
and exit with the database code; the message names the URL with its password masked and says
what to check, never a driver's traceback.
"""

from __future__ import annotations

from node.errors import DatabaseError

__all__ = ["DatabaseError", "DatabaseUnavailable"]


class DatabaseUnavailable(DatabaseError):
    """The database could not be connected to: server down or unreachable, wrong user or
    password, no such database, or a SQLite file that cannot be opened.

    ``url`` is the URL with its password masked; ``reason`` the driver's own first line, cleaned
    of its connection preamble (and of the password, should a driver ever echo it).
    """

    def __init__(self, url: str, reason: str, hint: str) -> None:
        self.url = url
        self.reason = reason
        self.hint = hint
        super().__init__(f"cannot connect to the database {url}: {reason}; {hint}")
