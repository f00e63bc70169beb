"""node/chain/eip712.py reproduces the shared Submission vectors (also asserted by forge)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from node.chain.eip712 import SubmissionMessage, digest, recover_signer, sign

DATA = json.loads(
    (Path(__file__).resolve().parents[3] / "vectors" / "submission_eip712_v1.json").read_text()
)
DOMAIN = DATA["domain"]


def _message(s: dict[str, Any]) -> SubmissionMessage:
    return SubmissionMessage(
        contributor=Web3.to_checksum_address(s["contributor"]),
        datasetId=int(s["dataset_id"]),
        fileId=bytes.fromhex(s["file_id"][2:]),
        cid=s["cid"],
        headerHash=bytes.fromhex(s["header_hash"][2:]),
        contentCommitment=bytes.fromhex(s["content_commitment"][2:]),
        ritualId=int(s["ritual_id"]),
        epoch=int(s["epoch"]),
        nonce=int(s["nonce"]),
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


def test_another_chain_or_registry_changes_the_digest() -> None:
    m = _message(DATA["vectors"][0]["submission"])
    base = digest(m, chain_id=DOMAIN["chain_id"], registry=DOMAIN["verifying_contract"])
    assert digest(m, chain_id=1, registry=DOMAIN["verifying_contract"]) != base
    other = "0x" + "12" * 20
    assert digest(m, chain_id=DOMAIN["chain_id"], registry=other) != base
