"""A token holder's governance: access requests, proposals, voting power; delegate, propose the
canonical grant of a request, vote, queue and execute.

The checks are ``datadao gov``'s: only the canonical grant of an open request can be proposed
(so a holder is never shown a proposal whose calldata does something else as "grant request
#N"), votes only while ACTIVE and with voting power at the snapshot, queue only SUCCEEDED,
execute only QUEUED and past its eta. Each refusal is a typed error and nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from node.chain.escrow import GrantProposal, Request, RequestStatus
from node.chain.governor import ProposalInfo, ProposalState, VoteType
from node.errors import ChainError, ConflictError, InputError
from node.types import ReqId
from node.wiring import ChainContext

__all__ = [
    "AlreadyVoted",
    "GovernanceError",
    "Overview",
    "ProposalView",
    "RequestView",
    "UnknownProposal",
    "UnknownRequest",
    "delegate",
    "execute",
    "find_proposal",
    "overview",
    "propose_grant",
    "propose_revoke",
    "propose_submission_bond",
    "queue",
    "vote",
]

SUPPORT = {"for": VoteType.FOR, "against": VoteType.AGAINST, "abstain": VoteType.ABSTAIN}


class GovernanceError(ChainError):
    """A governance action that would fail or mislead now; nothing was sent."""


class UnknownProposal(InputError):
    """No proposal (or no single one) matches the id given; nothing was sent."""


class UnknownRequest(InputError):
    """No access request with this id; nothing was sent."""


class AlreadyVoted(ConflictError):
    """This account has voted on the proposal already; a vote cannot be changed."""


@dataclass(frozen=True)
class RequestView:
    req_id: int
    request: Request
    proposal_id: int | None
    granted: bool

    @property
    def status(self) -> str:
        return self.request.status.name


@dataclass(frozen=True)
class ProposalView:
    info: ProposalInfo
    state: ProposalState
    votes_for: int
    votes_against: int
    votes_abstain: int
    quorum: int | None
    eta: int
    voted: bool | None
    my_weight: int | None
    req_id: int | None

    @property
    def due(self) -> bool:
        """Queued and its timelock delay over (``now`` is checked again on execute)."""
        return self.state is ProposalState.QUEUED


@dataclass(frozen=True)
class Overview:
    me: str | None
    symbol: str
    balance: int
    votes: int
    delegate: str | None
    head: int
    now: int
    requests: list[RequestView]
    proposals: list[ProposalView]


def _now(c: ChainContext) -> int:
    return int(c.chain.w3.eth.get_block("latest")["timestamp"])


def overview(c: ChainContext) -> Overview:
    """Everything the governance page shows, newest first."""
    token, governor, escrow = c.contracts.token, c.contracts.governor, c.contracts.escrow
    me = c.chain.address if c.chain.has_signer else None
    head = c.chain.block_number()
    infos = governor.proposals(c.deployment.start_block)
    by_id = {p.proposal_id: p for p in infos}
    requests: list[RequestView] = []
    req_of: dict[int, int] = {}
    for req in range(1, escrow.requestCount() + 1):
        pid = escrow.grantProposalId(ReqId(req))
        known = pid if pid in by_id else None
        if known is not None:
            req_of[known] = req
        requests.append(
            RequestView(
                req_id=req,
                request=escrow.request(ReqId(req)),
                proposal_id=known,
                granted=c.contracts.access.isGranted(ReqId(req)),
            )
        )
    proposals = []
    for p in infos:
        against, for_, abstain = governor.proposalVotes(p.proposal_id)
        snapshot = governor.proposalSnapshot(p.proposal_id)
        proposals.append(
            ProposalView(
                info=p,
                state=governor.state(p.proposal_id),
                votes_for=for_,
                votes_against=against,
                votes_abstain=abstain,
                quorum=governor.quorum(snapshot) if snapshot < head else None,
                eta=governor.proposalEta(p.proposal_id),
                voted=None if me is None else governor.hasVoted(p.proposal_id, me),
                my_weight=None
                if me is None or snapshot >= head
                else token.getPastVotes(me, snapshot),
                req_id=req_of.get(p.proposal_id),
            )
        )
    return Overview(
        me=me,
        symbol=token.symbol(),
        balance=0 if me is None else token.balanceOf(me),
        votes=0 if me is None else token.getVotes(me),
        delegate=None if me is None else token.delegates(me),
        head=head,
        now=_now(c),
        requests=list(reversed(requests)),
        proposals=list(reversed(proposals)),
    )


def find_proposal(c: ChainContext, ident: str) -> ProposalInfo:
    """A proposal by full decimal id or unique prefix."""
    if not ident.isdigit():
        raise UnknownProposal("a proposal id is a decimal number")
    found = [
        p
        for p in c.contracts.governor.proposals(c.deployment.start_block)
        if str(p.proposal_id).startswith(ident)
    ]
    if not found:
        raise UnknownProposal(f"no proposal with id {ident}; see `datadao gov proposals`")
    if len(found) > 1:
        raise UnknownProposal(
            f"id prefix {ident} is ambiguous ({len(found)} proposals); give more digits"
        )
    return found[0]


def delegate(c: ChainContext, to: str | None) -> str:
    """Delegate this account's voting power (to itself by default); returns the delegatee."""
    if to and not Web3.is_address(to):
        raise InputError(f"not an address: {to}")
    target = c.chain.address if not to else Web3.to_checksum_address(to)
    c.contracts.token.delegate(target)
    return target


def propose_grant(c: ChainContext, req: int) -> int:
    """Propose the canonical grant of open request ``req`` (through the escrow, its only
    allowed proposer); returns the proposal id."""
    escrow = c.contracts.escrow
    if not 1 <= req <= escrow.requestCount():
        raise UnknownRequest(f"no access request #{req}")
    request = escrow.request(ReqId(req))
    if request.status is not RequestStatus.OPEN:
        raise GovernanceError(
            f"request #{req} is {request.status.name}: only open requests can be proposed"
        )
    proposal = escrow.grantProposal(ReqId(req))
    if proposal.targets != [c.address("AccessRegistry")] or proposal.values != [0]:
        raise GovernanceError("the escrow returned a proposal that is not an access grant")
    return escrow.proposeGrant(ReqId(req))


def propose_revoke(c: ChainContext, req: int, reason: str = "") -> int:
    """Propose ``AccessRegistry.revoke(req)`` (a leaked renter key, broken terms): once executed,
    every share service refuses the renter. Only a grant that is live now can be revoked."""
    access = c.contracts.access
    if not access.isGranted(ReqId(req)):
        raise GovernanceError(f"request #{req} is not granted now (never, expired or revoked)")
    call = access.contract.functions.revoke(req)
    proposal = GrantProposal(
        targets=[access.address],
        values=[0],
        calldatas=[bytes.fromhex(call._encode_transaction_data()[2:])],
        description=f"Revoke access request #{req}" + (f": {reason}" if reason else ""),
    )
    return c.contracts.governor.propose(proposal)


def propose_submission_bond(c: ChainContext, bond_wei: int, reason: str = "") -> int:
    """Propose ``DatasetConfig.setSubmissionBond(dataset, bond)`` through the timelock (the
    config's owner): the ETH every submission must send, returned with a paid claim and
    forfeited to the treasury with a proof of a 0 score."""
    if not 0 <= bond_wei < 1 << 96:
        raise GovernanceError("the submission bond must fit in uint96 wei")
    config = c.contracts.config
    call = config.contract.functions.setSubmissionBond(int(c.dataset_id), bond_wei)
    proposal = GrantProposal(
        targets=[config.address],
        values=[0],
        calldatas=[bytes.fromhex(call._encode_transaction_data()[2:])],
        description=f"Set dataset {c.dataset_id}'s submission bond to {bond_wei} wei"
        + (f": {reason}" if reason else ""),
    )
    return c.contracts.governor.propose(proposal)


def vote(c: ChainContext, ident: str, support: str, reason: str = "") -> int:
    """Vote on a proposal; returns the weight counted."""
    if support not in SUPPORT:
        raise InputError(f"support must be one of {', '.join(sorted(SUPPORT))}")
    governor = c.contracts.governor
    p = find_proposal(c, ident)
    state = governor.state(p.proposal_id)
    if state is not ProposalState.ACTIVE:
        raise GovernanceError(f"the proposal is {state.name}; votes are taken only while ACTIVE")
    if governor.hasVoted(p.proposal_id, c.chain.address):
        raise AlreadyVoted(f"{c.chain.address} has already voted on this proposal")
    snapshot = governor.proposalSnapshot(p.proposal_id)
    weight = c.contracts.token.getPastVotes(c.chain.address, snapshot)
    if weight == 0:
        raise GovernanceError(
            f"{c.chain.address} had no voting power at the proposal's snapshot (block "
            f"{snapshot}); voting power counts only if delegated before a proposal starts "
            "(`datadao gov delegate`)"
        )
    if reason:
        governor.castVoteWithReason(p.proposal_id, SUPPORT[support], reason)
    else:
        governor.castVote(p.proposal_id, SUPPORT[support])
    return weight


def queue(c: ChainContext, ident: str) -> int:
    """Queue a succeeded proposal in the timelock; returns the delay in seconds."""
    governor = c.contracts.governor
    p = find_proposal(c, ident)
    state = governor.state(p.proposal_id)
    if state is not ProposalState.SUCCEEDED:
        raise GovernanceError(f"the proposal is {state.name}; only SUCCEEDED can be queued")
    governor.queue(p.as_grant)
    return c.contracts.timelock.getMinDelay()


def execute(c: ChainContext, ident: str) -> ProposalInfo:
    """Execute a queued proposal once its timelock delay has passed."""
    governor = c.contracts.governor
    p = find_proposal(c, ident)
    state = governor.state(p.proposal_id)
    if state is not ProposalState.QUEUED:
        raise GovernanceError(f"the proposal is {state.name}; only QUEUED can be executed")
    eta = governor.proposalEta(p.proposal_id)
    now = _now(c)
    if now < eta:
        raise GovernanceError(f"the proposal is in the timelock for {eta - now} more seconds")
    governor.execute(p.as_grant)
    return p
