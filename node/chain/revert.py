"""Turn revert data into typed exceptions, using the table generated from the ABIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_abi.abi import decode
from web3 import Web3

from node.chain.errors import ContractRevert, PanicRevert, ReasonRevert, UnknownRevert

__all__ = ["RevertEntry", "decode_revert", "revert_table"]

RevertEntry = tuple[type[ContractRevert], tuple[str, ...]]
"""An exception class and the ABI types of its arguments."""

_BUILTIN: dict[str, RevertEntry] = {
    ReasonRevert.selector: (ReasonRevert, ("string",)),
    PanicRevert.selector: (PanicRevert, ("uint256",)),
}


def revert_table() -> Mapping[str, RevertEntry]:
    """Selector (``0x`` + 8 hex) -> entry, for every custom error in the checked-in ABIs."""
    from node.chain import _revert_table  # generated; imported lazily to keep import cheap

    return {**_BUILTIN, **_revert_table.TABLE}


def decode_revert(data: bytes, table: Mapping[str, RevertEntry] | None = None) -> ContractRevert:
    """Decode revert data into the matching exception instance (never raises itself)."""
    entries = revert_table() if table is None else {**_BUILTIN, **table}
    if len(data) < 4:
        return UnknownRevert({"data": data})
    entry = entries.get("0x" + data[:4].hex())
    if entry is None:
        return UnknownRevert({"data": data})
    cls, types = entry
    try:
        values: tuple[Any, ...] = decode(list(types), data[4:])
    except Exception:  # malformed payload for a known selector: still report which error it was
        return cls({})
    shown = [
        Web3.to_checksum_address(v) if t == "address" else v
        for t, v in zip(types, values, strict=True)
    ]
    return cls(dict(zip(cls.arg_names, shown, strict=True)))
