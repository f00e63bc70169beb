"""What a request may change in a real share service: strangers nothing, replays nothing of the
signer's, and a claimed nonce stays claimed across a restart (devnet of the custody conftest)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi import FastAPI
from fastapi.testclient import TestClient

from node.chain.eip712 import DecryptionRequest, Purpose, sign
from node.custody.wire import SHARES_PATH, ShareRequestBody, WireRequest
from node.devnet.bootstrap import validator_passphrase
from tests.integration.custody.conftest import CONFIRMATIONS, World
from tests.integration.helpers import chain_now
from validator.shares.audit import verify_audit_log
from validator.shares.serve import ServeConfig, build_app

pytestmark = pytest.mark.integration


def _cfg(world: World, data: Path, **kw: Any) -> ServeConfig:
    v = world.devnet.deployment.extra["validators"][1]
    return ServeConfig(
        home=world.devnet.home,
        validator=v["address"],
        passphrase=validator_passphrase(),
        confirmations=CONFIRMATIONS,
        data_dir=data,
        **kw,
    )


def _body(world: World, signer: Any, *, nonce: int | None = None) -> bytes:
    d = world.devnet
    message = DecryptionRequest(
        purpose=int(Purpose.ACCESS),
        reqId=world.req_id,
        datasetId=1,
        epoch=0,
        fileId=world.in_scope[0].file_id,
        requesterKey=world.session.public_bytes,
        deadline=chain_now(d) + 600,
        nonce=secrets.randbits(256) if nonce is None else nonce,
    )
    sig = sign(message, signer, chain_id=d.chain.chain_id, registry=d.address("SubmissionRegistry"))
    body = ShareRequestBody(request=WireRequest.from_message(message), signature="0x" + sig.hex())
    return body.model_dump_json().encode()


def _post(app: FastAPI, body: bytes) -> tuple[int, str]:
    with TestClient(app) as c:
        r = c.post(SHARES_PATH, content=body)
    return r.status_code, r.json().get("error", "")


def test_a_stranger_with_a_valid_signature_leaves_no_state(world: World, tmp_path: Path) -> None:
    app = build_app(_cfg(world, tmp_path))
    svc = app.state.service
    nonce = secrets.randbits(256)
    assert _post(app, _body(world, Account.create(), nonce=nonce)) == (403, "wrong_signer")
    sizes = svc.sizes()
    assert sizes["nonces"] == 0
    assert sizes["known_signers"] == 0
    assert sizes["signer_buckets"] == 0
    # the renter may use the very same nonce: nothing was claimed on its behalf
    assert _post(app, _body(world, world.renter, nonce=nonce))[0] == 200
    assert svc.sizes()["nonces"] == 1


def test_replays_do_not_spend_the_signers_tokens(world: World, tmp_path: Path) -> None:
    # renter burst 2; the client IP's burst (8) leaves room for the replays
    app = build_app(_cfg(world, tmp_path, requester_rate=1.0))
    body = _body(world, world.renter)
    assert _post(app, body)[0] == 200
    for _ in range(5):
        assert _post(app, body) == (409, "replayed_nonce")
    assert _post(app, _body(world, world.renter))[0] == 200  # its second token is still there


def test_strangers_exhausting_their_bucket_do_not_lock_out_a_renter(
    world: World, tmp_path: Path
) -> None:
    # strangers: 10/s, burst 20; the client IP's burst (40) leaves room for all of it
    app = build_app(_cfg(world, tmp_path, requester_rate=5.0))
    assert _post(app, _body(world, world.renter))[0] == 200  # the renter is known from now on
    junk = [_body(world, Account.create()) for _ in range(30)]  # signed before the burst
    with TestClient(app) as c:
        outcomes = [c.post(SHARES_PATH, content=b).json()["error"] for b in junk]
    assert "rate_limited" in outcomes
    assert set(outcomes) <= {"wrong_signer", "rate_limited"}
    assert _post(app, _body(world, world.renter))[0] == 200


def test_a_claimed_nonce_stays_claimed_across_a_restart(world: World, tmp_path: Path) -> None:
    body = _body(world, world.renter)
    first = build_app(_cfg(world, tmp_path))
    assert _post(first, body)[0] == 200
    first.state.service.audit.close()
    first.state.service.nonces.close()

    again = build_app(_cfg(world, tmp_path))
    assert _post(again, body) == (409, "replayed_nonce")
    again.state.service.audit.close()
    # both processes' decisions are in one chained audit file
    result = verify_audit_log(tmp_path / "audit.jsonl")
    assert result.ok
    assert result.lines == 2
