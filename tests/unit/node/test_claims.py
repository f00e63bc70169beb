"""Claims in protocol v2 (node.services.claims), hostile first.

A vector whose root is not the finalized one, a tampered vector, a vector of another epoch, a
missing CID, a CID the store does not have, a vector that leaves our file out: each is a typed
refusal and nothing is sent. A claim of a file already claimed (found before sending, or a claim
that raced ours and reverted) is AlreadyClaimed, never a crash. A file scored 0 sends nothing.
Then the happy path: the proof verifies against the finalized root and the claim carries it.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from node.chain.contracts import Contracts
from node.chain.errors import ContractRevert
from node.protocol.scorevector import UNITS, ScoreVector, verify_proof
from node.services.claims import (
    AlreadyClaimed,
    FinalizedEpoch,
    NothingToClaim,
    RewardState,
    ScoredZero,
    VectorRefused,
    VectorUnavailable,
    claim_file,
    file_reward,
    load_vector,
    winning_cids,
)
from node.storage.memory import MemoryBlobStore
from node.types import Cid, DatasetId, Epoch, FileId

DS, EPOCH = DatasetId(1), Epoch(4)
A, B, C = (FileId(bytes([i]) * 32) for i in (1, 2, 3))
POOL = 700 * 10**18
BOND = 10**16


def vector(**values: int) -> ScoreVector:
    units = {
        A: values.get("a", 600_000_000),
        B: values.get("b", 400_000_000),
        C: values.get("c", 0),
    }
    return ScoreVector.from_units(DS, EPOCH, units)


def finalized(v: ScoreVector, cids: tuple[Cid, ...], *, quorum: bool = True) -> FinalizedEpoch:
    return FinalizedEpoch(DS, EPOCH, quorum, v.root, v.total, cids, POOL)


@pytest.fixture
def store() -> MemoryBlobStore:
    return MemoryBlobStore()


# ------------------------------------------------------------------------------ hostile


def test_no_published_cid_is_unavailable(store: MemoryBlobStore) -> None:
    with pytest.raises(VectorUnavailable, match="no winning revealer"):
        load_vector(store, finalized(vector(), ()))


def test_a_cid_the_store_does_not_have_is_unavailable(store: MemoryBlobStore) -> None:
    missing = MemoryBlobStore().add(vector().encode())
    with pytest.raises(VectorUnavailable, match="could not be fetched"):
        load_vector(store, finalized(vector(), (missing,)))


def test_a_vector_whose_root_is_not_the_finalized_one_is_refused(store: MemoryBlobStore) -> None:
    """A well-formed vector that gives us more than the quorum agreed: refused."""
    greedy = vector(a=900_000_000, b=100_000_000)
    cid = store.add(greedy.encode())
    with pytest.raises(VectorRefused, match="not the finalized root"):
        load_vector(store, finalized(vector(), (cid,)))


def test_a_tampered_vector_is_refused(store: MemoryBlobStore) -> None:
    honest = vector()
    doc = honest.encode().replace(b'"600000000"', b'"900000000"')
    cid = store.add(doc)
    with pytest.raises(VectorRefused):
        load_vector(store, finalized(honest, (cid,)))


def test_garbage_and_another_epochs_vector_are_refused(store: MemoryBlobStore) -> None:
    honest = vector()
    other_epoch = ScoreVector(DS, Epoch(5), honest.entries)
    cids = (store.add(b"\x00" * 64), store.add(b"[" * 100_000), store.add(other_epoch.encode()))
    with pytest.raises(VectorRefused, match="epoch 5"):
        load_vector(store, finalized(honest, cids))


def test_a_good_cid_after_bad_ones_is_used(store: MemoryBlobStore) -> None:
    honest = vector()
    bad = store.add(vector(a=1, b=UNITS - 1).encode())
    good = store.add(honest.encode())
    missing = MemoryBlobStore().add(b"elsewhere")
    assert load_vector(store, finalized(honest, (missing, bad, good))) == honest


def test_a_vector_without_our_file_is_refused() -> None:
    v = vector()
    stranger = FileId(b"\x09" * 32)
    with pytest.raises(VectorRefused, match="does not list"):
        file_reward(v, finalized(v, ()), stranger, bond=BOND, claimed=False)


class FakeRewards:
    def __init__(self, revert: ContractRevert | None = None) -> None:
        self.sent: list[tuple[str, tuple[Any, ...]]] = []
        self.revert = revert

    def claim(self, *args: Any) -> dict[str, Any]:
        self.sent.append(("claim", args))
        if self.revert is not None:
            raise self.revert
        return {"transactionHash": "0x" + "ab" * 32}

    def refundBond(self, *args: Any) -> dict[str, Any]:  # noqa: N802
        self.sent.append(("refundBond", args))
        return {"transactionHash": "0x" + "cd" * 32}

    def claimed_amounts(self, receipt: Any) -> list[tuple[int, int]]:
        return []


def contracts(rewards: FakeRewards) -> Contracts:
    return cast(Contracts, type("C", (), {"rewards": rewards})())


def test_already_claimed_is_typed_and_sends_nothing() -> None:
    v = vector()
    reward = file_reward(v, finalized(v, ()), A, bond=0, claimed=True)
    assert reward.state is RewardState.CLAIMED
    rewards = FakeRewards()
    with pytest.raises(AlreadyClaimed):
        claim_file(contracts(rewards), DS, reward)
    assert rewards.sent == []


def test_a_claim_that_raced_another_is_already_claimed_not_a_crash() -> None:
    v = vector()
    reward = file_reward(v, finalized(v, ()), A, bond=BOND, claimed=False)
    raced = type(
        "RewardDistributorAlreadyClaimed",
        (ContractRevert,),
        {"error_name": "RewardDistributorAlreadyClaimed"},
    )({})
    with pytest.raises(AlreadyClaimed, match="claimed meanwhile"):
        claim_file(contracts(FakeRewards(raced)), DS, reward)


def test_a_zero_valued_file_sends_no_claim() -> None:
    v = vector()
    reward = file_reward(v, finalized(v, ()), C, bond=BOND, claimed=False)
    assert (reward.value, reward.tokens) == (0, 0)
    assert reward.state is RewardState.SCORED_ZERO
    assert reward.state.value == "scored 0: bond forfeited"
    rewards = FakeRewards()
    with pytest.raises(ScoredZero, match="bond forfeited"):
        claim_file(contracts(rewards), DS, reward)
    assert isinstance(ScoredZero("x"), NothingToClaim)
    assert rewards.sent == []


def test_winning_cids_keep_only_reveals_of_the_finalized_root_in_chain_order() -> None:
    v = vector()

    def log(block: int, index: int, root: bytes, total: int, cid: str) -> dict[str, Any]:
        return {
            "blockNumber": block,
            "logIndex": index,
            "args": {"root": root, "total": total, "vectorCid": cid},
        }

    logs = [
        log(9, 0, v.root, v.total, "bafy-late"),
        log(7, 2, b"\x01" * 32, v.total, "bafy-loser"),
        log(7, 1, v.root, v.total, "bafy-first"),
        log(8, 0, v.root, v.total + 1, "bafy-other-total"),
        log(8, 1, v.root, v.total, "bafy-first"),
        log(8, 2, v.root, v.total, ""),
    ]
    assert winning_cids(logs, v.root, v.total) == ("bafy-first", "bafy-late")


# ------------------------------------------------------------------------------ happy


def test_claim_carries_a_proof_that_verifies_against_the_finalized_root(
    store: MemoryBlobStore,
) -> None:
    v = vector()
    epoch = finalized(v, (store.add(v.encode()),))
    loaded = load_vector(store, epoch)
    reward = file_reward(loaded, epoch, A, bond=BOND, claimed=False)
    assert reward.value == 600_000_000
    assert reward.share == pytest.approx(0.6)
    assert reward.tokens == POOL * 600_000_000 // UNITS
    assert verify_proof(epoch.root, A, reward.value, list(reward.proof))
    rewards = FakeRewards()
    outcome = claim_file(contracts(rewards), DS, reward)
    ((name, args),) = rewards.sent
    assert name == "claim"
    assert args == (DS, EPOCH, A, 600_000_000, list(reward.proof))
    assert (outcome.tokens, outcome.bond_refund) == (reward.tokens, BOND)


def test_no_quorum_refunds_the_bond_and_claims_nothing() -> None:
    v = vector()
    reward = file_reward(None, finalized(v, (), quorum=False), A, bond=BOND, claimed=False)
    assert reward.state is RewardState.REFUNDABLE
    rewards = FakeRewards()
    outcome = claim_file(contracts(rewards), DS, reward)
    assert [n for n, _ in rewards.sent] == ["refundBond"]
    assert (outcome.tokens, outcome.bond_refund) == (0, BOND)
    refunded = file_reward(None, finalized(v, (), quorum=False), A, bond=0, claimed=False)
    with pytest.raises(AlreadyClaimed):
        claim_file(contracts(FakeRewards()), DS, refunded)
