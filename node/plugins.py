"""Loading ``module:attribute`` targets, the form of every datadao entry point.

The importers (``datadao.parsers``), the ownership-proof verifiers (``datadao.proofs``) and the
CLI's command groups (``datadao.commands``) all name their code this way and load it lazily, so
that a command that needs none of it never imports it.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["import_target"]


def import_target(target: str) -> Any:
    """The object ``target`` (``package.module:attribute[.attribute]``) names, imported now.

    Raises:
        ImportError, AttributeError: the module or the attribute does not exist.
    """
    module, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj
