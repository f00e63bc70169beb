"""Typed key-custody errors raised by the share client and the renter.

All subclass :class:`node.errors.KeyCustodyError` so the CLI boundary reports them as one family;
each carries the fields a caller needs (which validators failed, and how) rather than only a
message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from node.errors import EnvelopeError, KeyCustodyError

__all__ = [
    "FileHeaderMismatch",
    "HeaderNamesAnotherContributor",
    "KeyCustodyError",
    "NotEnoughShares",
    "RenterStateError",
    "ShareEnvelopeError",
    "ShareRefused",
    "ShareUnreachable",
]


class ShareEnvelopeError(KeyCustodyError):
    """An encrypted share did not open under the requester's session key.

    Deliberately opaque (wrong key, wrong request, tampering): the validator that sent it is
    treated as misbehaving.
    """

    def __init__(self) -> None:
        super().__init__("encrypted decryption share could not be opened")


class ShareRefused(KeyCustodyError):
    """A validator answered with a refusal (it checked the chain and said no)."""

    def __init__(self, validator: str, status: int, code: str, detail: str) -> None:
        super().__init__(f"{validator} refused the share ({status} {code}): {detail}")
        self.validator = validator
        self.status = status
        self.code = code
        self.detail = detail


class ShareUnreachable(KeyCustodyError):
    """A validator's share service gave no answer within the share-request retry policy
    (timeouts, refused connections, 429/5xx); unlike a refusal, it may answer later."""

    def __init__(self, validator: str, reason: str) -> None:
        super().__init__(f"{validator} is unreachable: {reason}")
        self.validator = validator
        self.reason = reason


class NotEnoughShares(KeyCustodyError):
    """Fewer than ``threshold`` valid shares could be gathered for one file.

    Attributes:
        file_id: the file whose data key could not be recovered (hex).
        threshold: shares needed.
        valid: how many shares combined correctly (0 if no t-subset worked).
        unreachable: validator -> transport error (timeouts, connection refused, 5xx).
        refused: validator -> the refusal reason it gave.
        bad: validators whose shares were malformed or did not combine.
    """

    def __init__(
        self,
        *,
        file_id: str,
        threshold: int,
        valid: int,
        unreachable: Mapping[str, str],
        refused: Mapping[str, str],
        bad: Sequence[str],
    ) -> None:
        parts = [f"not enough shares for file {file_id}: need {threshold}, have {valid} valid"]
        if unreachable:
            parts.append(
                "unreachable: " + ", ".join(f"{v} ({why})" for v, why in unreachable.items())
            )
        if refused:
            parts.append("refused: " + ", ".join(f"{v} ({why})" for v, why in refused.items()))
        if bad:
            parts.append("bad shares: " + ", ".join(bad))
        super().__init__("; ".join(parts))
        self.file_id = file_id
        self.threshold = threshold
        self.valid = valid
        self.unreachable = dict(unreachable)
        self.refused = dict(refused)
        self.bad = list(bad)


class RenterStateError(KeyCustodyError):
    """The renter's local state (session key, request record, output dir) is missing or wrong."""


class FileHeaderMismatch(EnvelopeError):
    """The sealed file in storage does not match what the chain registered for it."""

    def __init__(self, file_id: str) -> None:
        super().__init__(f"file {file_id}: stored header does not match the chain (tampered?)")
        self.file_id = file_id


class HeaderNamesAnotherContributor(FileHeaderMismatch):
    """The sealed header names another contributor than the record: a copy of someone else's
    submission (protocol v2). Its header and data are the original's, which has a record of its
    own, so scorers value the copy at 0 and renters skip it."""

    def __init__(self, file_id: str, named: str, registered: str) -> None:
        super().__init__(file_id)
        self.args = (
            f"file {file_id}: its sealed header names {named}, but {registered} registered it "
            "(a copy of another contributor's submission)",
        )
        self.named = named
        self.registered = registered
