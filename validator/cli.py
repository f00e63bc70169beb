"""``datadao validator …``: stake, take part in key rituals, serve decryption shares, score.

Loaded through the ``datadao.commands`` entry point, so node never imports validator. Every
command connects through :mod:`node.wiring`, as the node's own commands do: the same key
loading, the RPC's chain id checked before a devnet key may sign, the configured RPC timeout and
confirmations, and Kubo with its token when configured. Heavy imports (torch, the daemon) happen
inside the commands that need them.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from validator.valuation.cli_options import compute_option, threads_option

if TYPE_CHECKING:
    from node.settings import NodeSettings
    from node.wiring import ChainContext
    from validator.daemon.launch import RitualKeys

__all__ = ["serve_shares", "validator"]


def _settings(home: Path | None) -> NodeSettings:
    """The node's settings, with ``--home`` (when given) overriding ``DATADAO_HOME``."""
    from node.settings import NodeSettings

    return NodeSettings(home=home) if home is not None else NodeSettings()


def _connect(home: Path | None, account_index: int | None) -> ChainContext:
    """A connection signing as this validator (see :func:`node.wiring.connect`)."""
    from node.wiring import connect

    return connect(_settings(home), account_index, signer=True)


def _passphrase() -> str:
    """The Ferveo keystore passphrase: ``DATADAO_VALIDATOR_PASSPHRASE``, else prompted (never a
    flag)."""
    from node.wiring import ValidatorSettings

    secret = ValidatorSettings().passphrase
    if secret is not None and secret.get_secret_value():
        return secret.get_secret_value()
    return str(click.prompt("Ferveo keystore passphrase", hide_input=True))


_json_opt = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON document for scripts (complete values, wei as decimal strings).",
)


def _echo_json(doc: dict[str, Any]) -> None:
    """The node CLI's JSON conventions (node/cli/output.py, which validator may not import):
    one document on stdout, sorted keys, complete values."""
    click.echo(json.dumps(doc, indent=2, sort_keys=True))


_home_opt = click.option("--home", type=click.Path(path_type=Path), default=None, help="Data dir.")
_account_opt = click.option(
    "--account-index",
    type=click.IntRange(0, 255),
    default=None,
    help="Sign with anvil test account N (devnet only); else DATADAO_KEYSTORE.",
)


def _ritual_keys(c: ChainContext, key_dir: Path | None = None) -> RitualKeys:
    """This validator's Ferveo keystore (see :meth:`node.wiring.ValidatorSettings.ferveo_key_dir`),
    opened with the passphrase from the environment or a prompt."""
    from node.protocol.keystore import load_secret
    from node.wiring import ValidatorSettings
    from validator.daemon.launch import RitualKeys
    from validator.dkg_watcher import FERVEO_KIND

    me = c.chain.address
    key_dir = key_dir or ValidatorSettings().ferveo_key_dir(c.settings.home, c.deployment, me)
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
@click.option(
    "--read-timeout",
    type=click.FloatRange(min=0.5),
    default=10.0,
    show_default=True,
    help="A whole request must arrive within this many seconds, or the connection is cut.",
)
@click.option(
    "--max-connections-per-ip",
    type=click.IntRange(1, 100_000),
    default=64,
    show_default=True,
    help="Open connections one client address may hold.",
)
@click.option(
    "--limit-concurrency",
    type=click.IntRange(1, 1_000_000),
    default=512,
    show_default=True,
    help="Connections plus in-flight requests before the service answers 503.",
)
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The hash-chained audit file (default: <home>/validator/<address>/audit.jsonl).",
)
@click.option("--quiet", is_flag=True, help="Log warnings only (the audit file is kept).")
def serve_shares(
    home: Path | None,
    address: str,
    host: str,
    port: int,
    confirmations: int,
    rate: float,
    read_timeout: float,
    max_connections_per_ip: int,
    limit_concurrency: int,
    audit_log: Path | None,
    quiet: bool,
) -> None:
    """Serve this validator's decryption shares (POST /v1/shares)."""
    from validator.shares.serve import ServeConfig, serve

    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    serve(
        ServeConfig(
            home=_settings(home).home,
            validator=address,
            passphrase=_passphrase(),
            host=host,
            port=port,
            confirmations=confirmations,
            requester_rate=rate,
            log_level="warning" if quiet else "info",
            read_timeout_s=read_timeout,
            max_connections_per_ip=max_connections_per_ip,
            limit_concurrency=limit_concurrency,
            audit_path=audit_log,
        )
    )


@validator.group("audit")
def audit() -> None:
    """The share service's hash-chained audit log."""


@audit.command("verify")
@_home_opt
@click.option("--validator", "address", default=None, help="Whose default audit file to check.")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_json_opt
def audit_verify(home: Path | None, address: str | None, path: Path | None, as_json: bool) -> None:
    """Check that no line of an audit log was removed, altered, moved or cut.

    PATH defaults to ``<home>/validator/<address>/audit.jsonl`` (give --validator). Prints the
    head hash when intact: record it elsewhere, so a rewrite of the whole file is noticed too.
    Exits 4 (bad input) at the first bad line.
    """

    from node.errors import ConfigError, InputError
    from validator.shares.audit import verify_audit_log
    from validator.shares.serve import default_audit_path

    if path is None:
        if address is None:
            raise ConfigError("give the audit file's PATH, or --validator ADDRESS for its default")
        path = default_audit_path(_settings(home).home, address)
    if not path.is_file():
        raise InputError(f"no audit log at {path}")
    result = verify_audit_log(path)
    if as_json:
        _echo_json(
            {
                "path": str(path),
                "ok": result.ok,
                "lines": result.lines,
                "first_bad_line": result.first_bad_line,
                "reason": result.reason,
                "head": result.head,
            }
        )
    elif result.ok:
        click.echo(f"ok: {result.lines} lines intact, head {result.head}")
    if not result.ok:
        raise InputError(f"{path}: line {result.first_bad_line}: {result.reason}")


@validator.command("ritual")
@_home_opt
@_account_opt
def ritual(home: Path | None, account_index: int | None) -> None:
    """Watch DKGCoordinator and take part in every key ritual that lists this validator."""
    from validator.dkg_watcher import RitualWatcher

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    c = _connect(home, account_index)
    keys = _ritual_keys(c)
    watcher = RitualWatcher(
        c.chain,
        c.address("DKGCoordinator"),
        key_dir=keys.key_dir,
        seed=keys.seed,
    )
    stop = threading.Event()
    try:
        watcher.run(stop, on_outcome=lambda o: click.echo(o.describe()))
    except KeyboardInterrupt:
        stop.set()


# -- staking and the scoring daemon -------------------------------------------------------------


@validator.command("stake")
@_home_opt
@_account_opt
@click.argument("amount_wei", type=click.IntRange(min=1))
def stake(home: Path | None, account_index: int | None, amount_wei: int) -> None:
    """Add AMOUNT_WEI of native currency to this validator's stake."""
    c = _connect(home, account_index)
    client, staking = c.chain, c.contracts.staking
    staking.stake(amount_wei)
    click.echo(f"staked {amount_wei} wei; total {staking.stakeOf(client.address)} wei")


@validator.command("unstake")
@_home_opt
@_account_opt
@click.argument("amount_wei", type=click.IntRange(min=1))
def unstake(home: Path | None, account_index: int | None, amount_wei: int) -> None:
    """Start unbonding AMOUNT_WEI (withdrawable after the unbonding period)."""
    c = _connect(home, account_index)
    client, staking = c.chain, c.contracts.staking
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
    staking = _connect(home, account_index).contracts.staking
    staking.withdraw()
    click.echo("withdrawn")


@validator.command("status")
@_home_opt
@_account_opt
@click.option("--journal", type=click.Path(path_type=Path), default=None, help="Journal dir.")
@_json_opt
def status(
    home: Path | None, account_index: int | None, journal: Path | None, as_json: bool
) -> None:
    """Stake, unbonding and the journaled state of every epoch this validator worked on."""
    from node.wiring import validator_dir
    from validator.daemon.journal import Journal

    c = _connect(home, account_index)
    client, staking = c.chain, c.contracts.staking
    info = staking.validatorInfo(client.address)
    root = journal or validator_dir(c.settings.home, client.address) / "journal"
    records = Journal(root).records()
    if as_json:
        doc = {
            "address": client.address,
            "registered": info.registered,
            "stake_wei": str(info.stake),
            "unbonding_wei": str(info.unbonding),
            "unbonding_release_block": info.unbonding_release_block,
            "share_service_url": info.share_service_url or None,
            "epochs": [
                {
                    "dataset_id": rec.dataset_id,
                    "epoch": rec.epoch,
                    "state": str(rec.state),
                    "missed_reason": rec.missed_reason or None,
                    "files": len(rec.file_ids),
                    "tx": dict(sorted(rec.tx.items())),
                }
                for rec in records
            ],
        }
        _echo_json(doc)
        return
    click.echo(f"validator {client.address}")
    click.echo(f"  registered: {info.registered}  stake: {info.stake} wei")
    click.echo(f"  unbonding:  {info.unbonding} wei (release block {info.unbonding_release_block})")
    for rec in records:
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
    from node.wiring import blob_store
    from validator.daemon import launch
    from validator.daemon.logs import json_logging

    json_logging()
    c = _connect(home, account_index)
    rituals = _ritual_keys(c, key_dir) if join_rituals else None
    launch.run(
        launch.RunConfig(
            chain=c,
            store=blob_store(c.settings),
            spec=launch.load_spec(spec_path),
            home=c.settings.home,
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
