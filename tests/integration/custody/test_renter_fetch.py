"""A renter with a granted request decrypts every file in scope through 4 real share services;
refusals, unreachable and lying validators, and a scoring read through the same client."""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest

from node.chain.access import AccessRegistry
from node.chain.contracts import Contracts
from node.chain.eip712 import DecryptionRequest, Purpose, sign
from node.chain.escrow import RentalEscrow
from node.custody.errors import NotEnoughShares, RenterStateError
from node.custody.files import committee_peers, decrypt_file
from node.custody.gather import GatherPolicy, Peer, ShareAsk, ShareClient
from node.custody.renter import Renter
from node.custody.session import SessionKey
from node.custody.wire import SHARES_PATH, ShareRequestBody, WireRequest
from node.devnet.bootstrap import validator_passphrase
from node.protocol.keystore import load_secret
from node.types import Cid, DatasetId, Epoch
from tests.integration.custody.conftest import World
from tests.integration.helpers import chain_now, transact_as_timelock
from validator.dkg_watcher import FERVEO_KIND
from validator.shares.app import ServedRitual

pytestmark = pytest.mark.integration

FAST = GatherPolicy(timeout_s=5.0, retries=1, backoff_s=0.05)


def _renter(world: World, account: Any = None) -> Renter:
    d = world.devnet
    chain = d.client(account or world.renter)
    return Renter(
        chain=chain,
        contracts=Contracts.of(chain, d.deployment),
        store=world.store,
        policy=FAST,
    )


def _audit_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        json.loads(r.getMessage()) for r in caplog.records if r.name == "validator.shares.audit"
    ]


def test_renter_decrypts_every_file_in_scope_byte_for_byte(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "out"
    report = _renter(world).fetch(world.req_id, out, session=world.session)

    assert report.files == report.fetched == len(world.in_scope)
    for f in world.in_scope:
        assert (out / "files" / f"{f.file_id.hex()}.jsonl").read_bytes() == f.plaintext
    assert (out / "dataset.jsonl").read_bytes() == b"".join(f.plaintext for f in world.in_scope)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["file_id"] for e in manifest["files"]] == [
        "0x" + f.file_id.hex() for f in world.in_scope
    ]
    assert [e["cid"] for e in manifest["files"]] == [f.cid for f in world.in_scope]
    assert [e["contributor"] for e in manifest["files"]] == [
        f.contributor.address for f in world.in_scope
    ]
    assert manifest["total_lines"] == sum(f.plaintext.count(b"\n") for f in world.in_scope)
    # nothing outside the grant was fetched
    assert not (out / "files" / f"{world.outside.file_id.hex()}.jsonl").exists()

    served = [a for a in _audit_lines(caplog) if a["decision"] == "served"]
    # one signed batch per validator (issue #19), each line listing the files it served
    assert all("files" in a for a in served)
    assert sum(v == "served" for a in served for v in a["files"].values()) >= 3 * len(
        world.in_scope
    )
    assert len(served) <= len(world.devnet.validators)
    assert {a["requester"] for a in served} == {world.renter.address}
    assert all(a["purpose"] == "access" and a["req_id"] == world.req_id for a in served)

    # resume: everything is already there and verified, so no share is requested again
    caplog.clear()
    again = _renter(world).fetch(world.req_id, out, session=world.session)
    assert again.skipped == len(world.in_scope)
    assert again.fetched == 0
    assert _audit_lines(caplog) == []

    # key material and plaintext never reach the logs
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    secrets_to_hide = [world.session.secret_bytes().hex()]
    for v in world.devnet.deployment.extra["validators"]:
        seed = load_secret(
            Path(v["key_dir"]) / "ferveo.json", passphrase=validator_passphrase(), kind=FERVEO_KIND
        )
        secrets_to_hide.append(seed.reveal().hex())
    for s in secrets_to_hide:
        assert s not in text
        assert s[:32] not in text


def test_logs_and_responses_carry_no_key_material(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A full fetch's logs (captured at DEBUG) and a raw API response: no seed, session key,
    share or plaintext."""
    caplog.set_level(logging.DEBUG)
    f = world.in_scope[0]
    validator = world.devnet.validators[0].address
    body, message = _signed_body(world, f.file_id)
    r = httpx.post(world.servers.urls[validator] + SHARES_PATH, content=body, trust_env=False)
    assert r.status_code == 200, r.text
    payload = r.json()
    assert set(payload) == {"validator", "ritualId", "fileId", "ephemeralKey", "ciphertext"}
    # the share inside opens only with the session key, and is not in the response in clear
    from node.chain.eip712 import digest
    from node.custody.session import SealedShare, open_from
    from node.custody.wire import from_hex

    share = open_from(
        world.session,
        SealedShare(from_hex(payload["ephemeralKey"]), from_hex(payload["ciphertext"])),
        aad=digest(
            message,
            chain_id=world.devnet.chain.chain_id,
            registry=world.devnet.address("SubmissionRegistry"),
        ),
    )
    assert share.hex() not in r.text
    everything = caplog.text + r.text
    assert share.hex()[:40] not in everything
    assert world.session.secret_bytes().hex() not in everything
    assert b"c0 record".decode() not in caplog.text
    for v in world.devnet.deployment.extra["validators"]:
        seed = load_secret(
            Path(v["key_dir"]) / "ferveo.json", passphrase=validator_passphrase(), kind=FERVEO_KIND
        )
        assert seed.reveal().hex() not in everything
    served = world.servers.app(validator).state.service.rituals
    assert "redacted" in repr(next(iter(served.values())))


def test_a_rerun_fetches_only_what_is_missing_or_wrong_and_reports_progress(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    _renter(world).fetch(world.req_id, out, session=world.session)
    first, second = world.in_scope[0], world.in_scope[-1]
    (out / "files" / f"{first.file_id.hex()}.jsonl").unlink()  # lost
    (out / "files" / f"{second.file_id.hex()}.jsonl").write_bytes(b"truncated\n")  # wrong
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    seen: list[tuple[bytes, int, int]] = []
    again = _renter(world).fetch(
        world.req_id,
        out,
        session=world.session,
        progress=lambda f, done, total: seen.append((bytes(f.file_id), done, total)),
    )
    assert again.fetched == 2
    assert again.skipped == len(world.in_scope) - 2
    for f in world.in_scope:
        assert (out / "files" / f"{f.file_id.hex()}.jsonl").read_bytes() == f.plaintext
    # progress: every file once, counted up to the total
    n = len(world.in_scope)
    assert sorted(f for f, _, _ in seen) == sorted(bytes(f.file_id) for f in world.in_scope)
    assert [d for _, d, _ in seen] == list(range(1, n + 1))
    assert {t for _, _, t in seen} == {n}
    # only the two missing files were asked for
    asked = {f for a in _audit_lines(caplog) for f in a.get("files", {})}
    assert asked == {"0x" + first.file_id.hex(), "0x" + second.file_id.hex()}
    assert not list((out / "files").glob(".*.part"))


def test_t_minus_one_validators_is_not_enough_and_writes_nothing(
    world: World, tmp_path: Path
) -> None:
    down = [v.address for v in world.devnet.validators[:2]]
    for a in down:
        world.servers.stop(a)
    try:
        out = tmp_path / "never"
        with pytest.raises(NotEnoughShares) as info:
            _renter(world).fetch(world.req_id, out, session=world.session)
    finally:
        for a in down:
            world.servers.start(a)
    err = info.value
    assert err.threshold == 3
    assert sorted(err.unreachable) == sorted(down)
    assert "not enough shares" in str(err)
    assert not out.exists()


class _GarbageMember:
    """Answers every request with a well-formed-looking but wrong share (sealed correctly)."""

    def __init__(self, real: Any) -> None:
        self.ritual_id = real.ritual_id

    def decryption_share(self, _aggregate: bytes, _request: Any) -> bytes:
        return secrets.token_bytes(680)


def test_garbage_shares_are_detected_excluded_and_reported(world: World, tmp_path: Path) -> None:
    liar = world.devnet.validators[3].address
    service = world.servers.app(liar).state.service
    original = dict(service.rituals)
    service.rituals = {
        rid: ServedRitual(member=_GarbageMember(s.member), aggregated_transcript=b"")  # type: ignore[arg-type]
        for rid, s in original.items()
    }
    try:
        report = _renter(world).fetch(world.req_id, tmp_path / "out", session=world.session)
    finally:
        service.rituals = original
    assert report.fetched == len(world.in_scope)
    for f in world.in_scope:
        assert (tmp_path / "out" / "files" / f"{f.file_id.hex()}.jsonl").read_bytes() == f.plaintext
    # the liar answers fastest (no Ferveo work), so it lands in the first t-subset
    assert set(report.bad) == {liar}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert liar in manifest["report"]["bad"]


def test_scoring_read_through_the_same_client(world: World) -> None:
    """A committee validator obtains a DEK with purpose SCORING and decrypts in memory."""
    d = world.devnet
    me = d.validators[0]
    contracts = Contracts.of(d.client(me), d.deployment)
    renter_view = Renter(chain=d.client(me), contracts=contracts, store=world.store, policy=FAST)
    f = world.in_scope[1]
    rec = renter_view.registry.submissionOf(f.file_id)
    scoped = rec
    peers, t = committee_peers(renter_view.dkg, renter_view.staking, rec.ritual_id)
    import io

    sink = io.BytesIO()
    with ShareClient(
        chain_id=d.chain.chain_id,
        registry=contracts.registry.address,
        signer=me,
        session=SessionKey.generate(),
        now=renter_view.chain_now,
        policy=FAST,
    ) as client:
        result, _ = decrypt_file(
            store=world.store,
            file=scoped,
            chain_id=d.chain.chain_id,
            registry=contracts.registry.address,
            client=client,
            ask=ShareAsk(Purpose.SCORING, 1, f.file_id, epoch=world.epoch),
            peers=peers,
            threshold=t,
            open_sink=lambda: sink,
        )
    assert sink.getvalue() == f.plaintext
    assert len(result.used) == t


# ------------------------------------------------------------------------------ refusals


def _signed_body(
    world: World,
    file_id: bytes,
    *,
    purpose: Purpose = Purpose.ACCESS,
    req_id: int | None = None,
    epoch: int = 0,
    signer: Any = None,
    requester_key: bytes | None = None,
    nonce: int | None = None,
) -> tuple[bytes, DecryptionRequest]:
    d = world.devnet
    message = DecryptionRequest(
        purpose=int(purpose),
        reqId=world.req_id if req_id is None and purpose == Purpose.ACCESS else (req_id or 0),
        datasetId=1,
        epoch=epoch,
        fileId=file_id,
        requesterKey=requester_key or world.session.public_bytes,
        deadline=chain_now(d) + 300,
        nonce=secrets.randbits(128) if nonce is None else nonce,
    )
    sig = sign(
        message,
        signer or world.renter,
        chain_id=d.chain.chain_id,
        registry=d.address("SubmissionRegistry"),
    )
    body = ShareRequestBody(request=WireRequest.from_message(message), signature="0x" + sig.hex())
    return body.model_dump_json().encode(), message


def _post(world: World, body: bytes, validator: int = 0) -> httpx.Response:
    url = world.servers.urls[world.devnet.validators[validator].address] + SHARES_PATH
    return httpx.post(url, content=body, trust_env=False, timeout=10)


def _refused(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"] == code


def test_refuses_a_request_that_was_not_granted(world: World) -> None:
    d = world.devnet
    other = d.spare[3]
    req = RentalEscrow(d.client(other), d.address("RentalEscrow")).requestAccess(
        DatasetId(1), world.session.public_bytes, world.epoch, world.epoch, world.expiry, 1
    )
    world.settle()
    body, _ = _signed_body(world, world.in_scope[0].file_id, req_id=req, signer=other)
    _refused(_post(world, body), 403, "not_granted")


def test_refuses_an_expired_grant(world: World, snapshot: None) -> None:
    d = world.devnet
    d.time.increase_time(world.expiry - chain_now(d) + 10)
    world.settle()
    body, _ = _signed_body(world, world.in_scope[0].file_id)
    # the request deadline is in chain time, so it is still valid: only the grant expired
    _refused(_post(world, body), 403, "grant_expired")


def test_refuses_a_revoked_grant_from_the_next_chain_read(world: World, snapshot: None) -> None:
    """Governance ends a grant early (a leaked renter key): every share service refuses the
    renter as soon as it reads the chain again, with a code that says why."""
    d = world.devnet
    body, _ = _signed_body(world, world.in_scope[0].file_id)
    assert _post(world, body).status_code == 200  # granted: served
    access = AccessRegistry(d.chain, d.address("AccessRegistry"))
    transact_as_timelock(d, access.contract.functions.revoke(world.req_id))
    world.settle()
    for validator in range(len(d.validators)):
        again, _ = _signed_body(world, world.in_scope[0].file_id)
        _refused(_post(world, again, validator), 403, "grant_revoked")
    with pytest.raises(RenterStateError, match="revoked by governance"):
        _renter(world).files_in_scope(world.req_id)


def test_refuses_a_file_outside_the_scope(world: World) -> None:
    body, _ = _signed_body(world, world.outside.file_id)
    _refused(_post(world, body), 403, "out_of_scope")


def test_refuses_a_signature_by_another_key(world: World) -> None:
    body, _ = _signed_body(world, world.in_scope[0].file_id, signer=world.devnet.spare[3])
    _refused(_post(world, body), 403, "wrong_signer")


def test_refuses_a_requester_key_other_than_the_granted_one(world: World) -> None:
    other_key = SessionKey.generate().public_bytes
    body, _ = _signed_body(world, world.in_scope[0].file_id, requester_key=other_key)
    _refused(_post(world, body), 403, "wrong_requester_key")


def test_refuses_a_replayed_nonce(world: World) -> None:
    body, _ = _signed_body(world, world.in_scope[0].file_id)
    assert _post(world, body, validator=1).status_code == 200
    _refused(_post(world, body, validator=1), 409, "replayed_nonce")


def test_refuses_a_tampered_header_in_storage(world: World) -> None:
    committee_member = world.devnet.validators[0]
    body, _ = _signed_body(
        world,
        world.tampered.file_id,
        purpose=Purpose.SCORING,
        epoch=world.epoch + 1,
        signer=committee_member,
    )
    _refused(_post(world, body, validator=2), 422, "header_mismatch")


def test_refuses_scoring_from_a_non_committee_address(world: World) -> None:
    body, _ = _signed_body(
        world,
        world.in_scope[0].file_id,
        purpose=Purpose.SCORING,
        epoch=world.epoch,
        signer=world.devnet.spare[3],
    )
    _refused(_post(world, body), 403, "not_committee")


def test_refuses_scoring_a_file_of_another_epoch(world: World) -> None:
    body, _ = _signed_body(
        world,
        world.outside.file_id,
        purpose=Purpose.SCORING,
        epoch=world.epoch,
        signer=world.devnet.validators[0],
    )
    _refused(_post(world, body), 403, "wrong_epoch")


def test_refuses_oversized_and_malformed_bodies(world: World) -> None:
    _refused(_post(world, b"{" + b" " * 5000 + b"}"), 413, "too_large")
    _refused(_post(world, b'{"request": {}, "signature": "0x"}'), 400, "malformed")


def test_gather_reports_refusals_by_validator(world: World) -> None:
    """A request the chain does not allow fails with every validator's refusal named."""
    d = world.devnet
    renter = _renter(world)
    peers, t = committee_peers(renter.dkg, renter.staking, int(d.deployment.extra["ritual_id"]))
    with ShareClient(
        chain_id=d.chain.chain_id,
        registry=d.address("SubmissionRegistry"),
        signer=world.renter,
        session=world.session,
        now=renter.chain_now,
        policy=FAST,
    ) as client:
        from node.custody.streams import IteratorReader
        from node.protocol.crypto import read_header

        header = read_header(
            IteratorReader(iter(world.store.cat(Cid(world.outside.cid), max_bytes=1 << 30)))
        )
        with pytest.raises(NotEnoughShares) as info:
            client.gather_dek(
                header,
                ShareAsk(Purpose.ACCESS, 1, world.outside.file_id, req_id=world.req_id),
                peers,
                t,
            )
    assert set(info.value.refused) == {p.address for p in peers}
    assert all("out_of_scope" in why for why in info.value.refused.values())
    _ = Epoch, Peer
