"""The devnet's spec file is the validator's ValuationSpec, byte for byte, so the digest the node
registers on chain is the one every validator computes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from node.devnet.validation import (
    SPEC_FILE,
    spec_digest,
    synthetic_validation_set,
    validation_file_id,
)
from node.proofs.attach import policy_from_spec
from node.proofs.devkeys import dev_policy
from validator.valuation.spec import ValuationSpec


def test_registered_digest_is_the_validators_digest() -> None:
    spec = ValuationSpec.from_json(SPEC_FILE.read_text())
    assert SPEC_FILE.read_text().strip() == spec.canonical_json()
    assert "0x" + spec_digest().hex() == spec.digest()


def test_non_canonical_spec_file_is_refused(tmp_path: Path) -> None:
    pretty = tmp_path / "spec.json"
    pretty.write_text(json.dumps(json.loads(SPEC_FILE.read_text()), indent=2))
    with pytest.raises(ValueError, match="not canonical"):
        spec_digest(pretty)


def test_validation_set_is_deterministic_and_its_file_id_is_per_dataset() -> None:
    a, b = synthetic_validation_set(), synthetic_validation_set()
    assert a.data == b.data
    assert a.records > 0
    assert validation_file_id(1) != validation_file_id(2)


def test_devnet_spec_pins_the_dev_proof_keys_and_halves_unproven_files() -> None:
    """The demo's proofs are made with ``node.proofs.devkeys``; they verify only if the spec the
    devnet registers pins exactly those keys and attestors (issue #20)."""
    spec = ValuationSpec.from_json(SPEC_FILE.read_text())
    assert spec.proofs == dev_policy()
    assert spec.proofs.requires_proof
    assert spec.proofs.unproven_bps(3001) == 1500  # floor(3001 * 5000 / 10000)
    assert policy_from_spec(SPEC_FILE) == spec.proofs  # what `datadao inspect --proof` reads
