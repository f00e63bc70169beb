"""t-of-n share gathering against fake validators that create real Ferveo shares.

The fakes (an ``httpx.MockTransport``) skip the chain checks, which the integration tests cover;
here the point is the client: concurrency, arrival order, retries, and finding the bad share.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from node.chain.eip712 import Purpose, digest
from node.custody.errors import NotEnoughShares, ShareRefused, ShareUnreachable
from node.custody.gather import GatherPolicy, Peer, ShareAsk, ShareClient, _BadShare
from node.custody.session import SessionKey, seal_to
from node.custody.wire import ShareRequestBody, to_hex
from node.errors import KeyCustodyError
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
from node.types import ContentCommitment, DatasetId, RitualId

N, T, RITUAL = 4, 3, 5
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CONTRIBUTOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
CHAIN_ID = 31337
ADDRESSES = [Account.create().address for _ in range(N)]


@dataclass
class Ritual:
    members: dict[str, RitualMember]
    aggregate: bytes
    blob: SealedBlob
    plaintext: bytes
    ctx: SealContext


@pytest.fixture(scope="module")
def ritual() -> Ritual:
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
    plaintext = b'{"a":1}\n' * 100
    ctx = SealContext(
        chain_id=CHAIN_ID,
        registry=REGISTRY,  # type: ignore[arg-type]
        dataset_id=DatasetId(1),
        contributor=CONTRIBUTOR,  # type: ignore[arg-type]
        ritual_id=RitualId(RITUAL),
        content_commitment=ContentCommitment(hashlib.sha256(plaintext).digest()),
    )
    blob = seal_bytes(plaintext, DaoPublicKey(agg.dkg_public_key), ctx)
    return Ritual(members, agg.aggregated_transcript, blob, plaintext, ctx)


Behaviour = Callable[[httpx.Request, str, bytes], httpx.Response]


def honest(delay: float = 0.0) -> Behaviour:
    def answer(request: httpx.Request, address: str, share: bytes) -> httpx.Response:
        time.sleep(delay)
        body = ShareRequestBody.model_validate_json(request.content)
        m = body.request.to_message()
        sealed = seal_to(m.requesterKey, share, aad=digest(m, chain_id=CHAIN_ID, registry=REGISTRY))
        return httpx.Response(
            200,
            json={
                "validator": address,
                "ritualId": RITUAL,
                "fileId": to_hex(m.fileId),
                "ephemeralKey": to_hex(sealed.ephemeral_public),
                "ciphertext": to_hex(sealed.ciphertext),
            },
        )

    return answer


def garbage(delay: float = 0.0) -> Behaviour:
    inner = honest(delay)
    return lambda request, address, share: inner(request, address, secrets.token_bytes(len(share)))


def refusing(request: httpx.Request, address: str, share: bytes) -> httpx.Response:
    return httpx.Response(403, json={"error": "not_granted", "detail": "nope"})


def down(request: httpx.Request, address: str, share: bytes) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _client(
    ritual: Ritual, behaviours: dict[str, Behaviour], calls: dict[str, int]
) -> tuple[ShareClient, list[Peer], LocalAccount]:
    header = ferveo_ciphertext_header(ritual.blob.header)
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        address = request.url.host.removeprefix("v-")
        address = next(a for a in ADDRESSES if a.lower() == address)
        with lock:
            calls[address] = calls.get(address, 0) + 1
        share = ritual.members[address].decryption_share(ritual.aggregate, header)
        return behaviours[address](request, address, share)

    signer = Account.create()
    client = ShareClient(
        chain_id=CHAIN_ID,
        registry=REGISTRY,
        signer=signer,
        session=SessionKey.generate(),
        now=lambda: 1_000_000,
        policy=GatherPolicy(timeout_s=2, retries=2, backoff_s=0.01),
        http=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    peers = [Peer(a, f"http://v-{a.lower()}") for a in ADDRESSES]
    return client, peers, signer


def _ask(ritual: Ritual) -> ShareAsk:
    file_id = submission_file_id(ritual.ctx.contributor, ritual.blob.header_hash)
    return ShareAsk(Purpose.ACCESS, 1, file_id, req_id=1)


def test_t_honest_shares_open_the_file(ritual: Ritual) -> None:
    calls: dict[str, int] = {}
    client, peers, _ = _client(ritual, {a: honest() for a in ADDRESSES}, calls)
    with client:
        result = client.gather_dek(ritual.blob.header, _ask(ritual), peers, T)
    assert len(result.used) == T
    assert result.bad == ()
    assert open_bytes_with_dek(ritual.blob.data, result.dek, ritual.ctx) == ritual.plaintext


def test_a_fast_liar_is_detected_excluded_and_named(ritual: Ritual) -> None:
    liar = ADDRESSES[0]
    behaviours = {a: honest(0.05 * (i + 1)) for i, a in enumerate(ADDRESSES)}
    behaviours[liar] = garbage()
    client, peers, _ = _client(ritual, behaviours, {})
    with client:
        result = client.gather_dek(ritual.blob.header, _ask(ritual), peers, T)
    assert result.bad == (liar,)
    assert liar not in result.used
    assert open_bytes_with_dek(ritual.blob.data, result.dek, ritual.ctx) == ritual.plaintext


def test_two_liars_leave_too_few_shares(ritual: Ritual) -> None:
    behaviours = {a: honest() for a in ADDRESSES}
    behaviours[ADDRESSES[0]] = garbage()
    behaviours[ADDRESSES[1]] = garbage()
    client, peers, _ = _client(ritual, behaviours, {})
    with client, pytest.raises(NotEnoughShares) as info:
        client.gather_dek(ritual.blob.header, _ask(ritual), peers, T)
    assert info.value.threshold == T
    assert info.value.valid == 0


def test_unreachable_validators_are_retried_then_reported(ritual: Ritual) -> None:
    calls: dict[str, int] = {}
    behaviours = {a: honest() for a in ADDRESSES}
    behaviours[ADDRESSES[2]] = down
    behaviours[ADDRESSES[3]] = down
    client, peers, _ = _client(ritual, behaviours, calls)
    with client, pytest.raises(NotEnoughShares) as info:
        client.gather_dek(ritual.blob.header, _ask(ritual), peers, T)
    assert sorted(info.value.unreachable) == sorted(ADDRESSES[2:])
    assert calls[ADDRESSES[2]] == 3  # 1 + 2 bounded retries
    assert "not enough shares" in str(info.value)
    assert ADDRESSES[2] in str(info.value)


def test_refusals_are_final_and_named(ritual: Ritual) -> None:
    calls: dict[str, int] = {}
    behaviours = {a: honest() for a in ADDRESSES}
    behaviours[ADDRESSES[0]] = refusing
    behaviours[ADDRESSES[1]] = refusing
    client, peers, _ = _client(ritual, behaviours, calls)
    with client, pytest.raises(NotEnoughShares) as info:
        client.gather_dek(ritual.blob.header, _ask(ritual), peers, T)
    assert calls[ADDRESSES[0]] == 1
    assert info.value.refused[ADDRESSES[0]].startswith("not_granted")


def test_a_response_claiming_another_validator_is_bad(ritual: Ritual) -> None:
    impostor = ADDRESSES[0]

    def other(request: httpx.Request, address: str, share: bytes) -> httpx.Response:
        response = honest()(request, address, share)
        payload = json.loads(response.content)
        payload["validator"] = ADDRESSES[1]
        return httpx.Response(200, json=payload)

    behaviours = {a: honest(0.05) for a in ADDRESSES}
    behaviours[impostor] = other
    client, peers, _ = _client(ritual, behaviours, {})
    with client:
        result = client.gather_dek(ritual.blob.header, _ask(ritual), peers, T)
    assert impostor in result.bad


def test_every_attempt_is_signed_with_a_fresh_nonce(ritual: Ritual) -> None:
    seen: list[int] = []
    flaky_calls = {"n": 0}

    def flaky(request: httpx.Request, address: str, share: bytes) -> httpx.Response:
        seen.append(ShareRequestBody.model_validate_json(request.content).request.nonce)
        flaky_calls["n"] += 1
        if flaky_calls["n"] < 3:
            return httpx.Response(503, json={"error": "chain_unavailable", "detail": "x"})
        return honest()(request, address, share)

    client, peers, _ = _client(ritual, dict.fromkeys(ADDRESSES, flaky), {})
    with client:
        share = client.request_share(peers[0], _ask(ritual))
    assert share
    assert len(seen) == 3
    assert len(set(seen)) == 3


# ----------------------------------------------------------------- the SHARE_REQUEST policy


def _sequence(*answers: Behaviour) -> tuple[Behaviour, list[int]]:
    """A peer that answers with each behaviour in turn (the last one repeats)."""
    seen: list[int] = []

    def answer(request: httpx.Request, address: str, share: bytes) -> httpx.Response:
        seen.append(1)
        return answers[min(len(seen), len(answers)) - 1](request, address, share)

    return answer, seen


def _status(code: int, body: bytes = b"") -> Behaviour:
    return lambda request, address, share: httpx.Response(code, content=body)


def test_a_peer_that_stays_down_gives_up_typed_after_its_bound(ritual: Ritual) -> None:
    behaviour, seen = _sequence(down)
    client, peers, _ = _client(ritual, dict.fromkeys(ADDRESSES, behaviour), {})
    with client, pytest.raises(ShareUnreachable) as info:
        client.request_share(peers[0], _ask(ritual))
    assert isinstance(info.value, KeyCustodyError)
    assert info.value.validator == peers[0].address
    assert "ConnectError" in info.value.reason
    assert len(seen) == 3  # GatherPolicy(retries=2): 1 + 2


def test_rate_limits_and_gateway_errors_are_ridden_out(ritual: Ritual) -> None:
    behaviour, seen = _sequence(_status(429), _status(502), down, honest())
    client, peers, _ = _client(ritual, dict.fromkeys(ADDRESSES, behaviour), {})
    client.policy = GatherPolicy(timeout_s=2, retries=3, backoff_s=0.01)
    with client:
        assert client.request_share(peers[0], _ask(ritual))
    assert len(seen) == 4


def test_a_refusal_after_a_transient_failure_is_final(ritual: Ritual) -> None:
    behaviour, seen = _sequence(_status(503), refusing, honest())
    client, peers, _ = _client(ritual, dict.fromkeys(ADDRESSES, behaviour), {})
    with client, pytest.raises(ShareRefused) as info:
        client.request_share(peers[0], _ask(ritual))
    assert info.value.code == "not_granted"
    assert len(seen) == 2  # the 503 was retried; the refusal was not


def test_a_refusal_without_a_readable_body_is_still_final(ritual: Ritual) -> None:
    behaviour, seen = _sequence(_status(400, b"\xff" * 64), honest())
    client, peers, _ = _client(ritual, dict.fromkeys(ADDRESSES, behaviour), {})
    with client, pytest.raises(ShareRefused) as info:
        client.request_share(peers[0], _ask(ritual))
    assert (info.value.status, info.value.code) == (400, "unknown")
    assert len(seen) == 1


def test_a_malformed_answer_is_not_retried(ritual: Ritual) -> None:
    behaviour, seen = _sequence(_status(200, b'{"validator": 1}'), honest())
    client, peers, _ = _client(ritual, dict.fromkeys(ADDRESSES, behaviour), {})
    with client, pytest.raises(_BadShare):
        client.request_share(peers[0], _ask(ritual))
    assert len(seen) == 1


def test_the_policy_bounds_waits_and_total_time() -> None:
    policy = GatherPolicy(retries=4, backoff_s=0.5).retry_policy()
    assert policy.attempts == 5
    assert policy.first_wait_s == 0.5
    assert policy.max_elapsed_s is not None
    assert all(policy.wait_s(n) <= policy.max_wait_s for n in range(1, 10))
