"""The importer against an independent port of boxo's balanced builder, and the verified reader.

The reference below follows boxo's ``balanced.Layout``/``fillNodeRec`` recursion literally (root
grows one depth at a time, each level filled to ``max_links``) and shares only the byte encoders
with the importer under test, whose level-stack algorithm is different. Small chunk sizes and link
counts make deep trees cheap, so hypothesis explores shapes the Kubo vectors cannot afford.
"""

from __future__ import annotations

import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.storage._cid import DAG_PB, RAW, ParsedCid
from node.storage.dagpb import (
    UnixFsType,
    decode_node,
    decode_unixfs,
    encode_file_node,
    encode_leaf_node,
)
from node.storage.errors import BlobTooLarge, CidMismatch, MalformedBlock, UnsupportedNode
from node.storage.unixfs import (
    FileImporter,
    Layout,
    import_bytes,
    import_stream,
    read_file,
    walk_blocks,
)


def _reference_cid(data: bytes, layout: Layout) -> str:
    """Literal port of boxo importer/balanced (Layout + fillNodeRec)."""
    chunks = [data[i : i + layout.chunk_size] for i in range(0, len(data), layout.chunk_size)]
    pos = 0

    def leaf(chunk: bytes) -> tuple[bytes, int, int]:
        if layout.raw_leaves:
            return (
                ParsedCid.for_block(chunk, codec=RAW, version=1).to_bytes(),
                len(chunk),
                len(chunk),
            )
        block = encode_leaf_node(chunk)
        cid = ParsedCid.for_block(block, codec=DAG_PB, version=layout.cid_version)
        return cid.to_bytes(), len(block), len(chunk)

    def commit(links: list[tuple[bytes, int, int]]) -> tuple[bytes, int, int]:
        block = encode_file_node(links)
        cid = ParsedCid.for_block(block, codec=DAG_PB, version=layout.cid_version)
        return cid.to_bytes(), len(block) + sum(t for _, t, _ in links), sum(s for _, _, s in links)

    def fill(links: list[tuple[bytes, int, int]], depth: int) -> tuple[bytes, int, int]:
        nonlocal pos
        while len(links) < layout.max_links and pos < len(chunks):
            if depth == 1:
                links.append(leaf(chunks[pos]))
                pos += 1
            else:
                links.append(fill([], depth - 1))
        return commit(links)

    if not chunks:
        root = leaf(b"")
    else:
        root = leaf(chunks[0])
        pos = 1
        depth = 1
        while pos < len(chunks):
            root = fill([root], depth)
            depth += 1
    return ParsedCid.from_bytes(root[0]).encode()


layouts = st.builds(
    Layout,
    cid_version=st.sampled_from([0, 1]),
    raw_leaves=st.booleans(),
    chunk_size=st.integers(min_value=1, max_value=8),
    max_links=st.integers(min_value=2, max_value=4),
)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), layout=layouts)
def test_importer_matches_reference_port(data: bytes, layout: Layout) -> None:
    assert import_bytes(data, layout).cid == _reference_cid(data, layout)


@given(data=st.binary(max_size=200), cuts=st.lists(st.integers(0, 200), max_size=8), layout=layouts)
def test_incremental_writes_give_the_same_cid(data: bytes, cuts: list[int], layout: Layout) -> None:
    importer = FileImporter(layout)
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    for start, end in itertools.pairwise(bounds):
        importer.write(data[start:end])
    assert importer.finish().cid == import_bytes(data, layout).cid


class _PartialReader(io.RawIOBase):
    """Returns at most 3 bytes per read, like a slow pipe."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        chunk = self._buf.read(min(3, len(b)))
        b[: len(chunk)] = chunk
        return len(chunk)


def test_partial_reads_fill_whole_chunks() -> None:
    data = bytes(range(256)) * 3
    layout = Layout(chunk_size=10, max_links=3)
    assert import_stream(_PartialReader(data), layout).cid == import_bytes(data, layout).cid  # type: ignore[arg-type]


@settings(deadline=None)
@given(data=st.binary(max_size=400), layout=layouts)
def test_read_file_round_trips_and_walk_visits_every_block(data: bytes, layout: Layout) -> None:
    blocks: dict[ParsedCid, bytes] = {}
    result = import_bytes(data, layout, sink=lambda c, b: blocks.__setitem__(c, b))
    assert b"".join(read_file(result.root, blocks.__getitem__, max_bytes=len(data))) == data
    walked = dict(walk_blocks(result.root, blocks.__getitem__))
    assert walked == blocks
    assert result.dag_size == _cumulative_size(result.root, blocks)


def _cumulative_size(cid: ParsedCid, blocks: dict[ParsedCid, bytes]) -> int:
    """Kubo's Tsize: block length plus the cumulative size of every link, duplicates included."""
    block = blocks[cid]
    if cid.codec == RAW:
        return len(block)
    return len(block) + sum(_cumulative_size(link.cid, blocks) for link in decode_node(block).links)


def test_dag_size_of_the_empty_file_is_its_one_block() -> None:
    # The empty UnixFS file block is 0a 04 08 02 18 00 (6 bytes); `ipfs add` reports Size 6.
    result = import_bytes(b"", Layout(cid_version=0, raw_leaves=False))
    assert result.dag_size == 6
    assert result.cid == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"


def _store(data: bytes, layout: Layout) -> tuple[ParsedCid, dict[ParsedCid, bytes]]:
    blocks: dict[ParsedCid, bytes] = {}
    result = import_bytes(data, layout, sink=lambda c, b: blocks.__setitem__(c, b))
    return result.root, blocks


def test_read_file_refuses_oversized_before_reading_leaves() -> None:
    root, blocks = _store(b"x" * 100, Layout(chunk_size=10, max_links=4))
    fetched: list[ParsedCid] = []

    def get(cid: ParsedCid) -> bytes:
        fetched.append(cid)
        return blocks[cid]

    with pytest.raises(BlobTooLarge) as info:
        read_file(root, get, max_bytes=99)
    assert (info.value.size, info.value.limit) == (100, 99)
    assert fetched == [root]


def test_read_file_rejects_a_tampered_leaf() -> None:
    root, blocks = _store(bytes(range(50)), Layout(chunk_size=10, max_links=4))
    leaf = next(c for c in blocks if c.codec == RAW)
    blocks[leaf] = b"X" + blocks[leaf][1:]
    with pytest.raises(CidMismatch):
        b"".join(read_file(root, blocks.__getitem__, max_bytes=50))


def test_read_file_rejects_lying_blocksizes() -> None:
    # A parent that claims a child holds 11 bytes when it holds 10: the hash is right (we
    # re-address the forged parent), the structure is not.
    child = ParsedCid.for_block(b"0123456789", codec=RAW, version=1)
    parent = encode_file_node([(child.to_bytes(), 10, 11)])
    root = ParsedCid.for_block(parent, codec=DAG_PB, version=1)
    blocks = {child: b"0123456789", root: parent}
    with pytest.raises(MalformedBlock):
        b"".join(read_file(root, blocks.__getitem__, max_bytes=100))


def test_read_file_refuses_a_directory() -> None:
    directory = bytes.fromhex("0a020801")  # PBNode{Data: UnixFS{Type: Directory}}
    root = ParsedCid.for_block(directory, codec=DAG_PB, version=1)
    with pytest.raises(UnsupportedNode):
        read_file(root, {root: directory}.__getitem__, max_bytes=100)


def test_leaf_and_interior_encodings_decode_back() -> None:
    leaf = decode_node(encode_leaf_node(b"hi"))
    assert leaf.links == ()
    assert leaf.data is not None
    fs = decode_unixfs(leaf.data)
    assert (fs.type, fs.data, fs.filesize) == (UnixFsType.FILE, b"hi", 2)
    child = ParsedCid.for_block(b"hi", codec=RAW, version=1)
    node = decode_node(encode_file_node([(child.to_bytes(), 2, 2), (child.to_bytes(), 2, 2)]))
    assert [(link.cid, link.name, link.tsize) for link in node.links] == [(child, "", 2)] * 2
    assert node.data is not None
    assert decode_unixfs(node.data).blocksizes == (2, 2)


def test_layout_rejects_settings_kubo_refuses() -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        Layout(chunk_size=(1 << 20) + 1)
    with pytest.raises(ValueError, match="max_links"):
        Layout(max_links=1)
    with pytest.raises(ValueError, match="cid_version"):
        Layout(cid_version=2)


def test_leaf_node_bytes_known_answer() -> None:
    # Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD, as `ipfs block get` prints it.
    expected = bytes.fromhex("0a110802120b68656c6c6f20776f726c64180b")
    assert encode_leaf_node(b"hello world") == expected
    assert encode_leaf_node(b"") == bytes.fromhex("0a0408021800")
    big = b"\xaa" * 300  # multi-byte varints in both length fields
    assert decode_unixfs(decode_node(encode_leaf_node(big)).data or b"").data == big
