"""Protocol v2 driven from Python on anvil: submit, score, finalize, claim, rent, govern.

One epoch with 4 committee validators: three reveal the same score root (a quorum of stake),
one reveals another root (its agreement EMA falls). Contributors, one of them relayed, pay the
bond with ``submit`` and claim exactly floor(E_c * v_j / sum(v)) with a Merkle proof, getting
the bond back; a 0-valued file's bond is forfeited to the treasury by a proof. The next epoch
has no quorum (two of four reveal, two commit and stay silent and are slashed): nobody is paid,
its emission rolls over, and its bonds are refundable. A renter's request is granted through
delegate / propose / vote / queue / execute and holders claim its fee pro rata; a second request
is voted down and refunded.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from fractions import Fraction

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from node.chain.access import AccessRegistry
from node.chain.dataset_config import DatasetConfig
from node.chain.eip712 import SubmissionMessage, sign
from node.chain.errors import ContractRevert
from node.chain.escrow import RentalEscrow, RequestStatus
from node.chain.governor import DataDAOGovernor, ProposalState, VoteType
from node.chain.registry import SubmissionRegistry
from node.chain.rewards import RewardDistributor
from node.chain.scoreboard import ScoreBoard
from node.chain.staking import ValidatorStaking
from node.chain.token import DatasetToken
from node.protocol.scorevector import ScoreVector, to_units
from node.types import DatasetId, Epoch, FileId, ReqId
from tests.integration.conftest import Devnet
from tests.integration.helpers import score_commitment
from validator.daemon.commitment import new_salt

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
        cid="bafkrei" + secrets.token_hex(20),
        headerHash=secrets.token_bytes(32),
        contentCommitment=secrets.token_bytes(32),
        ritualId=int(devnet.deployment.extra["ritual_id"]),
        epoch=epoch,
        deadline=int(time.time()) + 3600,
    )


def signed(devnet: Devnet, m: SubmissionMessage, who: LocalAccount) -> bytes:
    return sign(
        m, who, chain_id=devnet.chain.chain_id, registry=devnet.address("SubmissionRegistry")
    )


def submit_all(devnet: Devnet, epoch: Epoch, bond: int) -> list[Submitted]:
    """One file per contributor; contributor 0's is relayed by a third party who pays gas and
    bond (the bond goes back to the contributor)."""
    registry = devnet.address("SubmissionRegistry")
    files: list[Submitted] = []
    for i, who in enumerate(devnet.contributors[:4]):
        m = submission(devnet, who, epoch)
        sender = devnet.spare[0] if i == 0 else who
        SubmissionRegistry(devnet.client(sender), registry).submit(m, signed(devnet, m, who), bond)
        files.append(Submitted(bytes(m.file_id()), who))
    return files


def commit_reveal(
    devnet: Devnet,
    epoch: Epoch,
    plans: dict[int, ScoreVector],
    *,
    silent: tuple[int, ...] = (),
) -> None:
    """Validators i commit plans[i] and reveal it, except the ``silent`` ones."""
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    board = ScoreBoard(devnet.chain, devnet.address("ScoreBoard"))
    windows = cfg.epochWindows(DATASET, epoch)
    devnet.time.mine_to(windows.close_block)
    ScoreBoard(devnet.client(devnet.spare[1]), board.address).fixSeed(DATASET, epoch)
    salts = {}
    for i, vector in plans.items():
        v = devnet.validators[i]
        salts[i] = new_salt()
        digest = score_commitment(
            chain_id=devnet.chain.chain_id,
            score_board=board.address,
            dataset_id=DATASET,
            epoch=epoch,
            validator=v.address,
            root=vector.root,
            total=vector.total,
            salt=salts[i],
        )
        ScoreBoard(devnet.client(v), board.address).commit(DATASET, epoch, digest)
        assert board.commitmentOf(DATASET, epoch, v.address) == digest
    devnet.time.mine_to(windows.reveal_start)
    for i, vector in plans.items():
        if i not in silent:
            ScoreBoard(devnet.client(devnet.validators[i]), board.address).reveal(
                DATASET, epoch, vector.root, vector.total, "bafkrei-vector", salts[i]
            )
    devnet.time.mine_to(windows.finalize_from)


def test_full_lifecycle(devnet: Devnet, snapshot: None) -> None:
    t0 = time.monotonic()
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    registry = SubmissionRegistry(devnet.chain, devnet.address("SubmissionRegistry"))
    board = ScoreBoard(devnet.chain, devnet.address("ScoreBoard"))
    rewards = RewardDistributor(devnet.chain, devnet.address("RewardDistributor"))
    token = DatasetToken(devnet.chain, devnet.address("DatasetToken"))
    staking = ValidatorStaking(devnet.chain, devnet.address("ValidatorStaking"))
    dataset = cfg.dataset(DATASET)
    bond = cfg.submissionBond(DATASET)
    assert bond > 0
    w3 = devnet.chain.w3

    # --- submit: move to the start of a fresh epoch so all submissions land in one window
    epoch = Epoch(cfg.currentEpoch(DATASET) + 1)
    windows = cfg.epochWindows(DATASET, epoch)
    devnet.time.mine_to(windows.submit_start)
    assert cfg.currentEpoch(DATASET) == epoch
    files = submit_all(devnet, epoch, bond)
    records = registry.epoch_records(DATASET, epoch)
    assert [r.file_id for r in records] == [f.file_id for f in files]
    assert registry.record(files[0].file_id).contributor == devnet.contributors[0].address
    assert registry.stored(files[0].file_id).bond == bond

    # --- score: v0, v1, v2 reveal the honest vector (a quorum); v3 reveals another root
    ids = [FileId(f.file_id) for f in files]
    honest = ScoreVector.from_units(
        DATASET, epoch, to_units(dict(zip(ids, map(Fraction, (9, 6, 3, 0)), strict=True)))
    )
    other = ScoreVector.from_units(
        DATASET, epoch, to_units(dict(zip(ids, map(Fraction, (0, 3, 6, 9)), strict=True)))
    )
    ema_before = board.agreementEma(devnet.validators[3].address)
    commit_reveal(devnet, epoch, {0: honest, 1: honest, 2: honest, 3: other})
    ScoreBoard(devnet.client(devnet.spare[2]), board.address).finalize(DATASET, epoch)
    status = board.epochStatus(DATASET, epoch)
    assert status.finalized
    assert status.quorum_met
    assert board.finalizedRoot(DATASET, epoch) == (honest.root, honest.total)
    assert board.agreementEma(devnet.validators[3].address) < ema_before
    assert board.agreementEma(devnet.validators[0].address) > board.agreementEma(
        devnet.validators[3].address
    )

    # --- claims: exactly floor(E_c * v_j / sum v) with the bond back; a 0 forfeits its bond
    e_total = rewards.epochRewards(DATASET, epoch).emission
    assert e_total >= dataset.emission_per_epoch  # plus whatever earlier epochs rolled over
    e_c = rewards.epochRewards(DATASET, epoch).contributor_pool
    assert (
        e_c
        == rewards.epochRewards(DATASET, epoch).emission
        * (BPS - dataset.validator_share_bps)
        // BPS
    )
    relayer = RewardDistributor(devnet.client(devnet.spare[0]), rewards.address)
    for f in files:
        value = honest.value(f.file_id)
        before = token.balanceOf(f.contributor.address)
        if value == 0:
            with pytest.raises(ContractRevert):  # nothing to claim, whatever the proof says
                relayer.claim(DATASET, epoch, f.file_id, 1, honest.proof(f.file_id))
            treasury = rewards.contract.functions.treasury().call()
            t_before = w3.eth.get_balance(treasury)
            relayer.forfeitBond(DATASET, epoch, f.file_id, honest.proof(f.file_id))
            assert w3.eth.get_balance(treasury) - t_before == bond
            assert registry.stored(f.file_id).bond == 0
            continue
        expected = e_c * value // honest.total
        with pytest.raises(ContractRevert):  # a claim of more than the root says fails
            relayer.claim(DATASET, epoch, f.file_id, value + 1, honest.proof(f.file_id))
        eth_before = w3.eth.get_balance(f.contributor.address)
        receipt = relayer.claim(DATASET, epoch, f.file_id, value, honest.proof(f.file_id))
        assert relayer.claimed_amounts(receipt) == [(expected, bond)]
        assert token.balanceOf(f.contributor.address) - before == expected
        assert w3.eth.get_balance(f.contributor.address) - eth_before == bond
        with pytest.raises(ContractRevert):  # once only
            relayer.claim(DATASET, epoch, f.file_id, value, honest.proof(f.file_id))
    for i in (0, 1, 2):
        as_validator = RewardDistributor(devnet.client(devnet.validators[i]), rewards.address)
        as_validator.claimValidatorReward(DATASET, epoch)
    assert rewards.epochRewards(DATASET, epoch).minted <= e_total

    # --- the next epoch has no quorum: two reveal, two stay silent and are slashed
    nxt = Epoch(cfg.currentEpoch(DATASET) + 1)
    devnet.time.mine_to(cfg.epochWindows(DATASET, nxt).submit_start)
    more = submit_all(devnet, nxt, bond)
    vec = ScoreVector.from_units(
        DATASET, nxt, to_units({FileId(f.file_id): Fraction(1) for f in more})
    )
    silent = [devnet.validators[i].address for i in (2, 3)]
    stakes = [staking.stakeOf(v) for v in silent]
    carried = rewards.carriedEmission(DATASET)
    commit_reveal(devnet, nxt, dict.fromkeys(range(4), vec), silent=(2, 3))
    ScoreBoard(devnet.client(devnet.spare[2]), board.address).finalize(DATASET, nxt)
    status = board.epochStatus(DATASET, nxt)
    assert status.finalized
    assert not status.quorum_met
    assert all(staking.stakeOf(v) < s for v, s in zip(silent, stakes, strict=True))
    assert rewards.carriedEmission(DATASET) == carried + dataset.emission_per_epoch
    with pytest.raises(ContractRevert):
        relayer.claim(
            DATASET, nxt, more[0].file_id, vec.value(more[0].file_id), vec.proof(more[0].file_id)
        )
    eth_before = w3.eth.get_balance(more[1].contributor.address)
    relayer.refundBond(DATASET, nxt, more[1].file_id)
    assert w3.eth.get_balance(more[1].contributor.address) - eth_before == bond
    files = files[:3]  # the holders below: the three paid contributors

    # --- access: delegate, propose, vote, queue, execute; then holders claim the fee
    holders = [f.contributor for f in files]
    # the first mint self-delegated every holder
    assert token.getVotes(holders[0].address) == token.balanceOf(holders[0].address)
    DatasetToken(devnet.client(holders[2]), token.address).delegate(holders[1].address)
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
    for h in holders[:2]:
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
