"""The dataset over epochs: per epoch its files, whether it is finalized, the tokens minted,
each contributor's final score, and the nutrition labels the validators wrote."""

from __future__ import annotations

from dataclasses import dataclass, field

from node.services.node import UiNode
from node.services.validator_files import Label, labels
from node.types import Epoch

__all__ = ["EpochView", "FileScore", "epochs"]


@dataclass(frozen=True)
class FileScore:
    file_id: str
    contributor: str
    score_bps: int | None


@dataclass(frozen=True)
class EpochView:
    epoch: int
    finalized: bool
    emission: int
    minted: int
    files: list[FileScore]
    labels: list[Label] = field(default_factory=list)

    @property
    def total_bps(self) -> int:
        return sum(f.score_bps or 0 for f in self.files)


def epochs(node: UiNode, *, last: int = 20) -> list[EpochView]:
    """The most recent ``last`` epochs that have files or a label, newest first."""
    ctx = node.chain()
    ds = ctx.dataset_id
    c = ctx.contracts
    current = int(c.config.currentEpoch(ds))
    found = labels(node.home)
    out = []
    for e in range(current, max(-1, current - last), -1):
        epoch = Epoch(e)
        ids = c.registry.epochFiles(ds, epoch)
        if not ids and e not in found:
            continue
        rewards = c.rewards.epochRewards(ds, epoch)
        files = []
        for fid in ids:
            rec = c.registry.submissionOf(fid)
            score = c.board.finalScore(ds, epoch, fid) if rewards.finalized else None
            files.append(FileScore("0x" + bytes(fid).hex(), rec.contributor, score))
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
