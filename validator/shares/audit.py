"""Structured audit log of share decisions: one JSON line per request.

Records who asked (recovered signer, client address), for what (purpose, request or epoch,
dataset, file) and what was decided (served or the refusal code). It never records the share,
the requester's session key, headers or anything decrypted: the audit trail must be safe to ship
to a log aggregator.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass

__all__ = ["AUDIT_LOGGER", "AuditEvent", "AuditLog"]

AUDIT_LOGGER = "validator.shares.audit"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One decision. Optional fields are None when the request was refused before parsing them."""

    validator: str
    decision: str
    reason: str | None = None
    requester: str | None = None
    client: str | None = None
    purpose: str | None = None
    req_id: int | None = None
    dataset_id: int | None = None
    epoch: int | None = None
    file_id: str | None = None
    ritual_id: int | None = None
    view_block: int | None = None
    latency_ms: float | None = None


class AuditLog:
    """Writes :class:`AuditEvent` as JSON lines to a logger (``validator.shares.audit``)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger(AUDIT_LOGGER)

    def record(self, event: AuditEvent) -> None:
        fields = {k: v for k, v in asdict(event).items() if v is not None}
        fields["ts"] = round(time.time(), 3)
        fields["event"] = "share_request"
        self._log.info(json.dumps(fields, sort_keys=True))
