"""``datadao validator …``: the validator's commands (loaded through the ``datadao.commands``
entry point, so node never imports validator).

Kept small on purpose; the daemon (stake, run, status) grows here.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import click

__all__ = ["serve_shares", "validator"]

_PASSPHRASE_ENV = "DATADAO_VALIDATOR_PASSPHRASE"  # noqa: S105 - a variable name


def _home(home: Path | None) -> Path:
    if home is not None:
        return home
    env = os.environ.get("DATADAO_HOME")
    return Path(env).expanduser() if env else Path.home() / ".datadao"


def _passphrase() -> str:
    """The keystore passphrase: from the environment, else prompted (never a flag)."""
    value = os.environ.get(_PASSPHRASE_ENV)
    if value:
        return value
    return str(click.prompt("Ferveo keystore passphrase", hide_input=True))


@click.group()
def validator() -> None:
    """Run a validator: key rituals, decryption shares."""


@validator.command("serve-shares")
@click.option("--home", type=click.Path(path_type=Path), default=None, help="Data dir.")
@click.option("--validator", "address", required=True, help="This validator's address.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), required=True)
@click.option("--confirmations", type=click.IntRange(0, 64), default=2, show_default=True)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1),
    default=50.0,
    show_default=True,
    help="Shares per second per requester (burst: twice that).",
)
@click.option("--quiet", is_flag=True, help="Log warnings only (the audit log goes too).")
def serve_shares(
    home: Path | None,
    address: str,
    host: str,
    port: int,
    confirmations: int,
    rate: float,
    quiet: bool,
) -> None:
    """Serve this validator's decryption shares (POST /v1/shares)."""
    from validator.shares.serve import ServeConfig, serve

    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    serve(
        ServeConfig(
            home=_home(home),
            validator=address,
            passphrase=_passphrase(),
            host=host,
            port=port,
            confirmations=confirmations,
            requester_rate=rate,
            log_level="warning" if quiet else "info",
        )
    )


@validator.command("ritual")
@click.option("--home", type=click.Path(path_type=Path), default=None, help="Data dir.")
@click.option("--account-index", type=click.IntRange(0, 64), required=True, help="devnet only")
def ritual(home: Path | None, account_index: int) -> None:
    """Watch DKGCoordinator and take part in every key ritual that lists this validator."""
    from node.chain.anvil import devnet_account
    from node.chain.client import ChainClient
    from node.chain.deployment import Deployment
    from node.protocol.keystore import load_secret
    from validator.ritual import FERVEO_KIND, RitualWatcher

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    root = _home(home)
    deployment = Deployment.load(root / "devnet" / "deployment.json")
    account = devnet_account(account_index)
    key_dir = root / "devnet" / "validators" / account.address
    seed = load_secret(key_dir / "ferveo.json", passphrase=_passphrase(), kind=FERVEO_KIND)
    watcher = RitualWatcher(
        ChainClient.connect(deployment.rpc_url, account),
        deployment.address("DKGCoordinator"),
        key_dir=key_dir,
        seed=seed,
    )
    stop = threading.Event()
    try:
        watcher.run(stop, on_outcome=lambda o: click.echo(o.describe()))
    except KeyboardInterrupt:
        stop.set()
