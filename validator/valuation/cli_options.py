"""The ``--compute`` and ``--threads`` options shared by ``datadao value`` and ``validator run``.

Both commands hand these to ``validator.valuation.backends.make_backend``, so they are defined
once. This module imports only click: ``validator/cli.py`` must stay quick to load for commands
that never train a model (torch is imported only when a backend is built).
"""

from __future__ import annotations

import click

__all__ = ["compute_option", "threads_option"]

compute_option = click.option(
    "--compute",
    default="local",
    show_default=True,
    help="local, ray (an existing or local Ray) or ray://host:port (a Ray cluster).",
)

threads_option = click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="CPU threads for training (default: torch's choice; 1 is often fastest on busy hosts).",
)
