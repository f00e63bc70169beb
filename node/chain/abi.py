"""Load the ABIs checked in under node/chain/abi/ (synced from forge by scripts/sync_abis.py)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from node.errors import ChainError

__all__ = ["load_abi"]


@cache
def load_abi(name: str) -> list[dict[str, Any]]:
    """The ABI of contract ``name`` (e.g. ``"SubmissionRegistry"``)."""
    try:
        text = resources.files("node.chain").joinpath("abi", f"{name}.json").read_text()
    except FileNotFoundError:
        raise ChainError(f"no ABI for {name}: run scripts/sync_abis.py after forge build") from None
    abi: list[dict[str, Any]] = json.loads(text)
    return abi
