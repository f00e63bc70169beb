"""DDF v2 known-answer vectors (tests/vectors/ddf_v2.json) must keep opening, forever.

Each valid vector opens two ways: with its recorded data key, and through real 3-of-4 threshold
decryption re-derived from the recorded ritual material, and its recorded file id is
``keccak256(abi.encode(contributor, headerHash))``. Invalid vectors must fail opaquely, except the
real DDF v1 file, which must be refused with the message that says to re-seal. See
tests/vectors/README.md for how the file was made.
"""

from __future__ import annotations

import io
import json
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from eth_hash.auto import keccak

from node.errors import EnvelopeError, UnsupportedDdfVersion
from node.protocol.crypto import (
    DataKey,
    SealContext,
    open_bytes_with_dek,
    open_sealed_bytes,
    read_header,
    unwrap_dek,
)
from node.protocol.dkg_local import LocalRitual
from node.protocol.header import Header
from node.protocol.ids import VALIDATION_SET_CONTRIBUTOR, submission_file_id
from node.types import ChecksumAddress, ContentCommitment, DatasetId, HeaderHash, RitualId

VECTORS = Path(__file__).resolve().parents[4] / "tests" / "vectors" / "ddf_v2.json"
DOC: dict[str, Any] = json.loads(VECTORS.read_text())


def context(raw: dict[str, Any]) -> SealContext:
    return SealContext(
        chain_id=int(raw["chain_id"]),
        registry=ChecksumAddress(raw["registry"]),
        dataset_id=DatasetId(int(raw["dataset_id"])),
        contributor=ChecksumAddress(raw["contributor"]),
        ritual_id=RitualId(int(raw["ritual_id"])),
        content_commitment=ContentCommitment(bytes.fromhex(raw["content_commitment"])),
    )


@pytest.fixture(scope="module")
def vector_ritual() -> LocalRitual:
    return LocalRitual.from_dict(DOC["ritual"])


def test_the_file_holds_what_the_readme_promises() -> None:
    names = {v["name"] for v in DOC["valid"]}
    assert {
        "empty",
        "one-byte",
        "multi-segment",
        "segment-boundary",
        "wide-fields",
        "validation-set",
    } <= names
    assert {"v1-file", "relabelled-v1", "unknown-version"} <= {v["name"] for v in DOC["invalid"]}
    validation = next(v for v in DOC["valid"] if v["name"] == "validation-set")
    assert validation["context"]["contributor"] == VALIDATION_SET_CONTRIBUTOR
    assert DOC["ritual"]["threshold"] == 3
    assert DOC["ritual"]["shares_num"] == 4


@pytest.mark.parametrize("v", DOC["valid"], ids=lambda v: v["name"])
def test_header_is_canonical_and_hashes_as_recorded(v: dict[str, Any]) -> None:
    encoded = bytes.fromhex(v["header"])
    header = Header.decode(encoded)
    assert header.encode() == encoded
    assert header.header_hash() == keccak(encoded) == bytes.fromhex(v["header_hash"])
    assert header.nonce_prefix == bytes.fromhex(v["nonce_prefix"])
    assert header.segment_size == v["segment_size"]
    assert header.version == 2
    assert encoded[4] == 2
    assert context(v["context"]).matches(header)
    assert header.contributor == v["context"]["contributor"]
    # the file id the registry derives: keccak256(12 zero bytes || address || headerHash)
    expected_id = keccak(bytes(12) + bytes.fromhex(header.contributor[2:]) + keccak(encoded))
    assert submission_file_id(header.contributor, header.header_hash()) == expected_id
    assert expected_id == bytes.fromhex(v["file_id"])
    sealed = bytes.fromhex(v["sealed"])
    assert sealed[4 : 4 + len(encoded)] == encoded


@pytest.mark.parametrize("v", DOC["valid"], ids=lambda v: v["name"])
def test_opens_with_the_recorded_data_key(v: dict[str, Any]) -> None:
    dek = DataKey(bytes.fromhex(v["dek"]))
    opened = open_bytes_with_dek(bytes.fromhex(v["sealed"]), dek, context(v["context"]))
    assert opened == bytes.fromhex(v["plaintext"])


@pytest.mark.parametrize("v", DOC["valid"], ids=lambda v: v["name"])
def test_opens_through_threshold_decryption(v: dict[str, Any], vector_ritual: LocalRitual) -> None:
    sealed = bytes.fromhex(v["sealed"])
    opened = open_sealed_bytes(
        sealed,
        context(v["context"]),
        dek_for=vector_ritual.decrypt,
        expected_header_hash=HeaderHash(bytes.fromhex(v["header_hash"])),
    )
    assert opened == bytes.fromhex(v["plaintext"])


def test_every_threshold_subset_recovers_the_recorded_key(vector_ritual: LocalRitual) -> None:
    v = next(v for v in DOC["valid"] if v["name"] == "multi-segment")
    header = read_header(io.BytesIO(bytes.fromhex(v["sealed"])))
    for subset in combinations(range(4), 3):
        secret = vector_ritual.shared_secret(header, indices=subset)
        assert unwrap_dek(header, secret) == DataKey(bytes.fromhex(v["dek"]))


OPAQUE = [v for v in DOC["invalid"] if v["expect"] == "EnvelopeError"]
V1_FILES = [v for v in DOC["invalid"] if v["expect"] == "UnsupportedDdfVersion"]


@pytest.mark.parametrize("v", OPAQUE, ids=lambda v: v["name"])
def test_invalid_vectors_fail_opaquely(v: dict[str, Any]) -> None:
    dek = DataKey(bytes.fromhex(v["dek"]))
    with pytest.raises(EnvelopeError) as info:
        open_bytes_with_dek(bytes.fromhex(v["sealed"]), dek, context(v["context"]))
    assert type(info.value) is EnvelopeError
    assert info.value.args == EnvelopeError().args


@pytest.mark.parametrize("v", V1_FILES, ids=lambda v: v["name"])
def test_a_real_v1_file_is_refused_with_the_reseal_message(
    v: dict[str, Any], vector_ritual: LocalRitual
) -> None:
    sealed = bytes.fromhex(v["sealed"])
    assert sealed[8] == 1  # the version byte after the frame and the magic
    for call in (
        lambda: read_header(io.BytesIO(sealed)),
        lambda: open_bytes_with_dek(
            sealed, DataKey(bytes.fromhex(v["dek"])), context(v["context"])
        ),
        lambda: open_sealed_bytes(sealed, context(v["context"]), dek_for=vector_ritual.decrypt),
    ):
        with pytest.raises(UnsupportedDdfVersion) as info:
            call()
        assert str(info.value) == (
            "this is a DDF v1 file; protocol v2 refuses it: re-seal the export with this node"
        )
