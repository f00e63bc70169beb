"""JSON from strangers without the C decoder's stack overflow.

CPython's C JSON decoder recurses once per nesting level and trusts the interpreter's recursion
limit to stop it. web3 raises that limit to 100,000 when it is imported, so in every datadao
process (the CLI, the share service, the scoring daemon) ``json.loads("[" * 99_000)`` no longer
raises ``RecursionError``: it overflows the C stack and the process dies with a segfault. A
contributor's file, an export, a proof or a journal line must therefore have its nesting measured
*before* it is decoded. No format datadao reads nests more than a few levels, so the bound is
generous.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

__all__ = ["MAX_DEPTH", "JsonTooDeep", "loads", "too_deep"]

MAX_DEPTH: Final = 64
"""Nesting allowed by default: far past any real record, far below a stack overflow."""

# Each match skips everything up to the next bracket outside a string (runs of plain characters
# and whole strings, possessively) and captures that bracket, so the Python loop runs once per
# bracket. An unterminated string (or a trailing backslash) runs to the end of the input and the
# match ends there (``\Z``), so a match never fails part-way: a failing one would be retried from
# every later position, which made '"' followed by 100,000 escaped quotes take minutes.
_TOKENS_STR: Final = re.compile(
    r'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\(?:.|\Z))*+(?:"|\Z))*+([\[\]{}]|\Z)', re.DOTALL
)
_TOKENS_BYTES: Final = re.compile(
    rb'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\(?:.|\Z))*+(?:"|\Z))*+([\[\]{}]|\Z)', re.DOTALL
)
_OPEN: Final = frozenset(("[", "{", b"[", b"{"))
_FIRST_STR: Final = re.compile(r"\s*[\[{]")
_FIRST_BYTES: Final = re.compile(rb"\s*[\[{]")


class JsonTooDeep(ValueError):
    """The document nests deeper than allowed (a ``ValueError``, as ``json`` errors are)."""


def too_deep(data: str | bytes, *, start: int = 0, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON value at ``start`` nests deeper than ``limit``.

    Brackets inside strings do not count. The scan stops at the end of the first value (depth
    back to 0), so a stream parser can ask about one value in a longer buffer; it never decodes
    anything, so it cannot overflow a stack.
    """
    tokens = _TOKENS_BYTES if isinstance(data, bytes) else _TOKENS_STR
    first = (
        _FIRST_BYTES.match(data, start)
        if isinstance(data, bytes)
        else _FIRST_STR.match(data, start)
    )
    if first is None:
        return False  # a scalar (or nothing) at start: it cannot nest
    depth = 0
    for m in tokens.finditer(data, start):  # type: ignore[arg-type]
        token = m.group(1)
        if not token:  # the end of the input
            return False
        if token in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif token[:1] in ("]", "}", b"]", b"}"):
            depth -= 1
            if depth <= 0:
                return False
    return False


def loads(data: str | bytes, *, limit: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """``json.loads`` that refuses nesting deeper than ``limit`` before decoding.

    Raises:
        JsonTooDeep: too deep (a ``ValueError``).
        json.JSONDecodeError: not JSON (also a ``ValueError``).
    """
    if too_deep(data, limit=limit):
        raise JsonTooDeep(f"JSON nested deeper than {limit} levels")
    return json.loads(data, **kwargs)
