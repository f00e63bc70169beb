"""How the node's commands print for scripts: ``--json`` and tables that never cut identifiers.

The JSON conventions, shared by every command that lists or reports (the README's "Scripting
(--json)" section documents each command's keys):

* one JSON document on stdout, keys sorted, nothing else on stdout (progress and warnings go to
  stderr);
* identifiers complete: ``0x``-prefixed hex for file ids, hashes and commitments, checksummed
  addresses, full CIDs, full decimal proposal ids;
* token amounts, wei and other uint256 values as decimal strings (JSON numbers lose precision
  above 2^53 in most parsers); counts, epochs, blocks and timestamps as numbers;
* absent values as ``null``, never as an empty string.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table

__all__ = ["id_column", "json_option", "print_json", "shown_id", "uint", "warn"]

json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON document for scripts (complete values, stable keys) instead of a table.",
)


def print_json(value: Any) -> None:
    """The command's JSON document on stdout."""
    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


def uint(value: int) -> str:
    """A uint256 (wei, token units, proposal ids) as a decimal string: exact in every parser."""
    return str(int(value))


def warn(message: str) -> None:
    """One line on stderr, so stdout stays the command's output (a table or JSON)."""
    click.echo(f"warning: {message}", err=True)


def id_column(table: Table, name: str) -> None:
    """A column for identifiers: folded onto more lines when narrow, never cut to an ellipsis."""
    table.add_column(name, overflow="fold")


def shown_id(console: Console, value: str | None, keep: int = 10) -> str:
    """An identifier for a table: shortened (``0x1234abcd…89abcd``) for a person at a terminal,
    complete when the output goes to a pipe or file, where a script may read it."""
    if not value:
        return ""
    if not console.is_terminal or len(value) <= 2 * keep:
        return value
    return f"{value[:keep]}…{value[-6:]}"
