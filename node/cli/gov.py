"""``datadao gov``: what a token holder does: delegate, list proposals, propose an access grant,
vote, queue and execute.

Proposals are identified by their (long) id or any unique prefix of it, as ``gov proposals``
shows. Only the canonical grant of an open access request can be proposed from here, so a holder
cannot be tricked into a proposal whose calldata does something else.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import click
from rich.table import Table
from web3 import Web3

from node.cli.options import account_index_option, console, settings_of
from node.cli.output import id_column, json_option, print_json, uint
from node.errors import InputError
from node.services import governance
from node.types import ReqId
from node.wiring import connect

__all__ = ["gov"]


def _eth(wei: int) -> str:
    return f"{Web3.from_wei(wei, 'ether'):,.4f}"


@click.group()
def gov() -> None:
    """Token holders: delegate votes and govern access to the dataset."""


@gov.command()
@click.option("--to", "to", default=None, help="Delegate to this address (default: yourself).")
@account_index_option
@click.pass_context
def delegate(ctx: click.Context, to: str | None, account_index: int | None) -> None:
    """Delegate your voting power (yourself by default; votes count from the next block)."""
    if to is not None and not Web3.is_address(to):  # before connecting: no key, no RPC needed
        raise InputError(f"--to is not an address: {to}")
    c = connect(settings_of(ctx), account_index, signer=True)
    target = governance.delegate(c, to)
    token = c.contracts.token
    click.echo(f"delegated {_eth(token.balanceOf(c.chain.address))} {token.symbol()} to {target}")
    click.echo(f"voting power of {target}: {_eth(token.getVotes(target))}")


@gov.command()
@account_index_option
@json_option
@click.pass_context
def proposals(ctx: click.Context, account_index: int | None, as_json: bool) -> None:
    """List proposals with state, tallies, quorum and deadlines.

    At a terminal the id column shows a 12-digit prefix (any unique prefix is accepted by vote,
    queue and execute); piped, and in --json, the full id.
    """
    c = connect(settings_of(ctx), account_index, signer=False)
    governor = c.contracts.governor
    head = c.chain.block_number()
    found: list[dict[str, Any]] = []
    for p in governor.proposals(c.deployment.start_block):
        against, for_, abstain = governor.proposalVotes(p.proposal_id)
        snapshot = governor.proposalSnapshot(p.proposal_id)
        eta = governor.proposalEta(p.proposal_id)
        found.append(
            {
                "id": uint(p.proposal_id),
                "state": governor.state(p.proposal_id).name,
                "proposer": p.proposer,
                "description": p.description,
                "votes_for": uint(for_),
                "votes_against": uint(against),
                "votes_abstain": uint(abstain),
                "quorum": uint(governor.quorum(snapshot)) if snapshot < head else None,
                "snapshot_block": snapshot,
                "vote_start_block": p.vote_start,
                "vote_end_block": p.vote_end,
                "eta": eta or None,
                "created_block": p.created_block,
            }
        )
    if as_json:
        print_json({"head_block": head, "proposals": found})
        return
    out = console()
    table = Table(title="proposals", title_justify="left")
    id_column(table, "id")
    for col in ("state", "for", "against", "abstain", "quorum", "votes end", "eta", "what"):
        table.add_column(col)
    for row in found:
        ends = row["vote_end_block"] - head
        eta = row["eta"]
        table.add_row(
            row["id"][:12] if out.is_terminal else row["id"],
            row["state"],
            _eth(int(row["votes_for"])),
            _eth(int(row["votes_against"])),
            _eth(int(row["votes_abstain"])),
            _eth(int(row["quorum"])) if row["quorum"] and int(row["quorum"]) else "-",
            f"block {row['vote_end_block']}" + (f" (in {ends})" if ends > 0 else ""),
            datetime.fromtimestamp(eta, UTC).strftime("%Y-%m-%d %H:%M:%S") if eta else "-",
            row["description"],
        )
    out.print(table)


@gov.command("propose-access")
@click.argument("req", type=click.IntRange(1))
@account_index_option
@click.pass_context
def propose_access(ctx: click.Context, req: int, account_index: int | None) -> None:
    """Propose granting access request REQ (the canonical grant; nothing else)."""
    c = connect(settings_of(ctx), account_index, signer=True)
    pid = governance.propose_grant(c, req)
    request = c.contracts.escrow.request(ReqId(req))
    click.echo(
        f"proposed grant of request #{req} (fee {_eth(request.fee)} ETH, renter "
        f"{request.renter}): proposal {pid}"
    )


@gov.command("propose-revoke")
@click.argument("req", type=click.IntRange(min=1))
@click.option("--reason", default="", help="Why, for the voters (part of the description).")
@account_index_option
@click.pass_context
def propose_revoke(ctx: click.Context, req: int, reason: str, account_index: int | None) -> None:
    """Propose revoking granted access request REQ before its expiry (a leaked renter key, broken
    terms): once executed, every share service refuses the renter."""
    c = connect(settings_of(ctx), account_index, signer=True)
    pid = governance.propose_revoke(c, req, reason)
    click.echo(f"proposed revoking request #{req}: proposal {pid}")


@gov.command()
@click.argument("ident", metavar="ID")
@click.argument("support", type=click.Choice(sorted(governance.SUPPORT)))
@click.option("--reason", default="", help="Recorded on chain with the vote.")
@account_index_option
@click.pass_context
def vote(
    ctx: click.Context, ident: str, support: str, reason: str, account_index: int | None
) -> None:
    """Vote for, against or abstain on proposal ID."""
    c = connect(settings_of(ctx), account_index, signer=True)
    weight = governance.vote(c, ident, support, reason)
    click.echo(f"voted {support} on {ident} with {_eth(weight)} votes")


@gov.command()
@click.argument("ident", metavar="ID")
@account_index_option
@click.pass_context
def queue(ctx: click.Context, ident: str, account_index: int | None) -> None:
    """Queue a succeeded proposal in the timelock."""
    c = connect(settings_of(ctx), account_index, signer=True)
    delay = governance.queue(c, ident)
    click.echo(f"queued {ident}; executable in {delay}s")


@gov.command()
@click.argument("ident", metavar="ID")
@account_index_option
@click.pass_context
def execute(ctx: click.Context, ident: str, account_index: int | None) -> None:
    """Execute a queued proposal once its timelock delay has passed."""
    c = connect(settings_of(ctx), account_index, signer=True)
    t0 = time.monotonic()
    p = governance.execute(c, ident)
    click.echo(f"executed {ident} in {time.monotonic() - t0:.1f}s: {p.description}")
