"""``datadao inspect PATH``: show what contributing an export would share, and nothing more.

It parses and scrubs (unless ``--no-scrub``) exactly as ``contribute`` will, then prints the
platform, account, record counts by kind, time span, PII removed per kind, the content
commitment and a few sample records. Nothing is sealed, stored or sent. ``--json`` prints a
stable summary for scripts (keys: ``platform``, ``account``, ``records``, ``by_kind``,
``first_ts``, ``last_ts``, ``pii_removed``, plus ``scrubbed``, ``content_commitment``,
``source``, ``email``, ``proofs``). Parse failures are ``ParseError``s, which the root
command turns into exit code 4 (bad input).

Ownership proofs (DESIGN.md §10): ``--proof FILE`` (repeatable; ``METHOD:FILE`` names the method)
attaches a proof as ``contribute --proof`` would, and inspect reports, before anything is sent,
whether each proof would verify: the same verifiers validators run, against the ``proofs``
policy of the dataset's ValuationSpec (``--spec``, default the devnet's) and for the contributor
address ``--contributor`` (a Reclaim claim names it). ``proofs`` in the JSON is a list of
``{"method", "status", "reason"}`` (status ``verified``, ``not_verified`` or
``not_applicable``); ``email`` is the account e-mail the export states, which proofs are
checked against and which is sealed (validators see it) only when a proof is attached.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from node.devnet.validation import SPEC_FILE
from node.parsers import Limits
from node.proofs.attach import policy_from_spec, read_proof_file
from node.proofs.base import Verdict
from node.services.contributor import Preview, preview_export, summarize

_NO_CONTRIBUTOR = "0x" + "00" * 20

__all__ = ["inspect", "summarize"]

_SAMPLE_CHARS = 160


@click.command("inspect")
@click.argument("path", type=click.Path(exists=True, file_okay=True, dir_okay=True, path_type=Path))
@click.option(
    "--platform",
    default="auto",
    show_default=True,
    help="chatgpt, reddit, twitter, telegram, generic (or a plugin's name); auto detects.",
)
@click.option("--no-scrub", is_flag=True, help="Keep e-mails, phone numbers and URL secrets.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option(
    "--text-column",
    default=None,
    help="generic only: the field holding the text (default 'text').",
)
@click.option(
    "--samples",
    default=3,
    show_default=True,
    type=click.IntRange(0, 50),
    help="Sample records to show.",
)
@click.option(
    "--max-size-mb",
    default=None,
    type=click.IntRange(1),
    help="Cap on the total uncompressed size (default: Limits.max_total_bytes).",
)
@click.option(
    "--proof",
    "proof_files",
    multiple=True,
    metavar="[METHOD:]FILE",
    help="An ownership proof to check (the platform's export e-mail .eml, a Reclaim JSON).",
)
@click.option(
    "--spec",
    "spec_file",
    default=SPEC_FILE,
    show_default="the devnet's",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The dataset's ValuationSpec JSON, whose 'proofs' section pins keys and attestors.",
)
@click.option(
    "--contributor",
    default=_NO_CONTRIBUTOR,
    metavar="ADDRESS",
    help="The address you will contribute from (a Reclaim claim must name it).",
)
def inspect(
    path: Path,
    platform: str,
    no_scrub: bool,
    as_json: bool,
    text_column: str | None,
    samples: int,
    max_size_mb: int | None,
    proof_files: tuple[str, ...],
    spec_file: Path,
    contributor: str,
) -> None:
    """Parse an export and show what would be shared; nothing is sealed or sent."""
    proofs = tuple(read_proof_file(p) for p in proof_files)  # refused before any parsing
    policy = policy_from_spec(spec_file)
    options: dict[str, Any] = {}
    if text_column is not None:
        if platform != "generic":
            raise click.UsageError("--text-column only applies to --platform generic")
        options["text_field"] = text_column
    limits = Limits()
    if max_size_mb is not None:
        cap = max_size_mb << 20
        limits = Limits(max_total_bytes=cap, max_member_bytes=min(cap, limits.max_member_bytes))
    shown = preview_export(
        path,
        platform=platform,
        scrub=not no_scrub,
        samples=samples,
        proofs=proofs,
        policy=policy,
        contributor=contributor,
        limits=limits,
        options=options,
        sample_chars=_SAMPLE_CHARS,
    )
    if as_json:
        click.echo(json.dumps(shown.summary, sort_keys=True, ensure_ascii=False))
        return
    _print_human(shown)


def _print_human(shown: Preview) -> None:
    summary = shown.summary
    console = Console(highlight=False, soft_wrap=True)
    console.print(Text(f"{summary['source']}: nothing has been sealed or sent.", style="bold"))
    facts = Table.grid(padding=(0, 2))
    facts.add_row("platform", Text(summary["platform"]))
    facts.add_row("account", Text(summary["account"] or "(not stated in the export)"))
    facts.add_row("records", str(summary["records"]))
    for kind, count in summary["by_kind"].items():
        facts.add_row("", Text(f"{kind}: {count}"))
    facts.add_row("time span", f"{summary['first_ts'] or '?'} .. {summary['last_ts'] or '?'}")
    if summary["scrubbed"]:
        removed = ", ".join(f"{k}: {v}" for k, v in summary["pii_removed"].items())
        facts.add_row("PII removed", removed)
    else:
        facts.add_row("PII removed", "[yellow]scrubbing is off (--no-scrub)[/yellow]")
    facts.add_row("commitment", summary["content_commitment"])
    facts.add_row("account e-mail", Text(summary["email"] or "(not stated in the export)"))
    if not summary["proofs"]:
        facts.add_row("proofs", "none attached (add one with --proof FILE)")
    for row in summary["proofs"]:
        style = "green" if row["status"] == "verified" else "yellow"
        verdict = Verdict(row["method"], row["status"], row["reason"]).describe()
        facts.add_row("proof", Text(verdict, style=style))
    console.print(facts)
    if shown.samples:
        table = Table(title="sample records", show_lines=False)
        for column in ("time", "kind", "author", "text"):
            table.add_column(column, overflow="fold")
        for sample in shown.samples:
            # Text(), not str: record text like "[email]" must not be read as rich markup.
            table.add_row(sample.when, Text(sample.kind), Text(sample.author), Text(sample.text))
        console.print(table)
