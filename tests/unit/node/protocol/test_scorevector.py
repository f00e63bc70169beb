"""Score vectors (protocol v2): hostile documents first, then round trips, proofs and units."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from node.errors import DataDaoError
from node.protocol.scorevector import (
    UINT256_MAX,
    UNITS,
    ScoreVector,
    ScoreVectorError,
    merkle_root,
    to_units,
    verify_proof,
)
from node.types import DatasetId, Epoch, FileId


def fid(i: int) -> FileId:
    return FileId(keccak(f"file {i}".encode()))


def vector(n: int, *, zero: int | None = None) -> ScoreVector:
    shares = {fid(i): Fraction(0 if i == zero else i + 1) for i in range(n)}
    return ScoreVector.from_units(DatasetId(7), Epoch(2), to_units(shares))


def doc_of(v: ScoreVector) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(v.encode())
    return doc


def dump(doc: object) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


# ---- hostile decode -------------------------------------------------------------------------


def test_the_error_is_in_the_project_tree() -> None:
    assert issubclass(ScoreVectorError, DataDaoError)


def test_wrong_root_is_refused() -> None:
    doc = doc_of(vector(3))
    doc["root"] = "0x" + bytes(32).hex()
    with pytest.raises(ScoreVectorError, match="root"):
        ScoreVector.decode(dump(doc))


def test_a_tampered_value_with_its_total_fixed_is_refused_by_the_root() -> None:
    doc = doc_of(vector(3))
    doc["scores"][0][1] = str(int(doc["scores"][0][1]) + 1)
    doc["scores"][1][1] = str(int(doc["scores"][1][1]) - 1)  # total unchanged
    with pytest.raises(ScoreVectorError, match="root"):
        ScoreVector.decode(dump(doc))


def test_total_mismatch_is_refused() -> None:
    doc = doc_of(vector(3))
    doc["total"] = str(UNITS + 1)
    with pytest.raises(ScoreVectorError, match="total"):
        ScoreVector.decode(dump(doc))


def test_duplicate_file_ids_are_refused() -> None:
    doc = doc_of(vector(3))
    doc["scores"][1] = list(doc["scores"][0])
    with pytest.raises(ScoreVectorError, match="ascending"):
        ScoreVector.decode(dump(doc))
    with pytest.raises(ScoreVectorError, match="ascending"):
        ScoreVector(DatasetId(1), Epoch(1), ((fid(1), 1), (fid(1), 2)))


def test_unsorted_file_ids_are_refused() -> None:
    doc = doc_of(vector(3))
    doc["scores"].reverse()
    with pytest.raises(ScoreVectorError, match="ascending"):
        ScoreVector.decode(dump(doc))
    a, b = sorted([fid(1), fid(2)])
    with pytest.raises(ScoreVectorError):
        ScoreVector(DatasetId(1), Epoch(1), ((b, 1), (a, 1)))


@pytest.mark.parametrize(
    "value",
    ["-1", str(2**256), "01", "1.5", "1e3", " 1", "+1", "0x10", "", "9" * 5000],
)
def test_values_that_are_not_canonical_uint256_are_refused(value: str) -> None:
    doc = doc_of(vector(1))
    doc["scores"][0][1] = value
    doc["total"] = value
    with pytest.raises(ScoreVectorError):
        ScoreVector.decode(dump(doc))


@pytest.mark.parametrize("value", [5, -1, 1.0, None, True, [1]])
def test_values_that_are_not_strings_are_refused(value: object) -> None:
    doc = doc_of(vector(1))
    doc["scores"][0][1] = value
    with pytest.raises(ScoreVectorError):
        ScoreVector.decode(dump(doc))


def test_constructor_refuses_negative_and_huge_values() -> None:
    with pytest.raises(ScoreVectorError):
        ScoreVector(DatasetId(1), Epoch(1), ((fid(1), -1),))
    with pytest.raises(ScoreVectorError):
        ScoreVector(DatasetId(1), Epoch(1), ((fid(1), 2**256),))
    a, b = sorted([fid(1), fid(2)])
    with pytest.raises(ScoreVectorError, match="overflows"):
        ScoreVector(DatasetId(1), Epoch(1), ((a, UINT256_MAX), (b, 1)))
    with pytest.raises(ScoreVectorError):
        ScoreVector(DatasetId(1), Epoch(1), ((FileId(b"short"), 1),))
    with pytest.raises(ScoreVectorError):
        ScoreVector(DatasetId(1), Epoch(1), ((fid(1), True),))
    with pytest.raises(ScoreVectorError):
        ScoreVector(DatasetId(1), Epoch(2**64), ())
    with pytest.raises(ScoreVectorError):
        ScoreVector(DatasetId(-1), Epoch(1), ())


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000,  # would overflow the C decoder's stack once web3 raised the limit
        b'{"scores":' + b"[" * 10 + b"]" * 10 + b"}",
        b"",
        b"null",
        b"[]",
        b"\xff\xfe",
        b'{"version":2}',
        b"NaN",
    ],
)
def test_junk_and_deep_json_are_refused(data: bytes) -> None:
    with pytest.raises(ScoreVectorError):
        ScoreVector.decode(data)


def test_non_canonical_spellings_are_refused() -> None:
    v = vector(3)
    canonical = v.encode()
    assert ScoreVector.decode(canonical) == v
    spaced = json.dumps(doc_of(v), sort_keys=True).encode()
    unsorted = json.dumps(dict(reversed(doc_of(v).items())), separators=(",", ":")).encode()
    for data in (spaced, unsorted, canonical + b"\n", b" " + canonical):
        with pytest.raises(ScoreVectorError, match="canonical"):
            ScoreVector.decode(data)
    upper = canonical.replace(
        b'"0x' + v.entries[0][0].hex().encode(), b'"0x' + v.entries[0][0].hex().upper().encode()
    )
    with pytest.raises(ScoreVectorError):
        ScoreVector.decode(upper)


def test_duplicate_keys_extra_keys_and_wrong_header_are_refused() -> None:
    canonical = vector(2).encode()
    dup = canonical.replace(b'"epoch":2,', b'"epoch":2,"epoch":3,')
    with pytest.raises(ScoreVectorError, match="duplicate"):
        ScoreVector.decode(dup)
    for key, value in [
        ("version", 1),
        ("version", "2"),
        ("unit", "1e-6"),
        ("epoch", "2"),
        ("dataset_id", 7.0),
        ("extra", 1),
        ("scores", {}),
        ("root", "0x00"),
    ]:
        doc = doc_of(vector(2))
        doc[key] = value
        with pytest.raises(ScoreVectorError):
            ScoreVector.decode(dump(doc))
    doc = doc_of(vector(2))
    del doc["unit"]
    with pytest.raises(ScoreVectorError):
        ScoreVector.decode(dump(doc))
    doc = doc_of(vector(2))
    doc["scores"][0].append("1")
    with pytest.raises(ScoreVectorError):
        ScoreVector.decode(dump(doc))


def test_oversized_documents_are_refused_before_parsing() -> None:
    with pytest.raises(ScoreVectorError, match="at most"):
        ScoreVector.decode(vector(3).encode(), max_bytes=10)


def test_lookup_of_an_unknown_file_is_a_typed_error() -> None:
    v = vector(3)
    with pytest.raises(ScoreVectorError):
        v.proof(fid(99))
    with pytest.raises(ScoreVectorError):
        v.value(fid(99))


# ---- round trip and proofs ------------------------------------------------------------------


def test_empty_vector_has_zero_root_and_total() -> None:
    v = ScoreVector(DatasetId(1), Epoch(1), ())
    assert v.root == bytes(32)
    assert v.total == 0
    assert ScoreVector.decode(v.encode()) == v
    assert merkle_root([]) == bytes(32)


def test_one_leaf_root_is_the_leaf_and_its_proof_is_empty() -> None:
    v = vector(1)
    ((f, value),) = v.entries
    assert v.proof(f) == []
    assert verify_proof(v.root, f, value, [])
    assert v.value(f) == UNITS


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 33])
def test_every_proof_verifies_and_a_tampered_value_does_not(n: int) -> None:
    v = vector(n, zero=0 if n > 1 else None)
    assert v.total == UNITS
    assert ScoreVector.decode(v.encode()) == v
    for f, value in v.entries:
        proof = v.proof(f)
        assert len(proof) <= max(1, (n - 1).bit_length())
        assert verify_proof(v.root, f, value, proof)
        assert not verify_proof(v.root, f, value + 1, proof)
        if value:
            assert not verify_proof(v.root, f, value - 1, proof)
        assert not verify_proof(v.root, fid(10_000), value, proof)
        if proof:
            bad = [bytes(32), *proof[1:]]
            assert not verify_proof(v.root, f, value, bad)


def test_verify_proof_answers_false_to_malformed_input() -> None:
    v = vector(3)
    f, value = v.entries[0]
    proof = v.proof(f)
    assert not verify_proof(v.root[:31], f, value, proof)
    assert not verify_proof(v.root, f[:31], value, proof)
    assert not verify_proof(v.root, f, -1, proof)
    assert not verify_proof(v.root, f, 2**256, proof)
    assert not verify_proof(v.root, f, value, [p[:31] for p in proof])


# ---- to_units -------------------------------------------------------------------------------


def test_to_units_sums_exactly_and_keeps_zeros() -> None:
    shares = {fid(i): s for i, s in enumerate([0.1, 0.2, 0.0, 0.3, 1e-12])}
    units = to_units(shares)
    assert sum(units.values()) == UNITS
    assert units[fid(2)] == 0


def test_to_units_all_zero_stays_all_zero() -> None:
    assert to_units({fid(1): 0.0, fid(2): Fraction(0)}) == {fid(1): 0, fid(2): 0}
    assert to_units({}) == {}


def test_to_units_ties_go_to_the_smaller_file_id() -> None:
    ids = [fid(i) for i in range(3)]
    units = to_units(dict.fromkeys(ids, 1.0))
    smallest = min(ids)
    assert units[smallest] == 333_333_334
    assert all(units[i] == 333_333_333 for i in ids if i != smallest)


def test_to_units_does_not_depend_on_mapping_order() -> None:
    shares = {fid(i): 1.0 / (i + 3) for i in range(50)}
    reordered = dict(reversed(list(shares.items())))
    assert to_units(shares) == to_units(reordered)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), Fraction(-1), "1", True])
def test_to_units_refuses_bad_shares(bad: object) -> None:
    with pytest.raises(ScoreVectorError):
        to_units({fid(1): bad})  # type: ignore[dict-item]


def test_to_units_refuses_bad_file_ids() -> None:
    with pytest.raises(ScoreVectorError):
        to_units({FileId(b"x"): 1.0})


# ---- properties -----------------------------------------------------------------------------

shares_st = st.dictionaries(
    st.binary(min_size=32, max_size=32).map(FileId),
    st.one_of(
        st.floats(min_value=0, max_value=1e6, allow_nan=False),
        st.fractions(min_value=0, max_value=1000),
    ),
    max_size=40,
)


@given(shares_st)
def test_property_units_sum_to_the_pool_or_zero(shares: dict[FileId, float | Fraction]) -> None:
    units = to_units(shares)
    assert set(units) == set(shares)
    positive = sum(Fraction(s) for s in shares.values())
    assert sum(units.values()) == (UNITS if positive > 0 else 0)
    for f, s in shares.items():
        if s == 0:
            assert units[f] == 0
        else:
            exact = Fraction(s) * UNITS / positive
            assert abs(units[f] - exact) < 1  # largest remainder: within one unit
    assert to_units(dict(reversed(list(shares.items())))) == units


@given(shares_st, st.integers(0, 2**64 - 1), st.data())
def test_property_round_trip_and_proofs(
    shares: dict[FileId, float | Fraction], epoch: int, data: st.DataObject
) -> None:
    v = ScoreVector.from_units(DatasetId(3), Epoch(epoch), to_units(shares))
    again = ScoreVector.decode(v.encode())
    assert again == v
    assert again.root == v.root
    assert again.encode() == v.encode()
    if v.entries:
        f, value = data.draw(st.sampled_from(v.entries))
        proof = v.proof(f)
        assert verify_proof(v.root, f, value, proof)
        assert not verify_proof(v.root, f, value + 1, proof)


@given(
    st.lists(
        st.tuples(st.binary(min_size=32, max_size=32), st.integers(0, 2**200)),
        min_size=1,
        max_size=20,
        unique_by=lambda t: t[0],
    )
)
def test_property_arbitrary_values_round_trip(entries: list[tuple[bytes, int]]) -> None:
    v = ScoreVector(DatasetId(1), Epoch(1), tuple(sorted((FileId(f), x) for f, x in entries)))
    assert ScoreVector.decode(v.encode()) == v
    for f, x in v.entries:
        assert verify_proof(v.root, f, x, v.proof(f))
