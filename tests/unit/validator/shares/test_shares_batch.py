"""``POST /v1/shares/batch``: hostile batches first, then the honest one opened end to end.

Three real share services (one per ritual member, real Ferveo, real EIP-712, real sealing) run
in process behind FastAPI's TestClient; only the chain is a fake view (a dict of records, a
committee and a grant) that counts its reads, so "once per batch" is asserted, not assumed.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import uvicorn
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from node.chain.eip712 import (
    MAX_BATCH_FILES,
    DecryptionBatch,
    Purpose,
    batch_share_aad,
    digest,
    file_ids_hash,
    sign,
)
from node.chain.errors import ContractRevert
from node.chain.registry import SubmissionRecord
from node.custody.errors import ShareRefused, ShareUnreachable
from node.custody.gather import BatchAsk, GatherPolicy, Peer, ShareClient
from node.custody.session import SealedShare, SessionKey, open_from
from node.custody.wire import (
    BATCH_PATH,
    SHARES_PATH,
    BatchRequestBody,
    BatchResponseBody,
    Refusal,
    WireBatch,
    from_hex,
    to_hex,
)
from node.errors import KeyCustodyError
from node.protocol.crypto import (
    DaoPublicKey,
    DecryptionRequest,
    SealContext,
    SealedBlob,
    combine_decryption_shares,
    open_bytes_with_dek,
    seal_bytes,
    unwrap_dek,
)
from node.protocol.dkg_member import Participant, RitualMember, ferveo_public_key, new_keypair_seed
from node.protocol.ids import submission_file_id
from node.storage.memory import MemoryBlobStore
from node.types import Cid, ContentCommitment, DatasetId, Epoch, FileId, HeaderHash, RitualId
from validator.shares.app import ServedRitual, create_app
from validator.shares.audit import AuditError, AuditEvent
from validator.shares.checks import Pinned, Refused
from validator.shares.serve import guarded_h11

CHAIN_ID = 31337
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DATASET, EPOCH, RITUAL, REQ = 1, 3, 7, 9
N, T = 4, 3
BLOCK = Pinned(number=50, hash=b"\x50" * 32, timestamp=10_000)
VALIDATORS = [Account.create() for _ in range(N)]


@dataclass
class World:
    members: dict[str, RitualMember]
    aggregate: bytes
    store: MemoryBlobStore
    blobs: dict[bytes, tuple[SealedBlob, bytes]]  # file id -> (blob, plaintext)
    records: dict[bytes, SubmissionRecord]
    scorer: LocalAccount  # on the committee
    renter: LocalAccount
    session: SessionKey
    stranger: LocalAccount


def _file(
    world_store: MemoryBlobStore, dao: DaoPublicKey, contributor: str, epoch: int, i: int
) -> tuple[SubmissionRecord, SealedBlob, bytes]:
    plaintext = b'{"i":%d}\n' % i * 20
    commitment = ContentCommitment(hashlib.sha256(plaintext).digest())
    ctx = SealContext(
        chain_id=CHAIN_ID,
        registry=REGISTRY,  # type: ignore[arg-type]
        dataset_id=DatasetId(DATASET),
        contributor=contributor,  # type: ignore[arg-type]
        ritual_id=RitualId(RITUAL),
        content_commitment=commitment,
    )
    blob = seal_bytes(plaintext, dao, ctx)
    cid = world_store.add(blob.data)
    fid = submission_file_id(contributor, blob.header_hash)
    record = SubmissionRecord(
        contributor=contributor,  # type: ignore[arg-type]
        dataset_id=DatasetId(DATASET),
        epoch=Epoch(epoch),
        ritual_id=RitualId(RITUAL),
        registered_at=5,
        header_hash=HeaderHash(blob.header_hash),
        content_commitment=commitment,
        cid=Cid(cid),
        file_id=FileId(fid),
    )
    return record, blob, plaintext


@pytest.fixture(scope="module")
def world() -> World:
    seeds = {v.address: new_keypair_seed() for v in VALIDATORS}
    committee = [Participant(a, ferveo_public_key(seeds[a])) for a in sorted(seeds)]
    members = {
        a: RitualMember(
            ritual_id=RITUAL, threshold=T, participants=committee, me=a, keypair_seed=seeds[a]
        )
        for a in seeds
    }
    transcripts = {a: m.deal() for a, m in members.items()}
    agg = next(iter(members.values())).aggregate(transcripts)
    dao = DaoPublicKey(agg.dkg_public_key)
    store = MemoryBlobStore()
    alice = Account.create().address
    blobs: dict[bytes, tuple[SealedBlob, bytes]] = {}
    records: dict[bytes, SubmissionRecord] = {}
    for i in range(6):
        # file 5 was submitted in the next epoch: outside a scoring batch for EPOCH
        record, blob, plaintext = _file(store, dao, alice, EPOCH + (1 if i == 5 else 0), i)
        records[bytes(record.file_id)] = record
        blobs[bytes(record.file_id)] = (blob, plaintext)
    return World(
        members=members,
        aggregate=agg.aggregated_transcript,
        store=store,
        blobs=blobs,
        records=records,
        scorer=Account.create(),
        renter=Account.create(),
        session=SessionKey.generate(),
        stranger=Account.create(),
    )


class FakeView:
    """The chain as the checks read it: committee, one grant, the records; counts reads."""

    def __init__(self, world: World, *, in_scope: set[bytes] | None = None) -> None:
        self.world = world
        self.in_scope = set(world.records) if in_scope is None else in_scope
        self.reads: dict[str, int] = {}
        self.pinned = 0
        w = world
        self.score_board = SimpleNamespace(
            contract=SimpleNamespace(
                functions=SimpleNamespace(
                    committee=lambda d, e: ("committee", lambda: [w.scorer.address])
                )
            )
        )

        def access(req: int) -> tuple[str, Callable[[], object]]:
            def read() -> object:
                if req != REQ:
                    raise ContractRevert({})
                return (w.renter.address, 0, 0, 0, 0, DATASET, w.session.public_bytes)

            return ("access", read)

        self.access = SimpleNamespace(
            contract=SimpleNamespace(
                functions=SimpleNamespace(
                    access=access,
                    isGranted=lambda req: ("isGranted", lambda: True),
                    revokedAtBlock=lambda req: ("revokedAtBlock", lambda: 0),
                    inScope=lambda req, fid: ("inScope", lambda: bytes(fid) in self.in_scope),
                )
            )
        )

    def pinned_block(self) -> Pinned:
        self.pinned += 1
        return BLOCK

    def _read(self, fn: tuple[str, Callable[[], object]], block: Pinned) -> object:
        self.reads[fn[0]] = self.reads.get(fn[0], 0) + 1
        return fn[1]()

    def submission(self, file_id: bytes, block: Pinned) -> SubmissionRecord:
        self.reads["submission"] = self.reads.get("submission", 0) + 1
        record = self.world.records.get(bytes(file_id))
        if record is None:
            raise Refused(Refusal.UNKNOWN_FILE, "not registered")
        return record


class Audit:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent, *, durable: bool = False) -> None:
        self.events.append(event)

    def pending(self) -> int:
        return 0


@dataclass
class Service:
    http: TestClient
    view: FakeView
    audit: Audit
    address: str
    app: FastAPI


def _service(
    world: World,
    validator: LocalAccount,
    *,
    member: Any = None,
    audit: Audit | None = None,
    **view_kw: Any,
) -> Service:
    """One validator's service; ``member`` stands in for its ritual member (slow or failing
    share functions), ``audit`` for its audit log."""
    chain = SimpleNamespace(chain_id=CHAIN_ID)
    contracts = SimpleNamespace(
        registry=SimpleNamespace(address=REGISTRY), access=None, board=None, config=None
    )
    audit = audit or Audit()
    app = create_app(
        chain=chain,  # type: ignore[arg-type]
        contracts=contracts,  # type: ignore[arg-type]
        store=world.store,
        rituals={RITUAL: ServedRitual(member or world.members[validator.address], world.aggregate)},
        me=validator.address,
        audit=audit,  # type: ignore[arg-type]
    )
    view = FakeView(world, **view_kw)
    app.state.service.view = view
    return Service(TestClient(app), view, audit, validator.address, app)


@pytest.fixture
def svc(world: World) -> Service:
    return _service(world, VALIDATORS[0])


def _batch(
    world: World,
    file_ids: list[bytes],
    *,
    signer: LocalAccount | None = None,
    purpose: Purpose = Purpose.SCORING,
    nonce: int = 1,
    deadline: int = BLOCK.timestamp + 600,
    signed_ids: list[bytes] | None = None,
) -> tuple[DecryptionBatch, bytes]:
    who = signer or (world.scorer if purpose == Purpose.SCORING else world.renter)
    m = DecryptionBatch(
        purpose=int(purpose),
        reqId=REQ if purpose == Purpose.ACCESS else 0,
        datasetId=DATASET,
        epoch=EPOCH if purpose == Purpose.SCORING else 0,
        fileIdsHash=file_ids_hash(signed_ids if signed_ids is not None else file_ids),
        requesterKey=world.session.public_bytes,
        deadline=deadline,
        nonce=nonce,
    )
    body = BatchRequestBody(
        request=WireBatch.from_message(m, file_ids),
        signature="0x" + sign(m, who, chain_id=CHAIN_ID, registry=REGISTRY).hex(),
    )
    return m, body.model_dump_json().encode()


def _post(svc: Service, body: bytes) -> tuple[int, dict[str, Any]]:
    r = svc.http.post(BATCH_PATH, content=body, headers={"content-type": "application/json"})
    return r.status_code, r.json()


def _good_ids(world: World) -> list[bytes]:
    return [f for f, r in world.records.items() if r.epoch == EPOCH]


# ------------------------------------------------------------------------- hostile first


def test_an_oversize_batch_is_refused_before_any_signature_work(world: World, svc: Service) -> None:
    ids = [i.to_bytes(32, "big") for i in range(1, MAX_BATCH_FILES + 2)]
    _, body = _batch(world, ids)
    status, answer = _post(svc, body)
    assert (status, answer["error"]) == (413, Refusal.TOO_LARGE.value)
    assert svc.view.pinned == 0
    assert svc.view.reads == {}


def test_a_body_over_the_byte_cap_is_refused(world: World, svc: Service) -> None:
    status, answer = _post(svc, b"{" + b" " * 40_000 + b"}")
    assert (status, answer["error"]) == (413, Refusal.TOO_LARGE.value)


def test_duplicate_ids_are_malformed(world: World, svc: Service) -> None:
    good = _good_ids(world)
    m, _ = _batch(world, good[:2])
    raw = WireBatch.from_message(m, good[:2]).model_dump()
    raw["fileIds"] = [to_hex(good[0]), to_hex(good[0])]
    raw["fileIdsHash"] = to_hex(file_ids_hash([good[0], good[0]]))
    body = {"request": raw, "signature": "0x" + "11" * 65}
    r = svc.http.post(BATCH_PATH, json=body)
    assert (r.status_code, r.json()["error"]) == (400, Refusal.MALFORMED.value)
    assert svc.view.reads == {}


def test_ids_that_do_not_hash_to_the_signed_hash_are_refused(world: World, svc: Service) -> None:
    good = _good_ids(world)
    # signed for two files, the body smuggles a third
    _, body = _batch(world, good[:3], signed_ids=good[:2])
    status, answer = _post(svc, body)
    assert (status, answer["error"]) == (400, Refusal.MALFORMED.value)
    assert "fileIdsHash" in answer["detail"]


def test_ids_reordered_after_signing_do_not_pass_as_the_signed_batch(
    world: World, svc: Service
) -> None:
    good = _good_ids(world)
    _, body = _batch(world, good[:3], signed_ids=list(reversed(good[:3])))
    status, _ = _post(svc, body)
    assert status == 400


def test_a_batch_from_a_non_committee_member_is_refused_whole(world: World, svc: Service) -> None:
    _, body = _batch(world, _good_ids(world), signer=world.stranger)
    status, answer = _post(svc, body)
    assert (status, answer["error"]) == (403, Refusal.NOT_COMMITTEE.value)
    assert svc.view.reads == {"committee": 1}  # standing first: no file was read
    assert svc.audit.events[-1].decision == "refused"


def test_a_renter_batch_signed_by_someone_else_is_wrong_signer(world: World, svc: Service) -> None:
    _, body = _batch(world, _good_ids(world), purpose=Purpose.ACCESS, signer=world.stranger)
    status, answer = _post(svc, body)
    assert (status, answer["error"]) == (403, Refusal.WRONG_SIGNER.value)


def test_a_tampered_signature_does_not_recover_the_committee_member(
    world: World, svc: Service
) -> None:
    good = _good_ids(world)
    m, body = _batch(world, good)
    parsed = BatchRequestBody.model_validate_json(body)
    other = parsed.request.model_copy(update={"nonce": m.nonce + 1})
    forged = BatchRequestBody(request=other, signature=parsed.signature)
    status, answer = _post(svc, forged.model_dump_json().encode())
    # the signature recovers some other address, which is not on the committee
    assert status in (401, 403)
    assert answer["error"] in (Refusal.BAD_SIGNATURE.value, Refusal.NOT_COMMITTEE.value)


def test_a_replayed_batch_nonce_is_refused(world: World, svc: Service) -> None:
    _, body = _batch(world, _good_ids(world)[:1], nonce=77)
    assert _post(svc, body)[0] == 200
    status, answer = _post(svc, body)
    assert (status, answer["error"]) == (409, Refusal.REPLAYED_NONCE.value)


def test_an_expired_batch_is_refused(world: World, svc: Service) -> None:
    _, body = _batch(world, _good_ids(world), deadline=BLOCK.timestamp - 1)
    status, answer = _post(svc, body)
    assert (status, answer["error"]) == (403, Refusal.REQUEST_EXPIRED.value)


def test_a_file_outside_the_epoch_is_refused_alone(world: World, svc: Service) -> None:
    good = _good_ids(world)
    late = next(f for f, r in world.records.items() if r.epoch != EPOCH)
    unknown = b"\x99" * 32
    ids = [good[0], late, good[1], unknown]
    _, body = _batch(world, ids, nonce=5)
    status, answer = _post(svc, body)
    assert status == 200
    results = BatchResponseBody.model_validate(answer).results
    assert [from_hex(r.fileId) for r in results] == ids
    assert [r.error for r in results] == [
        None,
        Refusal.WRONG_EPOCH.value,
        None,
        Refusal.UNKNOWN_FILE.value,
    ]
    assert results[0].ciphertext
    assert results[2].ciphertext
    assert results[1].ciphertext is None
    assert results[3].ciphertext is None
    # one audit line names every file and its outcome
    event = svc.audit.events[-1]
    assert event.files == {
        to_hex(good[0]): "served",
        to_hex(late): "wrong_epoch",
        to_hex(good[1]): "served",
        to_hex(unknown): "unknown_file",
    }


def test_a_renter_file_outside_the_grant_is_refused_alone(world: World) -> None:
    good = _good_ids(world)
    svc = _service(world, VALIDATORS[0], in_scope={good[0]})
    _, body = _batch(world, good[:2], purpose=Purpose.ACCESS, nonce=6)
    status, answer = _post(svc, body)
    assert status == 200
    errors = [r.error for r in BatchResponseBody.model_validate(answer).results]
    assert errors == [None, Refusal.OUT_OF_SCOPE.value]
    assert svc.view.reads["access"] == 1  # the grant is read once, scope per file
    assert svc.view.reads["inScope"] == 2


def test_a_share_cannot_be_moved_to_another_slot(world: World, svc: Service) -> None:
    good = _good_ids(world)[:2]
    m, body = _batch(world, good, nonce=8)
    results = BatchResponseBody.model_validate(_post(svc, body)[1]).results
    d = digest(m, chain_id=CHAIN_ID, registry=REGISTRY)
    sealed = SealedShare(
        ephemeral_public=from_hex(results[0].ephemeralKey or ""),
        ciphertext=from_hex(results[0].ciphertext or ""),
    )
    open_from(world.session, sealed, aad=batch_share_aad(d, good[0]))  # its own slot opens
    with pytest.raises(Exception, match="could not be opened"):
        open_from(world.session, sealed, aad=batch_share_aad(d, good[1]))


# ------------------------------------------------------------------------- streamed answers
# A batch answer streams one share at a time after the checks (issue #19): a slow but steady
# batch outlives a read timeout shorter than its total time, a share failing mid-stream is a
# cut body the client retries, and nothing streams before the audit line is durable. These run
# the app under uvicorn (the production h11 protocol) so the client sees real sockets.


class Member:
    """A ritual member whose share function is slow (``delay`` s per share) or fails from its
    ``fail_from``-th call on; ``before`` runs first on every call."""

    def __init__(
        self,
        inner: RitualMember,
        *,
        delay: float = 0.0,
        fail_from: int | None = None,
        before: Callable[[], None] | None = None,
    ) -> None:
        self.inner, self.delay, self.fail_from, self.before = inner, delay, fail_from, before
        self.ritual_id = inner.ritual_id
        self.calls = 0

    def decryption_share(self, aggregate: bytes, header: DecryptionRequest) -> bytes:
        self.calls += 1
        if self.before is not None:
            self.before()
        if self.fail_from is not None and self.calls >= self.fail_from:
            raise KeyCustodyError("share creation failed (injected)")
        time.sleep(self.delay)
        return self.inner.decryption_share(aggregate, header)


class DurableAudit(Audit):
    """Records whether each line was made durable; ``fail`` makes durable writes fail."""

    def __init__(self, *, fail: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.durable: list[bool] = []

    def record(self, event: AuditEvent, *, durable: bool = False) -> None:
        if durable and self.fail:
            raise AuditError("disk full (injected)")
        super().record(event, durable=durable)
        self.durable.append(durable)


@contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    """``app`` on a free loopback port, as ``serve`` runs it (guarded h11)."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="critical",
        lifespan="off",
        http=guarded_h11(read_timeout_s=10, max_connections_per_ip=16),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _client(world: World, *, timeout_s: float, signer: LocalAccount | None = None) -> ShareClient:
    return ShareClient(
        chain_id=CHAIN_ID,
        registry=REGISTRY,
        signer=signer or world.scorer,
        session=world.session,
        now=lambda: BLOCK.timestamp,
        policy=GatherPolicy(timeout_s=timeout_s, retries=1, backoff_s=0.01),
    )


def _ask(world: World) -> BatchAsk:
    return BatchAsk(Purpose.SCORING, DATASET, tuple(_good_ids(world)), epoch=EPOCH)


def test_a_slow_but_steady_batch_outlives_a_shorter_read_timeout(world: World) -> None:
    validator = VALIDATORS[0]
    good = _good_ids(world)
    # every share takes 0.3 s: the whole batch takes longer than the client's 1 s read timeout,
    # which a buffered answer would hit on every attempt (ShareUnreachable)
    member = Member(world.members[validator.address], delay=0.3)
    assert member.delay * len(good) > 1.0
    svc = _service(world, validator, member=member)
    with _serving(svc.app) as url, _client(world, timeout_s=1.0) as client:
        answer = client.request_batch(Peer(validator.address, url), _ask(world))
    assert set(answer) == set(good)
    assert all(isinstance(got, bytes) for got in answer.values())
    # one attempt, one nonce: nothing was thrown away and asked again
    assert [e.decision for e in svc.audit.events] == ["served"]
    assert member.calls == len(good)


def _drain(response: httpx.Response, got: bytearray) -> None:
    """Read the whole body, keeping in ``got`` what arrived before any error."""
    for chunk in response.iter_bytes():
        got += chunk


def test_a_share_failing_mid_stream_is_a_retryable_cut_not_a_short_answer(world: World) -> None:
    validator = VALIDATORS[0]
    good = _good_ids(world)
    member = Member(world.members[validator.address], fail_from=2)  # the 2nd share fails
    svc = _service(world, validator, member=member)
    _, body = _batch(world, good, nonce=4242)
    with _serving(svc.app) as url:
        got = bytearray()
        with (
            httpx.Client(timeout=5, trust_env=False) as http,
            http.stream("POST", url + BATCH_PATH, content=body) as response,
        ):
            assert response.status_code == 200  # the checks passed: the stream had begun
            with pytest.raises(httpx.RemoteProtocolError):
                _drain(response, got)
        # the first share left, the body was cut before it could parse as an answer
        assert bytes(got).startswith(b'{"validator":')
        assert not bytes(got).endswith(b"]}")
        with pytest.raises(ValidationError):
            BatchResponseBody.model_validate_json(bytes(got))
        # the client retries it (a transport error), then reports the service unreachable
        with _client(world, timeout_s=5) as client, pytest.raises(ShareUnreachable) as err:
            client.request_batch(Peer(validator.address, url), _ask(world))
    assert "RemoteProtocolError" in err.value.reason
    assert len(svc.audit.events) == 3  # the raw post, then both of the client's attempts


def test_no_share_is_computed_before_the_audit_line_is_durable(world: World) -> None:
    validator = VALIDATORS[0]
    good = _good_ids(world)
    audit = DurableAudit()
    seen: list[tuple[int, bool]] = []
    member = Member(
        world.members[validator.address],
        before=lambda: seen.append((len(audit.events), audit.durable[-1])),
    )
    svc = _service(world, validator, member=member, audit=audit)
    _, body = _batch(world, good, nonce=99)
    r = svc.http.post(BATCH_PATH, content=body, headers={"content-type": "application/json"})
    assert (r.status_code, r.headers["content-type"]) == (200, "application/json")
    parsed = BatchResponseBody.model_validate_json(r.content)
    assert len(parsed.results) == len(good)
    # the streamed pieces join into exactly the model's own JSON
    assert r.content == parsed.model_dump_json(exclude_none=True).encode()
    # every share was computed after the batch's one durable "served" line
    assert seen == [(1, True)] * len(good)
    assert audit.events[0].decision == "served"


def test_an_audit_failure_streams_nothing_and_is_503(world: World) -> None:
    validator = VALIDATORS[0]
    member = Member(world.members[validator.address])
    svc = _service(world, validator, member=member, audit=DurableAudit(fail=True))
    _, body = _batch(world, _good_ids(world), nonce=100)
    r = svc.http.post(BATCH_PATH, content=body, headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (503, "unavailable")
    assert member.calls == 0


def test_a_whole_batch_refusal_is_still_a_typed_error_over_the_wire(world: World) -> None:
    validator = VALIDATORS[0]
    member = Member(world.members[validator.address])
    svc = _service(world, validator, member=member)
    with (
        _serving(svc.app) as url,
        _client(world, timeout_s=5, signer=world.stranger) as client,
        pytest.raises(ShareRefused) as err,
    ):
        client.request_batch(Peer(validator.address, url), _ask(world))
    assert (err.value.status, err.value.code) == (403, Refusal.NOT_COMMITTEE.value)
    assert member.calls == 0
    assert svc.audit.events[-1].decision == "refused"


# ------------------------------------------------------------------------- then the honest


def test_t_services_serve_a_batch_that_opens_every_file(world: World) -> None:
    good = _good_ids(world)
    services = [_service(world, v) for v in VALIDATORS[:T]]
    m, body = _batch(world, good, nonce=1234)
    d = digest(m, chain_id=CHAIN_ID, registry=REGISTRY)
    shares: dict[bytes, list[bytes]] = {f: [] for f in good}
    for s in services:
        status, answer = _post(s, body)  # each validator keeps its own nonce store
        assert status == 200
        for item in BatchResponseBody.model_validate(answer).results:
            fid = from_hex(item.fileId)
            sealed = SealedShare(
                ephemeral_public=from_hex(item.ephemeralKey or ""),
                ciphertext=from_hex(item.ciphertext or ""),
            )
            shares[fid].append(open_from(world.session, sealed, aad=batch_share_aad(d, fid)))
        # the signer's standing and the pinned block: once per batch, not per file
        assert s.view.reads["committee"] == 1
        assert s.view.pinned == 1
        assert s.view.reads["submission"] == len(good)
    for fid, got in shares.items():
        blob, plaintext = world.blobs[fid]
        dek = unwrap_dek(blob.header, combine_decryption_shares(got))
        record = world.records[fid]
        ctx = SealContext(
            chain_id=CHAIN_ID,
            registry=REGISTRY,  # type: ignore[arg-type]
            dataset_id=record.dataset_id,
            contributor=record.contributor,
            ritual_id=record.ritual_id,
            content_commitment=record.content_commitment,
        )
        assert open_bytes_with_dek(blob.data, dek, ctx) == plaintext


def test_the_single_endpoint_still_answers_beside_the_batch_one(world: World, svc: Service) -> None:
    r = svc.http.post(SHARES_PATH, content=b"{}", headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (400, Refusal.MALFORMED.value)
