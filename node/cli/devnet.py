"""``datadao devnet up | down | status``: a whole Data DAO on a local anvil."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from node.chain.client import load_keystore
from node.cli.options import console, settings_of
from node.devnet.manager import (
    DevnetOptions,
    DevnetStatus,
    devnet_down,
    devnet_status,
    devnet_up,
)
from node.errors import ConfigError


def _table(status: DevnetStatus) -> Table:
    d = status.deployment
    table = Table(title="datadao devnet", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("RPC", f"{d.rpc_url} ({'up' if status.running else 'DOWN'})")
    table.add_row("chain id", str(d.chain_id))
    if status.block is not None:
        table.add_row("block", str(status.block))
    table.add_row("dataset", str(d.dataset_id))
    ritual = d.extra.get("ritual_id")
    if ritual is not None:
        table.add_row("key ritual", f"#{ritual} {status.ritual_state or '?'}")
        table.add_row("DAO public key", str(d.extra.get("dkg_public_key", ""))[:32] + "…")
    for name, address in sorted(d.addresses.items()):
        table.add_row(name, address)
    validators = d.extra.get("validators", [])
    for v in validators:
        table.add_row("validator", f"{v['address']}  {v['share_url']}")
    contributors = d.extra.get("contributors", [])
    if contributors:
        table.add_row("contributors", f"{len(contributors)} funded accounts (anvil mnemonic)")
    return table


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
@click.pass_context
def up(ctx: click.Context, port: int | None, n: int, t: int, m: int, rpc_url: str | None) -> None:
    """Start the devnet (or report the one already running)."""
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
    )
    status = devnet_up(opts, progress=lambda msg: out.print(f"[cyan]•[/] {msg}"))
    out.print(_table(status))
    out.print(f"deployment file: {settings.home / 'devnet' / 'deployment.json'}")


@devnet.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show the devnet's RPC, ritual and contract addresses."""
    console().print(_table(devnet_status(settings_of(ctx).home)))


@devnet.command()
@click.option("--wipe", is_flag=True, help="Also delete the devnet data dir (keys, state).")
@click.pass_context
def down(ctx: click.Context, wipe: bool) -> None:
    """Stop the anvil this devnet started; keep its data unless --wipe."""
    out = console()
    home = Path(settings_of(ctx).home)
    devnet_down(home, wipe=wipe, progress=lambda msg: out.print(f"[cyan]•[/] {msg}"))


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
