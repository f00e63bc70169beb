"""Typed wrapper of DKGCoordinator: key rituals, their committees, transcripts and DAO public
keys."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.types import RitualId

__all__ = ["DKGCoordinator", "RitualInfo", "RitualState"]


class RitualState(IntEnum):
    NONE = 0
    AWAITING_TRANSCRIPTS = 1
    AWAITING_AGGREGATIONS = 2
    ACTIVE = 3
    TIMEOUT = 4
    INVALID = 5


@dataclass(frozen=True, slots=True)
class RitualInfo:
    state: RitualState
    size: int
    threshold: int
    transcript_count: int
    aggregation_count: int
    init_timestamp: int
    deadline: int
    aggregated_transcript_digest: bytes


class DKGCoordinator(ContractWrapper):
    NAME = "DKGCoordinator"

    def initiateRitual(self, size: int, threshold: int, timeout_s: int) -> RitualId:  # noqa: N802
        receipt = self._send("initiateRitual", size, threshold, timeout_s)
        (event,) = self._logs(receipt, "RitualInitiated")
        return RitualId(event["args"]["ritualId"])

    def postTranscript(self, ritual_id: RitualId, transcript: bytes) -> TxReceipt:  # noqa: N802
        return self._send("postTranscript", ritual_id, transcript)

    def postAggregation(  # noqa: N802
        self, ritual_id: RitualId, aggregated_digest: bytes, dkg_public_key: bytes
    ) -> TxReceipt:
        return self._send("postAggregation", ritual_id, aggregated_digest, dkg_public_key)

    def getRitualState(self, ritual_id: RitualId) -> RitualState:  # noqa: N802
        return RitualState(self._call("getRitualState", ritual_id))

    def getRitual(self, ritual_id: RitualId) -> RitualInfo:  # noqa: N802
        raw = self._call("getRitual", ritual_id)
        return RitualInfo(RitualState(raw[0]), *raw[1:])

    def getParticipants(self, ritual_id: RitualId) -> list[ChecksumAddress]:  # noqa: N802
        return [Web3.to_checksum_address(a) for a in self._call("getParticipants", ritual_id)]

    def isParticipant(self, ritual_id: RitualId, who: str) -> bool:  # noqa: N802
        return bool(self._call("isParticipant", ritual_id, Web3.to_checksum_address(who)))

    def getThreshold(self, ritual_id: RitualId) -> int:  # noqa: N802
        return int(self._call("getThreshold", ritual_id))

    def getPublicKey(self, ritual_id: RitualId) -> bytes:  # noqa: N802
        return bytes(self._call("getPublicKey", ritual_id))

    def activeRitualId(self) -> RitualId:  # noqa: N802
        return RitualId(self._call("activeRitualId"))

    def transcripts(self, ritual_id: RitualId, from_block: int) -> dict[ChecksumAddress, bytes]:
        """Every transcript posted for ``ritual_id`` (from the TranscriptPosted events)."""
        event = self.contract.events.TranscriptPosted()
        found: dict[ChecksumAddress, bytes] = {}
        for log in self.chain.events(
            event, from_block=from_block, argument_filters={"ritualId": ritual_id}
        ):
            found[Web3.to_checksum_address(log["args"]["member"])] = bytes(
                log["args"]["transcript"]
            )
        return found
