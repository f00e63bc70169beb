"""The project's UnixFS CIDs against an independent implementation: the IPFS project's JavaScript
importer (``ipfs-unixfs-importer``, pinned in ``js/package-lock.json``).

Kubo's published vectors have no multi-block file at the project's layout (CIDv1, raw leaves,
256 KiB chunks, 174 links), and the Kubo client's tests run against a fake that uses our own
importer, so without this module nothing outside our code vouches for a multi-block CID. Every
tree boundary is checked, at the project's layout and at Kubo's CIDv0 defaults: the empty file,
one chunk and its edges, one full interior node (174 chunks) and its edges, a root over several
full subtrees. A full two-level tree at 256 KiB chunks is 7.9 GB, so the two-to-three-level
boundary is checked at 1 KiB chunks (the same code with a different chunk size) and deeper trees
at tiny chunks and fan-outs, every size in a range.

Each Python CID is computed three ways, as the node computes them: ``import_stream`` without a
sink (``datadao cid``), with a sink that re-hashes every block (the path the blockstores' ``add``
takes), and ``FileImporter.write`` in uneven slices (the Kubo client's tee).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from node.storage._cid import ParsedCid
from node.storage.local import LocalBlockstore
from node.storage.unixfs import (
    KUBO_V0_LAYOUT,
    PROJECT_LAYOUT,
    FileImporter,
    Layout,
    import_stream,
)
from node.types import Cid
from tests.conformance.streams import chacha_stream
from tests.conformance.unixfs_js import Case, JsCids

pytestmark = pytest.mark.integration  # needs Node.js and the npm packages (see conftest)

SEED = "datadao-conformance"
KIB = 1024
VECTORS = Path(__file__).parents[1] / "unit" / "node" / "storage" / "data" / "kubo_cids.json"
_SLICES = (1, 7, 4_099, 100_003, 262_147, 3)
"""Write sizes for the incremental path: primes around and across chunk sizes, and tiny ones."""


def boundary_sizes(chunk: int, links: int, depth: int) -> list[int]:
    """0, 1, and each tree boundary ``chunk · links^k`` (k < depth) with its neighbours."""
    sizes = {0, 1}
    for k in range(depth):
        edge = chunk * links**k
        sizes.update((edge - 1, edge, edge + 1))
    return sorted(sizes)


def _cid_only(case: Case) -> str:
    return import_stream(chacha_stream(case.seed, case.size), case.layout).cid


def _with_sink(case: Case) -> str:
    def sink(cid: ParsedCid, block: bytes) -> None:
        cid.verify(block)  # a block that does not hash to the CID its parent links is a bug too

    return import_stream(chacha_stream(case.seed, case.size), case.layout, sink).cid


def _incremental(case: Case) -> str:
    importer = FileImporter(case.layout)
    stream = chacha_stream(case.seed, case.size)
    i = 0
    while piece := stream.read(_SLICES[i % len(_SLICES)]):
        importer.write(piece)
        i += 1
    return importer.finish().cid


_PATHS = (
    ("import_stream", _cid_only),
    ("import_stream+sink", _with_sink),
    ("FileImporter.write", _incremental),
)


def _mismatches(cases: Sequence[Case], js_cids: JsCids) -> list[str]:
    """Every (case, Python path) whose CID differs from the JS importer's; empty when all agree.

    The Node process runs in a thread while Python hashes (both release the GIL), halving the
    wall time on a multi-core machine.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(js_cids, cases)
        python = [[(path, compute(case)) for path, compute in _PATHS] for case in cases]
        js = pending.result()
    return [
        f"{case.name} via {path}: python {got} != js {want}"
        for case, want, ours in zip(cases, js, python, strict=True)
        for path, got in ours
        if got != want
    ]


def test_the_js_side_reproduces_kubos_published_vectors(js_cids: JsCids) -> None:
    """The oracle is Kubo's: with these options and this stream, the JS importer gives Kubo's
    CIDs (including the multi-block CIDv0 ones), so a disagreement below is ours to explain."""
    vectors = [
        v
        for v in json.loads(VECTORS.read_text())["vectors"]
        if "chacha20_seed" in v["input"] and not v.get("slow", False)
    ]
    assert len(vectors) >= 6
    cases = [
        Case(
            v["input"]["chacha20_seed"],
            v["input"]["size"],
            Layout(
                cid_version=v["options"]["cid_version"],
                raw_leaves=v["options"]["raw_leaves"],
                chunk_size=v["options"]["chunk_size"],
                max_links=v["options"]["max_links"],
            ),
        )
        for v in vectors
    ]
    assert js_cids(cases) == [v["cid"] for v in vectors]


def test_project_layout_at_every_boundary_up_to_three_full_subtrees(js_cids: JsCids) -> None:
    assert Layout(cid_version=1, raw_leaves=True, chunk_size=256 * KIB, max_links=174) == (
        PROJECT_LAYOUT
    )
    chunk, links = PROJECT_LAYOUT.chunk_size, PROJECT_LAYOUT.max_links
    sizes = [*boundary_sizes(chunk, links, 2), 2 * links * chunk, 2 * links * chunk + 1]
    cases = [Case(SEED, n, PROJECT_LAYOUT) for n in sizes]
    assert _mismatches(cases, js_cids) == []


def test_kubo_v0_defaults_at_every_boundary(js_cids: JsCids) -> None:
    """``ipfs add`` with no flags; the JS side is given Kubo's named profile, not our settings."""
    chunk, links = KUBO_V0_LAYOUT.chunk_size, KUBO_V0_LAYOUT.max_links
    sizes = [*boundary_sizes(chunk, links, 2), 2 * links * chunk + 1]
    cases = [Case(SEED, n, KUBO_V0_LAYOUT, js_profile="unixfs-v0-2015") for n in sizes]
    assert _mismatches(cases, js_cids) == []


@pytest.mark.parametrize(
    "layout",
    [
        Layout(cid_version=1, raw_leaves=True, chunk_size=KIB, max_links=174),
        Layout(cid_version=0, raw_leaves=False, chunk_size=KIB, max_links=174),
    ],
    ids=["v1-raw", "v0-pb"],
)
def test_two_and_three_level_boundaries_at_1_kib_chunks(js_cids: JsCids, layout: Layout) -> None:
    """174 links as in the real layout; 174² chunks of 1 KiB (31 MB) fill a two-level tree."""
    links = layout.max_links
    sizes = boundary_sizes(KIB, links, 3)
    cases = [Case(SEED, n, layout) for n in sizes]
    assert _mismatches(cases, js_cids) == []


@pytest.mark.parametrize(
    ("cid_version", "raw_leaves", "chunk", "links", "top"),
    [
        (1, True, 1, 2, 2**5 + 2),
        (0, False, 1, 2, 2**5 + 2),
        (1, False, 3, 3, 3 * 3**4 + 2),
        (0, True, 3, 3, 3 * 3**4 + 2),
        (1, True, 5, 4, 5 * 4**3 + 2),
    ],
)
def test_every_size_of_deep_narrow_trees(
    js_cids: JsCids, cid_version: int, raw_leaves: bool, chunk: int, links: int, top: int
) -> None:
    """Every size from 0 to past a depth-4+ boundary: each way a last branch can be partial."""
    layout = Layout(
        cid_version=cid_version, raw_leaves=raw_leaves, chunk_size=chunk, max_links=links
    )
    cases = [Case(SEED, n, layout) for n in range(top + 1)]
    assert _mismatches(cases, js_cids) == []


def test_the_local_blockstore_stores_and_returns_what_js_computes(
    js_cids: JsCids, tmp_path: Path
) -> None:
    """The stored DAG, not only its CID: add, then read every block back verified."""
    store = LocalBlockstore(tmp_path, fsync=False)
    assert store.layout == PROJECT_LAYOUT
    case = Case(SEED, 174 * 256 * KIB + 1, PROJECT_LAYOUT)
    (want,) = js_cids([case])
    assert store.add(chacha_stream(case.seed, case.size)) == want
    digest = hashlib.sha256()
    for piece in store.cat(Cid(want), max_bytes=case.size):
        digest.update(piece)
    assert digest.digest() == hashlib.sha256(chacha_stream(case.seed, case.size).read()).digest()
