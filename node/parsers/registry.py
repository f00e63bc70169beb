"""Which parsers exist, how a platform is detected, and the one-call :func:`parse_export`.

Built-in parsers are listed here *and* in the ``datadao.parsers`` entry-point group of our
``pyproject.toml``; third-party packages add platforms by declaring their own entry point::

    [project.entry-points."datadao.parsers"]
    mastodon = "datadao_mastodon:MastodonParser"

The target is a callable (usually the class) returning an :class:`~node.parsers.base.ExportParser`;
it is imported only when used. Built-ins win a name clash, so a plugin cannot silently replace
how, say, ChatGPT exports are read. Nothing is built at import: :func:`load_registry` builds
(and caches) the registry on first call.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, cast

from node.parsers.archive import ExportSource, open_export
from node.parsers.base import ExportParser, Limits, ParsedExport, RecordsCallback
from node.parsers.errors import (
    AmbiguousPlatform,
    UnknownParser,
    UnknownPlatform,
    WrongPlatform,
)
from node.plugins import import_target

__all__ = [
    "BUILTIN_PARSERS",
    "ENTRY_POINT_GROUP",
    "ParserRegistry",
    "load_registry",
    "parse_export",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "datadao.parsers"
BUILTIN_PARSERS: Mapping[str, str] = {
    "chatgpt": "node.parsers.chatgpt:ChatGPTParser",
    "reddit": "node.parsers.reddit:RedditParser",
    "twitter": "node.parsers.twitter:TwitterParser",
    "telegram": "node.parsers.telegram:TelegramParser",
    "generic": "node.parsers.generic:GenericParser",
}


@dataclass(frozen=True, slots=True)
class ParserRegistry:
    """Parser name -> ``module:attribute`` target, loaded lazily.

    Attributes:
        targets: in detection order (built-ins first, then plugins by name).
    """

    targets: Mapping[str, str]

    def names(self) -> tuple[str, ...]:
        """Registered platform names, in detection order."""
        return tuple(self.targets)

    def create(self, name: str, **options: Any) -> ExportParser:
        """Instantiate the parser registered as ``name``; ``options`` go to its factory.

        Raises:
            UnknownParser: nothing is registered under ``name``, or its target cannot be loaded
                or does not produce an ExportParser.
        """
        target = self.targets.get(name)
        if target is None:
            known = ", ".join(self.names())
            raise UnknownParser(f"unknown platform {name!r} (known: {known})")
        try:
            factory: Callable[..., object] = import_target(target)
            parser = factory(**options)
        except (ImportError, AttributeError, TypeError) as err:
            raise UnknownParser(f"parser {name!r} ({target}) cannot be loaded: {err}") from err
        if not isinstance(parser, ExportParser):
            raise UnknownParser(f"parser {name!r} ({target}) is not an ExportParser")
        return parser

    def matches(self, source: ExportSource) -> list[str]:
        """Names of the parsers whose ``sniff`` accepts ``source``.

        A parser with a true ``fallback`` attribute (``generic``: any CSV with a ``text`` column
        would match it) is asked only when no other parser matched, so it can never take a
        platform's export or make one ambiguous. A plugin that fails to load is skipped with a
        warning: one broken third-party package must not stop every other platform from being
        detected.
        """
        found: list[str] = []
        fallbacks: list[tuple[str, ExportParser]] = []
        for name in self.names():
            try:
                parser = self.create(name)
            except UnknownParser as err:
                log.warning("skipping parser during detection: %s", err)
                continue
            if getattr(parser, "fallback", False) is True:
                fallbacks.append((name, parser))
            elif parser.sniff(source):
                found.append(name)
        if not found:
            found = [name for name, parser in fallbacks if parser.sniff(source)]
        return found

    def detect(self, source: ExportSource) -> ExportParser:
        """The one parser that recognises ``source``.

        Raises:
            UnknownPlatform: none does.
            AmbiguousPlatform: more than one does.
        """
        found = self.matches(source)
        if not found:
            shown = ", ".join(source.names[:8]) + (", …" if len(source.names) > 8 else "")
            raise UnknownPlatform(
                "no parser recognises this export "
                f"(files: {shown or 'none'}; platforms tried: {', '.join(self.names())}). "
                "For a plain JSONL/CSV file use --platform generic --text-column NAME",
                file=source.label,
            )
        if len(found) > 1:
            raise AmbiguousPlatform(
                f"several parsers recognise this export ({', '.join(found)}); "
                "choose one with --platform",
                file=source.label,
            )
        return self.create(found[0])


@functools.cache
def _load(plugins: bool) -> ParserRegistry:
    targets = dict(BUILTIN_PARSERS)
    if plugins:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            known = targets.get(ep.name)
            if known is not None and known != ep.value:
                log.warning(
                    "ignoring plugin parser %r (%s): the name is built in", ep.name, ep.value
                )
                continue
            targets[ep.name] = ep.value
    return ParserRegistry(targets)


def load_registry(*, plugins: bool = True) -> ParserRegistry:
    """The registry of built-in parsers plus, with ``plugins``, the ``datadao.parsers`` group.

    Cached: entry points are scanned once per process.
    """
    return _load(plugins)


def parse_export(
    path: str | os.PathLike[str],
    *,
    platform: str = "auto",
    limits: Limits | None = None,
    registry: ParserRegistry | None = None,
    options: Mapping[str, Any] | None = None,
    on_records: RecordsCallback | None = None,
) -> ParsedExport:
    """Open ``path`` safely, pick the parser and parse the whole export.

    Args:
        path: a zip, a folder or a single data file.
        platform: a registered name, or ``"auto"`` to detect it.
        limits: caps (defaults of :class:`Limits` when None).
        registry: parsers to choose from (:func:`load_registry` when None).
        options: keyword arguments for the parser's factory (e.g. ``text_field`` for
            ``generic``); only with an explicit ``platform``.
        on_records: progress, called with the number of records parsed so far every
            ``PROGRESS_EVERY`` records and once with the total (built-in parsers; a plugin
            whose ``parse`` has no ``on_records`` keyword reports nothing).

    Returns:
        The complete export; this function never returns a partial result.

    Raises:
        ExportError: any archive, format or platform problem, with the file and position.
    """
    limits = limits or Limits()
    registry = registry or load_registry()
    with open_export(path, limits) as source:
        if platform == "auto":
            parser = registry.detect(source)
        else:
            parser = registry.create(platform, **dict(options or {}))
        try:
            return _parse(parser, source, limits, on_records)
        except WrongPlatform as err:
            guesses = [n for n in registry.matches(source) if n != platform]
            if not guesses:
                raise
            hint = f"{err.reason}; it looks like a {' or '.join(guesses)} export"
            raise WrongPlatform(hint, file=err.file) from err


def _parse(
    parser: ExportParser,
    source: ExportSource,
    limits: Limits,
    on_records: RecordsCallback | None,
) -> ParsedExport:
    """``parser.parse``, passing ``on_records`` only to a parser that takes it (the Protocol's
    ``parse`` has no such parameter, so plugins written against it keep working)."""
    if on_records is not None and "on_records" in inspect.signature(parser.parse).parameters:
        parse = cast("Callable[..., ParsedExport]", parser.parse)
        return parse(source, limits, on_records=on_records)
    return parser.parse(source, limits)
