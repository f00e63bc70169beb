"""LocalBlockstore specifics beyond the conformance suite: disk layout, atomicity, typed errors,
pins and garbage collection, CAR export/import."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from blobstore_conformance import blob

from node.storage._cid import RAW, ParsedCid, parse_cid
from node.storage.car import read_car, write_car
from node.storage.errors import BlockNotFound, CarFormatError, CidMismatch
from node.storage.local import LocalBlockstore
from node.storage.unixfs import Layout, import_bytes

SMALL = Layout(chunk_size=1024, max_links=4)


@pytest.fixture
def store(tmp_path: Path) -> LocalBlockstore:
    return LocalBlockstore(tmp_path / "store", layout=SMALL, fsync=True)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_blocks_live_in_flatfs_style_shards_and_staging_is_left_empty(
    store: LocalBlockstore, tmp_path: Path
) -> None:
    cid = store.add(b"hello world")
    assert cid == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    block = tmp_path / "store" / "blocks" / "n5" / cid  # shard: the 2 characters before the last
    assert block.read_bytes() == b"hello world"
    assert list((tmp_path / "store" / "tmp").iterdir()) == []
    assert (tmp_path / "store" / "pins" / cid).is_file()


def test_get_verifies_and_raises_typed_errors(store: LocalBlockstore) -> None:
    cid = store.add(b"payload")
    assert store.get(cid) == b"payload"
    store._block_path(parse_cid(cid)).write_bytes(b"tampered")
    with pytest.raises(CidMismatch) as info:
        store.get(cid)
    assert info.value.expected == cid
    with pytest.raises(BlockNotFound) as missing:
        store.get(import_bytes(b"absent").cid)
    assert missing.value.cid == import_bytes(b"absent").cid


def test_put_block_refuses_bytes_that_do_not_match(store: LocalBlockstore) -> None:
    cid = ParsedCid.for_block(b"right", codec=RAW, version=1)
    with pytest.raises(CidMismatch):
        store.put_block(cid, b"wrong")
    assert not store.has(cid)
    store.put_block(cid, b"right")
    assert store.get(cid) == b"right"


def test_v0_and_v1_names_of_a_block_share_one_file(tmp_path: Path) -> None:
    store = LocalBlockstore(tmp_path, layout=Layout(cid_version=0, raw_leaves=False), fsync=False)
    v0 = parse_cid(store.add(b"x" * 10))
    assert v0.version == 0
    assert store.get(v0.to_v1()) == store.get(v0)
    assert len(_files(tmp_path / "blocks")) == 1


def test_put_file_streams_a_file(store: LocalBlockstore, tmp_path: Path) -> None:
    path = tmp_path / "input.bin"
    data = blob(50_000)
    path.write_bytes(data)
    cid = store.put_file(path)
    assert cid == import_bytes(data, SMALL).cid
    assert b"".join(store.cat(cid, max_bytes=len(data))) == data


def test_delete_keeps_blocks_another_pin_shares(store: LocalBlockstore) -> None:
    shared = blob(1024, salt=1)  # one whole chunk both files start with
    a = store.add(shared + blob(3000, salt=2))
    b = store.add(shared + blob(3000, salt=3))
    removed = store.delete(a)
    assert removed > 0
    assert not store.has(a)
    assert b"".join(store.cat(b, max_bytes=4024)) == shared + blob(3000, salt=3)
    assert store.pins() == [parse_cid(b).to_v1().encode()]
    assert store.delete(b) > 0
    assert _files(store._root / "blocks") == []


def test_gc_removes_only_unpinned_blocks(store: LocalBlockstore) -> None:
    kept = store.add(blob(5000, salt=4))
    dropped = store.add(blob(5000, salt=5), pin=False)
    (store._root / "tmp" / "stale").write_bytes(b"left by a crash")
    assert store.gc() == len(list(_blocks_of(blob(5000, salt=5))))
    assert store.has(kept)
    assert not store.has(dropped)
    assert list((store._root / "tmp").iterdir()) == []
    store.unpin(kept)
    assert store.gc() > 0
    assert _files(store._root / "blocks") == []


def _blocks_of(data: bytes) -> set[ParsedCid]:
    blocks: set[ParsedCid] = set()
    import_bytes(data, SMALL, sink=lambda c, _b: blocks.add(c))
    return blocks


def test_pin_requires_the_complete_dag(store: LocalBlockstore) -> None:
    cid = store.add(blob(5000, salt=6), pin=False)
    leaf = next(c for c in _blocks_of(blob(5000, salt=6)) if c.codec == RAW)
    store._block_path(leaf).unlink()
    with pytest.raises(BlockNotFound):
        store.pin(cid)
    assert store.pins() == []


# -- CAR --------------------------------------------------------------------------------------


def test_car_header_bytes_match_the_spec(store: LocalBlockstore) -> None:
    cid = store.add(b"hello world")
    out = io.BytesIO()
    store.export_car(cid, out)
    raw = parse_cid(cid).to_bytes()
    header = (
        bytes.fromhex("a2" "65") + b"roots" + bytes.fromhex("81" "d82a" "5825" "00") + raw
        + bytes.fromhex("67") + b"version" + bytes.fromhex("01")
    )  # fmt: skip
    section = bytes([len(raw) + 11]) + raw + b"hello world"
    assert out.getvalue() == bytes([len(header)]) + header + section
    assert out.getvalue().startswith(bytes.fromhex("3aa265726f6f747381d82a58250001"))


def test_car_round_trip_into_a_fresh_store(store: LocalBlockstore, tmp_path: Path) -> None:
    data = blob(40_000, salt=7)
    cid = store.add(data)
    car = io.BytesIO()
    store.export_car(cid, car)
    other = LocalBlockstore(tmp_path / "other", layout=SMALL, fsync=False)
    car.seek(0)
    assert other.import_car(car) == [cid]
    assert other.pins() == [cid]
    assert b"".join(other.cat(cid, max_bytes=len(data))) == data


def test_car_export_order_is_depth_first_preorder(store: LocalBlockstore) -> None:
    cid = store.add(blob(6 * 1024, salt=8))  # 6 leaves, 4 links: root -> [n1(4), n2(2)]
    car = io.BytesIO()
    store.export_car(cid, car)
    car.seek(0)
    order = [c for c, _ in read_car(car).blocks]
    assert order[0] == parse_cid(cid)
    assert [c.codec for c in order] == [0x70, 0x70, RAW, RAW, RAW, RAW, 0x70, RAW, RAW]


def test_car_import_rejects_a_tampered_block(store: LocalBlockstore, tmp_path: Path) -> None:
    data = blob(3000, salt=9)
    blocks: list[tuple[ParsedCid, bytes]] = []
    root = import_bytes(data, SMALL, sink=lambda c, b: blocks.append((c, b))).root
    blocks[1] = (blocks[1][0], b"\x00" + blocks[1][1][1:])
    car = io.BytesIO()
    write_car(car, [root], blocks)
    car.seek(0)
    with pytest.raises(CidMismatch):
        store.import_car(car)
    assert store.pins() == []


def test_car_import_of_an_incomplete_dag_is_not_pinned(store: LocalBlockstore) -> None:
    blocks: list[tuple[ParsedCid, bytes]] = []
    root = import_bytes(blob(3000), SMALL, sink=lambda c, b: blocks.append((c, b))).root
    car = io.BytesIO()
    write_car(car, [root], blocks[1:])
    car.seek(0)
    with pytest.raises(BlockNotFound):
        store.import_car(car)


def _framed(header: bytes) -> bytes:
    return bytes([len(header)]) + header


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"\x05ab", "truncated header"),
        (_framed(b"\xa1\x67version\x01"), "roots"),
        (_framed(b"\xa2\x65roots\x80\x67version\x02"), "version"),
        (_framed(b"\xa2\x65roots\x80\x67version\x01"), "non-empty roots"),
        (_framed(b"\xa2\x65roots\x80\x67version\x01\x00"), "trailing"),
        (_framed(b"\xa2\x65roots\x81\xd8\x2a\x42\x01\x55\x67version\x01"), "CID link"),
        (b"\xff\xff\xff\xff\x0f", "exceeds"),
    ],
)
def test_car_rejects_malformed_headers(raw: bytes, reason: str) -> None:
    with pytest.raises(CarFormatError, match=reason):
        read_car(io.BytesIO(raw))


def test_car_rejects_truncated_and_oversized_sections() -> None:
    root = ParsedCid.for_block(b"x", codec=RAW, version=1)
    good = io.BytesIO()
    write_car(good, [root], [(root, b"x")])
    truncated = good.getvalue()[:-1]
    with pytest.raises(CarFormatError, match="truncated section"):
        list(read_car(io.BytesIO(truncated)).blocks)
    with pytest.raises(CarFormatError, match="exceeds"):
        list(read_car(io.BytesIO(good.getvalue()), max_section_size=10).blocks)
