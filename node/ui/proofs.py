"""What the web app knows of each contribution's ownership proof: the verdicts it previewed.

The node database records no proofs (they are sealed with the export; the DB keys resumption by
the source's hash mixed with the proofs'). So when the app contributes an export with a proof,
it keeps the verdicts it checked just before sending, by file id, in
``<home>/ui/proofs.json``: the contributions page shows them next to what the validators said
(their reasons, in the flags). The validators' verdict is the one that counts; this is the
node's own check, labelled as such.

The file is the app's own, but it is read defensively: anything unreadable, too large, nested
too deep (refused before decoding, :mod:`node.safejson`) or of the wrong shape reads as empty,
and entries of the wrong shape are skipped, so a corrupt file can cost the display of a status,
never the page. Writes replace the file atomically.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from node import safejson
from node.proofs.base import Status, Verdict

__all__ = ["MAX_ENTRIES", "ProofLog", "ProofStatus"]

MAX_ENTRIES = 10_000
_MAX_BYTES = 8 << 20
_FILE_ID = re.compile(r"0x[0-9a-f]{64}")
_STATUSES = ("verified", "not_verified", "not_applicable")


@dataclass(frozen=True)
class ProofStatus:
    """The verdicts previewed for one contribution's proofs (empty: contributed without one)."""

    verdicts: tuple[Verdict, ...]

    @property
    def verified(self) -> bool:
        return any(v.ok for v in self.verdicts)

    def words(self) -> str:
        """``dkim: verified`` / ``dkim: not verified (reason)`` / ``none attached``."""
        if not self.verdicts:
            return "none attached"
        return "; ".join(v.describe() for v in self.verdicts)


class ProofLog:
    """File id -> :class:`ProofStatus`, in one small JSON file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _load(self) -> dict[str, list[dict[str, str]]]:
        try:
            if self.path.stat().st_size > _MAX_BYTES:
                return {}
            raw = safejson.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return {}
        return raw if isinstance(raw, dict) else {}

    def get(self, file_id: str) -> ProofStatus | None:
        """The recorded status, or None when this app did not record one."""
        entry = self._load().get(file_id.lower())
        if not isinstance(entry, list):
            return None
        verdicts = []
        for v in entry:
            if (
                isinstance(v, dict)
                and isinstance(v.get("method"), str)
                and v.get("status") in _STATUSES
                and isinstance(v.get("reason", ""), str)
            ):
                status = cast(Status, v["status"])
                verdicts.append(Verdict(v["method"], status, v.get("reason", "")))
        return ProofStatus(tuple(verdicts))

    def record(self, file_id: str, verdicts: Sequence[Verdict]) -> None:
        """Keep ``verdicts`` for ``file_id`` (a ``0x`` + 64 hex id; anything else is ignored)."""
        key = file_id.lower()
        if not _FILE_ID.fullmatch(key):
            return
        with self._lock:
            data = self._load()
            data.pop(key, None)
            data[key] = [
                {"method": v.method, "status": v.status, "reason": v.reason} for v in verdicts
            ]
            while len(data) > MAX_ENTRIES:  # oldest first out (insertion order)
                data.pop(next(iter(data)))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self.path)
