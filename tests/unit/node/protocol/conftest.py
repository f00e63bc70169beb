"""Fixtures for the DDF v2 sealing tests: one real Ferveo ritual per test module, a context.

The ritual is a genuine 3-of-4 DKG (``node.protocol.dkg_local``), not a mock; running it costs
about 0.3 s, hence module scope.
"""

from __future__ import annotations

import pytest
from eth_utils.address import to_checksum_address

from node.protocol.crypto import SealContext
from node.protocol.dkg_local import LocalRitual, run_local_ritual
from node.types import ContentCommitment, DatasetId, RitualId

RITUAL_ID = 7


@pytest.fixture(scope="module")
def ritual() -> LocalRitual:
    return run_local_ritual(shares=4, threshold=3, ritual_id=RITUAL_ID)


@pytest.fixture(scope="module")
def ctx() -> SealContext:
    return SealContext(
        chain_id=31337,
        registry=to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3"),
        dataset_id=DatasetId(1),
        contributor=to_checksum_address("0x70997970c51812dc3a010c7d01b50e0d17dc79c8"),
        ritual_id=RitualId(RITUAL_ID),
        content_commitment=ContentCommitment(bytes(range(100, 132))),
    )
