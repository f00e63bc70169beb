"""``datadao renter request | status | fetch``: rent a dataset and decrypt it once granted.

``request`` creates an X25519 session key, stores it encrypted (0600) under
``<home>/renter/sessions/`` *before* sending ``RentalEscrow.requestAccess`` with its public half as
the ``renterKey``, and records the request under ``<home>/renter/requests/<reqId>.json``.
``fetch`` gathers threshold shares from the ritual's validators and writes the dataset (see
``node.custody.renter``); it resumes where a previous run stopped.

The renter's Ethereum key: ``--account-index N`` (anvil's public mnemonic, devnet only) or
``DATADAO_KEYSTORE`` + ``DATADAO_KEYSTORE_PASSWORD``. The session keystore passphrase comes from
``DATADAO_RENTER_PASSPHRASE`` or a prompt. Storage: ``<home>/blocks`` by default, Kubo when
``DATADAO_KUBO_API_URL`` is set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from web3 import Web3

from node.cli.options import account_index_option, console, settings_of
from node.cli.output import json_option, print_json, uint
from node.errors import InputError
from node.settings import NodeSettings
from node.wiring import blob_store, connect

if TYPE_CHECKING:
    from node.custody.renter import Renter

_PASSPHRASE_ENV = "DATADAO_RENTER_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret


def _passphrase(*, confirm: bool) -> str:
    value = os.environ.get(_PASSPHRASE_ENV)
    if value:
        return value
    return str(
        click.prompt("Session keystore passphrase", hide_input=True, confirmation_prompt=confirm)
    )


def _renter(
    ctx: click.Context, account_index: int | None, *, signer: bool = True
) -> tuple[Renter, NodeSettings]:
    """The renter's client, connected through the shared wiring (so the devnet's public keys
    are refused off the devnet, as for every other command)."""
    from node.custody.renter import Renter

    settings = settings_of(ctx)
    c = connect(settings, account_index, signer=signer)
    return Renter(chain=c.chain, contracts=c.contracts, store=blob_store(settings)), settings


@click.group()
def renter() -> None:
    """Rent a dataset: request access, follow the vote, fetch and decrypt."""


@renter.command()
@click.option("--dataset", "dataset_id", type=int, default=None, help="Dataset id (default: 1).")
@click.option("--from-epoch", type=int, default=0, show_default=True)
@click.option("--to-epoch", type=int, default=None, help="Last epoch (default: current).")
@click.option(
    "--expiry", type=int, required=True, help="Access lifetime in seconds from now (chain time)."
)
@click.option("--fee", required=True, help="Escrowed fee in ether (e.g. 0.5).")
@account_index_option
@click.pass_context
def request(
    ctx: click.Context,
    dataset_id: int | None,
    from_epoch: int,
    to_epoch: int | None,
    expiry: int,
    fee: str,
    account_index: int | None,
) -> None:
    """Escrow a fee and ask the DAO for access to a dataset's epochs."""
    from node.services import renter as renting
    from node.services.node import UiNode

    settings = settings_of(ctx)
    req_id = renting.request_access(
        UiNode(settings, account_index),
        passphrase=_passphrase(confirm=True),
        from_epoch=from_epoch,
        to_epoch=to_epoch,
        expiry_s=expiry,
        fee_wei=Web3.to_wei(fee, "ether"),
        dataset_id=dataset_id,
    )
    console().print(
        f"access request [bold]#{req_id}[/] sent; its session key is saved (encrypted) under "
        f"{settings.home / 'renter' / 'sessions'}"
    )
    click.echo(req_id)


@renter.command()
@click.argument("req_id", type=int)
@json_option
@click.pass_context
def status(ctx: click.Context, req_id: int, as_json: bool) -> None:
    """Show a request's escrow status, grant and scope."""
    r, _ = _renter(ctx, None, signer=False)
    if not 1 <= req_id <= r.escrow.requestCount():
        raise InputError(f"no access request #{req_id}")
    req = r.request(req_id)
    granted = r.is_granted(req_id)
    report = {
        "req_id": req_id,
        "status": req.status.name,
        "renter": req.renter,
        "dataset_id": req.dataset_id,
        "from_epoch": req.from_epoch,
        "to_epoch": req.to_epoch,
        "fee_wei": uint(req.fee),
        "expiry": req.expiry,
        "grant_block": req.grant_block or None,
        "renter_key": "0x" + bytes(req.renter_key).hex(),
        "granted": granted,
        "files_in_scope": len(r.files_in_scope(req_id)) if granted else None,
    }
    if as_json:
        print_json(report)
        return
    out = console()
    out.print(f"request #{req_id}: {req.status.name}, renter {req.renter}")
    out.print(f"dataset {req.dataset_id}, epochs {req.from_epoch}..{req.to_epoch}")
    out.print(f"fee {Web3.from_wei(req.fee, 'ether')} ETH, expiry {req.expiry}")
    out.print(f"granted now: {'yes' if granted else 'no'}")
    if granted:
        out.print(f"files in scope: {report['files_in_scope']}")


@renter.command()
@click.argument("req_id", type=int)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True)
@click.option("--parallel", type=click.IntRange(1, 32), default=4, show_default=True)
@click.option("--timeout", "timeout_s", type=float, default=10.0, show_default=True)
@account_index_option
@click.pass_context
def fetch(
    ctx: click.Context,
    req_id: int,
    out_dir: Path,
    parallel: int,
    timeout_s: float,
    account_index: int | None,
) -> None:
    """Gather shares, decrypt every file in scope, write JSONL (+ Parquet) and a manifest."""
    from node.custody.gather import GatherPolicy
    from node.custody.renter import SessionVault

    r, settings = _renter(ctx, account_index)
    r.parallel_files = parallel
    r.policy = GatherPolicy(timeout_s=timeout_s)
    access_key = r.request(req_id).renter_key
    session = SessionVault(settings.home / "renter").load(
        bytes(access_key), passphrase=_passphrase(confirm=False)
    )
    out = console()
    with Progress(
        TextColumn("[bold]decrypting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
    ) as bar:
        task = bar.add_task("files", total=None)
        report = r.fetch(
            req_id,
            out_dir,
            session=session,
            on_total=lambda n: bar.update(task, total=n),
            progress=lambda _f, done, _total: bar.update(task, completed=done),
        )
    out.print(
        f"{report.fetched} decrypted, {report.skipped} already present, "
        f"{report.bytes_written / 2**20:.1f} MiB in {report.seconds:.1f}s → {out_dir}"
    )
    if report.bad:
        out.print(
            "[yellow]excluded bad shares from:[/] "
            + ", ".join(f"{v} ({n} files)" for v, n in report.bad.items())
        )
    if report.unreachable:
        out.print(
            "[yellow]unreachable:[/] "
            + ", ".join(f"{v} ({n} files)" for v, n in report.unreachable.items())
        )
    if report.copies:
        out.print(
            f"skipped {len(report.copies)} copies of other contributors' submissions (their "
            "sealed header names someone else; the original is fetched under its own record)"
        )
    if not report.parquet:
        out.print("(pyarrow not installed: no dataset.parquet)")
