"""``datadao demo``: the command-line shell of the demo scenario (:mod:`node.demo`)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

__all__ = ["demo"]

_REPORT_WIDTH = 140


@click.command()
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data dir for this run (default: a new dir under $DATADAO_HOME/demo/).",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same exports.")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=5),
    default=120.0,
    show_default=True,
    help="How long to wait for the validators at each scoring step.",
)
@click.option(
    "--keep-running",
    is_flag=True,
    help="Keep the devnet and validators up after the demo until Ctrl-C.",
)
def demo(home: Path | None, seed: int, timeout_s: float, keep_running: bool) -> None:
    """Run a whole Data DAO locally: contribute, score, reward, govern access, decrypt."""
    from node.demo.run import run_demo

    out = Console(highlight=False)
    if not out.is_terminal:  # a report read in a log: wide enough for its tables, rules bounded
        out.width = _REPORT_WIDTH
    run_demo(home, seed=seed, timeout_s=timeout_s, keep_running=keep_running, out=out)
