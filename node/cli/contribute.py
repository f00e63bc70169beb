"""``datadao contribute PATH`` · ``datadao submissions`` (``rewards`` is in ``node.cli.rewards``).

The contributor's commands. ``contribute`` runs :class:`~node.pipeline.ContributionPipeline`
with progress bars (bytes and rates for parse, seal and upload) and ends with a summary table;
running it again on the same export resumes an interrupted contribution or reports
"already submitted" without sending anything.

Exit codes (``node/cli/exit_codes.py``): 0 when the export is registered (by this run or an
earlier one); otherwise the failure's family, e.g. 4 for a missing or malformed export, 3 for no
signing key, 5 when the chain is unreachable or refuses, 7 when no key ritual is active, 10 when
another contributor registered the same content. The message says which, on one line, and the
recorded state is kept for the next run.

The signing key: ``DATADAO_KEYSTORE`` + ``DATADAO_KEYSTORE_PASSWORD``, or on the devnet
``--account-index N`` (anvil's public mnemonic: refused on any chain but 31337).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import Session

from node.chain.client import ChainClient
from node.chain.contracts import Contracts
from node.chain.deployment import Deployment
from node.chain.errors import ChainUnavailable
from node.chain.registry import SubmissionRecord
from node.cli.options import account_index_option, console, settings_of
from node.cli.output import id_column, json_option, print_json, shown_id, warn
from node.db import crud
from node.db.engine import open_database
from node.db.models import Submission, SubmissionPublic, SubmissionStatus
from node.pipeline import (
    ChainGateway,
    ContributionOutcome,
    ContributionResult,
    ExportUnreadable,
    crash_after_from_env,
)
from node.pipeline import Progress as PipelineProgress
from node.proofs.attach import read_proof_file
from node.services import contributor
from node.services.node import UiNode
from node.settings import NodeSettings
from node.types import DatasetId
from node.wiring import connect, load_account


@dataclass
class _Node:
    """Everything a command needs, built once from the settings (never at import)."""

    settings: NodeSettings
    deployment: Deployment
    chain: ChainClient
    contracts: Contracts
    engine: Engine

    @property
    def dataset_id(self) -> DatasetId:
        return DatasetId(self.settings.dataset_id)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@contextmanager
def _node(settings: NodeSettings, account_index: int | None, *, signer: bool) -> Iterator[_Node]:
    c = connect(settings, account_index, signer=signer)
    engine = open_database(settings.resolved_database_url)
    try:
        yield _Node(
            settings=settings,
            deployment=c.deployment,
            chain=c.chain,
            contracts=c.contracts,
            engine=engine,
        )
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------- progress


# step -> (label, unit). The export is first read and hashed (bytes), then parsed, scrubbed and
# written as canonical JSONL (records: the parsers report every 4,096), then sealed and uploaded.
_BARS: dict[str, tuple[str, str]] = {
    "parse": ("read     ", "bytes"),
    "parse-records": ("parse    ", "records"),
    "scrub": ("scrub    ", "records"),
    "canonicalize": ("canonical", "records"),
    "seal": ("seal     ", "bytes"),
    "upload": ("upload   ", "bytes"),
}


class _Amount(ProgressColumn):
    """Done/total and rate, in bytes or in records (per task: the ``unit`` field)."""

    def __init__(self) -> None:
        super().__init__()
        self._bytes = DownloadColumn()
        self._speed = TransferSpeedColumn()

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") != "records":
            return Text.assemble(self._bytes.render(task), " ", self._speed.render(task))
        done = int(task.completed)
        amount = f"{done:,}" if task.total is None else f"{done:,}/{int(task.total):,}"
        speed = task.finished_speed or task.speed
        rate = f" {speed:,.0f} records/s" if speed else ""
        return Text(f"{amount} records{rate}", style="progress.download")


class _Bars:
    """Rich progress bars for the byte- and record-counted steps, plus a line per note."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            _Amount(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _Bars:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, event: PipelineProgress) -> None:
        if event.note:
            self._progress.console.print(f"[cyan]•[/] {event.step}: {event.note}")
        bar = _BARS.get(event.step)
        if bar is None or (event.total is None and not event.done):
            return
        task = self._tasks.get(event.step)
        if task is None:
            label, unit = bar
            task = self._progress.add_task(label, total=event.total, unit=unit)
            self._tasks[event.step] = task
        if event.note and event.total == 1:  # the step is done (e.g. parsed after hashing)
            self._progress.update(task, completed=self._progress.tasks[task].total)
            return
        self._progress.update(task, completed=event.done, total=event.total)


def _summary(result: ContributionResult) -> Table:
    s = result.submission
    table = Table(title=f"submission #{s.id}", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    outcome = (
        "[green]submitted[/]"
        if result.outcome is ContributionOutcome.SUBMITTED
        else "[yellow]already submitted[/]"
    )
    table.add_row("result", outcome)
    table.add_row("status", s.status.value)
    if result.resumed_from is not None and result.resumed_from is not SubmissionStatus.REGISTERED:
        table.add_row("resumed from", result.resumed_from.value)
    table.add_row("platform", s.platform)
    table.add_row("records", str(s.records))
    pii = ", ".join(f"{k} {v}" for k, v in sorted(s.pii_removed.items()) if v) or "none"
    table.add_row("PII removed", pii)
    table.add_row("contributor", s.contributor)
    table.add_row("file id", s.file_id or "")
    table.add_row("commitment", s.content_commitment)
    table.add_row("CID", s.cid or "")
    table.add_row("header hash", s.header_hash or "")
    table.add_row("epoch", "" if s.epoch is None else str(s.epoch))
    table.add_row("ritual", "" if s.ritual_id is None else str(s.ritual_id))
    if s.tx_hash:
        table.add_row("transaction", s.tx_hash)
    if s.block_number is not None:
        table.add_row("block", str(s.block_number))
    return table


# --------------------------------------------------------------------------------- commands


def _wei(eth: str) -> int:
    """An ETH amount typed by a person, exactly, in wei (no float rounding)."""
    bad = click.BadParameter(f"{eth!r} is not an amount of ETH", param_hint="--max-bond")
    try:
        amount = Decimal(eth)
        if not amount.is_finite() or amount < 0:
            raise bad
        wei = amount.scaleb(18)
    except InvalidOperation:
        raise bad from None
    if wei != wei.to_integral_value():
        raise bad
    return int(wei)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def submission_json(s: Submission | SubmissionPublic) -> dict[str, Any]:
    """One recorded contribution, complete (the ``submissions`` and ``contribute`` JSON)."""
    return {
        "id": s.id,
        "status": s.status.value,
        "failure_reason": s.failure_reason,
        "platform": s.platform,
        "records": s.records,
        "scrubbed": s.scrubbed,
        "pii_removed": {k: int(v) for k, v in sorted(s.pii_removed.items())},
        "contributor": s.contributor,
        "dataset_id": s.dataset_id,
        "file_id": s.file_id,
        "content_commitment": s.content_commitment,
        "cid": s.cid,
        "header_hash": s.header_hash,
        "epoch": s.epoch,
        "ritual_id": s.ritual_id,
        "tx_hash": s.tx_hash,
        "block_number": s.block_number,
        "source_path": s.source_path,
        "created_at": _iso(s.created_at),
        "registered_at": _iso(s.registered_at),
    }


def _on_chain_json(record: SubmissionRecord | None) -> dict[str, Any]:
    if record is None:
        return {"registered": False, "registered_block": None, "epoch": None, "contributor": None}
    return {
        "registered": True,
        "registered_block": record.registered_at,  # the contract records the block number
        "epoch": int(record.epoch),
        "contributor": record.contributor,
    }


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--platform",
    default="auto",
    show_default=True,
    help="Export format (chatgpt, reddit, twitter, telegram, generic) or auto-detect.",
)
@click.option(
    "--no-scrub",
    is_flag=True,
    help="Keep e-mails, phone numbers and URL secrets (scrubbing is on by default).",
)
@click.option(
    "--proof",
    "proof_files",
    multiple=True,
    metavar="[METHOD:]FILE",
    help="An ownership proof sealed with the export (the platform's export e-mail .eml, a "
    "Reclaim JSON); check it first with datadao inspect --proof.",
)
@click.option(
    "--max-bond",
    "max_bond_eth",
    type=str,
    default=None,
    metavar="ETH",
    help="Refuse to send if the dataset's submission bond is above this (in ETH). The bond "
    "is shown before it is paid; it comes back with a paid claim and is forfeited if the file "
    "scores 0.",
)
@account_index_option
@json_option
@click.pass_context
def contribute(
    ctx: click.Context,
    path: Path,
    platform: str,
    no_scrub: bool,
    proof_files: tuple[str, ...],
    max_bond_eth: str | None,
    account_index: int | None,
    as_json: bool,
) -> None:
    """Parse, scrub, seal, store and register an export; re-run to resume or confirm.

    Every step is recorded before the next one starts: if the command is interrupted, running
    it again finishes the contribution with exactly one on-chain submission. With --json the
    progress goes to stderr and stdout is one JSON document: outcome, resumed_from, submission.
    """
    if not path.exists():  # before connecting: a typo must not read as "the chain is down"
        raise ExportUnreadable(path, "no such file or directory")
    proofs = tuple(read_proof_file(p) for p in proof_files)  # bad proof files: before the chain
    max_bond = None if max_bond_eth is None else _wei(max_bond_eth)
    settings = settings_of(ctx)
    out = console(stderr=as_json)  # with --json, stdout carries only the JSON
    crash_after = crash_after_from_env()
    node = UiNode(settings, account_index)
    try:
        with _Bars(out) as bars:
            result = contributor.contribute(
                node,
                path,
                platform=platform,
                scrub=not no_scrub,
                progress=bars,
                crash_after=crash_after,
                proofs=proofs,
                max_bond=max_bond,
            )
    finally:
        node.close()
    if as_json:
        resumed = result.resumed_from
        print_json(
            {
                "outcome": result.outcome.value,
                "resumed_from": None if resumed is None else resumed.value,
                "submission": submission_json(result.submission),
            }
        )
        return
    out.print(_summary(result))
    if result.outcome is ContributionOutcome.ALREADY_SUBMITTED:
        out.print(
            f"already submitted: file {result.submission.file_id} is registered "
            f"(epoch {result.submission.epoch}); no transaction sent"
        )
    else:
        out.print(f"submitted: registered in block {result.submission.block_number}")


def _rows(
    engine: Engine, deployment: Deployment, chain_id: int, dataset_id: int, contributor: str | None
) -> list[Submission]:
    with Session(engine, expire_on_commit=False) as session:
        return list(
            crud.list_submissions(
                session=session,
                contributor=contributor,
                chain_id=chain_id,
                registry_address=deployment.address("SubmissionRegistry"),
                dataset_id=dataset_id,
            )
        )


class _ChainView:
    """The on-chain half of ``submissions``, which goes quiet (``None``) as soon as the chain is
    unreachable: the local database is listed regardless, with a warning, not an error."""

    def __init__(self, settings: NodeSettings, account: LocalAccount | None, index: int | None):
        self.gateway: ChainGateway | None = None
        self.chain_id: int | None = None
        self.unreachable: str | None = None
        try:
            c = connect(settings, index, signer=False, account=account)
            self.chain_id = c.chain.chain_id  # the first RPC request
            self.gateway = ChainGateway(c.contracts, dataset_id=c.dataset_id)
        except ChainUnavailable as err:
            self._lost(err)

    def _lost(self, err: ChainUnavailable) -> None:
        self.gateway, self.unreachable = None, err.url

    def record(self, file_id: str | None) -> SubmissionRecord | _Unknown | None:
        if self.gateway is None:
            return _UNKNOWN
        if file_id is None:  # not sealed yet: v2 derives the file id from the sealed header
            return None
        try:
            return self.gateway.submission(bytes.fromhex(file_id.removeprefix("0x")))
        except ChainUnavailable as err:
            self._lost(err)
            return _UNKNOWN


class _Unknown:
    """The chain could not be asked."""


_UNKNOWN = _Unknown()


@click.command()
@account_index_option
@json_option
@click.pass_context
def submissions(ctx: click.Context, account_index: int | None, as_json: bool) -> None:
    """List this node's contributions with their recorded and on-chain status.

    The local database is listed even when the chain is unreachable: a warning on stderr says
    so, the chain column (JSON: "chain") is unavailable (null), and the exit code is still 0.
    """
    settings = settings_of(ctx)
    deployment = Deployment.load(settings.resolved_deployment_file)
    engine = open_database(settings.resolved_database_url)  # before the chain: works offline
    try:
        account = load_account(settings, account_index)  # only its address filters the rows
        view = _ChainView(settings, account, account_index)
        rows = _rows(
            engine,
            deployment,
            view.chain_id if view.chain_id is not None else deployment.chain_id,
            settings.dataset_id,
            account.address if account is not None else None,
        )
        listed = [(row, view.record(row.file_id)) for row in rows]
    finally:
        engine.dispose()
    if view.unreachable is not None:
        warn(
            f"cannot reach the chain at {view.unreachable}: listing the local database only; "
            "on-chain status unavailable"
        )
    if as_json:
        print_json(
            {
                "chain_available": view.unreachable is None,
                "submissions": [
                    {
                        **submission_json(row),
                        "chain": None if isinstance(rec, _Unknown) else _on_chain_json(rec),
                    }
                    for row, rec in listed
                ],
            }
        )
        return
    out = console()
    if not listed:
        out.print("no submissions recorded for this deployment")
        return
    table = Table(title="submissions", title_justify="left")
    for name in ("#", "status", "platform", "records", "epoch"):
        table.add_column(name)
    for name in ("file id", "CID"):
        id_column(table, name)
    table.add_column("chain")
    for row, rec in listed:
        if isinstance(rec, _Unknown):
            chain_col = "[yellow]unavailable[/]"
        elif rec is None:
            chain_col = "[dim]not yet[/]"
        else:
            chain_col = f"[green]registered @{rec.registered_at}[/]"
        status = row.status.value + (f" ({row.failure_reason})" if row.failure_reason else "")
        table.add_row(
            str(row.id),
            status,
            row.platform,
            str(row.records),
            "" if row.epoch is None else str(row.epoch),
            shown_id(out, row.file_id),
            shown_id(out, row.cid),
            chain_col,
        )
    out.print(table)


__all__ = ["contribute", "submission_json", "submissions"]
