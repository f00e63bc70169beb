"""Bad input from Python surfaces as the typed exception generated from the ABIs, and nothing
changes on chain: no block is mined, no nonce is used, the state read before is the state after.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from node.chain import _revert_table as errors
from node.chain.access import AccessRegistry
from node.chain.dataset_config import DatasetConfig
from node.chain.dkg import DKGCoordinator
from node.chain.eip712 import SubmissionMessage, sign
from node.chain.errors import ContractRevert
from node.chain.escrow import RentalEscrow
from node.chain.governor import DataDAOGovernor
from node.chain.registry import SubmissionRegistry
from node.chain.rewards import RewardDistributor
from node.chain.scoreboard import ScoreBoard
from node.chain.staking import ValidatorStaking
from node.chain.token import DatasetToken
from node.types import DatasetId, Epoch, ReqId
from tests.integration.conftest import Devnet

pytestmark = pytest.mark.integration
DATASET = DatasetId(1)


def _message(devnet: Devnet, who: LocalAccount, **overrides: Any) -> SubmissionMessage:
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    base = SubmissionMessage(
        contributor=who.address,
        datasetId=DATASET,
        cid="bafkrei" + secrets.token_hex(20),
        headerHash=secrets.token_bytes(32),
        contentCommitment=secrets.token_bytes(32),
        ritualId=int(devnet.deployment.extra["ritual_id"]),
        epoch=cfg.currentEpoch(DATASET),
        deadline=int(time.time()) + 3600,
    )
    return dataclasses.replace(base, **overrides)


def _bond(devnet: Devnet) -> int:
    return DatasetConfig(devnet.chain, devnet.address("DatasetConfig")).submissionBond(DATASET)


def _submit(
    devnet: Devnet, m: SubmissionMessage, signer: LocalAccount, bond: int | None = None
) -> None:
    registry = devnet.address("SubmissionRegistry")
    sig = sign(m, signer, chain_id=devnet.chain.chain_id, registry=registry)
    paid = _bond(devnet) if bond is None else bond
    SubmissionRegistry(devnet.client(signer), registry).submit(m, sig, paid)


def _assert_reverts_unchanged(
    devnet: Devnet, expected: type[ContractRevert], action: Callable[[], Any]
) -> ContractRevert:
    w3 = devnet.chain.w3
    block = w3.eth.block_number
    nonces = {a.address: w3.eth.get_transaction_count(a.address) for a in _everyone(devnet)}
    with pytest.raises(expected) as info:
        action()
    assert w3.eth.block_number == block, "a reverting call must not be mined"
    assert nonces == {a.address: w3.eth.get_transaction_count(a.address) for a in _everyone(devnet)}
    return info.value


def _everyone(devnet: Devnet) -> list[LocalAccount]:
    return [*devnet.validators, *devnet.contributors, *devnet.spare]


def test_submission_rejections(devnet: Devnet, snapshot: None) -> None:
    who, other = devnet.contributors[0], devnet.contributors[1]
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    # start at a fresh submission window so no case straddles an epoch boundary
    next_epoch = Epoch(cfg.currentEpoch(DATASET) + 1)
    devnet.time.mine_to(cfg.epochWindows(DATASET, next_epoch).submit_start)
    first = _message(devnet, who)
    _submit(devnet, first, who)
    epoch = cfg.currentEpoch(DATASET)
    cases: list[tuple[type[ContractRevert], SubmissionMessage, LocalAccount, int | None]] = [
        # a replayed signature derives the same file id
        (errors.SubmissionRegistryDuplicateFileId, first, who, None),
        # the same contributor's content twice (another contributor may: validators judge it)
        (
            errors.SubmissionRegistryDuplicateContent,
            _message(devnet, who, contentCommitment=first.contentCommitment),
            who,
            None,
        ),
        (errors.SubmissionRegistryWrongBond, _message(devnet, who), who, 0),
        (errors.SubmissionRegistryWrongBond, _message(devnet, who), who, _bond(devnet) + 1),
        (
            errors.SubmissionRegistryWrongEpoch,
            _message(devnet, who, epoch=Epoch(epoch + 1)),
            who,
            None,
        ),
        (errors.SubmissionRegistryExpired, _message(devnet, who, deadline=1), who, None),
        (errors.SubmissionRegistryRitualNotActive, _message(devnet, who, ritualId=99), who, None),
        (errors.SubmissionRegistryEmptyCid, _message(devnet, who, cid=""), who, None),
        (errors.SubmissionRegistryUnknownDataset, _message(devnet, who, datasetId=42), who, None),
    ]
    for expected, message, signer, bond in cases:
        err = _assert_reverts_unchanged(
            devnet, expected, functools.partial(_submit, devnet, message, signer, bond)
        )
        assert err.error_name == expected.error_name
    # a copy of the first submission under another contributor's name and signature lands,
    # under a file id of its own: it cannot take the original's id or lock its content out
    copy = dataclasses.replace(first, contributor=other.address)
    _submit(devnet, copy, other)
    registry_view = SubmissionRegistry(devnet.chain, devnet.address("SubmissionRegistry"))
    assert copy.file_id() != first.file_id()
    assert registry_view.stored(first.file_id()).contributor == who.address
    assert registry_view.stored(copy.file_id()).contributor == other.address
    # signed by someone other than the declared contributor
    forged = _message(devnet, who)
    registry = devnet.address("SubmissionRegistry")
    bad_sig = sign(forged, other, chain_id=devnet.chain.chain_id, registry=registry)
    err = _assert_reverts_unchanged(
        devnet,
        errors.SubmissionRegistryInvalidSignature,
        lambda: SubmissionRegistry(devnet.client(other), registry).submit(
            forged, bad_sig, _bond(devnet)
        ),
    )
    assert err.fields["contributor"] == who.address


def test_scoring_rejections(devnet: Devnet, snapshot: None) -> None:
    board_addr = devnet.address("ScoreBoard")
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    epoch = cfg.currentEpoch(DATASET)
    outsider = ScoreBoard(devnet.client(devnet.spare[0]), board_addr)
    v0 = ScoreBoard(devnet.client(devnet.validators[0]), board_addr)
    _assert_reverts_unchanged(
        devnet, errors.ScoreBoardNotInCommitWindow, lambda: v0.commit(DATASET, epoch, b"\x01" * 32)
    )
    _assert_reverts_unchanged(
        devnet, errors.ScoreBoardFinalizeTooEarly, lambda: outsider.finalize(DATASET, epoch)
    )
    devnet.time.mine_to(cfg.epochWindows(DATASET, epoch).close_block)
    _assert_reverts_unchanged(
        devnet,
        errors.ScoreBoardNotCommitteeMember,
        lambda: outsider.commit(DATASET, epoch, b"\x01" * 32),
    )
    _assert_reverts_unchanged(
        devnet, errors.ScoreBoardZeroCommitment, lambda: v0.commit(DATASET, epoch, b"\x00" * 32)
    )
    v0.commit(DATASET, epoch, b"\x01" * 32)
    _assert_reverts_unchanged(
        devnet, errors.ScoreBoardAlreadyCommitted, lambda: v0.commit(DATASET, epoch, b"\x02" * 32)
    )
    _assert_reverts_unchanged(
        devnet,
        errors.ScoreBoardNotInRevealWindow,
        lambda: v0.reveal(DATASET, epoch, b"\x00" * 32, 0, "bafy", b"\x00" * 32),
    )
    devnet.time.mine_to(cfg.epochWindows(DATASET, epoch).reveal_start)
    _assert_reverts_unchanged(  # a root other than the committed one
        devnet,
        errors.ScoreBoardCommitmentMismatch,
        lambda: v0.reveal(DATASET, epoch, b"\x03" * 32, 10**9, "bafy", b"\x00" * 32),
    )
    _assert_reverts_unchanged(
        devnet,
        errors.ScoreBoardNotCommitted,
        lambda: ScoreBoard(devnet.client(devnet.validators[1]), board_addr).reveal(
            DATASET, epoch, b"\x03" * 32, 10**9, "bafy", b"\x00" * 32
        ),
    )


def test_permission_rejections(devnet: Devnet, snapshot: None) -> None:
    stranger = devnet.spare[1]
    access = AccessRegistry(devnet.client(stranger), devnet.address("AccessRegistry"))
    _assert_reverts_unchanged(
        devnet, errors.AccessRegistryNotTimelock, lambda: access._send("grant", 1)
    )
    dkg = DKGCoordinator(devnet.client(stranger), devnet.address("DKGCoordinator"))
    _assert_reverts_unchanged(
        devnet, errors.OwnableUnauthorizedAccount, lambda: dkg.initiateRitual(4, 3, 60)
    )
    cfg = DatasetConfig(devnet.client(stranger), devnet.address("DatasetConfig"))
    _assert_reverts_unchanged(
        devnet, errors.OwnableUnauthorizedAccount, lambda: cfg.setEmission(DATASET, 1)
    )
    token = DatasetToken(devnet.client(stranger), devnet.address("DatasetToken"))
    _assert_reverts_unchanged(
        devnet, errors.DatasetTokenNotMinter, lambda: token._send("mint", stranger.address, 1)
    )
    staking = ValidatorStaking(devnet.client(stranger), devnet.address("ValidatorStaking"))
    _assert_reverts_unchanged(
        devnet,
        errors.ValidatorStakingBelowMinStake,
        lambda: staking.register(b"\x01" * 96, "http://x"),
    )
    _assert_reverts_unchanged(devnet, errors.ValidatorStakingNothingToWithdraw, staking.withdraw)


def test_economic_rejections(devnet: Devnet, snapshot: None) -> None:
    renter = devnet.spare[2]
    escrow = RentalEscrow(devnet.client(renter), devnet.address("RentalEscrow"))
    far = int(time.time()) + 86400
    _assert_reverts_unchanged(
        devnet,
        errors.RentalEscrowZeroFee,
        lambda: escrow.requestAccess(DATASET, b"k", 0, 0, far, 0),
    )
    _assert_reverts_unchanged(
        devnet,
        errors.RentalEscrowInvalidScope,
        lambda: escrow.requestAccess(DATASET, b"k", 5, 1, far, 10),
    )
    req = escrow.requestAccess(DATASET, b"k", 0, 0, far, 10)
    _assert_reverts_unchanged(devnet, errors.RentalEscrowNotRefundable, lambda: escrow.refund(req))
    _assert_reverts_unchanged(devnet, errors.RentalEscrowNotGranted, lambda: escrow.claimFee(req))
    _assert_reverts_unchanged(
        devnet, errors.RentalEscrowUnknownRequest, lambda: escrow.refund(ReqId(999))
    )
    rewards = RewardDistributor(devnet.client(renter), devnet.address("RewardDistributor"))
    _assert_reverts_unchanged(
        devnet,
        errors.RewardDistributorNotFinalized,
        lambda: rewards.claim(DATASET, Epoch(0), b"\x01" * 32, 1, []),
    )


def test_governance_griefing_rejections(devnet: Devnet, snapshot: None) -> None:
    """The canonical grant proposal cannot be proposed by a stranger (who could then cancel it
    while pending and block the request for ever), nor cancelled by anyone once the escrow has
    proposed it; only the timelock can revoke a grant."""
    renter, stranger = devnet.spare[2], devnet.spare[3]
    escrow = RentalEscrow(devnet.client(renter), devnet.address("RentalEscrow"))
    req = escrow.requestAccess(DATASET, b"k", 0, 0, int(time.time()) + 86400, 10)
    canonical = escrow.grantProposal(req)
    assert canonical.description.endswith("#proposer=" + escrow.address.lower())
    governor = DataDAOGovernor(devnet.client(stranger), devnet.address("DataDAOGovernor"))
    _assert_reverts_unchanged(
        devnet, errors.GovernorRestrictedProposer, lambda: governor.propose(canonical)
    )
    pid = escrow.with_client(devnet.client(stranger)).proposeGrant(req)
    assert pid == escrow.grantProposalId(req)
    for who in (stranger, renter):
        canceller = DataDAOGovernor(devnet.client(who), governor.address)
        _assert_reverts_unchanged(
            devnet, errors.GovernorUnableToCancel, functools.partial(canceller.cancel, canonical)
        )
    access = AccessRegistry(devnet.client(stranger), devnet.address("AccessRegistry"))
    _assert_reverts_unchanged(devnet, errors.AccessRegistryNotTimelock, lambda: access.revoke(req))
