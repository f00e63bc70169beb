"""``ShareClient.gather_batch``: many files, one signed batch per validator, real Ferveo shares.

The validators are an ``httpx.MockTransport`` that answers ``/v1/shares/batch`` with real shares
sealed as the service seals them (AAD = batch digest ‖ file id); the service's own checks are
covered in tests/unit/validator/shares/test_shares_batch.py. Liars, per-file refusals and
whole-batch refusals first.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from types import SimpleNamespace

import httpx
import pytest
from eth_account import Account

from node.chain.eip712 import MAX_BATCH_FILES, Purpose, batch_share_aad, digest, recover_signer
from node.chain.registry import SubmissionRecord
from node.custody.errors import HeaderNamesAnotherContributor, NotEnoughShares, ShareUnreachable
from node.custody.files import decrypt_files
from node.custody.gather import (
    BatchAsk,
    BatchGather,
    GatherPolicy,
    Peer,
    ShareClient,
    _BadShare,
)
from node.custody.session import SessionKey, seal_to
from node.custody.wire import BatchRequestBody, to_hex
from node.errors import EnvelopeError
from node.protocol.crypto import (
    DaoPublicKey,
    SealContext,
    SealedBlob,
    ferveo_ciphertext_header,
    open_bytes_with_dek,
    seal_bytes,
)
from node.protocol.dkg_member import Participant, RitualMember, ferveo_public_key, new_keypair_seed
from node.protocol.ids import submission_file_id
from node.storage.memory import MemoryBlobStore
from node.types import ContentCommitment, DatasetId, Epoch, FileId, HeaderHash, RitualId
from validator.daemon.adapters import CustodyOpener
from validator.daemon.availability import FileNotInEpoch
from validator.daemon.driver import OpenStats

N, T, RITUAL = 4, 3, 5
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CONTRIBUTOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
CHAIN_ID = 31337
ADDRESSES = [Account.create().address for _ in range(N)]


@dataclass
class Files:
    members: dict[str, RitualMember]
    aggregate: bytes
    blobs: dict[bytes, tuple[SealedBlob, bytes, SealContext]]


@pytest.fixture(scope="module")
def files() -> Files:
    seeds = {a: new_keypair_seed() for a in ADDRESSES}
    committee = [Participant(a, ferveo_public_key(seeds[a])) for a in sorted(ADDRESSES)]
    members = {
        a: RitualMember(
            ritual_id=RITUAL, threshold=T, participants=committee, me=a, keypair_seed=seeds[a]
        )
        for a in ADDRESSES
    }
    transcripts = {a: m.deal() for a, m in members.items()}
    agg = next(iter(members.values())).aggregate(transcripts)
    blobs: dict[bytes, tuple[SealedBlob, bytes, SealContext]] = {}
    for i in range(4):
        plaintext = b'{"n":%d}\n' % i * 50
        ctx = SealContext(
            chain_id=CHAIN_ID,
            registry=REGISTRY,  # type: ignore[arg-type]
            dataset_id=DatasetId(1),
            contributor=CONTRIBUTOR,  # type: ignore[arg-type]
            ritual_id=RitualId(RITUAL),
            content_commitment=ContentCommitment(hashlib.sha256(plaintext).digest()),
        )
        blob = seal_bytes(plaintext, DaoPublicKey(agg.dkg_public_key), ctx)
        blobs[submission_file_id(CONTRIBUTOR, blob.header_hash)] = (blob, plaintext, ctx)
    return Files(members, agg.aggregated_transcript, blobs)


def _client(
    files: Files,
    answer: dict[str, Callable[[Files, str, BatchRequestBody], httpx.Response]],
    calls: dict[str, list[int]],
) -> tuple[ShareClient, list[Peer]]:
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        address = request.url.host.removeprefix("v-")
        address = next(a for a in ADDRESSES if a.lower() == address)
        body = BatchRequestBody.model_validate_json(request.content)
        with lock:
            calls.setdefault(address, []).append(len(body.request.fileIds))
        return answer[address](files, address, body)

    client = ShareClient(
        chain_id=CHAIN_ID,
        registry=REGISTRY,
        signer=Account.create(),
        session=SessionKey.generate(),
        now=lambda: 1_000_000,
        policy=GatherPolicy(timeout_s=2, retries=2, backoff_s=0.01),
        http=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    return client, [Peer(a, f"http://v-{a.lower()}") for a in ADDRESSES]


def honest(
    *,
    refuse: frozenset[bytes] = frozenset(),
    garble: frozenset[bytes] = frozenset(),
    swap: bool = False,
) -> Callable[[Files, str, BatchRequestBody], httpx.Response]:
    """A validator; ``refuse``/``garble`` name files it refuses or lies about; ``swap`` puts
    each file's (correctly sealed) share of the *next* file in its slot."""

    def answer(files: Files, address: str, body: BatchRequestBody) -> httpx.Response:
        m = body.request.to_message()
        d = digest(m, chain_id=CHAIN_ID, registry=REGISTRY)
        ids = body.request.file_ids()
        items: list[dict[str, object]] = []
        for k, fid in enumerate(ids):
            if fid in refuse:
                items.append({"fileId": to_hex(fid), "error": "out_of_scope", "detail": "no"})
                continue
            source = ids[(k + 1) % len(ids)] if swap else fid
            header = ferveo_ciphertext_header(files.blobs[source][0].header)
            share = files.members[address].decryption_share(files.aggregate, header)
            if fid in garble:
                share = secrets.token_bytes(len(share))
            sealed = seal_to(m.requesterKey, share, aad=batch_share_aad(d, fid))
            items.append(
                {
                    "fileId": to_hex(fid),
                    "ritualId": RITUAL,
                    "ephemeralKey": to_hex(sealed.ephemeral_public),
                    "ciphertext": to_hex(sealed.ciphertext),
                }
            )
        return httpx.Response(200, json={"validator": address, "results": items})

    return answer


def refusing(files: Files, address: str, body: BatchRequestBody) -> httpx.Response:
    return httpx.Response(403, json={"error": "not_committee", "detail": "nope"})


def down(files: Files, address: str, body: BatchRequestBody) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


def _ask(files: Files) -> BatchAsk:
    return BatchAsk(Purpose.SCORING, 1, tuple(files.blobs), epoch=3)


def _headers(files: Files) -> dict[bytes, object]:
    return {f: b[0].header for f, b in files.blobs.items()}


def _opens(files: Files, fid: bytes, dek: object) -> bool:
    blob, plaintext, ctx = files.blobs[fid]
    return open_bytes_with_dek(blob.data, dek, ctx) == plaintext  # type: ignore[arg-type]


# ------------------------------------------------------------------------- hostile first


def test_a_liar_on_one_file_is_named_for_that_file_only(files: Files) -> None:
    target = next(iter(files.blobs))
    answers = {a: honest() for a in ADDRESSES}
    answers[ADDRESSES[0]] = honest(garble=frozenset({target}))
    client, peers = _client(files, answers, {})
    got = client.gather_batch(_headers(files), _ask(files), peers, T)  # type: ignore[arg-type]
    assert got.failed == {}
    assert set(got.keys) == set(files.blobs)
    for fid, result in got.keys.items():
        assert _opens(files, fid, result.dek)
        assert ADDRESSES[0] not in result.used or fid != target
    # the liar is blamed where it lied, if its share was tried at all
    assert all(ADDRESSES[0] not in r.bad for f, r in got.keys.items() if f != target)


def test_a_share_moved_to_another_slot_does_not_open_a_file(files: Files) -> None:
    answers = {a: honest(swap=True) for a in ADDRESSES[:2]}
    answers.update({a: honest() for a in ADDRESSES[2:]})
    client, peers = _client(files, answers, {})
    got = client.gather_batch(_headers(files), _ask(files), peers, T)  # type: ignore[arg-type]
    # two swappers leave two honest shares per file: fewer than t, every file fails typed
    assert set(got.failed) == set(files.blobs)
    for err in got.failed.values():
        assert set(err.bad) == set(ADDRESSES)  # every t-subset failed: all who answered


def test_per_file_refusals_fail_that_file_and_serve_the_others(files: Files) -> None:
    target = next(iter(files.blobs))
    answers = {a: honest(refuse=frozenset({target})) for a in ADDRESSES[:2]}
    answers.update({a: honest() for a in ADDRESSES[2:]})
    client, peers = _client(files, answers, {})
    got = client.gather_batch(_headers(files), _ask(files), peers, T)  # type: ignore[arg-type]
    assert set(got.failed) == {target}
    assert set(got.failed[target].refused) == set(ADDRESSES[:2])
    assert set(got.keys) == set(files.blobs) - {target}


def test_a_whole_batch_refusal_is_final_and_named_for_every_file(files: Files) -> None:
    answers = {a: honest() for a in ADDRESSES}
    answers[ADDRESSES[0]] = refusing
    answers[ADDRESSES[1]] = refusing
    calls: dict[str, list[int]] = {}
    client, peers = _client(files, answers, calls)
    got = client.gather_batch(_headers(files), _ask(files), peers, T)  # type: ignore[arg-type]
    assert set(got.failed) == set(files.blobs)
    assert len(calls[ADDRESSES[0]]) == 1  # refusals are not retried
    assert all("not_committee" in e.refused[ADDRESSES[0]] for e in got.failed.values())


def test_an_unreachable_validator_is_reported_and_not_needed(files: Files) -> None:
    answers = {a: honest() for a in ADDRESSES}
    answers[ADDRESSES[3]] = down
    client, peers = _client(files, answers, {})
    got = client.gather_batch(_headers(files), _ask(files), peers, T)  # type: ignore[arg-type]
    assert set(got.keys) == set(files.blobs)


def test_duplicate_ids_and_missing_headers_are_refused_locally(files: Files) -> None:
    client, peers = _client(files, {a: honest() for a in ADDRESSES}, {})
    fid = next(iter(files.blobs))
    with pytest.raises(ValueError, match="twice"):
        client.request_batch(peers[0], BatchAsk(Purpose.SCORING, 1, (fid, fid), epoch=3))
    with pytest.raises(ValueError, match="header"):
        client.gather_batch({}, _ask(files), peers, T)


def test_long_lists_are_split_into_signed_batches_of_at_most_256(files: Files) -> None:
    n = MAX_BATCH_FILES + 44
    ids = tuple(i.to_bytes(32, "big") for i in range(1, n + 1))
    signers: list[str] = []

    def refuse_each(files: Files, address: str, body: BatchRequestBody) -> httpx.Response:
        m = body.request.to_message()
        assert body.request.hash_matches()
        signers.append(
            recover_signer(m, body.signature_bytes(), chain_id=CHAIN_ID, registry=REGISTRY)
        )
        items = [{"fileId": f, "error": "unknown_file"} for f in body.request.fileIds]
        return httpx.Response(200, json={"validator": address, "results": items})

    calls: dict[str, list[int]] = {}
    client, peers = _client(files, {ADDRESSES[0]: refuse_each}, calls)
    out = client.request_batch(peers[0], BatchAsk(Purpose.SCORING, 1, ids, epoch=3))
    assert calls[ADDRESSES[0]] == [MAX_BATCH_FILES, 44]
    assert set(out) == set(ids)
    assert signers == [client.signer.address] * 2


def test_an_answer_for_other_files_is_bad_for_all(files: Files) -> None:
    def reorder(files: Files, address: str, body: BatchRequestBody) -> httpx.Response:
        inner = honest()(files, address, body)
        data = inner.json()
        data["results"].reverse()
        return httpx.Response(200, json=data)

    answers = {a: honest() for a in ADDRESSES}
    answers[ADDRESSES[0]] = reorder
    answers[ADDRESSES[1]] = reorder
    client, peers = _client(files, answers, {})
    got = client.gather_batch(_headers(files), _ask(files), peers, T)  # type: ignore[arg-type]
    assert set(got.failed) == set(files.blobs)
    assert all(set(e.bad) >= set(ADDRESSES[:2]) for e in got.failed.values())


class _CutStream(httpx.SyncByteStream):
    """A body that sends ``head`` and then loses the connection (a stream cut mid-answer)."""

    def __init__(self, head: bytes) -> None:
        self.head = head

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def test_a_stream_cut_mid_answer_is_retried_not_parsed(files: Files) -> None:
    cut: set[str] = set()

    def cut_once(files: Files, address: str, body: BatchRequestBody) -> httpx.Response:
        whole = honest()(files, address, body).content
        if address in cut:
            return httpx.Response(200, content=whole)
        cut.add(address)
        # the first half of a valid answer, then the connection drops
        return httpx.Response(200, stream=_CutStream(whole[: len(whole) // 2]))

    answers: dict[str, Callable[[Files, str, BatchRequestBody], httpx.Response]]
    answers = dict.fromkeys(ADDRESSES, cut_once)
    calls: dict[str, list[int]] = {}
    client, peers = _client(files, answers, calls)
    got = client.gather_batch(_headers(files), _ask(files), peers, T)  # type: ignore[arg-type]
    assert got.failed == {}
    assert set(got.keys) == set(files.blobs)
    assert all(r.bad == () for r in got.keys.values())
    # the first T validators each needed a second attempt (a fresh nonce)
    assert sum(len(c) == 2 for c in calls.values()) >= T


def test_a_stream_that_is_always_cut_is_unreachable(files: Files) -> None:
    def always_cut(files: Files, address: str, body: BatchRequestBody) -> httpx.Response:
        whole = honest()(files, address, body).content
        return httpx.Response(200, stream=_CutStream(whole[:-2]))

    calls: dict[str, list[int]] = {}
    client, peers = _client(files, {ADDRESSES[0]: always_cut}, calls)
    with pytest.raises(ShareUnreachable, match="RemoteProtocolError"):
        client.request_batch(peers[0], _ask(files))
    assert len(calls[ADDRESSES[0]]) == 3  # retries=2: three attempts, then unreachable


def test_a_whole_body_that_does_not_parse_is_bad_and_not_retried(files: Files) -> None:
    def short(files: Files, address: str, body: BatchRequestBody) -> httpx.Response:
        whole = honest()(files, address, body).content
        return httpx.Response(200, content=whole[: len(whole) // 2])

    def garbled_gzip(files: Files, address: str, body: BatchRequestBody) -> httpx.Response:
        gzip = {"content-encoding": "gzip"}
        return httpx.Response(200, content=b"\x1f\x8bnot gzip", headers=gzip)

    for hostile in (short, garbled_gzip):
        calls: dict[str, list[int]] = {}
        client, peers = _client(files, {ADDRESSES[0]: hostile}, calls)
        with pytest.raises(_BadShare):
            client.request_batch(peers[0], _ask(files))
        assert len(calls[ADDRESSES[0]]) == 1


# ------------------------------------------------------------------------- then the honest


def test_one_batch_per_validator_opens_every_file(files: Files) -> None:
    calls: dict[str, list[int]] = {}
    client, peers = _client(files, {a: honest() for a in ADDRESSES}, calls)
    got = client.gather_batch(_headers(files), _ask(files), peers, T)  # type: ignore[arg-type]
    assert got.failed == {}
    for fid, result in got.keys.items():
        assert _opens(files, fid, result.dek)
        assert len(result.used) == T
    assert all(v == [len(files.blobs)] for v in calls.values())
    assert len(calls) == T  # honest first choices answered: nobody else was asked
    assert (got.slots, got.requests) == (T * len(files.blobs), T)


def test_a_lagging_first_choice_is_replaced_not_waited_for(files: Files) -> None:
    # The requester's first choice holds its answer; the spare is asked a hedge later.
    calls: dict[str, list[int]] = {}
    release, finished = threading.Event(), threading.Event()

    def slow(files: Files, address: str, body: BatchRequestBody) -> httpx.Response:
        release.wait(timeout=30)
        finished.set()
        answer: httpx.Response = honest()(files, address, body)
        return answer

    answers = {a: honest() for a in ADDRESSES}
    client, peers = _client(files, answers, calls)
    order = client._peer_order(peers)
    answers[order[0].address] = slow  # the handler looks answers up per request
    try:
        got = client.gather_batch(_headers(files), _ask(files), peers, T)  # type: ignore[arg-type]
        assert set(got.keys) == set(files.blobs)
        assert not finished.is_set()
        assert order[-1].address in calls  # the spare was asked
        assert all(order[0].address not in r.used for r in got.keys.values())
    finally:
        release.set()


def test_without_a_hedge_every_validator_is_asked_at_once(files: Files) -> None:
    calls: dict[str, list[int]] = {}
    client, peers = _client(files, {a: honest() for a in ADDRESSES}, calls)
    client.policy = replace(client.policy, hedge_s=None)
    got = client.gather_batch(_headers(files), _ask(files), peers, T)  # type: ignore[arg-type]
    assert set(got.keys) == set(files.blobs)
    assert got.requests == len(ADDRESSES)


def test_validators_start_their_asks_at_themselves_and_spread_the_load() -> None:
    accounts = [Account.create() for _ in range(4)]
    peers = [Peer(a.address, f"http://v{k}") for k, a in enumerate(accounts)]
    firsts = []
    for a in accounts:
        client = ShareClient(
            chain_id=CHAIN_ID,
            registry=REGISTRY,
            signer=a,
            session=SessionKey.generate(),
            now=lambda: 1_000_000,
        )
        order = client._peer_order(peers)
        client.close()
        assert order[0].address == a.address
        assert sorted(p.address for p in order) == sorted(p.address for p in peers)
        firsts.append(frozenset(p.address for p in order[:T]))
    # each validator's first t asks leave out a different validator: every share service
    # computes t of the n requesters' shares, not all n
    assert len(set(firsts)) == len(accounts)


# ------------------------------------------------------------------------- many files, end to end


def _records(files: Files, store: MemoryBlobStore) -> list[SubmissionRecord]:
    out = []
    for fid, (blob, _, ctx) in files.blobs.items():
        out.append(
            SubmissionRecord(
                contributor=ctx.contributor,
                dataset_id=ctx.dataset_id,
                epoch=Epoch(3),
                ritual_id=ctx.ritual_id,
                registered_at=1,
                header_hash=HeaderHash(blob.header_hash),
                content_commitment=ctx.content_commitment,
                cid=store.add(blob.data),
                file_id=FileId(fid),
            )
        )
    return out


def test_decrypt_files_refuses_a_copied_header_and_opens_the_rest(files: Files) -> None:
    store = MemoryBlobStore()
    records = _records(files, store)
    # a stranger registered the first file's CID and header under its own address
    stolen = replace(records[0], contributor=Account.create().address)
    records[0] = stolen
    sinks: dict[bytes, io.BytesIO] = {}

    def sink(record: SubmissionRecord) -> io.BytesIO:
        sinks[bytes(record.file_id)] = io.BytesIO()
        return sinks[bytes(record.file_id)]

    calls: dict[str, list[int]] = {}
    client, peers = _client(files, {a: honest() for a in ADDRESSES}, calls)
    out = decrypt_files(
        store=store,
        files=records,
        chain_id=CHAIN_ID,
        registry=REGISTRY,
        client=client,
        ask=_ask(files),
        peers=peers,
        threshold=T,
        open_sink=sink,
    )
    assert isinstance(out[bytes(stolen.file_id)], HeaderNamesAnotherContributor)
    assert bytes(stolen.file_id) not in sinks  # nothing created for a file that did not open
    for record in records[1:]:
        fid = bytes(record.file_id)
        assert isinstance(out[fid], tuple)
        assert sinks[fid].getvalue() == files.blobs[fid][1]
    # the batch named only the files whose headers passed
    assert all(v == [len(records) - 1] for v in calls.values())


# ------------------------------------------------------------------------- the daemon's opener
# CustodyOpener.open_batch over these validators (issue #19): every file its own outcome, as if
# opened alone. Hostile first: a copied header, a body that does not authenticate, a file
# refused by enough peers, a file of another epoch, a slow peer, a batch path that breaks.


Answers = dict[str, object]


def _opener(files: Files, answers: Answers, store: MemoryBlobStore) -> CustodyOpener:
    client, peers = _client(files, answers, {})  # type: ignore[arg-type]
    return CustodyOpener(
        store=store,
        view=SimpleNamespace(registry=SimpleNamespace(address=REGISTRY)),  # type: ignore[arg-type]
        chain_id=CHAIN_ID,
        client=client,
        peers=lambda rid: (list(peers), T),
    )


def _open(
    opener: CustodyOpener, records: list[SubmissionRecord]
) -> tuple[dict[bytes, bytes | Exception], OpenStats]:
    got: dict[bytes, bytes | Exception] = {}

    def deliver(r: SubmissionRecord, outcome: bytes | Exception) -> None:
        assert bytes(r.file_id) not in got  # exactly once per file
        got[bytes(r.file_id)] = outcome

    cost = opener.open_batch(DatasetId(1), Epoch(3), records, deliver)
    assert set(got) == {bytes(r.file_id) for r in records}
    return got, cost


def test_hostile_files_fail_alone_and_their_chunk_mates_open(files: Files) -> None:
    store = MemoryBlobStore()
    records = _records(files, store)
    copied, tampered, refused = records[0], records[1], records[2]
    # a stranger re-registered the first file's CID and header under its own address
    records[0] = replace(copied, contributor=Account.create().address)
    # the second file's body flipped in storage: same header (hash), a body that cannot open
    blob, _, _ = files.blobs[bytes(tampered.file_id)]
    bad = bytearray(blob.data)
    bad[-1] ^= 1
    records[1] = replace(tampered, cid=store.add(bytes(bad)))
    # two of four validators refuse the third file: t = 3 shares are out of reach for it
    answers: Answers = {a: honest() for a in ADDRESSES}
    for a in ADDRESSES[:2]:
        answers[a] = honest(refuse=frozenset({bytes(refused.file_id)}))
    got, cost = _open(_opener(files, answers, store), records)
    assert isinstance(got[bytes(copied.file_id)], HeaderNamesAnotherContributor)
    assert isinstance(got[bytes(tampered.file_id)], EnvelopeError)
    miss = got[bytes(refused.file_id)]
    assert isinstance(miss, NotEnoughShares)
    assert set(miss.refused) == set(ADDRESSES[:2])
    fourth = bytes(records[3].file_id)
    assert got[fourth] == files.blobs[fourth][1]
    # the three files whose headers passed went to t validators first; the refusals of the
    # third file brought in the fourth, for whatever was still short
    assert cost.batches == len(ADDRESSES)
    assert 3 * T + 1 <= cost.shares_requested <= 3 * len(ADDRESSES)


def test_a_file_of_another_epoch_is_refused_without_asking(files: Files) -> None:
    store = MemoryBlobStore()
    records = _records(files, store)
    records[0] = replace(records[0], epoch=Epoch(4))
    got, cost = _open(_opener(files, {a: honest() for a in ADDRESSES}, store), records)
    assert isinstance(got[bytes(records[0].file_id)], FileNotInEpoch)
    assert all(isinstance(got[bytes(r.file_id)], bytes) for r in records[1:])
    assert cost.shares_requested == (len(records) - 1) * T


def test_a_slow_peer_is_not_waited_for(files: Files) -> None:
    store = MemoryBlobStore()
    records = _records(files, store)
    release, finished = threading.Event(), threading.Event()

    def slow(files: Files, address: str, body: BatchRequestBody) -> httpx.Response:
        release.wait(timeout=30)  # held until the test has its answer
        finished.set()
        answer: httpx.Response = honest()(files, address, body)
        return answer

    answers: Answers = {a: honest() for a in ADDRESSES}
    answers[ADDRESSES[3]] = slow
    try:
        got, _ = _open(_opener(files, answers, store), records)
        # every file opened from the three others while the slow one was still holding
        assert not finished.is_set()
        assert all(got[f] == files.blobs[f][1] for f in got)
    finally:
        release.set()


def test_a_whole_batch_failure_falls_back_to_one_file_at_a_time(files: Files) -> None:
    store = MemoryBlobStore()
    records = _records(files, store)
    opener = _opener(files, {a: honest() for a in ADDRESSES}, store)
    calls = {"n": 0}
    real = opener._client.gather_batch

    def broken(*args: object, **kwargs: object) -> BatchGather:
        calls["n"] += 1
        raise RuntimeError("a bug in the batch path")

    opener._client.gather_batch = broken  # type: ignore[method-assign]
    # the single path asks /v1/shares, which this mock does not serve: each file then fails
    # on its own (typed), none is lost and none is reported twice
    got, _ = _open(opener, records)
    assert calls["n"] == 1
    assert all(isinstance(v, Exception) for v in got.values())
    opener._client.gather_batch = real  # type: ignore[method-assign]


def test_an_honest_batch_opens_every_file(files: Files) -> None:
    store = MemoryBlobStore()
    records = _records(files, store)
    got, cost = _open(_opener(files, {a: honest() for a in ADDRESSES}, store), records)
    assert all(got[f] == files.blobs[f][1] for f in got)
    assert cost.batches == T  # t validators answered every file: the fourth was never asked
    assert cost.shares_requested == len(records) * T
    assert cost.gather_s > 0
