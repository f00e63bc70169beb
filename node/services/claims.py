"""A contributor's rewards in protocol v2: the finalized root, the published vector, the proof.

ScoreBoard v2 finalizes one Merkle root (and total) per epoch; the vector behind it is a
document on the blob store whose CID the winning revealers put in their ``ScoresRevealed``
events. To claim, a contributor's node fetches that document, decodes it strictly, refuses it
unless its root and total are exactly the finalized ones (so a tampered or substituted vector
can never make us send a claim the distributor would reject, or show a wrong amount), and builds
the proof of its own file's value. Value is in nano units of the epoch's contributor pool:
tokens = pool * value / total, what the distributor mints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from node.chain.contracts import Contracts
from node.chain.errors import ContractRevert
from node.errors import InputError, StorageError, ValuationError
from node.protocol.scorevector import ScoreVector, ScoreVectorError
from node.storage.base import BlobStore, read_blob
from node.types import Cid, DatasetId, Epoch

__all__ = [
    "MAX_VECTOR_BYTES",
    "AlreadyClaimed",
    "ChainEpochs",
    "ClaimOutcome",
    "FileReward",
    "FinalizedEpoch",
    "NothingToClaim",
    "RewardState",
    "ScoredZero",
    "VectorRefused",
    "VectorUnavailable",
    "claim_file",
    "file_reward",
    "load_vector",
    "share_text",
    "winning_cids",
]

MAX_VECTOR_BYTES = 1 << 26
"""A vector of 10,000 files is ~1 MB; 64 MiB bounds a hostile blob without refusing real ones."""


class NothingToClaim(InputError):
    """The file has no finalized, unclaimed reward (or is not this node's); nothing was sent."""


class AlreadyClaimed(NothingToClaim):
    """The file's reward was claimed already (by us or anyone: claims are permissionless)."""


class ScoredZero(NothingToClaim):
    """The file scored 0: there is nothing to claim and its bond is forfeited."""


class VectorUnavailable(StorageError):
    """The finalized epoch's score vector cannot be fetched (no CID published, or no store has
    it); nothing can be proven until it can."""


class VectorRefused(ValuationError):
    """Every published vector for the epoch was refused: malformed, tampered, or not the one
    whose root and total were finalized. Nothing is sent on its word."""


@dataclass(frozen=True, slots=True)
class FinalizedEpoch:
    """What the chain says about a finalized epoch: the root, its total, whether a quorum
    agreed, the vector CIDs its winning revealers published, and the contributor pool."""

    dataset_id: DatasetId
    epoch: Epoch
    quorum_met: bool
    root: bytes
    total: int
    vector_cids: tuple[Cid, ...]
    contributor_pool: int


class RewardState(StrEnum):
    CLAIMABLE = "claimable"
    CLAIMED = "claimed"
    SCORED_ZERO = "scored 0: bond forfeited"
    REFUNDABLE = "no quorum: bond refundable"
    REFUNDED = "no quorum: bond refunded"


@dataclass(frozen=True, slots=True)
class FileReward:
    """One file's value in a finalized epoch, with the proof that claims it."""

    file_id: bytes
    epoch: Epoch
    value: int
    total: int
    proof: tuple[bytes, ...]
    tokens: int
    bond: int
    claimed: bool
    quorum_met: bool

    @property
    def share(self) -> float:
        """The file's fraction of the epoch's contributor pool (value / total)."""
        return self.value / self.total if self.total else 0.0

    @property
    def state(self) -> RewardState:
        if not self.quorum_met:
            return RewardState.REFUNDED if self.bond == 0 else RewardState.REFUNDABLE
        if self.claimed:
            return RewardState.CLAIMED
        if self.value == 0:
            return RewardState.SCORED_ZERO
        return RewardState.CLAIMABLE


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    tokens: int
    bond_refund: int
    tx_hash: str


def load_vector(store: BlobStore, epoch: FinalizedEpoch) -> ScoreVector:
    """The finalized vector, from the first published CID whose document checks out.

    Raises:
        VectorUnavailable: no CID was published, or none could be read from the store.
        VectorRefused: what was read is malformed, tampered, of another epoch, or has another
            root or total than the finalized ones.
    """
    if not epoch.vector_cids:
        raise VectorUnavailable(
            f"epoch {epoch.epoch}: no winning revealer published a score vector CID"
        )
    refused: list[str] = []
    missing: list[str] = []
    for cid in epoch.vector_cids:
        try:
            data = read_blob(store, cid, max_bytes=MAX_VECTOR_BYTES)
        except StorageError as err:
            missing.append(f"{cid}: {err}")
            continue
        try:
            vector = ScoreVector.decode(data, max_bytes=MAX_VECTOR_BYTES)
        except ScoreVectorError as err:
            refused.append(f"{cid}: {err}")
            continue
        why = _mismatch(vector, epoch)
        if why:
            refused.append(f"{cid}: {why}")
            continue
        return vector
    if refused:
        raise VectorRefused(
            f"epoch {epoch.epoch}: no published score vector matches the finalized root "
            f"0x{epoch.root.hex()} (total {epoch.total}): " + "; ".join(refused + missing)
        )
    raise VectorUnavailable(
        f"epoch {epoch.epoch}: the score vector could not be fetched: " + "; ".join(missing)
    )


def _mismatch(vector: ScoreVector, epoch: FinalizedEpoch) -> str:
    if (vector.dataset_id, vector.epoch) != (epoch.dataset_id, epoch.epoch):
        return f"it is the vector of dataset {vector.dataset_id} epoch {vector.epoch}"
    if vector.root != epoch.root:
        return f"its root 0x{vector.root.hex()} is not the finalized root"
    if vector.total != epoch.total:
        return f"its total {vector.total} is not the finalized total"
    return ""


def file_reward(
    vector: ScoreVector | None, epoch: FinalizedEpoch, file_id: bytes, *, bond: int, claimed: bool
) -> FileReward:
    """The file's value, proof and tokens (``vector`` may be None for a no-quorum epoch).

    Raises:
        VectorRefused: the finalized vector does not list the file (every file of the epoch is
            listed, zeros too: a vector without ours is not the epoch's).
    """
    if not epoch.quorum_met or vector is None:
        return FileReward(file_id, epoch.epoch, 0, 0, (), 0, bond, claimed, epoch.quorum_met)
    try:
        value = vector.value(file_id)
        proof = tuple(vector.proof(file_id))
    except ScoreVectorError:
        raise VectorRefused(
            f"epoch {epoch.epoch}'s finalized vector does not list file 0x{file_id.hex()}"
        ) from None
    tokens = epoch.contributor_pool * value // epoch.total if epoch.total else 0
    return FileReward(file_id, epoch.epoch, value, epoch.total, proof, tokens, bond, claimed, True)


class ChainEpochs:
    """Finalized epochs read from the chain (ScoreBoard v2 and RewardDistributor v2).

    The winning vector's CID is not stored on chain: it is in the ``ScoresRevealed`` events of
    the revealers whose (root, total) won, read over the epoch's reveal window.
    """

    def __init__(self, contracts: Contracts, dataset_id: DatasetId) -> None:
        self._c = contracts
        self._ds = dataset_id
        self._cache: dict[int, FinalizedEpoch | None] = {}

    def finalized(self, epoch: Epoch) -> FinalizedEpoch | None:
        """The epoch as finalized, or None while it is not."""
        if epoch not in self._cache:
            self._cache[epoch] = self._read(epoch)
        return self._cache[epoch]

    def _read(self, epoch: Epoch) -> FinalizedEpoch | None:
        board, chain = self._c.board, self._c.board.chain
        status = board.epochStatus(self._ds, epoch)
        if not status.finalized:
            return None
        root_raw, total_raw = chain.call(board.contract.functions.finalizedRoot(self._ds, epoch))
        root, total = bytes(root_raw), int(total_raw)
        pool = self._c.rewards.epochRewards(self._ds, epoch).contributor_pool
        cids = self._winning_cids(epoch, root, total) if status.quorum_met else ()
        return FinalizedEpoch(
            self._ds, epoch, bool(status.quorum_met), root, total, cids, int(pool)
        )

    def _winning_cids(self, epoch: Epoch, root: bytes, total: int) -> tuple[Cid, ...]:
        windows = self._c.config.epochWindows(self._ds, epoch)
        board = self._c.board
        head = board.chain.block_number()
        logs = board.chain.events(
            board.contract.events["ScoresRevealed"](),
            from_block=windows.reveal_start,
            to_block=max(windows.reveal_start, min(head, windows.finalize_from)),
            argument_filters={"datasetId": int(self._ds), "epoch": int(epoch)},
        )
        return winning_cids(logs, root, total)


def winning_cids(logs: Iterable[Any], root: bytes, total: int) -> tuple[Cid, ...]:
    """The distinct vector CIDs of reveals of (root, total), in chain order."""
    ordered = sorted(logs, key=lambda e: (int(e["blockNumber"]), int(e["logIndex"])))
    out: list[Cid] = []
    for log in ordered:
        args = log["args"]
        if bytes(args["root"]) == root and int(args["total"]) == total:
            cid = Cid(str(args["vectorCid"]))
            if cid and cid not in out:
                out.append(cid)
    return tuple(out)


def claim_file(contracts: Contracts, dataset_id: DatasetId, reward: FileReward) -> ClaimOutcome:
    """Send the one transaction the file's state calls for: a claim with its proof, or a bond
    refund for a no-quorum epoch.

    Raises:
        AlreadyClaimed: claimed before (checked first; a claim racing ours is caught too).
        ScoredZero: the file scored 0 (nothing is sent; its bond is forfeited).
        NothingToClaim: nothing else to do for it.
    """
    rewards = contracts.rewards
    state = reward.state
    if state in (RewardState.CLAIMED, RewardState.REFUNDED):
        raise AlreadyClaimed(f"file 0x{reward.file_id.hex()}: already {state.value}")
    if state is RewardState.SCORED_ZERO:
        raise ScoredZero(f"file 0x{reward.file_id.hex()} scored 0: bond forfeited")
    try:
        if state is RewardState.REFUNDABLE:
            receipt = rewards.refundBond(dataset_id, reward.epoch, reward.file_id)
            return ClaimOutcome(0, reward.bond, _hash(receipt))
        receipt = rewards.claim(
            dataset_id, reward.epoch, reward.file_id, reward.value, list(reward.proof)
        )
    except ContractRevert as err:
        if "AlreadyClaimed" in err.error_name or "Refunded" in err.error_name:
            raise AlreadyClaimed(
                f"file 0x{reward.file_id.hex()}: claimed meanwhile ({err.error_name})"
            ) from None
        if "NothingToClaim" in err.error_name:
            raise NothingToClaim(f"file 0x{reward.file_id.hex()}: {err.error_name}") from None
        raise
    amounts = rewards.claimed_amounts(receipt)
    tokens = sum(a for a, _ in amounts) if amounts else reward.tokens
    refund = sum(b for _, b in amounts) if amounts else reward.bond
    return ClaimOutcome(tokens, refund, _hash(receipt))


def _hash(receipt: Any) -> str:
    raw = receipt["transactionHash"]
    return raw if isinstance(raw, str) else "0x" + bytes(raw).hex()


def share_text(value: int, total: int) -> str:
    """``value`` nano units as a percentage of the epoch (``total`` is UNITS when paid)."""
    if not total:
        return "0%"
    return f"{100 * value / total:.4f}%"
