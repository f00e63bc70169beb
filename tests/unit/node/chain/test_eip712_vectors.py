"""node/chain/eip712.py reproduces the shared v2 Submission vectors (also asserted by forge)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_hash.auto import keccak
from web3 import Web3

from node.chain.eip712 import (
    SUBMISSION_TYPE,
    SubmissionMessage,
    digest,
    recover_signer,
    sign,
)
from node.protocol.ids import submission_file_id

DATA = json.loads(
    (Path(__file__).resolve().parents[3] / "vectors" / "submission_eip712_v2.json").read_text()
)
DOMAIN = DATA["domain"]


def _message(s: dict[str, Any]) -> SubmissionMessage:
    return SubmissionMessage(
        contributor=Web3.to_checksum_address(s["contributor"]),
        datasetId=int(s["dataset_id"]),
        cid=s["cid"],
        headerHash=bytes.fromhex(s["header_hash"][2:]),
        contentCommitment=bytes.fromhex(s["content_commitment"][2:]),
        ritualId=int(s["ritual_id"]),
        epoch=int(s["epoch"]),
        deadline=int(s["deadline"]),
    )


@pytest.mark.parametrize("v", DATA["vectors"], ids=lambda v: v["name"])
def test_submission_vectors(v: dict[str, Any]) -> None:
    m = _message(v["submission"])
    kw = {"chain_id": DOMAIN["chain_id"], "registry": DOMAIN["verifying_contract"]}
    assert "0x" + digest(m, **kw).hex() == v["digest"]
    account = Account.from_key(v["private_key"])
    assert "0x" + sign(m, account, **kw).hex() == v["signature"]
    assert recover_signer(m, bytes.fromhex(v["signature"][2:]), **kw) == m.contributor
    expected_id = bytes.fromhex(v["file_id"][2:])
    assert m.file_id() == submission_file_id(m.contributor, m.headerHash) == expected_id
    assert keccak(encode(["address", "bytes32"], [m.contributor, m.headerHash])) == expected_id


def test_the_domain_and_type_are_v2() -> None:
    assert DOMAIN["version"] == "2"
    assert DATA["type_string"] == SUBMISSION_TYPE
    assert "fileId" not in SUBMISSION_TYPE
    assert "nonce" not in SUBMISSION_TYPE
    assert "0x" + keccak(SUBMISSION_TYPE.encode()).hex() == DATA["typehash"]


def test_the_same_header_signed_by_another_contributor_is_another_file() -> None:
    by_name = {v["name"]: v for v in DATA["vectors"]}
    a, b = by_name["basic"], by_name["same_header_other_contributor"]
    assert a["submission"]["header_hash"] == b["submission"]["header_hash"]
    assert a["submission"]["contributor"] != b["submission"]["contributor"]
    assert a["file_id"] != b["file_id"]
    assert a["digest"] != b["digest"]


def test_a_signature_does_not_verify_for_another_contributor() -> None:
    # a front-runner who rewrites the contributor field of Alice's signed struct: the signature
    # recovers to someone else, so the registry's check fails
    v = DATA["vectors"][0]
    m = _message(v["submission"])
    kw = {"chain_id": DOMAIN["chain_id"], "registry": DOMAIN["verifying_contract"]}
    thief = Web3.to_checksum_address("0x" + "ab" * 20)
    forged = SubmissionMessage(**{**_asdict(m), "contributor": thief})
    assert recover_signer(forged, bytes.fromhex(v["signature"][2:]), **kw) != thief


def _asdict(m: SubmissionMessage) -> dict[str, Any]:
    return {f: getattr(m, f) for f in m.__dataclass_fields__}


def test_another_chain_or_registry_changes_the_digest() -> None:
    m = _message(DATA["vectors"][0]["submission"])
    base = digest(m, chain_id=DOMAIN["chain_id"], registry=DOMAIN["verifying_contract"])
    assert digest(m, chain_id=1, registry=DOMAIN["verifying_contract"]) != base
    other = "0x" + "12" * 20
    assert digest(m, chain_id=DOMAIN["chain_id"], registry=other) != base
