"""What the node's commands share on the command line: the ``--account-index`` option, the
settings of this invocation and a console. How settings become a signer, a chain connection and
storage is :mod:`node.wiring`'s job, shared with the validator and the share service."""

from __future__ import annotations

import click
from rich.console import Console

from node.settings import NodeSettings

__all__ = ["account_index_option", "console", "settings_of"]

account_index_option = click.option(
    "--account-index",
    type=click.IntRange(0, 255),
    default=None,
    help="Devnet only: sign with anvil's account N (public keys; refused on other chains). "
    "Elsewhere set DATADAO_KEYSTORE and DATADAO_KEYSTORE_PASSWORD.",
)


# Width of a console that is not a terminal. A pipe has no width; rich's default of 80 columns
# cut identifiers to "bafkrei…" in tables a script reads (issue #22).
_PIPE_WIDTH = 4096


def console(*, stderr: bool = False) -> Console:
    """A console for this command's output (``stderr``: for progress while stdout carries JSON).

    At a terminal it wraps to the terminal's width; into a pipe or file it does not wrap or cut
    at all, so every value a table shows can be read back whole."""
    out = Console(highlight=False, stderr=stderr)
    if not out.is_terminal:
        out.width = max(out.width, _PIPE_WIDTH)
    return out


def settings_of(ctx: click.Context) -> NodeSettings:
    """This invocation's settings: built from the environment and ``config.toml`` the first time
    a command asks (so commands that need none, like ``--help``, never read them) and then
    shared by every command of the invocation through the root context."""
    root = ctx.find_root()
    root.ensure_object(dict)
    settings = root.obj.get("settings")
    if not isinstance(settings, NodeSettings):
        settings = root.obj["settings"] = NodeSettings()
    return settings
