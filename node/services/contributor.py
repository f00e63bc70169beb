"""The contributor's work: preview an export, contribute it, follow every contribution, claim.

The same steps as ``datadao inspect``, ``contribute``, ``submissions`` and ``rewards`` (one
pipeline, one gateway, one chain view); the web app calls these, and the CLI can too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from node.chain.anvil import DEVNET_CHAIN_ID
from node.chain.client import ChainClient
from node.chain.timetravel import TimeTravel
from node.db import crud
from node.db.models import Submission, SubmissionStatus
from node.errors import InputError
from node.parsers import AttachedProof, Limits, canonicalize, parse_export, scrub_export
from node.parsers.base import ParsedExport
from node.parsers.canonical import format_timestamp
from node.parsers.scrub import PII_KINDS
from node.pipeline import (
    ChainGateway,
    ContributionPipeline,
    ContributionResult,
    ProgressCallback,
)
from node.proofs.attach import preview
from node.proofs.base import Verdict
from node.proofs.params import ProofPolicy
from node.services.node import UiNode
from node.services.validator_files import file_reasons
from node.types import Epoch

__all__ = [
    "ContributionView",
    "Preview",
    "Sample",
    "block_waiter",
    "claim",
    "contribute",
    "contributions",
    "preview_export",
]

_SAMPLE_CHARS = 240


@dataclass(frozen=True)
class Sample:
    when: str
    kind: str
    author: str
    text: str


@dataclass(frozen=True)
class Preview:
    """What contributing the export would share (``datadao inspect``'s summary keys)."""

    summary: dict[str, Any]
    samples: list[Sample]


def summarize(
    export: ParsedExport, commitment_hex: str, verdicts: tuple[Verdict, ...] = ()
) -> dict[str, Any]:
    """What would be shared, as ``datadao inspect --json`` prints it and the web app's preview
    shows it (one summary for both; keys documented in :mod:`node.cli.inspect`)."""
    span = export.time_span()
    return {
        "platform": export.platform,
        "account": export.account,
        "records": len(export.records),
        "by_kind": export.by_kind(),
        "first_ts": format_timestamp(span[0]) if span else None,
        "last_ts": format_timestamp(span[1]) if span else None,
        "pii_removed": {k: int(export.pii_removed.get(k, 0)) for k in PII_KINDS},
        "scrubbed": export.scrubbed,
        "content_commitment": commitment_hex,
        "source": export.source,
        "email": export.email,
        "proofs": [{"method": v.method, "status": v.status, "reason": v.reason} for v in verdicts],
    }


def preview_export(
    path: Path,
    *,
    platform: str = "auto",
    scrub: bool = True,
    samples: int = 5,
    proofs: tuple[AttachedProof, ...] = (),
    policy: ProofPolicy | None = None,
    contributor: str = "0x" + "00" * 20,
) -> Preview:
    """Parse and scrub exactly as ``contribute`` will; nothing is sealed, stored or sent.

    With ``proofs``, the summary's ``proofs`` holds the verdicts validators would reach under
    ``policy`` (the dataset's pinned keys) for ``contributor``, and its commitment is that of
    the bytes sealed with the proofs, as ``datadao inspect --proof`` shows them.

    Raises:
        ParseError: the export is unreadable or malformed.
    """
    export = parse_export(path, platform=platform, limits=Limits())
    if scrub:
        export = scrub_export(export)
    plain = canonicalize(export)
    commitment = plain.commitment_hex
    verdicts: tuple[Verdict, ...] = ()
    if proofs:
        export = replace(export, proofs=proofs)
        commitment = canonicalize(export).commitment_hex
        verdicts = preview(export, plain.commitment, contributor, policy or ProofPolicy())
    summary = summarize(export, commitment, verdicts)
    shown: list[Sample] = []
    if samples and export.records:
        step = max(1, len(export.records) // samples)
        for record in export.records[::step][:samples]:
            text = record.text.replace("\n", " ")
            if len(text) > _SAMPLE_CHARS:
                text = text[: _SAMPLE_CHARS - 1] + "…"
            when = format_timestamp(record.timestamp)[:19] if record.timestamp else "?"
            shown.append(Sample(when, record.kind, record.author or "", text))
    return Preview(summary, shown)


def block_waiter(chain: ChainClient) -> Callable[[int], object] | None:
    """On the devnet, blocks are mined only for transactions, so waiting for the next epoch
    means mining the empty blocks; real chains produce blocks on their own (the gateway polls).
    """
    if chain.chain_id != DEVNET_CHAIN_ID:
        return None
    return TimeTravel(chain.w3).mine_to


def contribute(
    node: UiNode,
    path: Path,
    *,
    platform: str = "auto",
    scrub: bool = True,
    progress: ProgressCallback | None = None,
    crash_after: str | None = None,
    proofs: tuple[AttachedProof, ...] = (),
) -> ContributionResult:
    """Run the contribution pipeline on ``path`` (resumes a contribution cut short); ``proofs``
    are sealed with the export (``datadao contribute --proof``)."""
    ctx = node.signer()
    gateway = ChainGateway(
        ctx.contracts, dataset_id=ctx.dataset_id, wait_for_block=block_waiter(ctx.chain)
    )
    pipeline = ContributionPipeline(
        sessions=node.session,
        store=node.store(),
        gateway=gateway,
        sealed_dir=node.home / "sealed",
        crash_after=crash_after,
    )
    return pipeline.run(path, platform=platform, scrub=scrub, progress=progress, proofs=proofs)


@dataclass
class ContributionView:
    """One file's local and on-chain state, for a person."""

    row: Submission
    on_chain: bool = False
    registered_at: int | None = None  # the block it was registered in
    epoch_finalized: bool = False
    score_bps: int | None = None
    reward: int = 0
    claimed: bool = False
    flags: list[str] = field(default_factory=list)

    @property
    def claimable(self) -> bool:
        return self.epoch_finalized and self.reward > 0 and not self.claimed

    @property
    def resumable(self) -> bool:
        return self.row.status not in (SubmissionStatus.REGISTERED, SubmissionStatus.FAILED)

    @property
    def state_words(self) -> str:
        s = self.row.status
        if s is SubmissionStatus.FAILED:
            return f"failed: {self.row.failure_reason or 'no reason recorded'}"
        if s is not SubmissionStatus.REGISTERED:
            return f"interrupted after the {s.value} step: resume to finish it"
        if not self.epoch_finalized:
            return f"registered; waiting for epoch {self.row.epoch} to be scored"
        if self.claimed:
            return "scored and claimed"
        if self.reward > 0:
            return "scored: tokens ready to claim"
        return "scored: no reward this epoch"


def contributions(node: UiNode) -> list[ContributionView]:
    """Every recorded contribution of this node's key (or all, without one), newest first,
    with what the chain and the validators' journals say about it."""
    ctx = node.chain()
    me = ctx.chain.address if ctx.chain.has_signer else None
    with node.session() as session:
        rows = list(
            crud.list_submissions(
                session=session,
                contributor=me,
                chain_id=ctx.chain.chain_id,
                registry_address=ctx.deployment.address("SubmissionRegistry"),
                dataset_id=ctx.dataset_id,
            )
        )
    reasons = file_reasons(node.home, int(ctx.dataset_id))
    gateway = ChainGateway(ctx.contracts, dataset_id=ctx.dataset_id)
    rewards, board = ctx.contracts.rewards, ctx.contracts.board
    finalized: dict[int, bool] = {}
    views = []
    for row in reversed(rows):
        view = ContributionView(row=row, flags=reasons.get(row.file_id.lower()[2:], []))
        if row.status is SubmissionStatus.REGISTERED:
            file_id = bytes.fromhex(row.file_id[2:])
            record = gateway.submission(file_id)
            view.on_chain = record is not None
            view.registered_at = None if record is None else record.registered_at
            epoch = Epoch(int(row.epoch or 0))
            if epoch not in finalized:
                finalized[epoch] = rewards.epochRewards(ctx.dataset_id, epoch).finalized
            view.epoch_finalized = finalized[epoch]
            if view.epoch_finalized:
                view.score_bps = board.finalScore(ctx.dataset_id, epoch, file_id)
                view.reward = rewards.contributorReward(ctx.dataset_id, epoch, file_id)
                view.claimed = rewards.claimed(ctx.dataset_id, epoch, file_id)
        views.append(view)
    return views


class NothingToClaim(InputError):
    """The file has no finalized, unclaimed reward (or is not this node's)."""


def claim(node: UiNode, file_id: str) -> int:
    """Claim one file's reward; returns the token units minted.

    Raises:
        NothingToClaim: not one of this node's registered files, not finalized, nothing to
            claim, or already claimed (nothing is sent).
    """
    ctx = node.signer()
    with node.session() as session:
        row = crud.get_by_file_id(session=session, file_id=file_id)
    if (
        row is None
        or row.status is not SubmissionStatus.REGISTERED
        or row.contributor.lower() != ctx.chain.address.lower()
    ):
        raise NothingToClaim("no registered contribution of this node with that file id")
    raw = bytes.fromhex(row.file_id[2:])
    epoch = Epoch(int(row.epoch or 0))
    rewards = ctx.contracts.rewards
    if not rewards.epochRewards(ctx.dataset_id, epoch).finalized:
        raise NothingToClaim(f"epoch {epoch} is not finalized yet")
    if rewards.claimed(ctx.dataset_id, epoch, raw):
        raise NothingToClaim("this reward has already been claimed")
    amount = rewards.contributorReward(ctx.dataset_id, epoch, raw)
    if amount == 0:
        raise NothingToClaim("this file earned no tokens")
    rewards.claim(ctx.dataset_id, epoch, raw)
    return amount
