"""Typed wrappers of DataDAOGovernor and its TimelockController."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.chain.escrow import GrantProposal

__all__ = ["DataDAOGovernor", "ProposalInfo", "ProposalState", "TimelockController", "VoteType"]


class ProposalState(IntEnum):
    """OpenZeppelin Governor's ProposalState, in its order."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7


class VoteType(IntEnum):
    """GovernorCountingSimple's support values."""

    AGAINST = 0
    FOR = 1
    ABSTAIN = 2


@dataclass(frozen=True, slots=True)
class ProposalInfo:
    """A proposal as created (from its ProposalCreated event)."""

    proposal_id: int
    proposer: ChecksumAddress
    targets: list[ChecksumAddress]
    values: list[int]
    calldatas: list[bytes]
    vote_start: int
    vote_end: int
    description: str
    created_block: int

    @property
    def as_grant(self) -> GrantProposal:
        return GrantProposal(self.targets, self.values, self.calldatas, self.description)


class DataDAOGovernor(ContractWrapper):
    NAME = "DataDAOGovernor"

    def proposals(self, from_block: int) -> list[ProposalInfo]:
        """Every proposal created since ``from_block`` (paged event scan), oldest first."""
        event = self.contract.events.ProposalCreated()
        return [
            ProposalInfo(
                proposal_id=int(e["args"]["proposalId"]),
                proposer=Web3.to_checksum_address(e["args"]["proposer"]),
                targets=[Web3.to_checksum_address(t) for t in e["args"]["targets"]],
                values=[int(v) for v in e["args"]["values"]],
                calldatas=[bytes(c) for c in e["args"]["calldatas"]],
                vote_start=int(e["args"]["voteStart"]),
                vote_end=int(e["args"]["voteEnd"]),
                description=str(e["args"]["description"]),
                created_block=int(e["blockNumber"]),
            )
            for e in self.chain.events(event, from_block=from_block)
        ]

    def propose(self, p: GrantProposal) -> int:
        receipt = self._send("propose", p.targets, p.values, p.calldatas, p.description)
        (event,) = self._logs(receipt, "ProposalCreated")
        return int(event["args"]["proposalId"])

    def castVote(self, proposal_id: int, support: VoteType) -> TxReceipt:  # noqa: N802
        return self._send("castVote", proposal_id, int(support))

    def castVoteWithReason(  # noqa: N802
        self, proposal_id: int, support: VoteType, reason: str
    ) -> TxReceipt:
        return self._send("castVoteWithReason", proposal_id, int(support), reason)

    def queue(self, p: GrantProposal) -> TxReceipt:
        return self._send("queue", p.targets, p.values, p.calldatas, p.description_hash)

    def cancel(self, p: GrantProposal) -> TxReceipt:
        """Cancel a pending proposal (the governor allows only its proposer)."""
        return self._send("cancel", p.targets, p.values, p.calldatas, p.description_hash)

    def execute(self, p: GrantProposal) -> TxReceipt:
        return self._send("execute", p.targets, p.values, p.calldatas, p.description_hash)

    def state(self, proposal_id: int) -> ProposalState:
        return ProposalState(self._call("state", proposal_id))

    def proposalVotes(self, proposal_id: int) -> tuple[int, int, int]:  # noqa: N802
        against, for_, abstain = self._call("proposalVotes", proposal_id)
        return int(against), int(for_), int(abstain)

    def proposalSnapshot(self, proposal_id: int) -> int:  # noqa: N802
        return int(self._call("proposalSnapshot", proposal_id))

    def proposalDeadline(self, proposal_id: int) -> int:  # noqa: N802
        return int(self._call("proposalDeadline", proposal_id))

    def proposalEta(self, proposal_id: int) -> int:  # noqa: N802
        return int(self._call("proposalEta", proposal_id))

    def quorum(self, block: int) -> int:
        return int(self._call("quorum", block))

    def hasVoted(self, proposal_id: int, who: str) -> bool:  # noqa: N802
        return bool(self._call("hasVoted", proposal_id, Web3.to_checksum_address(who)))

    def votingDelay(self) -> int:  # noqa: N802
        return int(self._call("votingDelay"))

    def votingPeriod(self) -> int:  # noqa: N802
        return int(self._call("votingPeriod"))


class TimelockController(ContractWrapper):
    NAME = "TimelockController"

    def getMinDelay(self) -> int:  # noqa: N802
        return int(self._call("getMinDelay"))
