"""Mutated platform exports: every importer returns a complete export or raises a ParseError.

Starts from small synthetic exports (``node.parsers.synthetic``) and damages their main file:
bytes flipped, inserted, deleted, truncated, numbers made huge, values retyped. Whatever comes
out must be the project's typed error, never a TypeError, OverflowError or KeyError.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.errors import ParseError
from node.parsers import parse_export
from node.parsers.synthetic import generate

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAIN = {
    "chatgpt": "conversations.json",
    "telegram": "result.json",
    "twitter": "data/tweets.js",
    "reddit": "comments.csv",
}
# Replacements that retype or enlarge a value where the export has a digit, quote or bracket.
HOSTILE = [b"9" * 5000, b"9" * 400, b"-1", b"1e999", b"null", b"true", b"[]", b"{}", b'"x"', b"NaN"]


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = {}
    for platform, member in MAIN.items():
        path = tmp_path_factory.mktemp(platform) / "export.zip"
        info = generate(platform, path, seed=9, size_bytes=4_000)
        with zipfile.ZipFile(info.path) as zf:
            out[platform] = zf.read(member)
    return out


def parses_or_refuses(platform: str, data: bytes, *, renamed: bool) -> None:
    """With ``renamed``, the member gets another name and ``auto`` must detect it by content,
    so content detection runs on the damaged bytes too."""
    member = MAIN[platform]
    if renamed:
        stem, _, ext = member.rpartition(".")
        member = f"{stem} (1).{ext}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(member, data)
        try:
            export = parse_export(path, platform="auto" if renamed else platform)
        except ParseError:
            return
        assert export.platform in (platform, "generic") if renamed else export.platform == platform
        assert export.records


@FUZZ
@given(platform=st.sampled_from(sorted(MAIN)), renamed=st.booleans(), data=st.data())
def test_mutated_exports_parse_or_raise_a_parse_error(
    originals: dict[str, bytes], platform: str, renamed: bool, data: st.DataObject
) -> None:
    blob = bytearray(originals[platform])
    how = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate", "hostile"]))
    at = data.draw(st.integers(0, len(blob) - 1))
    if how == "flip":
        blob[at] ^= 1 << data.draw(st.integers(0, 7))
    elif how == "insert":
        blob[at:at] = data.draw(st.binary(min_size=1, max_size=6))
    elif how == "delete":
        del blob[at : at + data.draw(st.integers(1, 6))]
    elif how == "truncate":
        del blob[at:]
    else:  # replace the value or digit run at a position with a hostile literal
        end = at
        while end < len(blob) and chr(blob[end]).isalnum():
            end += 1
        blob[at : max(end, at + 1)] = data.draw(st.sampled_from(HOSTILE))
    parses_or_refuses(platform, bytes(blob), renamed=renamed)
