"""Helpers for the database tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from node.db.models import SubmissionCreate


def make_create(n: int = 1, **override: object) -> SubmissionCreate:
    """A plausible parsed-export record; ``n`` varies the content and file id."""
    values: dict[str, object] = {
        "source_path": f"/exports/{n}.zip",
        "source_sha256": f"{n:064x}",
        "platform": "chatgpt",
        "export_account": "user-1",
        "contributor": "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
        "chain_id": 31337,
        "registry_address": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "dataset_id": 1,
        "scrubbed": True,
        "records": 10 * n,
        "pii_removed": {"email": n},
        "content_commitment": "0x" + f"{n:02x}" * 32,
        "file_id": "0x" + f"{n + 100:02x}" * 32,
    }
    values.update(override)
    return SubmissionCreate.model_validate(values)
