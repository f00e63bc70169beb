"""Importers for platform exports (ChatGPT, Reddit, X/Twitter, Telegram, generic JSONL/CSV).

The flow (DESIGN.md §3 step 1)::

    export = parse_export("chatgpt.zip")             # safe archive reading, auto-detection
    export = scrub_export(export)                     # e-mails, phones, URL secrets -> [email] …
    canon = canonicalize(export)                      # canonical JSONL + sha256 commitment

Each platform lives in its own module whose docstring documents the accepted format and its
quirks. Every failure is a typed :class:`~node.parsers.errors.ExportError` (a
:class:`node.errors.ParseError`) naming the file and position; nothing returns partial results.
Importing this package builds nothing: the registry is built on first use.
"""

from node.parsers.base import AttachedProof, ExportParser, Limits, ParsedExport, Record
from node.parsers.canonical import CanonicalExport, canonicalize, load_canonical
from node.parsers.registry import ParserRegistry, load_registry, parse_export
from node.parsers.scrub import ScrubOptions, scrub_export, scrub_text

__all__ = [
    "AttachedProof",
    "CanonicalExport",
    "ExportParser",
    "Limits",
    "ParsedExport",
    "ParserRegistry",
    "Record",
    "ScrubOptions",
    "canonicalize",
    "load_canonical",
    "load_registry",
    "parse_export",
    "scrub_export",
    "scrub_text",
]
