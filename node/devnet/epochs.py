"""Moving a devnet epoch through scoring by hand: close, commit, reveal, finalize.

An automining anvil makes a block only when a transaction arrives, so on the devnet an epoch's
windows pass only if someone mines the empty blocks between them. :func:`advance_epoch` does
that and nothing the validators should do themselves: it mines to the close, leaves fixing the
epoch seed to the daemons for a moment (and fixes it if none did: permissionless), then *waits*
for the committee's commits, mines to the reveal window, waits for the reveals, mines to the
finalization block and finalizes (permissionless too) if no daemon did yet. A daemon that does
not do its job stalls the step with :class:`ScoringStalled` naming it and its log.

Each step checks where the chain already is, so running it again (or after ``--to commit``)
picks up where the epoch stands.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node.chain.client import ChainClient
from node.chain.contracts import Contracts
from node.chain.errors import ContractRevert
from node.chain.timetravel import TimeTravel
from node.devnet.errors import NoEpochToScore, ScoringStalled
from node.types import DatasetId, Epoch

__all__ = ["EpochProgress", "Stage", "advance_epoch", "pick_epoch"]

Report = Callable[[str], None]
Alive = Callable[[Sequence[str]], None]
"""Called while waiting with the validators still pending; raises if one of them cannot act."""

ZERO32 = b"\x00" * 32

SEED_GRACE_S = 8.0
"""How long the seed is left to the daemons (each waits its own delay of up to 2 s) before
``advance`` fixes it itself."""

LOOKBACK_EPOCHS = 64
"""How far back :func:`pick_epoch` looks for an epoch that has files and is not finalized."""


class Stage(enum.StrEnum):
    """How far :func:`advance_epoch` takes an epoch, in order."""

    CLOSE = "close"
    COMMIT = "commit"
    REVEAL = "reveal"
    FINALIZE = "finalize"

    @property
    def rank(self) -> int:
        return list(Stage).index(self)


@dataclass
class EpochProgress:
    """Where an epoch stands after :func:`advance_epoch`."""

    epoch: int
    files: int
    stage: Stage
    committee: list[str] = field(default_factory=list)
    committed: list[str] = field(default_factory=list)
    revealed: list[str] = field(default_factory=list)
    finalized: bool = False
    quorum_met: bool = False
    root: str = ""
    """The finalized score vector's Merkle root (hex), empty until finalized with a quorum."""
    total_units: int = 0
    """Σ of the finalized vector's values (nano units of the pool; 0 pays nobody)."""
    head: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "files": self.files,
            "stage": self.stage.value,
            "committee": self.committee,
            "committed": self.committed,
            "revealed": self.revealed,
            "finalized": self.finalized,
            "quorum_met": self.quorum_met,
            "root": self.root,
            "total_units": self.total_units,
            "head": self.head,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


def pick_epoch(contracts: Contracts, dataset: DatasetId) -> Epoch:
    """The oldest epoch among the last :data:`LOOKBACK_EPOCHS` that has submissions and is not
    finalized: where a by-hand contribution is waiting for its score.

    Raises:
        NoEpochToScore: none found.
    """
    current = int(contracts.config.currentEpoch(dataset))
    for e in range(max(0, current - LOOKBACK_EPOCHS), current + 1):
        epoch = Epoch(e)
        if contracts.registry.epoch_records(dataset, epoch) and not (
            contracts.board.epochStatus(dataset, epoch).finalized
        ):
            return epoch
    raise NoEpochToScore(
        f"no unfinalized epoch with submissions among epochs "
        f"{max(0, current - LOOKBACK_EPOCHS)}..{current}: contribute first "
        "(datadao contribute PATH), or name one with --epoch N"
    )


def advance_epoch(
    chain: ChainClient,
    contracts: Contracts,
    dataset: DatasetId,
    epoch: Epoch,
    *,
    to: Stage = Stage.FINALIZE,
    timeout_s: float = 300.0,
    poll_s: float = 0.5,
    seed_grace_s: float = SEED_GRACE_S,
    alive: Alive = lambda _pending: None,
    logs: dict[str, Path] | None = None,
    report: Report = lambda _m: None,
) -> EpochProgress:
    """Take ``epoch`` through its windows up to ``to``, waiting on the committee at each step.

    ``chain`` mines the blocks (anvil only); ``contracts`` act as the account that fixes the
    seed and finalizes if nobody did (both permissionless). The scores are the daemons' own.

    Raises:
        ScoringStalled: the committee did not commit or reveal within ``timeout_s``.
        ChainError: an RPC or contract failure (a revert other than a lost race).
    """
    board, config = contracts.board, contracts.config
    w = config.epochWindows(dataset, epoch)
    files = len(contracts.registry.epoch_records(dataset, epoch))
    progress = EpochProgress(epoch=int(epoch), files=files, stage=Stage.CLOSE)
    logs = logs or {}
    travel = TimeTravel(chain.w3)
    head = chain.block_number

    # close: one block past it, since the daemons trust the file list one confirmation deep
    t0 = time.monotonic()
    if head() <= w.close_block:
        travel.mine_to(w.close_block + 1)
        report(f"epoch {epoch}: submissions closed at block {w.close_block} ({files} files)")
    progress.seconds["close"] = time.monotonic() - t0
    if to.rank >= Stage.COMMIT.rank and not board.epochStatus(dataset, epoch).finalized:
        t0 = time.monotonic()
        _fix_seed(contracts, dataset, epoch, grace_s=seed_grace_s, poll_s=poll_s)
        # Share services read the chain one confirmation deep; anvil mines only on
        # transactions, so without this block they would not yet see the committee.
        travel.mine(1)
        progress.committee = [str(a) for a in board.committee(dataset, epoch)]
        if head() < w.reveal_start:
            report(
                f"epoch {epoch}: committee of {len(progress.committee)}; waiting for their "
                "commitments (the daemons fetch, decrypt and value every file)"
            )
            _wait_all(
                "commit",
                progress.committee,
                lambda v: board.commitmentOf(dataset, epoch, v) != ZERO32,
                timeout_s=timeout_s,
                poll_s=poll_s,
                alive=alive,
                logs=logs,
            )
        progress.seconds["commit"] = time.monotonic() - t0
        progress.stage = Stage.COMMIT
    progress.committed = [
        v for v in progress.committee if board.commitmentOf(dataset, epoch, v) != ZERO32
    ]
    if progress.committee:
        report(f"epoch {epoch}: {len(progress.committed)} of {len(progress.committee)} committed")
    if to.rank >= Stage.REVEAL.rank and not board.epochStatus(dataset, epoch).finalized:
        t0 = time.monotonic()
        travel.mine_to(w.reveal_start)
        if head() < w.finalize_from:
            report(f"epoch {epoch}: reveal window open at block {w.reveal_start}")
            _wait_all(
                "reveal",
                progress.committed,
                lambda v: board.revealed(dataset, epoch, v),
                timeout_s=timeout_s,
                poll_s=poll_s,
                alive=alive,
                logs=logs,
            )
        progress.seconds["reveal"] = time.monotonic() - t0
        progress.stage = Stage.REVEAL
    progress.revealed = [v for v in progress.committed if board.revealed(dataset, epoch, v)]
    if to.rank >= Stage.FINALIZE.rank:
        t0 = time.monotonic()
        travel.mine_to(w.finalize_from)
        if not board.epochStatus(dataset, epoch).finalized:
            try:
                board.finalize(dataset, epoch)
            except ContractRevert:
                if not board.epochStatus(dataset, epoch).finalized:  # not a lost race
                    raise
        progress.seconds["finalize"] = time.monotonic() - t0
        progress.stage = Stage.FINALIZE
    status = board.epochStatus(dataset, epoch)
    progress.finalized = status.finalized
    progress.quorum_met = status.quorum_met
    if status.finalized and status.quorum_met:
        root, total = board.finalizedRoot(dataset, epoch)
        progress.root, progress.total_units = "0x" + bytes(root).hex(), int(total)
    progress.head = head()
    if status.finalized:
        outcome = (
            f"score root {progress.root[:12]}…, total {progress.total_units} units"
            if status.quorum_met
            else "NO quorum: nobody is paid and the emission rolls over"
        )
        report(f"epoch {epoch} finalized: {len(progress.revealed)} validators revealed, {outcome}")
    return progress


def _fix_seed(
    contracts: Contracts, dataset: DatasetId, epoch: Epoch, *, grace_s: float, poll_s: float
) -> None:
    board = contracts.board
    grace = time.monotonic() + grace_s
    while board.epochSeed(dataset, epoch) == ZERO32 and time.monotonic() < grace:
        time.sleep(min(poll_s, 0.2))
    if board.epochSeed(dataset, epoch) == ZERO32:
        try:
            board.fixSeed(dataset, epoch)
        except ContractRevert:
            if board.epochSeed(dataset, epoch) == ZERO32:  # not a lost race with a daemon
                raise


def _wait_all(
    step: str,
    members: Sequence[str],
    done: Callable[[str], bool],
    *,
    timeout_s: float,
    poll_s: float,
    alive: Alive,
    logs: dict[str, Path],
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        pending = [v for v in members if not done(v)]
        if not pending:
            return
        alive(pending)
        if time.monotonic() > deadline:
            raise ScoringStalled(step, pending, logs)
        time.sleep(poll_s)
