"""The registry: built-ins, the datadao.parsers entry-point group, plugins, detection."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest
from parsers_testing import simple_conversation, write_zip

from node.parsers import ExportParser, parse_export
from node.parsers import registry as reg
from node.parsers.errors import AmbiguousPlatform, UnknownParser
from node.parsers.registry import BUILTIN_PARSERS, ParserRegistry, load_registry


def test_builtins_are_registered_and_are_export_parsers() -> None:
    registry = load_registry()
    assert set(BUILTIN_PARSERS) <= set(registry.names())
    for name in BUILTIN_PARSERS:
        parser = registry.create(name)
        assert isinstance(parser, ExportParser)
        assert parser.name == name


def test_pyproject_entry_points_match_the_builtins() -> None:
    declared = {ep.name: ep.value for ep in entry_points(group=reg.ENTRY_POINT_GROUP)}
    assert {k: declared.get(k) for k in BUILTIN_PARSERS} == dict(BUILTIN_PARSERS)


def test_load_registry_is_cached() -> None:
    assert load_registry() is load_registry()


def test_a_plugin_from_the_entry_point_group_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = EntryPoint("echo", "parsers_testing:EchoParser", reg.ENTRY_POINT_GROUP)
    hijack = EntryPoint("chatgpt", "parsers_testing:GreedyParser", reg.ENTRY_POINT_GROUP)
    monkeypatch.setattr(reg, "entry_points", lambda group: [plugin, hijack])
    registry = reg._load.__wrapped__(True)
    assert registry.targets["echo"] == "parsers_testing:EchoParser"
    assert registry.targets["chatgpt"] == BUILTIN_PARSERS["chatgpt"], "built-ins win a clash"
    path = write_zip(tmp_path / "e.zip", {"echo.txt": "one\ntwo\n"})
    export = parse_export(path, registry=registry)
    assert export.platform == "echo"
    assert [r.text for r in export.records] == ["one", "two"]


def test_a_broken_plugin_does_not_break_detection(tmp_path: Path) -> None:
    registry = ParserRegistry({**BUILTIN_PARSERS, "broken": "no_such_module_xyz:Parser"})
    path = write_zip(
        tmp_path / "c.zip", {"conversations.json": json.dumps([simple_conversation()])}
    )
    assert parse_export(path, registry=registry).platform == "chatgpt"
    with pytest.raises(UnknownParser, match="cannot be loaded"):
        registry.create("broken")


def test_unknown_name_and_non_parser_targets_are_refused() -> None:
    registry = ParserRegistry({"odd": "parsers_testing:NotAParser"})
    with pytest.raises(UnknownParser, match="unknown platform 'nope'"):
        registry.create("nope")
    with pytest.raises(UnknownParser, match="is not an ExportParser"):
        registry.create("odd")


def test_two_matching_parsers_are_ambiguous(tmp_path: Path) -> None:
    registry = ParserRegistry(
        {"echo": "parsers_testing:EchoParser", "greedy": "parsers_testing:GreedyParser"}
    )
    path = write_zip(tmp_path / "e.zip", {"echo.txt": "x"})
    with pytest.raises(AmbiguousPlatform, match="echo, greedy"):
        parse_export(path, registry=registry)
