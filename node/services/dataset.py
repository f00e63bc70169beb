"""The dataset over epochs: per epoch its files, whether it is finalized, the tokens minted,
each file's share of the contributor pool (from the finalized score vector, checked against the
root on chain), and the nutrition labels the validators wrote."""

from __future__ import annotations

from dataclasses import dataclass, field

from node.errors import StorageError, ValuationError
from node.protocol.scorevector import ScoreVector, ScoreVectorError
from node.services.claims import ChainEpochs, load_vector
from node.services.node import UiNode
from node.services.validator_files import Label, labels
from node.types import Epoch

__all__ = ["EpochView", "FileScore", "epochs"]


@dataclass(frozen=True)
class FileScore:
    file_id: str
    contributor: str
    share: float | None
    """Fraction of the epoch's contributor pool; None until finalized with a quorum and its
    vector is readable."""


@dataclass(frozen=True)
class EpochView:
    epoch: int
    finalized: bool
    emission: int
    minted: int
    files: list[FileScore]
    labels: list[Label] = field(default_factory=list)

    @property
    def total_share(self) -> float:
        return sum(f.share or 0.0 for f in self.files)


def epochs(node: UiNode, *, last: int = 20) -> list[EpochView]:
    """The most recent ``last`` epochs that have files or a label, newest first."""
    ctx = node.chain()
    ds = ctx.dataset_id
    c = ctx.contracts
    current = int(c.config.currentEpoch(ds))
    found = labels(node.home)
    finals = ChainEpochs(c, ds)
    out = []
    for e in range(current, max(-1, current - last), -1):
        epoch = Epoch(e)
        records = c.registry.epoch_records(ds, epoch)
        if not records and e not in found:
            continue
        rewards = c.rewards.epochRewards(ds, epoch)
        vector = _vector(node, finals, epoch) if rewards.finalized else None
        files = [
            FileScore(
                "0x" + bytes(r.file_id).hex(),
                r.contributor,
                _share(vector, r.file_id),
            )
            for r in records
        ]
        out.append(
            EpochView(
                epoch=e,
                finalized=rewards.finalized,
                emission=rewards.emission,
                minted=rewards.minted,
                files=files,
                labels=found.get(e, []),
            )
        )
    return out


def _vector(node: UiNode, finals: ChainEpochs, epoch: Epoch) -> ScoreVector | None:
    """The finalized vector, or None (no quorum, or not fetchable from this node's store)."""
    final = finals.finalized(epoch)
    if final is None or not final.quorum_met:
        return None
    try:
        return load_vector(node.store(), final)
    except (StorageError, ValuationError):
        return None


def _share(vector: ScoreVector | None, file_id: bytes) -> float | None:
    if vector is None or not vector.total:
        return None
    try:
        return vector.value(file_id) / vector.total
    except ScoreVectorError:  # a vector that does not list the file is not the epoch's
        return None
