"""The whole protocol driven from Python on anvil: submit, score, finalize, claim, rent, govern.

One epoch with 4 committee validators: two honest, one dishonest (inverted scores, a minority of
revealed stake), one that commits and never reveals (slashed). Contributors claim exactly
floor(E_c * s_j / sum(s)). A renter's request is granted through delegate / propose / vote /
queue / execute and holders claim its fee pro rata; a second request is voted down and refunded.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from node.chain.access import AccessRegistry
from node.chain.dataset_config import DatasetConfig
from node.chain.eip712 import SubmissionMessage, sign
from node.chain.escrow import RentalEscrow, RequestStatus
from node.chain.governor import DataDAOGovernor, ProposalState, VoteType
from node.chain.registry import SubmissionRegistry
from node.chain.rewards import RewardDistributor
from node.chain.scoreboard import ScoreBoard
from node.chain.staking import ValidatorStaking
from node.chain.token import DatasetToken
from node.types import Bps, DatasetId, Epoch, ReqId
from tests.integration.conftest import Devnet
from validator.daemon.commitment import ScoreCommitment, new_salt

pytestmark = pytest.mark.integration

DATASET = DatasetId(1)
BPS = 10_000


@dataclass
class Submitted:
    file_id: bytes
    contributor: LocalAccount


def submission(devnet: Devnet, who: LocalAccount, epoch: Epoch) -> SubmissionMessage:
    return SubmissionMessage(
        contributor=who.address,
        datasetId=DATASET,
        fileId=secrets.token_bytes(32),
        cid="bafkrei" + secrets.token_hex(20),
        headerHash=secrets.token_bytes(32),
        contentCommitment=secrets.token_bytes(32),
        ritualId=int(devnet.deployment.extra["ritual_id"]),
        epoch=epoch,
        nonce=secrets.randbits(64),
        deadline=int(time.time()) + 3600,
    )


def signed(devnet: Devnet, m: SubmissionMessage, who: LocalAccount) -> bytes:
    return sign(
        m, who, chain_id=devnet.chain.chain_id, registry=devnet.address("SubmissionRegistry")
    )


def test_full_lifecycle(devnet: Devnet, snapshot: None) -> None:
    t0 = time.monotonic()
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    registry = SubmissionRegistry(devnet.chain, devnet.address("SubmissionRegistry"))
    board = ScoreBoard(devnet.chain, devnet.address("ScoreBoard"))
    rewards = RewardDistributor(devnet.chain, devnet.address("RewardDistributor"))
    token = DatasetToken(devnet.chain, devnet.address("DatasetToken"))
    staking = ValidatorStaking(devnet.chain, devnet.address("ValidatorStaking"))
    dataset = cfg.dataset(DATASET)

    # --- submit: move to the start of a fresh epoch so all submissions land in one window
    epoch = Epoch(cfg.currentEpoch(DATASET) + 1)
    windows = cfg.epochWindows(DATASET, epoch)
    devnet.time.mine_to(windows.submit_start - 1)
    assert cfg.currentEpoch(DATASET) == epoch - 1
    devnet.time.mine(1)
    files: list[Submitted] = []
    for i, who in enumerate(devnet.contributors[:4]):
        m = submission(devnet, who, epoch)
        sig = signed(devnet, m, who)
        # contributor 0's submission is relayed by a third party who pays the gas
        sender = devnet.spare[0] if i == 0 else who
        SubmissionRegistry(devnet.client(sender), registry.address).submit(m, sig)
        files.append(Submitted(m.fileId, who))
    file_ids = registry.epochFiles(DATASET, epoch)
    assert file_ids == [f.file_id for f in files]
    assert registry.submissionOf(files[0].file_id).contributor == devnet.contributors[0].address

    # --- commit: honest v0, v1 agree; v2 is dishonest (inverted); v3 commits, never reveals
    honest = [Bps(s) for s in (9000, 6000, 3000, 500)]
    honest_v1 = [Bps(s) for s in (8800, 6200, 2900, 600)]
    dishonest = [Bps(BPS - s) for s in honest]
    plans = {0: honest, 1: honest_v1, 2: dishonest, 3: honest}
    devnet.time.mine_to(windows.close_block)
    ScoreBoard(devnet.client(devnet.spare[1]), board.address).fixSeed(DATASET, epoch)
    seed = board.epochSeed(DATASET, epoch)
    assert seed != b"\x00" * 32
    committee = board.committee(DATASET, epoch)
    assert sorted(committee) == sorted(v.address for v in devnet.validators)
    commitments: dict[int, ScoreCommitment] = {}
    for i, scores in plans.items():
        v = devnet.validators[i]
        c = ScoreCommitment(
            chain_id=devnet.chain.chain_id,
            score_board=board.address,
            dataset_id=DATASET,
            epoch=epoch,
            validator=v.address,
            file_ids=tuple(file_ids),
            scores_bps=tuple(scores),
            salt=new_salt(),
        )
        ScoreBoard(devnet.client(v), board.address).commit(DATASET, epoch, c.digest())
        commitments[i] = c
    v0 = devnet.validators[0].address
    assert board.commitmentOf(DATASET, epoch, v0) == commitments[0].digest()

    # --- reveal (v3 stays silent)
    devnet.time.mine_to(windows.reveal_start)
    for i in (0, 1, 2):
        c = commitments[i]
        ScoreBoard(devnet.client(devnet.validators[i]), board.address).reveal(
            DATASET, epoch, list(c.scores_bps), c.salt
        )
    assert board.revealedScores(DATASET, epoch, devnet.validators[2].address) == dishonest

    # --- finalize (permissionless)
    silent = devnet.validators[3].address
    stake_before = staking.stakeOf(silent)
    ema_before = board.agreementEma(devnet.validators[2].address)
    devnet.time.mine_to(windows.finalize_from)
    ScoreBoard(devnet.client(devnet.spare[2]), board.address).finalize(DATASET, epoch)
    status = board.epochStatus(DATASET, epoch)
    assert status.finalized
    assert status.quorum_met
    finals = [board.finalScore(DATASET, epoch, f) for f in file_ids]
    for j, final in enumerate(finals):
        lo, hi = sorted((honest[j], honest_v1[j]))
        assert lo <= final <= hi, "the dishonest minority moved a score outside the honest range"
    assert staking.stakeOf(silent) < stake_before, "the non-revealer was not slashed"
    assert board.agreementEma(devnet.validators[2].address) < ema_before
    assert board.agreementEma(devnet.validators[0].address) >= board.agreementEma(
        devnet.validators[2].address
    )

    # --- claims: exactly floor(E_c * s_j / sum s)
    e_total = dataset.emission_per_epoch
    e_c = e_total * (BPS - dataset.validator_share_bps) // BPS
    total_score = sum(finals)
    for f, s in zip(files, finals, strict=True):
        expected = e_c * s // total_score
        assert rewards.contributorReward(DATASET, epoch, f.file_id) == expected
        before = token.balanceOf(f.contributor.address)
        RewardDistributor(devnet.client(devnet.spare[0]), rewards.address).claim(
            DATASET, epoch, f.file_id
        )
        assert token.balanceOf(f.contributor.address) - before == expected
    for i in (0, 1, 2):
        as_validator = RewardDistributor(devnet.client(devnet.validators[i]), rewards.address)
        as_validator.claimValidatorReward(DATASET, epoch)
    assert rewards.epochRewards(DATASET, epoch).minted <= e_total

    # --- access: delegate, propose, vote, queue, execute; then holders claim the fee
    holders = [f.contributor for f in files]
    # the first mint self-delegated every holder
    assert token.getVotes(holders[0].address) == token.balanceOf(holders[0].address)
    DatasetToken(devnet.client(holders[3]), token.address).delegate(holders[2].address)
    renter, loser = devnet.spare[2], devnet.spare[3]
    escrow = RentalEscrow(devnet.chain, devnet.address("RentalEscrow"))
    access = AccessRegistry(devnet.chain, devnet.address("AccessRegistry"))
    governor = DataDAOGovernor(devnet.chain, devnet.address("DataDAOGovernor"))
    expiry = devnet.chain.w3.eth.get_block("latest")["timestamp"] + 30 * 86400
    fee = Web3.to_wei(1, "ether")
    req = RentalEscrow(devnet.client(renter), escrow.address).requestAccess(
        DATASET, b"renter-session-key", epoch, epoch, expiry, fee
    )
    req2 = RentalEscrow(devnet.client(loser), escrow.address).requestAccess(
        DATASET, b"loser-session-key", epoch, epoch, expiry, fee
    )
    p1 = escrow.grantProposal(req)
    pid1 = escrow.with_client(devnet.client(holders[0])).proposeGrant(req)
    pid2 = escrow.with_client(devnet.client(holders[0])).proposeGrant(req2)
    assert pid1 == escrow.grantProposalId(req)
    devnet.time.mine(governor.votingDelay() + 1)
    for h in holders[:3]:
        DataDAOGovernor(devnet.client(h), governor.address).castVote(pid1, VoteType.FOR)
        DataDAOGovernor(devnet.client(h), governor.address).castVote(pid2, VoteType.AGAINST)
    devnet.time.mine(governor.votingPeriod() + 1)
    assert governor.state(pid1) is ProposalState.SUCCEEDED
    assert governor.state(pid2) is ProposalState.DEFEATED
    governor.queue(p1)
    devnet.time.increase_time(devnet_timelock_delay(devnet) + 1)
    governor.execute(p1)
    assert access.isGranted(req)
    assert access.inScope(req, files[0].file_id)
    assert escrow.request(req).status is RequestStatus.GRANTED
    grant_block = escrow.request(req).grant_block
    devnet.time.mine(1)
    supply = token.contract.functions.getPastTotalSupply(grant_block).call()
    paid = 0
    for h in holders:
        votes = token.getPastVotes(h.address, grant_block)
        expected = fee * votes // supply
        assert escrow.claimableFee(req, h.address) == expected
        if expected:
            before = devnet.chain.w3.eth.get_balance(h.address)
            receipt = RentalEscrow(devnet.client(h), escrow.address).claimFee(req)
            gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
            assert devnet.chain.w3.eth.get_balance(h.address) - before + gas == expected
            paid += expected
    assert 0 < paid <= fee

    # --- the defeated request is refunded to its renter
    before = devnet.chain.w3.eth.get_balance(loser.address)
    receipt = RentalEscrow(devnet.client(loser), escrow.address).refund(req2)
    gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert devnet.chain.w3.eth.get_balance(loser.address) - before + gas == fee
    assert escrow.request(req2).status is RequestStatus.REFUNDED
    assert not access.isGranted(ReqId(req2))
    print(f"\nlifecycle wall time: {time.monotonic() - t0:.1f}s")  # noqa: T201 - reported by CI


def devnet_timelock_delay(devnet: Devnet) -> int:
    from node.chain.governor import TimelockController

    return TimelockController(devnet.chain, devnet.address("TimelockController")).getMinDelay()
