"""The `datadao` command: one click root group with a single error -> exit-code boundary.

Subcommands are loaded lazily, so `datadao --help` stays fast and a contributor's install does not
import torch. Node's own commands are listed in ``NODE_COMMANDS``; packages outside node (the
validator) contribute theirs through the ``datadao.commands`` entry-point group, which keeps the
import boundary "node never imports validator" intact.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import logging
import sys
import traceback
from importlib.metadata import entry_points
from typing import Any, NoReturn

import click

from node.cli.exit_codes import classify
from node.errors import ConfigError

ROLE_MAP = """\
datadao — node software for a Data DAO

  contributor   datadao contribute PATH · submissions · rewards [--claim] · inspect PATH · cid PATH
  validator     datadao validator stake | unstake | withdraw | status | run | serve-shares
                | audit verify · datadao value
  holder        datadao gov delegate | proposals | propose-access REQ | propose-revoke REQ
                            | vote ID … | queue ID | execute ID
  renter        datadao renter request | status REQ | fetch REQ --out DIR
  operator      datadao demo · datadao devnet up | down | status | mine | advance | sample-export
  storage       datadao storage car | pin | pins

Run `datadao --help` for the commands this install has, `datadao COMMAND --help` for details.
"""

# name -> "module:attribute". A module that is not present in this checkout is simply not listed.
NODE_COMMANDS: dict[str, str] = {
    "cid": "node.cli.cid:cid",
    "inspect": "node.cli.inspect:inspect",
    "contribute": "node.cli.contribute:contribute",
    "submissions": "node.cli.contribute:submissions",
    "rewards": "node.cli.rewards:rewards",
    "devnet": "node.cli.devnet:devnet",
    "gov": "node.cli.gov:gov",
    "renter": "node.cli.renter:renter",
    "demo": "node.cli.demo:demo",
    "storage": "node.cli.storage:storage",
    "ui": "node.cli.ui:ui",
}


def _plugin_commands() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group="datadao.commands")}


def _available(target: str) -> bool:
    """Whether ``target``'s module is present, found on disk without running any package's
    ``__init__``. (``importlib.util.find_spec("a.b.c")`` imports ``a`` and ``a.b`` first, and
    ``validator.valuation`` once imported torch: seconds on every ``datadao --help``.)"""
    parts = target.partition(":")[0].split(".")
    try:
        spec = importlib.util.find_spec(parts[0])  # a top-level name: nothing is executed
    except (ImportError, ValueError):
        return False
    for depth in range(1, len(parts)):
        if spec is None or spec.submodule_search_locations is None:
            return False
        name = ".".join(parts[: depth + 1])
        spec = importlib.machinery.PathFinder.find_spec(name, spec.submodule_search_locations)
    return spec is not None


class RootGroup(click.Group):
    """Lazy subcommands, and the one boundary that turns errors into exit codes."""

    def _targets(self) -> dict[str, str]:
        targets = {**NODE_COMMANDS, **_plugin_commands()}
        return {name: t for name, t in targets.items() if _available(t)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._targets()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            return cmd
        target = self._targets().get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        loaded = getattr(importlib.import_module(module_name), attr)
        if not isinstance(loaded, click.Command):
            raise TypeError(f"{target} is not a click command")
        return loaded

    def invoke(self, ctx: click.Context) -> Any:
        """The single error boundary: every error becomes one line on stderr and its family's
        exit code (:mod:`node.cli.exit_codes`); ``-v`` adds the traceback. Click's own
        exceptions (usage errors, ``--help``, explicit exits) pass through untouched."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit):
            raise
        except click.exceptions.Abort as err:  # Ctrl-C or end of input at a prompt
            if isinstance(err.__context__, EOFError):
                _fail(ctx, NoInput("a prompt got no input (stdin closed)"), err)
            _fail(ctx, KeyboardInterrupt(), err)
        except (Exception, KeyboardInterrupt) as err:  # this is the boundary
            _fail(ctx, err, err)


class NoInput(ConfigError):
    """A command prompted (for a passphrase) with nothing on stdin: a script must set the
    variable the prompt stands for (the command's help names it)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}: set the environment variable the command documents instead")


def _fail(ctx: click.Context, err: BaseException, shown: BaseException) -> NoReturn:
    from node.db.engine import mask_url  # the error path only: no SQLAlchemy at start-up

    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    settings = obj.get("settings")
    database_url = getattr(settings, "resolved_database_url", None)
    failure = classify(
        err,
        database_url=mask_url(database_url) if isinstance(database_url, str) else None,
        rpc_url=getattr(settings, "rpc_url", None),
    )
    if obj.get("verbose", 0) > 0:
        traceback.print_exception(shown, file=sys.stderr)
    click.echo(f"Error: {failure.message}", err=True)
    raise click.exceptions.Exit(int(failure.code))


def _configure_logging(verbose: int) -> None:
    """``-v``: INFO, ``-vv``: DEBUG, to stderr. Without it logging is left as it is, so commands
    that configure their own (the validator's services) keep their levels and format."""
    if verbose <= 0:
        return
    level = logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger().setLevel(level)


@click.group(cls=RootGroup, invoke_without_command=True)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log to stderr (-v info, -vv debug) and show tracebacks of errors.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Node software for a decentralized Data DAO.

    Exit codes: 0 ok, 1 internal, 2 usage, 3 config, 4 input, 5 chain, 6 storage, 7 custody,
    8 valuation, 9 database, 10 conflict (already done), 130 interrupted.
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    _configure_logging(verbose)
    if ctx.invoked_subcommand is None:
        click.echo(ROLE_MAP, nl=False)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="datadao")
