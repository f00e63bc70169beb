"""``datadao validator …``: the validator's commands (loaded through the ``datadao.commands``
entry point, so node never imports validator).

Kept small on purpose; the daemon (stake, run, status) grows here.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from validator.backend_options import compute_option, threads_option

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from node.chain.client import ChainClient
    from node.chain.deployment import Deployment
    from node.chain.staking import ValidatorStaking
    from validator.service import RitualKeys

__all__ = ["serve_shares", "validator"]

_PASSPHRASE_ENV = "DATADAO_VALIDATOR_PASSPHRASE"  # noqa: S105 - a variable name
_DEVNET_CHAIN_ID = 31337  # anvil's; the public test keys are refused anywhere else


def _home(home: Path | None) -> Path:
    if home is not None:
        return home
    env = os.environ.get("DATADAO_HOME")
    return Path(env).expanduser() if env else Path.home() / ".datadao"


def _signer(home: Path | None, account_index: int | None) -> tuple[Deployment, LocalAccount, str]:
    """The deployment, this validator's key and the RPC URL, from the node's settings.

    ``--account-index`` picks one of anvil's public test keys (refused on any chain but the
    devnet's); otherwise ``DATADAO_KEYSTORE`` and
    ``DATADAO_KEYSTORE_PASSWORD`` name the key, as for a contributor's node.
    """
    from node.chain.anvil import devnet_account
    from node.chain.client import load_keystore
    from node.chain.deployment import Deployment
    from node.settings import NodeSettings

    settings = NodeSettings(home=_home(home))
    deployment = Deployment.load(settings.resolved_deployment_file)
    if account_index is not None:
        if deployment.chain_id != _DEVNET_CHAIN_ID:
            raise click.ClickException("--account-index signs with public test keys: devnet only")
        account = devnet_account(account_index)
    elif settings.keystore is not None and settings.keystore_password is not None:
        account = load_keystore(settings.keystore, settings.keystore_password.get_secret_value())
    else:
        raise click.ClickException(
            "no signing key: pass --account-index (devnet) or set DATADAO_KEYSTORE and "
            "DATADAO_KEYSTORE_PASSWORD"
        )
    return deployment, account, settings.rpc_url or deployment.rpc_url


def _passphrase() -> str:
    """The keystore passphrase: from the environment, else prompted (never a flag)."""
    value = os.environ.get(_PASSPHRASE_ENV)
    if value:
        return value
    return str(click.prompt("Ferveo keystore passphrase", hide_input=True))


_home_opt = click.option("--home", type=click.Path(path_type=Path), default=None, help="Data dir.")
_account_opt = click.option(
    "--account-index",
    type=click.IntRange(0, 64),
    default=None,
    help="Sign with anvil test account N (devnet only); else DATADAO_KEYSTORE.",
)


def _ritual_keys(home: Path | None, address: str, key_dir: Path | None = None) -> RitualKeys:
    """This validator's Ferveo keystore (default ``<home>/devnet/validators/<address>``),
    opened with the passphrase from the environment or a prompt."""
    from node.protocol.keystore import load_secret
    from validator.ritual import FERVEO_KIND
    from validator.service import RitualKeys

    key_dir = key_dir or _home(home) / "devnet" / "validators" / address
    seed = load_secret(key_dir / "ferveo.json", passphrase=_passphrase(), kind=FERVEO_KIND)
    return RitualKeys(key_dir=key_dir, seed=seed)


@click.group()
def validator() -> None:
    """Run a validator: key rituals, decryption shares."""


@validator.command("serve-shares")
@_home_opt
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
@_home_opt
@_account_opt
def ritual(home: Path | None, account_index: int | None) -> None:
    """Watch DKGCoordinator and take part in every key ritual that lists this validator."""
    from node.chain.client import ChainClient
    from validator.ritual import RitualWatcher

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    deployment, account, rpc_url = _signer(home, account_index)
    keys = _ritual_keys(home, account.address)
    watcher = RitualWatcher(
        ChainClient.connect(rpc_url, account),
        deployment.address("DKGCoordinator"),
        key_dir=keys.key_dir,
        seed=keys.seed,
    )
    stop = threading.Event()
    try:
        watcher.run(stop, on_outcome=lambda o: click.echo(o.describe()))
    except KeyboardInterrupt:
        stop.set()


# -- staking and the scoring daemon -------------------------------------------------------------


def _chain(home: Path | None, account_index: int | None) -> tuple[Deployment, ChainClient]:
    """The deployment and a client signing as this validator."""
    from node.chain.client import ChainClient

    deployment, account, rpc_url = _signer(home, account_index)
    return deployment, ChainClient.connect(rpc_url, account)


def _staking(home: Path | None, account_index: int | None) -> tuple[ChainClient, ValidatorStaking]:
    from node.chain.staking import ValidatorStaking

    deployment, client = _chain(home, account_index)
    return client, ValidatorStaking(client, deployment.address("ValidatorStaking"))


@validator.command("stake")
@_home_opt
@_account_opt
@click.argument("amount_wei", type=click.IntRange(min=1))
def stake(home: Path | None, account_index: int | None, amount_wei: int) -> None:
    """Add AMOUNT_WEI of native currency to this validator's stake."""
    client, staking = _staking(home, account_index)
    staking.stake(amount_wei)
    click.echo(f"staked {amount_wei} wei; total {staking.stakeOf(client.address)} wei")


@validator.command("unstake")
@_home_opt
@_account_opt
@click.argument("amount_wei", type=click.IntRange(min=1))
def unstake(home: Path | None, account_index: int | None, amount_wei: int) -> None:
    """Start unbonding AMOUNT_WEI (withdrawable after the unbonding period)."""
    client, staking = _staking(home, account_index)
    staking.requestUnstake(amount_wei)
    info = staking.validatorInfo(client.address)
    click.echo(
        f"unbonding {info.unbonding} wei, withdrawable from block {info.unbonding_release_block}"
    )


@validator.command("withdraw")
@_home_opt
@_account_opt
def withdraw(home: Path | None, account_index: int | None) -> None:
    """Withdraw stake whose unbonding period is over."""
    _, staking = _staking(home, account_index)
    staking.withdraw()
    click.echo("withdrawn")


@validator.command("status")
@_home_opt
@_account_opt
@click.option("--journal", type=click.Path(path_type=Path), default=None, help="Journal dir.")
def status(home: Path | None, account_index: int | None, journal: Path | None) -> None:
    """Stake, unbonding and the journaled state of every epoch this validator worked on."""
    from validator.journal import Journal

    client, staking = _staking(home, account_index)
    info = staking.validatorInfo(client.address)
    click.echo(f"validator {client.address}")
    click.echo(f"  registered: {info.registered}  stake: {info.stake} wei")
    click.echo(f"  unbonding:  {info.unbonding} wei (release block {info.unbonding_release_block})")
    root = journal or _home(home) / "validator" / client.address / "journal"
    for rec in Journal(root).records():
        why = f"  ({rec.missed_reason})" if rec.missed_reason else ""
        click.echo(f"  dataset {rec.dataset_id} epoch {rec.epoch}: {rec.state}{why}")


@validator.command("run")
@_home_opt
@_account_opt
@click.option("--dataset", "dataset_id", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The dataset's ValuationSpec JSON; its digest must match the chain's.",
)
@click.option("--confirmations", type=click.IntRange(0, 64), default=2, show_default=True)
@click.option("--interval", type=click.FloatRange(min=0.1), default=2.0, show_default=True)
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=0, help="0: off.")
@click.option(
    "--device",
    type=click.Choice(["cpu", "cuda", "auto"]),
    default="cpu",
    show_default=True,
    help="Where subset models train (cpu is the reference every validator can reproduce).",
)
@compute_option
@threads_option
@click.option(
    "--keep-plaintext",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write decrypted submissions here (mode 0600). Off: plaintext stays in memory.",
)
@click.option(
    "--join-rituals/--no-join-rituals",
    default=True,
    show_default=True,
    help="Also take part in key rituals (needs the Ferveo keystore passphrase).",
)
@click.option(
    "--key-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Ferveo keystore dir (default: <home>/devnet/validators/<address>).",
)
@click.option(
    "--label-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Nutrition labels (default: <home>/validator/<address>/labels/epoch-N/).",
)
def run(
    home: Path | None,
    account_index: int | None,
    dataset_id: int,
    spec_path: Path,
    confirmations: int,
    interval: float,
    metrics_port: int,
    device: str,
    compute: str,
    threads: int | None,
    keep_plaintext: Path | None,
    join_rituals: bool,
    key_dir: Path | None,
    label_dir: Path | None,
) -> None:
    """Score every epoch this validator is on the committee of: fetch, value, commit, reveal,
    claim. Restart-safe: the journal under --home decides what happens next."""
    from validator import service
    from validator.shares.serve import open_store

    service.json_logging()
    root = _home(home)
    deployment, account, rpc_url = _signer(home, account_index)
    store = open_store(root, os.environ.get("DATADAO_KUBO_API_URL"))
    rituals = _ritual_keys(home, account.address, key_dir) if join_rituals else None
    service.run(
        service.RunConfig(
            deployment=deployment,
            account=account,
            rpc_url=rpc_url,
            store=store,
            spec=service.load_spec(spec_path),
            home=root,
            dataset_id=dataset_id,
            confirmations=confirmations,
            device=device,
            compute=compute,
            threads=threads,
            keep_plaintext=keep_plaintext,
            label_dir=label_dir,
        ),
        interval=interval,
        metrics_port=metrics_port,
        rituals=rituals,
    )
