"""Typed wrapper of AccessRegistry: which access requests are granted, until when, for what
scope."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.types import ReqId

__all__ = ["Access", "AccessRegistry"]


@dataclass(frozen=True, slots=True)
class Access:
    renter: ChecksumAddress
    from_epoch: int
    to_epoch: int
    expiry: int
    granted_at_block: int
    dataset_id: int
    renter_key: bytes


class AccessRegistry(ContractWrapper):
    NAME = "AccessRegistry"

    def isGranted(self, req_id: ReqId) -> bool:  # noqa: N802
        return bool(self._call("isGranted", req_id))

    def access(self, req_id: ReqId) -> Access:
        raw = self._call("access", req_id)
        return Access(Web3.to_checksum_address(raw[0]), *raw[1:])

    def inScope(self, req_id: ReqId, file_id: bytes) -> bool:  # noqa: N802
        return bool(self._call("inScope", req_id, file_id))

    def revoke(self, req_id: ReqId) -> TxReceipt:
        """End a grant before its expiry (the timelock only: a governance proposal's action)."""
        return self._send("revoke", req_id)

    def revokedAtBlock(self, req_id: ReqId) -> int:  # noqa: N802
        """The block in which governance revoked the grant (0: not revoked)."""
        return int(self._call("revokedAtBlock", req_id))
