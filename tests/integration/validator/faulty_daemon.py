"""Launch the production validator daemon with one injected fault (integration tests only).

``python -m tests.integration.validator.faulty_daemon --home H --account-index I --spec S
--fault F --marker M`` builds exactly the daemon ``datadao validator run`` builds
(:func:`validator.service.build_daemon`) and wraps one part through its hooks:

* ``invert``: a dishonest validator; every readable file's score is replaced by
  ``10000 - score`` and its units by the same inversion through ``to_units`` (it commits,
  publishes and reveals that vector, consistently);
* ``crash-before-journal``: the process dies (SIGKILL, no cleanup) when valuation finishes,
  before the scores and salt are journaled;
* ``crash-after-commit``: it dies right after the commit transaction is mined, before the
  journal records COMMITTED.

A crash fires once: it first creates ``--marker``, and a restarted process that finds the
marker runs without the fault, as an operator's restart would.

``--lag-blocks K`` (with any fault, or none) makes the validator's peers lag: opening a file
is refused ``not_committee`` by all of them (as :class:`~node.custody.errors.NotEnoughShares`,
what gathering raises) on the file's first attempt and on every attempt while the chain head is
below the epoch's close + K, as share services reading the chain a few blocks behind do. Each
refusal appends a line to ``--lag-log``, so the test can tell the lag really happened.
"""

from __future__ import annotations

import argparse
import os
import signal
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from node.chain.registry import SubmissionRecord
from node.custody.errors import NotEnoughShares
from node.protocol.scorevector import to_units
from node.settings import NodeSettings
from node.types import Bps, DatasetId, Epoch, FileId
from node.wiring import ChainContext, blob_store, connect
from validator.daemon import launch as service
from validator.daemon.driver import EpochChain, FileOpener, Scorer
from validator.daemon.logs import json_logging
from validator.daemon.scoring import EpochScores, FileInput


def _die(marker: Path) -> None:
    marker.touch()
    os.kill(os.getpid(), signal.SIGKILL)


def _invert(scorer: Scorer) -> Scorer:
    def dishonest(files: Sequence[FileInput], validation: bytes, seed: bytes) -> EpochScores:
        s = scorer(files, validation, seed)
        flipped = tuple(
            Bps(10_000 - int(b)) if f.readable else Bps(int(b))
            for f, b in zip(files, s.scores_bps, strict=True)
        )
        units = to_units({FileId(f): Fraction(b) for f, b in zip(s.file_ids, flipped, strict=True)})
        return EpochScores(
            s.file_ids,
            flipped,
            s.reasons,
            s.result,
            s.proofs,
            tuple(units[FileId(f)] for f in s.file_ids),
        )

    return dishonest


def _crash_in_scorer(marker: Path) -> service.Hooks:
    def wrap(scorer: Scorer) -> Scorer:
        def crashing(files: Sequence[FileInput], validation: bytes, seed: bytes) -> EpochScores:
            scorer(files, validation, seed)
            _die(marker)
            raise AssertionError("unreachable")

        return crashing

    return service.Hooks(wrap_scorer=wrap)


class _CrashAfterCommit:
    """Forwards to the real chain view; dies after the first commit is mined."""

    def __init__(self, inner: EpochChain, marker: Path) -> None:
        self._inner = inner
        self._marker = marker

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def commit(self, dataset_id: DatasetId, epoch: Epoch, commitment: bytes) -> str:
        tx = self._inner.commit(dataset_id, epoch, commitment)
        _die(self._marker)
        return tx


def _lagging_peers(ctx: ChainContext, blocks: int, log: Path) -> service.Hooks:
    config = ctx.contracts.config

    def wrap(opener: FileOpener) -> FileOpener:
        asked: set[bytes] = set()

        def lagging(dataset_id: DatasetId, epoch: Epoch, record: SubmissionRecord) -> bytes:
            file_id = bytes(record.file_id)
            head = ctx.chain.block_number()
            first = file_id not in asked
            asked.add(file_id)
            if first or head < config.epochWindows(dataset_id, epoch).close_block + blocks:
                with log.open("a") as fh:
                    fh.write(f"{head} {file_id.hex()}\n")
                raise NotEnoughShares(
                    file_id=file_id.hex(),
                    threshold=3,
                    valid=0,
                    unreachable={},
                    refused={"peers": "not_committee: the committee is not visible yet"},
                    bad=[],
                )
            return opener(dataset_id, epoch, record)

        return lagging

    return service.Hooks(wrap_opener=wrap)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--account-index", type=int, required=True)
    ap.add_argument("--spec", type=Path, required=True)
    ap.add_argument("--fault", choices=["invert", "crash-before-journal", "crash-after-commit"])
    ap.add_argument("--marker", type=Path, required=True)
    ap.add_argument("--interval", type=float, default=0.3)
    ap.add_argument("--lag-blocks", type=int, default=0)
    ap.add_argument("--lag-log", type=Path, default=None)
    args = ap.parse_args(argv)

    json_logging()
    settings = NodeSettings(home=args.home)
    ctx = connect(settings, args.account_index, signer=True)
    hooks = service.Hooks()
    if args.fault == "invert":
        hooks = service.Hooks(wrap_scorer=_invert)
    elif not args.marker.exists() and args.fault == "crash-before-journal":
        hooks = _crash_in_scorer(args.marker)
    elif not args.marker.exists() and args.fault == "crash-after-commit":
        marker = args.marker

        def wrap(chain: EpochChain) -> EpochChain:
            return _CrashAfterCommit(chain, marker)  # type: ignore[return-value]

        hooks = service.Hooks(wrap_chain=wrap)
    if args.lag_blocks:
        if args.lag_log is None:
            ap.error("--lag-blocks needs --lag-log")
        hooks.wrap_opener = _lagging_peers(ctx, args.lag_blocks, args.lag_log).wrap_opener
    service.run(
        service.RunConfig(
            chain=ctx,
            store=blob_store(settings),
            spec=service.load_spec(args.spec),
            home=args.home,
            confirmations=1,
            threads=1,
        ),
        interval=args.interval,
        hooks=hooks,
    )


if __name__ == "__main__":
    main()
