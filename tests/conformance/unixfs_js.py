"""Running the JavaScript UnixFS importer (``js/unixfs_cid.mjs``) from the tests.

CI must run these checks, so a missing Node.js or missing npm packages is a failure when ``CI`` is
set (``.ci/run`` installs both through ``scripts/setup``); on a developer machine without them the
tests skip and say what to install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from node.storage.unixfs import Layout

JS_DIR = Path(__file__).parent / "js"
SCRIPT = JS_DIR / "unixfs_cid.mjs"
IMPORTER = "ipfs-unixfs-importer"


@dataclass(frozen=True)
class Case:
    """One input and the layout both importers use for it.

    Attributes:
        seed, size: the input is ``size`` bytes of :class:`~tests.conformance.streams.ChaChaStream`.
        layout: the project's importer settings.
        js_profile: ask the JS importer for this named profile instead of passing ``layout``'s
            settings, so the JS side states Kubo's defaults without our constants.
    """

    seed: str
    size: int
    layout: Layout
    js_profile: str | None = None

    @property
    def name(self) -> str:
        lay = self.layout
        leaves = "raw" if lay.raw_leaves else "pb"
        return f"v{lay.cid_version}-{leaves}-c{lay.chunk_size}-l{lay.max_links}-{self.size}B"


JsCids = Callable[[Sequence[Case]], list[str]]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _missing(reason: str) -> NoReturn:
    if _in_ci():
        pytest.fail(f"{reason} (CI is set, so this check may not be skipped)", pytrace=False)
    pytest.skip(reason)


def check_install() -> str:
    """Path of ``node`` once the pinned importer is installed; fails or skips otherwise."""
    node = shutil.which("node")
    if node is None:
        _missing("Node.js is not on PATH (needed for the JS UnixFS importer)")
    manifest = JS_DIR / "node_modules" / IMPORTER / "package.json"
    if not manifest.is_file():
        _missing(f"{IMPORTER} is not installed: run ./scripts/setup (npm ci in {JS_DIR})")
    wanted = json.loads((JS_DIR / "package.json").read_text())["dependencies"][IMPORTER]
    installed = json.loads(manifest.read_text())["version"]
    if installed != wanted:
        _missing(f"{IMPORTER} {installed} is installed, package.json pins {wanted}: run npm ci")
    return node


def request_of(case: Case) -> dict[str, object]:
    lay = case.layout
    layout: dict[str, object] = (
        {"profile": case.js_profile}
        if case.js_profile is not None
        else {
            "cid_version": lay.cid_version,
            "raw_leaves": lay.raw_leaves,
            "chunk_size": lay.chunk_size,
            "max_links": lay.max_links,
        }
    )
    return {"input": f"chacha20:{case.seed}:{case.size}", "layout": layout}


def run_batch(node: str, cases: Sequence[Case]) -> list[str]:
    """The CIDs the JS importer gives ``cases``, in order, from one Node process."""
    request = json.dumps({"cases": [request_of(c) for c in cases]})
    proc = subprocess.run(
        [node, str(SCRIPT), "--batch"],
        input=request.encode(),
        capture_output=True,
        timeout=600,
        check=False,
        cwd=JS_DIR,
    )
    if proc.returncode != 0:
        pytest.fail(f"unixfs_cid.mjs exited {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    results = json.loads(proc.stdout)
    # The JS side reports the file size it imported: proof both read the same input length.
    assert [r["size"] for r in results] == [c.size for c in cases]
    return [str(r["cid"]) for r in results]
