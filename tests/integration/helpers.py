"""Protocol flows shared by integration tests: seal + store + submit real DDF files, score an
epoch end to end (which mints the first tokens), and pass an access grant through governance.

Same steps as ``chain/test_lifecycle.py``, but with real sealed files instead of random hashes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3.types import TxReceipt

from node.chain.dataset_config import DatasetConfig
from node.chain.eip712 import SubmissionMessage, sign
from node.chain.escrow import RentalEscrow
from node.chain.governor import DataDAOGovernor, ProposalState, TimelockController, VoteType
from node.chain.registry import SubmissionRegistry
from node.chain.rewards import RewardDistributor
from node.chain.scoreboard import ScoreBoard
from node.protocol.crypto import DaoPublicKey, SealContext, seal_bytes
from node.protocol.scorevector import ScoreVector, to_units
from node.storage.base import BlobStore
from node.storage.memory import MemoryBlobStore
from node.types import ContentCommitment, DatasetId, Epoch, ReqId, RitualId
from tests.integration.conftest import Devnet
from validator.daemon.commitment import new_salt

DATASET = DatasetId(1)


@dataclass(frozen=True)
class SealedFile:
    file_id: bytes
    plaintext: bytes
    cid: str
    header_hash: bytes
    contributor: LocalAccount
    epoch: int


def jsonl(n_records: int, *, tag: str) -> bytes:
    """Canonical-looking JSONL (sorted keys, one record per line)."""
    lines = [
        json.dumps(
            {"id": f"{tag}-{i}", "text": f"{tag} record {i} " + secrets.token_hex(8)},
            sort_keys=True,
            separators=(",", ":"),
        )
        for i in range(n_records)
    ]
    return ("\n".join(lines) + "\n").encode()


def chain_now(devnet: Devnet) -> int:
    return int(devnet.chain.w3.eth.get_block("latest")["timestamp"])


def open_fresh_epoch(devnet: Devnet) -> Epoch:
    """Mine to the first block of the next epoch, so a test's submissions share one window."""
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    epoch = Epoch(cfg.currentEpoch(DATASET) + 1)
    devnet.time.mine_to(cfg.epochWindows(DATASET, epoch).submit_start)
    assert cfg.currentEpoch(DATASET) == epoch
    return epoch


def seal_and_submit(
    devnet: Devnet,
    store: BlobStore,
    who: LocalAccount,
    epoch: int,
    plaintext: bytes,
    *,
    stored_plaintext: bytes | None = None,
    tamper_body: bool = False,
) -> SealedFile:
    """Seal ``plaintext`` to the active ritual, store it and register it (EIP-712, relayed).

    ``stored_plaintext`` stores a *different* sealing (another file's bytes under the same
    context) at the registered CID's place: the header in storage then differs from the
    registered ``headerHash`` (the "tampered header" case). ``tamper_body`` flips the last
    stored byte (the final segment's tag): the header verifies, shares are served, and the body
    fails authentication.
    """
    ritual_id = RitualId(int(devnet.deployment.extra["ritual_id"]))
    dao_key = DaoPublicKey(bytes.fromhex(devnet.deployment.extra["dkg_public_key"]))
    registry = devnet.address("SubmissionRegistry")
    commitment = hashlib.sha256(plaintext).digest()
    ctx = SealContext(
        chain_id=devnet.chain.chain_id,
        registry=registry,
        dataset_id=DATASET,
        contributor=who.address,
        ritual_id=ritual_id,
        content_commitment=ContentCommitment(commitment),
    )
    sealed = seal_bytes(plaintext, dao_key, ctx)
    stored = sealed if stored_plaintext is None else seal_bytes(stored_plaintext, dao_key, ctx)
    data = stored.data
    if tamper_body:
        data = data[:-1] + bytes([data[-1] ^ 0x01])
    cid = store.add(data)
    message = SubmissionMessage(
        contributor=who.address,
        datasetId=DATASET,
        cid=cid,
        headerHash=sealed.header_hash,
        contentCommitment=commitment,
        ritualId=ritual_id,
        epoch=epoch,
        deadline=chain_now(devnet) + 3600,
    )
    signature = sign(message, who, chain_id=devnet.chain.chain_id, registry=registry)
    bond = DatasetConfig(devnet.chain, devnet.address("DatasetConfig")).submissionBond(DATASET)
    SubmissionRegistry(devnet.client(who), registry).submit(message, signature, bond)
    file_id = bytes(message.file_id())
    return SealedFile(file_id, plaintext, cid, bytes(sealed.header_hash), who, epoch)


def close_and_fix_seed(devnet: Devnet, epoch: Epoch) -> None:
    """Mine to the epoch's close and fix its seed and scoring committee."""
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    devnet.time.mine_to(cfg.epochWindows(DATASET, epoch).close_block)
    ScoreBoard(devnet.client(devnet.spare[1]), devnet.address("ScoreBoard")).fixSeed(DATASET, epoch)


def score_and_reward(
    devnet: Devnet,
    epoch: Epoch,
    weights: Sequence[int] | None = None,
    *,
    store: BlobStore | None = None,
    claim: bool = True,
) -> ScoreVector:
    """Commit, reveal (every committee validator, the same score vector: ``weights`` in the
    epoch's chain order, equal by default, turned into nano units), finalize and (``claim``)
    claim every paid file with its Merkle proof: mints the tokens that make governance possible.

    The vector is published on ``store`` (as validators publish it), so a node reading that
    store can build its own proofs."""
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    windows = cfg.epochWindows(DATASET, epoch)
    registry = SubmissionRegistry(devnet.chain, devnet.address("SubmissionRegistry"))
    board_address = devnet.address("ScoreBoard")
    file_ids = [r.file_id for r in registry.epoch_records(DATASET, epoch)]
    shares = [Fraction(w) for w in (weights or [1] * len(file_ids))]
    units = to_units(dict(zip(file_ids, shares, strict=True)))
    vector = ScoreVector.from_units(DATASET, epoch, units)
    cid = (store or MemoryBlobStore()).add(vector.encode())
    committee = {
        a.lower() for a in ScoreBoard(devnet.chain, board_address).committee(DATASET, epoch)
    }
    members = [v for v in devnet.validators if v.address.lower() in committee]
    salts = {}
    for v in members:
        salt = new_salt()
        digest = score_commitment(
            chain_id=devnet.chain.chain_id,
            score_board=board_address,
            dataset_id=DATASET,
            epoch=epoch,
            validator=v.address,
            root=vector.root,
            total=vector.total,
            salt=salt,
        )
        ScoreBoard(devnet.client(v), board_address).commit(DATASET, epoch, digest)
        salts[v.address] = salt
    devnet.time.mine_to(windows.reveal_start)
    for v in members:
        ScoreBoard(devnet.client(v), board_address).reveal(
            DATASET, epoch, vector.root, vector.total, cid, salts[v.address]
        )
    devnet.time.mine_to(windows.finalize_from)
    ScoreBoard(devnet.client(devnet.spare[1]), board_address).finalize(DATASET, epoch)
    rewards = RewardDistributor(devnet.client(devnet.spare[1]), devnet.address("RewardDistributor"))
    for f in file_ids if claim else ():
        if vector.value(f) > 0:
            rewards.claim(DATASET, epoch, f, vector.value(f), vector.proof(f))
    devnet.time.mine(1)
    return vector


def score_commitment(
    *,
    chain_id: int,
    score_board: str,
    dataset_id: int,
    epoch: int,
    validator: str,
    root: bytes,
    total: int,
    salt: bytes,
) -> bytes:
    """ScoreBoard v2's commitment, written out from the contract's definition (a cross-check of
    the daemon's own ``validator.daemon.commitment``, which the vectors pin)."""
    return keccak(
        encode(
            ["uint256", "address", "uint256", "uint64", "address", "bytes32", "uint256", "bytes32"],
            [chain_id, score_board, dataset_id, epoch, validator, root, total, salt],
        )
    )


def run_epoch(
    devnet: Devnet, contributors: Sequence[LocalAccount], weights: Sequence[int]
) -> tuple[Epoch, list[bytes]]:
    """One file per contributor in a fresh epoch, valued in proportion to ``weights``,
    finalized and claimed, so each contributor ends up holding (self-delegated) votes."""
    epoch = open_fresh_epoch(devnet)
    store = MemoryBlobStore()
    files = [
        seal_and_submit(devnet, store, who, epoch, jsonl(2, tag=f"epoch-{epoch}-{i}")).file_id
        for i, who in enumerate(contributors)
    ]
    close_and_fix_seed(devnet, epoch)
    score_and_reward(devnet, epoch, weights)
    return epoch, files


def grant_through_governance(devnet: Devnet, req_id: ReqId, holders: list[LocalAccount]) -> None:
    """propose → vote FOR (holders) → queue → timelock delay → execute."""
    escrow = RentalEscrow(devnet.chain, devnet.address("RentalEscrow"))
    governor_address = devnet.address("DataDAOGovernor")
    governor = DataDAOGovernor(devnet.chain, governor_address)
    proposal = escrow.grantProposal(req_id)
    pid = escrow.with_client(devnet.client(holders[0])).proposeGrant(req_id)
    devnet.time.mine(governor.votingDelay() + 1)
    for h in holders:
        DataDAOGovernor(devnet.client(h), governor_address).castVote(pid, VoteType.FOR)
    devnet.time.mine(governor.votingPeriod() + 1)
    assert governor.state(pid) is ProposalState.SUCCEEDED
    governor.queue(proposal)
    delay = TimelockController(devnet.chain, devnet.address("TimelockController")).getMinDelay()
    devnet.time.increase_time(delay + 1)
    governor.execute(proposal)


def transact_as_timelock(devnet: Devnet, call: Any) -> TxReceipt:
    """Send the contract call ``call`` (``contract.functions.f(...)``) as the timelock, i.e. as
    an executed governance proposal would, impersonated on anvil."""
    w3 = devnet.chain.w3
    timelock = devnet.address("TimelockController")
    w3.provider.make_request("anvil_impersonateAccount", [timelock])  # type: ignore[arg-type]
    try:
        devnet.time.set_balance(timelock, 10**18)
        tx = call.transact({"from": timelock})
        receipt: TxReceipt = w3.eth.wait_for_transaction_receipt(tx)
    finally:
        w3.provider.make_request("anvil_stopImpersonatingAccount", [timelock])  # type: ignore[arg-type]
    return receipt


def initiate_ritual_as_timelock(
    devnet: Devnet, *, size: int, threshold: int, timeout_s: int
) -> tuple[RitualId, int]:
    """Start a new ritual as the coordinator's owner (the timelock), impersonated on anvil.

    Returns the ritual id and the block of its ``RitualInitiated`` event.
    """
    from node.chain.dkg import DKGCoordinator

    dkg = DKGCoordinator(devnet.chain, devnet.address("DKGCoordinator"))
    receipt = transact_as_timelock(
        devnet, dkg.contract.functions.initiateRitual(size, threshold, timeout_s)
    )
    (event,) = dkg._logs(receipt, "RitualInitiated")
    return RitualId(event["args"]["ritualId"]), int(receipt["blockNumber"])
