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
from node.chain.contracts import Contracts
from node.chain.timetravel import TimeTravel
from node.db import crud
from node.db.models import Submission, SubmissionStatus
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
from node.services.claims import (
    ChainEpochs,
    ClaimOutcome,
    FileReward,
    NothingToClaim,
    RewardState,
    VectorRefused,
    VectorUnavailable,
    claim_file,
    file_reward,
    load_vector,
)
from node.services.node import UiNode
from node.services.validator_files import file_reasons
from node.storage.base import BlobStore
from node.types import Epoch

__all__ = [
    "ContributionView",
    "NothingToClaim",
    "Preview",
    "Sample",
    "block_waiter",
    "claim",
    "claim_reward",
    "contribute",
    "contributions",
    "preview_export",
    "reward_of",
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
    limits: Limits | None = None,
    options: dict[str, Any] | None = None,
    sample_chars: int = _SAMPLE_CHARS,
) -> Preview:
    """Parse and scrub exactly as ``contribute`` will; nothing is sealed, stored or sent.

    With ``proofs``, the summary's ``proofs`` holds the verdicts validators would reach under
    ``policy`` (the dataset's pinned keys) for ``contributor``, and its commitment is that of
    the bytes sealed with the proofs, as ``datadao inspect --proof`` shows them.

    Raises:
        ParseError: the export is unreadable or malformed.
    """
    export = parse_export(path, platform=platform, limits=limits or Limits(), options=options)
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
            if len(text) > sample_chars:
                text = text[: sample_chars - 1] + "…"
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
    max_bond: int | None = None,
) -> ContributionResult:
    """Run the contribution pipeline on ``path`` (resumes a contribution cut short); ``proofs``
    are sealed with the export (``datadao contribute --proof``); the dataset's submission bond
    is paid with the submission (refused above ``max_bond`` wei)."""
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
        max_bond=max_bond,
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
    """The file's share of the epoch in basis points (from its value in nano units)."""
    reward: int = 0
    """Tokens (base units) the file's value mints from the epoch's contributor pool."""
    claimed: bool = False
    detail: FileReward | None = None
    problem: str | None = None
    """Why the reward could not be worked out (vector unavailable or refused)."""
    flags: list[str] = field(default_factory=list)

    @property
    def claimable(self) -> bool:
        d = self.detail
        return d is not None and d.state in (RewardState.CLAIMABLE, RewardState.REFUNDABLE)

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
        if self.problem is not None:
            return f"scored, but {self.problem}"
        d = self.detail
        if d is None:
            return "scored"
        if d.state is RewardState.CLAIMED:
            return "scored and claimed"
        if d.state is RewardState.CLAIMABLE:
            return "scored: tokens ready to claim"
        return d.state.value


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
    epochs = ChainEpochs(ctx.contracts, ctx.dataset_id)
    store = node.store()
    views = []
    for row in reversed(rows):
        key = (row.file_id or "").lower()[2:]
        view = ContributionView(row=row, flags=reasons.get(key, []))
        if row.status is SubmissionStatus.REGISTERED and row.file_id is not None:
            file_id = bytes.fromhex(row.file_id[2:])
            record = gateway.submission(file_id)
            view.on_chain = record is not None
            view.registered_at = None if record is None else record.registered_at
            epoch = Epoch(int(row.epoch or 0))
            view.epoch_finalized = epochs.finalized(epoch) is not None
            if view.epoch_finalized:
                try:
                    view.detail = reward_of(ctx.contracts, store, epochs, file_id, epoch)
                except (VectorUnavailable, VectorRefused) as err:
                    view.problem = str(err)
                if view.detail is not None:
                    d = view.detail
                    view.score_bps = d.value * 10_000 // d.total if d.total else 0
                    view.reward = d.tokens
                    view.claimed = d.claimed
        views.append(view)
    return views


def reward_of(
    contracts: Contracts, store: BlobStore, epochs: ChainEpochs, file_id: bytes, epoch: Epoch
) -> FileReward | None:
    """The file's value, tokens, proof and bond in a finalized epoch (None: not finalized).

    Raises:
        VectorUnavailable, VectorRefused: the finalized vector cannot be had or is not the
            finalized one (nothing can be claimed on its word).
    """
    fin = epochs.finalized(epoch)
    if fin is None:
        return None
    vector = load_vector(store, fin) if fin.quorum_met else None
    bond = contracts.registry.stored(file_id).bond
    claimed = contracts.rewards.claimed(fin.dataset_id, epoch, file_id)
    return file_reward(vector, fin, file_id, bond=bond, claimed=claimed)


def claim_reward(node: UiNode, file_id: str) -> tuple[FileReward, ClaimOutcome]:
    """Claim one file's reward (or refund its bond after a no-quorum epoch) with its proof.

    The one claim path: the CLI's ``rewards --claim`` and the web app both call it.

    Raises:
        NothingToClaim: not one of this node's registered files or not finalized;
            ``AlreadyClaimed`` and ``ScoredZero`` (its subclasses) for a claimed or 0-valued
            file. Nothing is sent then.
        VectorUnavailable, VectorRefused: the vector cannot be had or does not match.
    """
    ctx = node.signer()
    with node.session() as session:
        row = crud.get_by_file_id(session=session, file_id=file_id)
    if (
        row is None
        or row.file_id is None
        or row.status is not SubmissionStatus.REGISTERED
        or row.contributor.lower() != ctx.chain.address.lower()
    ):
        raise NothingToClaim("no registered contribution of this node with that file id")
    raw = bytes.fromhex(row.file_id[2:])
    epoch = Epoch(int(row.epoch or 0))
    epochs = ChainEpochs(ctx.contracts, ctx.dataset_id)
    reward = reward_of(ctx.contracts, node.store(), epochs, raw, epoch)
    if reward is None:
        raise NothingToClaim(f"epoch {epoch} is not finalized yet")
    return reward, claim_file(ctx.contracts, ctx.dataset_id, reward)


def claim(node: UiNode, file_id: str) -> int:
    """Claim one file's reward; returns the token units minted (see :func:`claim_reward`)."""
    _reward, outcome = claim_reward(node, file_id)
    return outcome.tokens
