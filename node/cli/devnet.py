"""``datadao devnet up | down | status | mine | advance``: a whole Data DAO on a local anvil.

``up`` deploys everything and, unless ``--no-run-validators``, starts each validator's share
service and scoring daemon in the background (they outlive the command; ``down`` stops them
before anvil). ``advance`` moves an epoch through commit, reveal and finalization, mining the
blocks an automining anvil would never make by itself and waiting for the daemons at each step.

``status`` fails (after printing what it sees) when the devnet's RPC does not answer (a chain
error, exit 5) and when a validator process ``up`` started is not running (key custody: their
shares are unavailable, exit 7); no deployment at all is a configuration error (exit 3).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from node.chain.anvil import DEVNET_CHAIN_ID
from node.chain.client import load_keystore
from node.chain.timetravel import TimeTravel
from node.cli.options import console, settings_of
from node.devnet.epochs import EpochProgress, Stage, advance_epoch, pick_epoch
from node.devnet.errors import DevnetDown, ProcessExited, ValidatorsDown
from node.devnet.manager import (
    SCORING_WINDOWS,
    DevnetOptions,
    DevnetStatus,
    devnet_down,
    devnet_status,
    devnet_up,
)
from node.devnet.processes import is_running, load_records
from node.devnet.validators import (
    DAEMON,
    ValidatorProcess,
    processes_file,
    start_validators,
    validator_processes,
)
from node.errors import ConfigError
from node.types import Epoch
from node.wiring import connect


def _process_cell(p: ValidatorProcess) -> str:
    if not p.running:
        return f"[red]DOWN[/] (log: {p.record.log})"
    health = "" if p.health is None else f", health {p.health}"
    return f"[green]up[/] pid {p.record.pid}{health}"


def _table(status: DevnetStatus, procs: list[ValidatorProcess]) -> Table:
    d = status.deployment
    table = Table(title="datadao devnet", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("RPC", f"{d.rpc_url} ({'up' if status.running else '[red]DOWN[/]'})")
    table.add_row("chain id", str(d.chain_id))
    if status.block is not None:
        table.add_row("block", str(status.block))
    if status.epoch is not None:
        table.add_row("epoch", f"{status.epoch} (taking submissions)")
    table.add_row("dataset", str(d.dataset_id))
    ritual = d.extra.get("ritual_id")
    if ritual is not None:
        table.add_row("key ritual", f"#{ritual} {status.ritual_state or '?'}")
        table.add_row("DAO public key", str(d.extra.get("dkg_public_key", ""))[:32] + "…")
    for name, address in sorted(d.addresses.items()):
        table.add_row(name, address)
    by_key: dict[tuple[str, str], ValidatorProcess] = {
        (p.record.role, p.record.key.lower()): p for p in procs
    }
    for v in d.extra.get("validators", []):
        table.add_row("validator", f"{v['address']}  {v['share_url']}")
        for role, label in (("shares", "  share service"), (DAEMON, "  scoring daemon")):
            p = by_key.get((role, str(v["address"]).lower()))
            table.add_row(label, "not started by `devnet up`" if p is None else _process_cell(p))
    contributors = d.extra.get("contributors", [])
    if contributors:
        first = contributors[0]["account_index"]
        table.add_row(
            "contributors",
            f"{len(contributors)} funded accounts (anvil mnemonic; --account-index "
            f"{first}..{first + len(contributors) - 1})",
        )
    return table


def _status_json(status: DevnetStatus, procs: list[ValidatorProcess]) -> dict[str, Any]:
    d = status.deployment
    return {
        "rpc_url": d.rpc_url,
        "running": status.running,
        "chain_id": d.chain_id,
        "block": status.block,
        "epoch": status.epoch,
        "dataset_id": d.dataset_id,
        "ritual": {"id": d.extra.get("ritual_id"), "state": status.ritual_state},
        "contracts": dict(sorted(d.addresses.items())),
        "validators": d.extra.get("validators", []),
        "processes": [p.as_json() for p in procs],
    }


@click.group()
def devnet() -> None:
    """Run a local Data DAO: anvil, every contract, staked validators, an active key ritual."""


@devnet.command()
@click.option("--port", type=int, default=None, help="anvil port (default: a free one).")
@click.option("--validators", "n", type=click.IntRange(1, 16), default=4, show_default=True)
@click.option("--threshold", "t", type=click.IntRange(1, 16), default=3, show_default=True)
@click.option("--contributors", "m", type=click.IntRange(0, 64), default=6, show_default=True)
@click.option(
    "--rpc",
    "rpc_url",
    default=None,
    help="Deploy onto this existing EVM JSON-RPC instead of starting anvil "
    "(needs DATADAO_KEYSTORE + DATADAO_KEYSTORE_PASSWORD of a funded deployer).",
)
@click.option(
    "--run-validators/--no-run-validators",
    default=True,
    show_default=True,
    help="Also start each validator's share service and scoring daemon in the background "
    "(logs in <home>/devnet/logs; `devnet down` stops them).",
)
@click.option(
    "--ready-timeout",
    type=click.FloatRange(min=1),
    default=180.0,
    show_default=True,
    help="Seconds to wait for the validators' processes to answer.",
)
@click.pass_context
def up(
    ctx: click.Context,
    port: int | None,
    n: int,
    t: int,
    m: int,
    rpc_url: str | None,
    run_validators: bool,
    ready_timeout: float,
) -> None:
    """Start the devnet (or report the one already running) and its validators."""
    settings = settings_of(ctx)
    out = console()
    deployer = None
    if rpc_url is not None:
        if settings.keystore is None or settings.keystore_password is None:
            raise ConfigError(
                "--rpc refuses to deploy without a funded deployer key: "
                "set DATADAO_KEYSTORE and DATADAO_KEYSTORE_PASSWORD"
            )
        deployer = load_keystore(settings.keystore, settings.keystore_password.get_secret_value())
    opts = DevnetOptions(
        home=settings.home,
        port=port,
        validators=n,
        threshold=t,
        contributors=m,
        rpc_url=rpc_url,
        deployer=deployer,
        deploy_env=dict(SCORING_WINDOWS) if rpc_url is None else {},
    )

    def progress(msg: str) -> None:
        out.print(f"[cyan]•[/] {msg}")

    status = devnet_up(opts, progress=progress)
    if run_validators:
        if status.deployment.chain_id != DEVNET_CHAIN_ID:
            progress(
                "validators not started: their devnet keys are refused on chain "
                f"{status.deployment.chain_id}; run `datadao validator run` with a keystore"
            )
        else:
            start_validators(
                settings.home,
                status.deployment,
                progress=progress,
                ready_timeout_s=ready_timeout,
            )
    out.print(_table(status, validator_processes(settings.home)))
    out.print(f"deployment file: {settings.home / 'devnet' / 'deployment.json'}")


@devnet.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the devnet's RPC, epoch, ritual, contracts and validator processes.

    Exits 5 when the devnet (anvil) is down, 7 when a validator process is down.
    """
    home = settings_of(ctx).home
    st = devnet_status(home)
    procs = validator_processes(home, probe=st.running)
    if as_json:
        click.echo(json.dumps(_status_json(st, procs), indent=2))
    else:
        console().print(_table(st, procs))
    if not st.running:
        raise DevnetDown(st.deployment.rpc_url)
    down = [p for p in procs if not p.running]
    if down:
        raise ValidatorsDown(len(down), len(procs), down[0].record.name, Path(down[0].record.log))
    if not procs and not as_json:
        click.echo("validators: none started by `devnet up` (it starts them by default)")


@devnet.command()
@click.option("--wipe", is_flag=True, help="Also delete the devnet data dir (keys, state).")
@click.pass_context
def down(ctx: click.Context, wipe: bool) -> None:
    """Stop the validators and the anvil this devnet started; keep its data unless --wipe."""
    out = console()
    home = Path(settings_of(ctx).home)
    devnet_down(home, wipe=wipe, progress=lambda msg: out.print(f"[cyan]•[/] {msg}"))


@devnet.command()
@click.argument("blocks", type=click.IntRange(1, 1_000_000))
@click.pass_context
def mine(ctx: click.Context, blocks: int) -> None:
    """Mine BLOCKS empty blocks (anvil makes none without a transaction)."""
    c = connect(settings_of(ctx), 0, signer=False)  # account 0: refused off the devnet
    head = TimeTravel(c.chain.w3).mine(blocks)
    epoch = c.contracts.config.currentEpoch(c.dataset_id)
    w = c.contracts.config.epochWindows(c.dataset_id, epoch)
    click.echo(
        f"mined {blocks} blocks: head {head}, epoch {epoch} takes submissions until block "
        f"{w.close_block - 1}"
    )


@devnet.command()
@click.option(
    "--epoch",
    type=click.IntRange(min=0),
    default=None,
    help="Default: the oldest unfinalized epoch with submissions.",
)
@click.option(
    "--to",
    "to",
    type=click.Choice([s.value for s in Stage]),
    default=Stage.FINALIZE.value,
    show_default=True,
    help="How far to take the epoch.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    help="Seconds to wait for the validators at each step.",
)
@click.option("--json", "as_json", is_flag=True, help="Print where the epoch stands as JSON.")
@click.pass_context
def advance(ctx: click.Context, epoch: int | None, to: str, timeout: float, as_json: bool) -> None:
    """Move an epoch through close, commit, reveal and finalize, waiting for the validators.

    Mines the empty blocks between the windows; the scores are the daemons' own. Fixing the
    seed and finalizing are permissionless: if no daemon did, account 0 does.
    """
    settings = settings_of(ctx)
    out = Console(highlight=False, stderr=True) if as_json else console()  # stdout: the JSON
    c = connect(settings, 0, signer=True)  # anvil's account 0: refused off the devnet
    chosen = Epoch(epoch) if epoch is not None else pick_epoch(c.contracts, c.dataset_id)
    daemons = {
        r.key.lower(): r for r in load_records(processes_file(settings.home)) if r.role == DAEMON
    }

    def alive(pending: Sequence[str]) -> None:
        for v in pending:
            r = daemons.get(str(v).lower())
            if r is not None and not is_running(r):
                raise ProcessExited(r.name, Path(r.log))

    if not daemons:
        out.print(
            "[yellow]•[/] no validator daemons were started by `devnet up`: waiting for "
            "validators run elsewhere"
        )
    result = advance_epoch(
        c.chain,
        c.contracts,
        c.dataset_id,
        chosen,
        to=Stage(to),
        timeout_s=timeout,
        alive=alive,
        logs={k: Path(r.log) for k, r in daemons.items()},
        report=lambda msg: out.print(f"[cyan]•[/] {msg}"),
    )
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    _advance_summary(out, result)


def _advance_summary(out: Console, result: EpochProgress) -> None:
    if result.finalized:
        out.print(
            f"epoch {result.epoch} is finalized; see the scores and claim: "
            "datadao rewards --account-index N  ·  datadao rewards --claim --account-index N"
        )
    else:
        out.print(
            f"epoch {result.epoch} is at '{result.stage.value}' (head {result.head}); "
            "continue with: datadao devnet advance"
        )


_SAMPLES = ("chatgpt", "reddit", "twitter", "telegram")


@devnet.command("sample-export")
@click.argument("platform", type=click.Choice(_SAMPLES))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same export.")
@click.option("--size-kb", type=click.IntRange(1, 10_000_000), default=64, show_default=True)
def sample_export(platform: str, out: Path, seed: int, size_kb: int) -> None:
    """Write a synthetic export of PLATFORM (never real people's data) to OUT, to try the node."""
    from node.parsers import synthetic  # generators only load when asked for

    made = getattr(synthetic, f"{platform}_export")(out, seed=seed, size_bytes=size_kb * 1024)
    click.echo(
        f"wrote {made.path}: {platform} export, {made.records} records, account {made.account}"
    )
