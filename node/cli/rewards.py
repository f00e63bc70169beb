"""``datadao rewards [--claim]``: each registered file's value in its finalized epoch, and the
one command that claims it.

Per file: the value the finalized score vector gives it (nano units of the epoch's contributor
pool, as a share and in tokens), its bond and what happens to it. The vector is fetched by the
CID the winning validators published and refused unless its Merkle root is the finalized one, so
the amounts shown are the ones the distributor pays. ``--claim`` sends, per claimable file, the
claim with its proof (tokens minted, bond returned) or, after an epoch finalized without quorum,
the bond refund; a file scored 0 sends nothing ("scored 0: bond forfeited"). The claim path is
``node.services.contributor.claim_reward``, the web app's too.
"""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from node.cli.options import account_index_option, console, settings_of
from node.cli.output import id_column, json_option, print_json, shown_id, uint
from node.pipeline import format_wei
from node.services import contributor
from node.services.claims import NothingToClaim, share_text
from node.services.node import UiNode

__all__ = ["rewards"]


def _entry(view: contributor.ContributionView) -> dict[str, Any]:
    d = view.detail
    return {
        "id": view.row.id,
        "epoch": view.row.epoch,
        "file_id": view.row.file_id,
        "cid": view.row.cid,
        "finalized": view.epoch_finalized,
        "value_units": None if d is None else d.value,
        "total_units": None if d is None else d.total,
        "score_bps": view.score_bps,
        "reward": uint(view.reward),
        "bond": None if d is None else uint(d.bond),
        "state": view.state_words,
        "claimed": view.claimed,
        "problem": view.problem,
    }


@click.command()
@click.option(
    "--claim", is_flag=True, help="Claim every finalized reward (and refund no-quorum bonds)."
)
@account_index_option
@json_option
@click.pass_context
def rewards(ctx: click.Context, claim: bool, account_index: int | None, as_json: bool) -> None:
    """Per registered submission: epoch, value (share of the epoch, tokens), bond and state."""
    node = UiNode(settings_of(ctx), account_index)
    claimed_now = 0
    refunded_now = 0
    results: dict[str, str] = {}
    try:
        if claim:
            node.signer()  # no key: refuse before reading anything
        views = [v for v in contributor.contributions(node) if v.row.file_id is not None]
        views.reverse()  # oldest first, like `submissions`
        if claim:
            for view in views:
                file_id = view.row.file_id or ""
                if not view.claimable:
                    continue
                try:
                    _reward, outcome = contributor.claim_reward(node, file_id)
                except NothingToClaim as err:  # claimed meanwhile, scored 0: said, not fatal
                    results[file_id] = str(err)
                    continue
                claimed_now += outcome.tokens
                refunded_now += outcome.bond_refund
                results[file_id] = (
                    f"claimed {outcome.tokens} token units, bond {format_wei(outcome.bond_refund)}"
                    f" returned (tx {outcome.tx_hash})"
                )
            if results:
                views = [v for v in contributor.contributions(node) if v.row.file_id is not None]
                views.reverse()
    finally:
        node.close()
    found = [_entry(v) for v in views if v.row.status.value == "registered"]
    for entry in found:
        entry["claim_result"] = results.get(entry["file_id"])
    if as_json:
        print_json(
            {
                "claimed_now": uint(claimed_now),
                "bond_refunded_now": uint(refunded_now),
                "rewards": found,
            }
        )
        return
    out = console()
    if not found:
        out.print("no registered submissions for this deployment")
        return
    table = Table(title="rewards", title_justify="left")
    table.add_column("#")
    table.add_column("epoch")
    id_column(table, "file id")
    for name in ("value (share)", "tokens", "bond", "state"):
        table.add_column(name)
    for r in found:
        value = (
            ""
            if r["value_units"] is None
            else f"{r['value_units']} ({share_text(r['value_units'], r['total_units'] or 0)})"
        )
        table.add_row(
            str(r["id"]),
            "" if r["epoch"] is None else str(r["epoch"]),
            shown_id(out, r["file_id"]),
            value,
            r["reward"] if r["finalized"] else "",
            "" if r["bond"] is None else format_wei(int(r["bond"])),
            r["state"],
        )
    out.print(table)
    for file_id, text in results.items():
        out.print(f"{shown_id(out, file_id)}: {text}")
    if claim:
        out.print(
            f"claimed {claimed_now} token units now; bonds returned: {format_wei(refunded_now)}"
        )
