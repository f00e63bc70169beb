"""Typed wrapper of RentalEscrow: access requests, their fees and their canonical grant
proposals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.types import DatasetId, ReqId

__all__ = ["GrantProposal", "RentalEscrow", "Request", "RequestStatus"]


class RequestStatus(IntEnum):
    NONE = 0
    OPEN = 1
    GRANTED = 2
    REFUNDED = 3


@dataclass(frozen=True, slots=True)
class Request:
    renter: ChecksumAddress
    status: RequestStatus
    from_epoch: int
    to_epoch: int
    expiry: int
    grant_block: int
    dataset_id: int
    fee: int
    claimed: int
    renter_key: bytes


@dataclass(frozen=True, slots=True)
class GrantProposal:
    """The canonical governor proposal that grants one access request."""

    targets: list[ChecksumAddress]
    values: list[int]
    calldatas: list[bytes]
    description: str

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)


class RentalEscrow(ContractWrapper):
    NAME = "RentalEscrow"

    def requestAccess(  # noqa: N802
        self,
        dataset_id: DatasetId,
        renter_key: bytes,
        from_epoch: int,
        to_epoch: int,
        expiry: int,
        fee: int,
    ) -> ReqId:
        receipt = self._send(
            "requestAccess", dataset_id, renter_key, from_epoch, to_epoch, expiry, value=fee
        )
        (event,) = self._logs(receipt, "AccessRequested")
        return ReqId(event["args"]["reqId"])

    def refund(self, req_id: ReqId) -> TxReceipt:
        return self._send("refund", req_id)

    def claimFee(self, req_id: ReqId) -> TxReceipt:  # noqa: N802
        return self._send("claimFee", req_id)

    def refundable(self, req_id: ReqId) -> bool:
        return bool(self._call("refundable", req_id))

    def claimableFee(self, req_id: ReqId, holder: str) -> int:  # noqa: N802
        return int(self._call("claimableFee", req_id, Web3.to_checksum_address(holder)))

    def request(self, req_id: ReqId) -> Request:
        raw = self._call("request", req_id)
        return Request(Web3.to_checksum_address(raw[0]), RequestStatus(raw[1]), *raw[2:])

    def requestCount(self) -> int:  # noqa: N802
        return int(self._call("requestCount"))

    def grantProposal(self, req_id: ReqId) -> GrantProposal:  # noqa: N802
        targets, values, calldatas, description = self._call("grantProposal", req_id)
        return GrantProposal(
            [Web3.to_checksum_address(t) for t in targets],
            [int(v) for v in values],
            [bytes(c) for c in calldatas],
            str(description),
        )

    def grantProposalId(self, req_id: ReqId) -> int:  # noqa: N802
        return int(self._call("grantProposalId", req_id))

    def proposeGrant(self, req_id: ReqId) -> int:  # noqa: N802
        """Put the request's canonical grant proposal to the governor, with the escrow as its
        proposer (the only account that may: its description ends ``#proposer=<escrow>``, so no
        stranger can propose it and cancel it); returns the proposal id."""
        receipt = self._send("proposeGrant", req_id)
        (event,) = self._logs(receipt, "GrantProposed")
        return int(event["args"]["proposalId"])
