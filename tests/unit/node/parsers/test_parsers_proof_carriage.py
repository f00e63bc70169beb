"""Proofs in the canonical header: sealed with the export, never changing proof-less bytes.

Hostile headers first: the loader accepts exactly what ``canonicalize`` writes."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from datetime import UTC, datetime

import pytest

from node.errors import ParseError
from node.parsers.base import MAX_PROOF_BYTES, MAX_PROOFS, AttachedProof, ParsedExport, Record
from node.parsers.canonical import canonicalize, export_commitment, load_canonical
from node.parsers.errors import InvalidStructure, NotCanonical, RecordTooLarge

EXPORT = ParsedExport(
    platform="chatgpt",
    account="user-1",
    records=(Record("r1", datetime(2025, 1, 1, tzinfo=UTC), "message", "hello there"),),
    email="alice@example.org",
)
PROOFS = (AttachedProof("reclaim", b'{"x":1}'), AttachedProof("dkim", b"From: a\r\n\r\n"))


def with_header(data: bytes, **changes: object) -> bytes:
    head, _, rest = data.partition(b"\n")
    obj = json.loads(head)
    obj.update(changes)
    obj = {k: v for k, v in obj.items() if v is not ...}
    line = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return line.encode() + b"\n" + rest


PROVEN = canonicalize(dataclasses.replace(EXPORT, proofs=PROOFS)).data


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"proofs": ""}, InvalidStructure),
        ({"proofs": []}, InvalidStructure),
        ({"proofs": [{"data": "YQ==", "method": "dkim"}]}, InvalidStructure),
        ({"proofs": "dkim"}, InvalidStructure),
        ({"proofs": "dkim:!!notbase64"}, InvalidStructure),
        ({"proofs": "dkim:YQ"}, InvalidStructure),  # unpadded
        ({"proofs": "dkim:"}, InvalidStructure),
        ({"proofs": "DKIM!:YQ=="}, InvalidStructure),
        ({"proofs": "dkim:YQ==  dkim:Yg=="}, InvalidStructure),
        ({"proofs": " ".join(["dkim:YQ=="] * (MAX_PROOFS + 1))}, InvalidStructure),
        ({"proofs": "dkim:YQ== dkim:YQ=="}, NotCanonical),
        ({"proofs": "dkim:Yg== dkim:YQ=="}, NotCanonical),
        ({"email": ...}, InvalidStructure),  # proofs without the email key
        ({"email": 7}, InvalidStructure),
    ],
)
def test_hostile_proof_headers_are_typed_refusals(changes: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        load_canonical(with_header(PROVEN, **changes))


def test_email_without_proofs_is_refused() -> None:
    plain = canonicalize(EXPORT).data
    with pytest.raises(InvalidStructure):
        load_canonical(with_header(plain, email="alice@example.org"))


def test_a_huge_proof_is_refused_before_decoding() -> None:
    huge = base64.b64encode(b"a" * (MAX_PROOF_BYTES + 1)).decode()
    with pytest.raises(InvalidStructure):
        load_canonical(with_header(PROVEN, proofs=f"dkim:{huge}"))
    huger = base64.b64encode(b"a" * (MAX_PROOFS + 1) * MAX_PROOF_BYTES).decode()
    with pytest.raises(RecordTooLarge):
        load_canonical(with_header(PROVEN, proofs=f"dkim:{huger}"))


def test_attached_proof_refuses_bad_methods_and_sizes() -> None:
    for method in ("", "A", "x" * 33, "a b"):
        with pytest.raises(ValueError, match="method"):
            AttachedProof(method, b"x")
    with pytest.raises(ValueError, match="bytes"):
        AttachedProof("dkim", b"")
    with pytest.raises(ValueError, match="bytes"):
        AttachedProof("dkim", b"a" * (MAX_PROOF_BYTES + 1))


def test_too_many_proofs_cannot_be_canonicalized() -> None:
    many = tuple(AttachedProof("dkim", bytes([i + 1])) for i in range(MAX_PROOFS + 1))
    with pytest.raises(ParseError):
        canonicalize(dataclasses.replace(EXPORT, proofs=many))


def test_proofless_bytes_do_not_carry_the_email_and_are_unchanged() -> None:
    plain = canonicalize(EXPORT)
    assert b"alice@example.org" not in plain.data
    assert plain.data == canonicalize(dataclasses.replace(EXPORT, email=None)).data
    assert plain.export_commitment is None
    assert plain.proofless_commitment == plain.commitment
    assert export_commitment(plain.data) == plain.commitment


def test_proofs_round_trip_sorted_and_deduplicated() -> None:
    doubled = canonicalize(dataclasses.replace(EXPORT, proofs=PROOFS + PROOFS[:1]))
    assert doubled.data == PROVEN
    loaded = load_canonical(PROVEN)
    assert loaded.proofs == tuple(sorted(PROOFS))
    assert loaded.email == "alice@example.org"
    assert canonicalize(loaded).data == PROVEN


def test_export_commitment_is_the_unproven_commitment() -> None:
    proven = canonicalize(dataclasses.replace(EXPORT, proofs=PROOFS))
    plain = canonicalize(EXPORT)
    assert proven.commitment != plain.commitment
    assert proven.commitment == hashlib.sha256(proven.data).digest()
    assert proven.export_commitment == plain.commitment
    assert export_commitment(proven.data) == plain.commitment
    assert load_canonical(proven.data).records == load_canonical(plain.data).records
