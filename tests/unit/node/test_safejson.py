"""Deep JSON from strangers is refused before the C decoder sees it.

The reason is real: web3 lifts the interpreter's recursion limit to 100,000 on import, and then
``json.loads("[" * 99_000 + "]" * 99_000)`` segfaults instead of raising RecursionError. These
tests run in a subprocess with web3 imported, so a regression kills a child, not the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from node import safejson


@pytest.mark.parametrize(
    ("doc", "deep"),
    [
        ("[" * 65 + "]" * 65, True),
        ("[" * 64 + "]" * 64, False),
        ('{"a":' * 70 + "1" + "}" * 70, True),
        ('["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]', False),
        ('"\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["', False),
        ("[" * 100 + '"unterminated', True),
        # unterminated strings of escapes and quotes: linear, not retried from every position
        ('{"a": "' + '\\"' * 100_000, False),
        ('"' * 200_001, False),
        ('{"a": "' + "\\" * 100_001, False),
        ("[" * 70 + '"' + '\\"' * 100_000, True),
    ],
)
def test_depth_counts_brackets_outside_strings_only(doc: str, deep: bool) -> None:
    assert safejson.too_deep(doc) is deep
    assert safejson.too_deep(doc.encode()) is deep


def test_only_the_value_at_start_is_measured() -> None:
    buf = "[1] " + "[" * 100
    assert safejson.too_deep(buf, start=0) is False
    assert safejson.too_deep(buf, start=4) is True


def test_loads_refuses_deep_and_decodes_the_rest() -> None:
    with pytest.raises(safejson.JsonTooDeep):
        safejson.loads("[" * 100 + "]" * 100)
    with pytest.raises(ValueError, match="deeper"):  # a ValueError, like json's own errors
        safejson.loads(b"{" + b'"a":{' * 100 + b"}" * 101)
    assert safejson.loads('{"a": [1, {"b": "]]]"}]}') == {"a": [1, {"b": "]]]"}]}
    with pytest.raises(json.JSONDecodeError):
        safejson.loads("[1,")


def test_hostile_nesting_does_not_crash_a_process_that_imported_web3() -> None:
    code = textwrap.dedent(
        """
        import sys, web3
        assert sys.getrecursionlimit() >= 10_000, sys.getrecursionlimit()
        from node.parsers.canonical import load_canonical
        from node.parsers.errors import MalformedJSON
        from node import safejson
        bomb = b"[" * 300_000 + b"]" * 300_000
        header = b'{"account":null,"format":"datadao.export/1","platform":"generic","records":1}'
        try:
            load_canonical(header + b"\\n" + bomb + b"\\n")
        except MalformedJSON as err:
            assert "nesting too deep" in str(err)
        else:
            raise SystemExit("not refused")
        try:
            safejson.loads(bomb)
        except safejson.JsonTooDeep:
            print("refused")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "refused"


def test_a_deeply_nested_export_is_a_parse_error_in_a_web3_process(tmp_path: Path) -> None:
    """The importers' streaming decoder (``datadao contribute`` imports web3) refuses it too."""
    bomb = tmp_path / "conversations.json"
    bomb.write_bytes(b"[" * 300_000 + b"]" * 300_000)
    code = textwrap.dedent(
        f"""
        import web3
        from node.errors import ParseError
        from node.parsers import parse_export
        try:
            parse_export({str(bomb)!r}, platform="chatgpt")
        except ParseError as err:
            print("refused:", err)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "nesting too deep" in done.stdout
