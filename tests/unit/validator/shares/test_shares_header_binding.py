"""The share service's v2 header bindings: a share only for the contributor the header names.

The registry cannot read a header, so a stranger can register Alice's CID and header hash under
its own address. These tests are that stranger (and a v1-style chosen file id, a stored v1
file, a lying log provider): each must be refused with ``header_mismatch`` (or, for the chain,
``chain_unavailable``) before any share is made, including when Alice's header is cached.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from eth_utils.address import to_checksum_address

from node.chain.eip712 import DecryptionRequest, Purpose
from node.chain.errors import ContractRevert
from node.chain.registry import SubmissionRecord
from node.custody.wire import Refusal
from node.protocol.crypto import SealContext, seal_bytes
from node.protocol.dkg_local import LocalRitual, run_local_ritual
from node.protocol.ids import VALIDATION_SET_CONTRIBUTOR, submission_file_id, validation_file_id
from node.storage.memory import MemoryBlobStore
from node.types import Cid, ContentCommitment, DatasetId, Epoch, FileId, HeaderHash, RitualId
from validator.shares.app import _Service
from validator.shares.checks import (
    ChainView,
    Pinned,
    Refused,
    check_header,
    fetch_header,
    load_header,
)
from validator.shares.ratelimit import LRU

CHAIN_ID = 31337
REGISTRY = to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3")
ALICE = to_checksum_address("0x70997970c51812dc3a010c7d01b50e0d17dc79c8")
MALLORY = to_checksum_address("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc")
DATASET = DatasetId(1)
RITUAL = 7
COMMITMENT = ContentCommitment(b"\x33" * 32)
V1_MESSAGE = "this is a DDF v1 file; protocol v2 refuses it: re-seal the export with this node"


@pytest.fixture(scope="module")
def ritual() -> LocalRitual:
    return run_local_ritual(shares=4, threshold=3, ritual_id=RITUAL)


def _seal(ritual: LocalRitual, contributor: str) -> tuple[MemoryBlobStore, Cid, HeaderHash]:
    ctx = SealContext(
        chain_id=CHAIN_ID,
        registry=REGISTRY,
        dataset_id=DATASET,
        contributor=to_checksum_address(contributor),
        ritual_id=RitualId(RITUAL),
        content_commitment=COMMITMENT,
    )
    sealed = seal_bytes(b'{"text":"alice wrote this"}\n', ritual.public_key, ctx)
    store = MemoryBlobStore()
    return store, store.add(sealed.data), sealed.header_hash


def _record(contributor: str, cid: Cid, header_hash: bytes, file_id: bytes) -> SubmissionRecord:
    return SubmissionRecord(
        contributor=to_checksum_address(contributor),
        dataset_id=DATASET,
        epoch=Epoch(3),
        ritual_id=RitualId(RITUAL),
        registered_at=5,
        header_hash=HeaderHash(header_hash),
        content_commitment=COMMITMENT,
        cid=cid,
        file_id=FileId(file_id),
    )


def _load(store: MemoryBlobStore, record: SubmissionRecord, file_id: bytes) -> None:
    load_header(store, record, chain_id=CHAIN_ID, registry=REGISTRY, file_id=file_id)


def _refused(call: Any) -> Refused:
    with pytest.raises(Refused) as info:
        call()
    return info.value


# ------------------------------------------------------------------------- hostile first


def test_a_stranger_who_registered_alices_header_is_refused(ritual: LocalRitual) -> None:
    store, cid, hh = _seal(ritual, ALICE)
    # the registry accepted it: Mallory signed, and the id is derived from Mallory's address
    stolen_id = submission_file_id(MALLORY, hh)
    record = _record(MALLORY, cid, hh, stolen_id)
    err = _refused(lambda: _load(store, record, stolen_id))
    assert err.code is Refusal.HEADER_MISMATCH
    assert ALICE in err.detail
    assert MALLORY in err.detail


def test_a_file_id_that_is_not_derived_from_the_header_is_refused(ritual: LocalRitual) -> None:
    store, cid, hh = _seal(ritual, ALICE)
    chosen = b"\x42" * 32  # v1: the submitter chose the id
    err = _refused(lambda: _load(store, _record(ALICE, cid, hh, chosen), chosen))
    assert err.code is Refusal.HEADER_MISMATCH
    assert "keccak256(contributor, headerHash)" in err.detail


def test_a_request_for_another_file_id_than_the_records_is_refused(ritual: LocalRitual) -> None:
    store, cid, hh = _seal(ritual, ALICE)
    record = _record(ALICE, cid, hh, submission_file_id(ALICE, hh))
    other = submission_file_id(MALLORY, hh)
    err = _refused(lambda: _load(store, record, other))
    assert err.code is Refusal.HEADER_MISMATCH


def test_a_header_that_is_not_the_registered_one_is_refused(ritual: LocalRitual) -> None:
    store, cid, _ = _seal(ritual, ALICE)
    _, _, other_hh = _seal(ritual, ALICE)  # another sealing: another nonce, another hash
    record = _record(ALICE, cid, other_hh, submission_file_id(ALICE, other_hh))
    err = _refused(lambda: _load(store, record, record.file_id))
    assert err.code is Refusal.HEADER_MISMATCH
    assert "headerHash" in err.detail


@pytest.mark.parametrize(
    "field",
    [
        {"dataset_id": DatasetId(2)},
        {"ritual_id": RitualId(RITUAL + 1)},
        {"content_commitment": ContentCommitment(b"\x00" * 32)},
    ],
    ids=["dataset", "ritual", "commitment"],
)
def test_a_record_with_another_context_is_refused(
    ritual: LocalRitual, field: dict[str, Any]
) -> None:
    store, cid, hh = _seal(ritual, ALICE)
    record = replace(_record(ALICE, cid, hh, submission_file_id(ALICE, hh)), **field)
    err = _refused(lambda: _load(store, record, record.file_id))
    assert err.code is Refusal.HEADER_MISMATCH


def test_a_stored_v1_file_is_refused_with_the_reseal_message() -> None:
    vectors = Path(__file__).resolve().parents[3] / "vectors" / "ddf_v2.json"
    doc = json.loads(vectors.read_text())
    v1 = bytes.fromhex(next(v for v in doc["invalid"] if v["name"] == "v1-file")["sealed"])
    store = MemoryBlobStore()
    cid = store.add(v1)
    hh = b"\x01" * 32
    err = _refused(
        lambda: _load(store, _record(ALICE, cid, hh, submission_file_id(ALICE, hh)), b"")
    )
    assert err.code is Refusal.HEADER_MISMATCH
    assert V1_MESSAGE in err.detail


def test_a_header_cached_for_alice_does_not_vouch_for_the_stranger(ritual: LocalRitual) -> None:
    """The service caches fetched headers by (cid, header hash), which Mallory's record shares."""
    store, cid, hh = _seal(ritual, ALICE)
    service = SimpleNamespace(headers=LRU(16), store=store, chain_id=CHAIN_ID, registry=REGISTRY)
    alice_id = submission_file_id(ALICE, hh)
    header = _Service._header(
        service,  # type: ignore[arg-type]
        _record(ALICE, cid, hh, alice_id),
        _request(alice_id),
    )
    assert header.header.contributor == ALICE
    assert len(service.headers) == 1
    stolen_id = submission_file_id(MALLORY, hh)
    err = _refused(
        lambda: _Service._header(
            service,  # type: ignore[arg-type]
            _record(MALLORY, cid, hh, stolen_id),
            _request(stolen_id),
        )
    )
    assert err.code is Refusal.HEADER_MISMATCH
    assert ALICE in err.detail


def _request(file_id: bytes) -> DecryptionRequest:
    return DecryptionRequest(
        purpose=int(Purpose.SCORING),
        reqId=0,
        datasetId=int(DATASET),
        epoch=3,
        fileId=file_id,
        requesterKey=b"\x02" * 33,
        deadline=2**40,
        nonce=1,
    )


# ------------------------------------------------------------------------- then the honest


def test_alices_own_record_opens(ritual: LocalRitual) -> None:
    store, cid, hh = _seal(ritual, ALICE)
    file_id = submission_file_id(ALICE, hh)
    header = load_header(
        store,
        _record(ALICE, cid, hh, file_id),
        chain_id=CHAIN_ID,
        registry=REGISTRY,
        file_id=file_id,
    )
    assert header.header_hash == hh
    assert header.header.contributor == ALICE


def test_the_validation_set_keeps_its_derived_id_and_the_zero_contributor(
    ritual: LocalRitual,
) -> None:
    store, cid, hh = _seal(ritual, VALIDATION_SET_CONTRIBUTOR)
    vid = validation_file_id(DATASET)
    record = _record(VALIDATION_SET_CONTRIBUTOR, cid, hh, vid)
    _load(store, record, vid)
    # the zero contributor does not exempt a submission id from the derivation
    other = b"\x07" * 32
    err = _refused(lambda: _load(store, replace(record, file_id=FileId(other)), other))
    assert err.code is Refusal.HEADER_MISMATCH
    # nor does the validation id exempt a header that names a real contributor
    store2, cid2, hh2 = _seal(ritual, ALICE)
    err = _refused(lambda: _load(store2, _record(ALICE, cid2, hh2, vid), vid))
    assert err.code is Refusal.HEADER_MISMATCH


def test_check_header_alone_is_the_binding(ritual: LocalRitual) -> None:
    store, cid, hh = _seal(ritual, ALICE)
    file_id = submission_file_id(ALICE, hh)
    record = _record(ALICE, cid, hh, file_id)
    header = fetch_header(store, record)
    check_header(header, record, chain_id=CHAIN_ID, registry=REGISTRY, file_id=file_id)
    err = _refused(
        lambda: check_header(
            header, record, chain_id=CHAIN_ID + 1, registry=REGISTRY, file_id=file_id
        )
    )
    assert err.code is Refusal.HEADER_MISMATCH


# ------------------------------------------------------------------------- the record join


class _Fn:
    def __init__(self, name: str, *args: object) -> None:
        self.address = REGISTRY
        self.fn_name = name
        self.args = args


class _Chain:
    """submissionOf from storage, SubmissionRegistered from logs; counts the reads."""

    def __init__(self, stored: tuple[object, ...] | None, logs: list[dict[str, Any]]) -> None:
        self.stored = stored
        self.logs = logs
        self.calls = 0
        self.log_reads: list[tuple[int, int | None, dict[str, Any] | None]] = []

    def call(self, fn: _Fn, *, block: int) -> object:
        self.calls += 1
        if self.stored is None:
            raise ContractRevert({})
        return self.stored

    def events(
        self,
        event: object,
        *,
        from_block: int,
        to_block: int | None = None,
        page_size: int = 2000,
        argument_filters: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        self.log_reads.append((from_block, to_block, argument_filters))
        return self.logs


def _chain_view(chain: _Chain) -> ChainView:
    contract = SimpleNamespace(
        functions=SimpleNamespace(submissionOf=lambda fid: _Fn("submissionOf", fid)),
        events={"SubmissionRegistered": lambda: object()},
    )
    registry = SimpleNamespace(address=REGISTRY, contract=contract)
    return ChainView(
        chain=chain,  # type: ignore[arg-type]
        registry=registry,  # type: ignore[arg-type]
        access=None,  # type: ignore[arg-type]
        score_board=None,  # type: ignore[arg-type]
        config=None,  # type: ignore[arg-type]
        confirmations=0,
    )


BLOCK = Pinned(number=20, hash=b"\x20" * 32, timestamp=1020)
FILE = b"\xaa" * 32
STORED = (ALICE, 3, RITUAL, int(DATASET), 10**16, 12)


def _log(**changes: object) -> dict[str, Any]:
    args: dict[str, Any] = {
        "datasetId": int(DATASET),
        "epoch": 3,
        "fileId": FILE,
        "contributor": ALICE,
        "cid": "bafkreiexample",
        "headerHash": b"\x01" * 32,
        "contentCommitment": bytes(COMMITMENT),
        "ritualId": RITUAL,
        "bond": 10**16,
    }
    args.update(changes)
    return {"args": args, "blockNumber": 12, "logIndex": 0}


def test_the_record_joins_storage_and_its_registration_log() -> None:
    chain = _Chain(STORED, [_log()])
    view = _chain_view(chain)
    record = view.submission(FILE, BLOCK)
    assert (record.contributor, record.epoch, record.registered_at) == (ALICE, 3, 12)
    assert (record.cid, record.header_hash, record.bond) == ("bafkreiexample", b"\x01" * 32, 10**16)
    assert chain.log_reads == [(12, 12, {"datasetId": int(DATASET), "epoch": 3, "fileId": FILE})]
    view.submission(FILE, BLOCK)  # the same pinned block: both reads are cached
    assert chain.calls == 1
    assert len(chain.log_reads) == 1


@pytest.mark.parametrize(
    "lie",
    [
        {"fileId": b"\xbb" * 32},
        {"contributor": MALLORY},
        {"epoch": 4},
        {"datasetId": 2},
    ],
    ids=["file", "contributor", "epoch", "dataset"],
)
def test_a_log_that_does_not_repeat_the_storage_record_is_not_used(lie: dict[str, Any]) -> None:
    # a provider that ignores topic filters hands back another file's log
    view = _chain_view(_Chain(STORED, [_log(**lie)]))
    err = _refused(lambda: view.submission(FILE, BLOCK))
    assert err.code is Refusal.CHAIN_UNAVAILABLE
    assert "SubmissionRegistered" in err.detail


def test_a_pruned_log_is_unavailable_not_unknown() -> None:
    err = _refused(lambda: _chain_view(_Chain(STORED, [])).submission(FILE, BLOCK))
    assert err.code is Refusal.CHAIN_UNAVAILABLE


def test_an_unregistered_file_is_unknown() -> None:
    chain = _Chain(None, [_log()])
    err = _refused(lambda: _chain_view(chain).submission(FILE, BLOCK))
    assert err.code is Refusal.UNKNOWN_FILE
    assert chain.log_reads == []  # no log read for a file the registry does not hold
