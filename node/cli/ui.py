"""``datadao ui``: serve the node's web app (DESIGN.md §9) on 127.0.0.1.

It uses the node's own settings, database, chain connection and key (as every command does,
through ``node.wiring``), prints a URL with a per-run token (as Jupyter does) and serves until
Ctrl-C. Keys and passphrases stay in this process: the renter's session keystore passphrase
comes from ``DATADAO_RENTER_PASSPHRASE`` (or ``--ask-renter-passphrase``), never the browser.
"""

from __future__ import annotations

import os

import click

from node.cli.options import account_index_option, settings_of

__all__ = ["ui"]

_PASSPHRASE_ENV = "DATADAO_RENTER_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port (0: a free one).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a --host that is not loopback. Anyone who reaches it with the link acts with "
    "this node's key, over plain HTTP.",
)
@click.option(
    "--max-upload-mb",
    type=click.IntRange(1, 1 << 16),
    default=512,
    show_default=True,
    help="Largest export the app accepts.",
)
@click.option(
    "--ask-renter-passphrase",
    is_flag=True,
    help=f"Prompt for the renter session keystore's passphrase (else ${_PASSPHRASE_ENV}).",
)
@account_index_option
@click.pass_context
def ui(
    ctx: click.Context,
    host: str,
    port: int,
    allow_remote: bool,
    max_upload_mb: int,
    ask_renter_passphrase: bool,
    account_index: int | None,
) -> None:
    """Serve the web app: contribute, follow rewards, govern, rent, watch a validator.

    Listens on 127.0.0.1 and prints a URL with a secret token; open it in a browser on this
    machine. Every action is CSRF-protected.
    """
    from node.chain.anvil import free_port
    from node.errors import ConfigError
    from node.services.node import UiNode
    from node.ui.app import UiConfig
    from node.ui.server import check_bind, exposure_warning, serve

    try:
        check_bind(host, allow_remote=allow_remote)
    except ConfigError as err:
        raise click.UsageError(str(err)) from None
    passphrase = os.environ.get(_PASSPHRASE_ENV) or None
    if passphrase is None and ask_renter_passphrase:
        passphrase = str(
            click.prompt("Renter session keystore passphrase", hide_input=True, err=True)
        )
    config = UiConfig(
        host=host,
        port=port or free_port(),
        max_upload_bytes=max_upload_mb << 20,
        renter_passphrase=passphrase,
    )
    node = UiNode(settings_of(ctx), account_index)
    if allow_remote and host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(exposure_warning(host, config.port), err=True)
    click.echo("datadao web app: open this link in your browser (it holds this run's token):")
    click.echo(f"    {config.url}")
    click.echo("Ctrl-C stops it.")
    try:
        serve(node, config, allow_remote=allow_remote)
    finally:
        node.close()
