"""The error tree: every error datadao raises on purpose derives from :class:`DataDaoError`.

Families map to the subsystems; concrete errors live next to the code that raises them (for
example ``node/storage/errors.py``) and subclass one family here. The CLI and API boundaries catch
``DataDaoError`` and turn it into a message and an exit code or a problem response; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "ChainError",
    "ConfigError",
    "ConflictError",
    "DataDaoError",
    "DatabaseError",
    "EnvelopeError",
    "InputError",
    "KeyCustodyError",
    "ParseError",
    "StorageError",
    "UnsupportedDdfVersion",
    "ValuationError",
]


class DataDaoError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigError(DataDaoError):
    """Settings are missing, malformed or unsafe."""


class InputError(DataDaoError):
    """Something the user named does not exist or is not what it must be: a missing file, an
    unknown proposal or request id. (A file that exists but does not parse is a ParseError.)"""


class ConflictError(DataDaoError):
    """What was asked is already done, by this user earlier or by someone else (a vote already
    cast); repeating it cannot succeed. Scripts see a distinct exit code and may treat it as
    success when they only need the end state."""


class DatabaseError(DataDaoError):
    """The node's own database (or a validator's journal) cannot be opened, migrated or used."""


class ParseError(DataDaoError):
    """A platform export could not be read safely (format, archive or content problem)."""


class EnvelopeError(DataDaoError):
    """A sealed blob could not be opened. Deliberately opaque: no hint which check failed."""

    def __init__(self, message: str = "sealed data could not be opened") -> None:
        super().__init__(message)


class UnsupportedDdfVersion(EnvelopeError):
    """A sealed file in the retired DDF v1 format (protocol v1).

    Not opaque, unlike its parent: the version byte is public and says nothing about the key or
    the plaintext, and a contributor holding an old export needs to know what to do with it.
    v1 headers did not name the contributor, which is the front-running hole v2 closes, so a v1
    file cannot be registered or opened under v2 at all.
    """

    MESSAGE = "this is a DDF v1 file; protocol v2 refuses it: re-seal the export with this node"

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


class StorageError(DataDaoError):
    """Content-addressed storage failed: missing block, CID mismatch, transport or size cap."""


class ChainError(DataDaoError):
    """An RPC, transaction or contract-level failure."""


class KeyCustodyError(DataDaoError):
    """Threshold key material, rituals or decryption shares are unavailable or invalid."""


class ValuationError(DataDaoError):
    """Value estimation could not run (bad spec, bad inputs, compute backend failure)."""
