"""A bounded mixed load on one real share service: renters keep being served while attackers
send fresh-key requests, replays, garbage, huge and slow bodies, and half-open connections.

The service is the real one (``build_app`` + ``server_config``, the limits ``serve`` runs with)
on the devnet of :mod:`tests.integration.custody.conftest`, on loopback. Attackers and renters
use different loopback source addresses (127.0.0.0/8 all reach ``lo``), as different hosts
would, so per-IP limits act on attackers without touching renters. The run is bounded (about
``ATTACK_S`` seconds of attack, a fixed number of prepared junk requests) and stops by itself.
"""

from __future__ import annotations

import os
import secrets
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from eth_account import Account
from fastapi import FastAPI

from node.chain.eip712 import DecryptionRequest, Purpose, sign
from node.custody.wire import SHARES_PATH, ShareRequestBody, WireRequest
from node.devnet.bootstrap import validator_passphrase
from tests.integration.custody.conftest import CONFIRMATIONS, World
from tests.integration.helpers import chain_now
from validator.shares.audit import verify_audit_log
from validator.shares.serve import ServeConfig, build_app, server_config

pytestmark = pytest.mark.integration

ATTACK_S = 12.0
READ_TIMEOUT_S = 2.0
PER_IP_CONNECTIONS = 16
JUNK_KEYS = 300
LEGIT_MIN = 30
P99_BOUND_S = 5.0
DROP_BOUND_S = READ_TIMEOUT_S + 5.0  # the deadline plus generous scheduling slack
RSS_GROWTH_BOUND = 200 * 1024 * 1024


@dataclass
class _Running:
    app: FastAPI
    port: int
    audit: Path
    stop: Callable[[], None]


def _rss() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0  # pragma: no cover - Linux only


@pytest.fixture(scope="module")
def service(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Running]:
    data = tmp_path_factory.mktemp("share-load")
    v = world.devnet.deployment.extra["validators"][0]
    cfg = ServeConfig(
        home=world.devnet.home,
        validator=v["address"],
        passphrase=validator_passphrase(),
        confirmations=CONFIRMATIONS,
        data_dir=data,
        log_level="warning",
        read_timeout_s=READ_TIMEOUT_S,
        max_connections_per_ip=PER_IP_CONNECTIONS,
    )
    app = build_app(cfg)
    server = uvicorn.Server(server_config(app, cfg, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "share server did not start"
        time.sleep(0.02)
    port = int(server.servers[0].sockets[0].getsockname()[1])

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    try:
        yield _Running(app, port, data / "audit.jsonl", stop)
    finally:
        stop()
        app.state.service.audit.close()


def _body(world: World, signer: Any, *, req_id: int, nonce: int | None = None) -> bytes:
    d = world.devnet
    f = world.in_scope[secrets.randbelow(len(world.in_scope))]
    message = DecryptionRequest(
        purpose=int(Purpose.ACCESS),
        reqId=req_id,
        datasetId=1,
        epoch=0,
        fileId=f.file_id,
        requesterKey=world.session.public_bytes,
        deadline=chain_now(d) + 600,
        nonce=secrets.randbits(256) if nonce is None else nonce,
    )
    sig = sign(message, signer, chain_id=d.chain.chain_id, registry=d.address("SubmissionRegistry"))
    body = ShareRequestBody(request=WireRequest.from_message(message), signature="0x" + sig.hex())
    return body.model_dump_json().encode()


@dataclass
class _Tally:
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    drops: list[float] = field(default_factory=list)
    served: list[bytes] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int | str) -> None:
        with self.lock:
            self.statuses[f"{kind}:{status}"] += 1


def _post(c: httpx.Client, url: str, tally: _Tally, kind: str, content: Any) -> int | str:
    try:
        status: int | str = c.post(url, content=content).status_code
    except httpx.TransportError:
        status = "dropped"  # the server cut the connection
    tally.add(kind, status)
    return status


def _client(source: str) -> httpx.Client:
    return httpx.Client(
        transport=httpx.HTTPTransport(local_address=source), trust_env=False, timeout=15
    )


def _raw(port: int, source: str) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(DROP_BOUND_S + 5)
    s.connect(("127.0.0.1", port))
    return s


def _closed_after(s: socket.socket, opened: float, trickle: bytes | None) -> float:
    """Seconds until the server dropped ``s`` (trickling one byte of ``trickle`` per 0.3 s)."""
    s.settimeout(0.3)
    i = 0
    while time.monotonic() - opened < DROP_BOUND_S + 5:
        try:
            if trickle is not None and i < len(trickle):
                s.send(trickle[i : i + 1])
                i += 1
            data = s.recv(4096)
            if not data:
                return time.monotonic() - opened
            # an early response (408/413) is fine; keep reading until the server closes
        except TimeoutError:
            continue
        except OSError:  # reset or broken pipe: dropped
            return time.monotonic() - opened
    return float("inf")


def test_renters_are_served_while_the_service_is_attacked(world: World, service: _Running) -> None:
    port, app = service.port, service.app
    svc = app.state.service
    url = f"http://127.0.0.1:{port}{SHARES_PATH}"
    tally = _Tally()
    stop = threading.Event()
    # prepared before the clock starts: a fresh key per request, for the grant and a made-up one
    junk = [
        _body(world, Account.create(), req_id=world.req_id if i % 2 else 10**9 + i)
        for i in range(JUNK_KEYS)
    ]
    rss_before = _rss()
    reads_before = svc.view.rpc_reads

    def legit(source: str) -> None:
        with _client(source) as c:
            n = 0
            while not stop.is_set() or n < LEGIT_MIN // 2:
                body = _body(world, world.renter, req_id=world.req_id)
                t0 = time.perf_counter()
                status = _post(c, url, tally, "legit", body)
                took = time.perf_counter() - t0
                with tally.lock:
                    tally.latencies.append(took)
                    if status == 200:
                        tally.served.append(body)
                n += 1
                time.sleep(0.15)

    def fresh_keys(source: str, bodies: list[bytes]) -> None:
        with _client(source) as c:
            for body in bodies:
                if stop.is_set():
                    return
                _post(c, url, tally, "fresh", body)

    def replay(source: str) -> None:
        with _client(source) as c:
            while not stop.is_set():
                with tally.lock:
                    body = tally.served[-1] if tally.served else None
                if body is None:
                    time.sleep(0.05)
                    continue
                _post(c, url, tally, "replay", body)
                time.sleep(0.01)

    def garbage(source: str) -> None:
        with _client(source) as c:
            while not stop.is_set():
                blob = os.urandom(1 + secrets.randbelow(3000))
                _post(c, url, tally, "garbage", blob)
                bad_json = b'{"request": {"purpose": 1}, "signature": "0x' + b"ab" * 65 + b'"}'
                _post(c, url, tally, "garbage", bad_json)

    def huge(source: str) -> None:
        with _client(source) as c:
            while not stop.is_set():
                _post(c, url, tally, "huge", b"x" * 200_000)

                def chunks() -> Iterator[bytes]:
                    for _ in range(200):
                        yield b"y" * 1024

                _post(c, url, tally, "huge-chunked", chunks())

    def slow(source: str, request: bytes | None, trickle: bytes | None, kind: str) -> None:
        while not stop.is_set():
            socks: list[tuple[socket.socket, float]] = []
            for _ in range(PER_IP_CONNECTIONS + 4):  # 4 over the per-IP cap
                try:
                    s = _raw(port, source)
                except OSError as err:
                    tally.errors.append(f"{kind} connect: {err}")
                    continue
                if request is not None:
                    s.sendall(request)
                socks.append((s, time.monotonic()))
            waits = [threading.Thread(target=_measure, args=(s, t, trickle)) for s, t in socks]
            for w in waits:
                w.start()
            for w in waits:
                w.join()
            for s, _ in socks:
                s.close()
            tally.add(kind, "round")

    def _measure(s: socket.socket, opened: float, trickle: bytes | None) -> None:
        took = _closed_after(s, opened, trickle)
        with tally.lock:
            tally.drops.append(took)

    head = (
        f"POST {SHARES_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    ).encode()

    def guarded(target: Callable[..., None]) -> Callable[..., None]:
        def run(*args: Any) -> None:
            try:
                target(*args)
            except Exception as err:  # a worker that dies must fail the test, not go quiet
                tally.errors.append(f"{target.__name__}: {err!r}")

        return run

    workers = [
        threading.Thread(target=guarded(legit), args=("127.0.0.1",)),
        threading.Thread(target=guarded(legit), args=("127.0.0.2",)),
        threading.Thread(target=guarded(fresh_keys), args=("127.0.0.10", junk[::2])),
        threading.Thread(target=guarded(fresh_keys), args=("127.0.0.11", junk[1::2])),
        threading.Thread(target=guarded(replay), args=("127.0.0.12",)),
        threading.Thread(target=guarded(garbage), args=("127.0.0.13",)),
        threading.Thread(target=guarded(huge), args=("127.0.0.14",)),
        # half-open: connect and say nothing
        threading.Thread(target=guarded(slow), args=("127.0.0.15", None, None, "half-open")),
        # slow headers: the request line, then one header byte at a time
        threading.Thread(
            target=guarded(slow), args=("127.0.0.16", head, b"X-Slow: " + b"a" * 200, "hdr")
        ),
        # slow body: complete headers, then the body one byte at a time
        threading.Thread(
            target=guarded(slow),
            args=("127.0.0.17", head + b"Content-Length: 600\r\n\r\n", b"{" * 600, "body"),
        ),
    ]
    started = time.monotonic()
    for w in workers:
        w.start()
    time.sleep(ATTACK_S)
    stop.set()
    for w in workers:
        w.join(DROP_BOUND_S + 30)
    assert not any(w.is_alive() for w in workers), "a load worker did not stop"
    wall = time.monotonic() - started

    lat = sorted(tally.latencies)
    p50 = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    reads = svc.view.rpc_reads - reads_before
    sizes = svc.sizes()
    print(  # noqa: T201 - the measured numbers, for the log
        f"\nload: {wall:.1f}s, legit n={len(lat)} p50={p50 * 1000:.0f}ms p99={p99 * 1000:.0f}ms,"
        f" rpc reads={reads}, drops max={max(tally.drops, default=0):.2f}s,"
        f" statuses={dict(sorted(tally.statuses.items()))}, sizes={sizes},"
        f" rss +{(_rss() - rss_before) / 2**20:.1f} MiB, errors={tally.errors[:3]}"
    )

    # renters: every request served, in bounded time
    legit_statuses = {k: n for k, n in tally.statuses.items() if k.startswith("legit:")}
    assert legit_statuses == {"legit:200": len(lat)}
    assert len(lat) >= LEGIT_MIN
    assert p99 < P99_BOUND_S

    # attackers: refused, never a server error, never served
    allowed: dict[str, set[int | str]] = {
        "fresh": {403, 429},
        "replay": {409, 429},
        "garbage": {400, 429},
        "huge": {413, "dropped"},
        "huge-chunked": {413, "dropped"},
    }
    for key, n in tally.statuses.items():
        kind, status = key.split(":")
        if kind in allowed:
            assert (int(status) if status.isdigit() else status) in allowed[kind], f"{key} x{n}"
    assert tally.statuses["fresh:403"] > 0
    assert tally.statuses["replay:409"] > 0
    for kind in ("half-open", "hdr", "body"):
        assert tally.statuses[f"{kind}:round"] >= 1, kind
    assert not tally.errors, tally.errors[:5]

    # slow and half-open connections were all dropped, within the read deadline (+ slack)
    assert tally.drops
    assert max(tally.drops) < DROP_BOUND_S

    # nothing a stranger sent was stored: the replay store holds exactly the renter's nonces
    assert sizes["nonces"] == len(lat)
    assert sizes["nonce_signers"] == 1
    assert sizes["known_signers"] == 1
    assert sizes["client_buckets"] <= 10
    assert sizes["chain_reads"] <= svc.settings.read_cache
    assert sizes["audit_pending"] <= svc.audit.max_pending
    # at most one RPC read (the head, shared by concurrent requests) per request that got as
    # far as the chain: authorization reads are cached per block, so junk from fresh keys does
    # not cost a grant read each (+ the first reads of the block, and slack)
    fresh = tally.statuses["fresh:403"]
    reached_chain = fresh + len(lat) + tally.statuses["replay:409"]
    assert reads <= reached_chain + 20
    assert _rss() - rss_before < RSS_GROWTH_BOUND

    # the audit file has every decision, chained
    svc.audit.flush()
    result = verify_audit_log(service.audit)
    assert result.ok, result
    assert result.lines >= len(lat) + fresh
