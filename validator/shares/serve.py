"""Run one validator's share service from a data dir (devnet layout) with uvicorn.

``python -m validator.shares --home H --validator ADDR --port N`` and
``datadao validator serve-shares`` both land here. The service reads the chain through its own
read-only client, headers from the blockstore the contributors used (``<home>/blocks``, or Kubo
when ``DATADAO_KUBO_API_URL`` is set), and its Ferveo seed from the encrypted keystore
``<home>/devnet/validators/<address>/ferveo.json``. What it writes lives in the validator's data
dir, ``<home>/validator/<address>``: ``audit.jsonl`` (:mod:`validator.shares.audit`) and
``share-nonces.sqlite3`` (:mod:`validator.shares.nonces`).

**Connections.** uvicorn on its own keeps a connection for as long as a client trickles bytes
(it has no header or body read timeout, and a byte received after a response cancels its
keep-alive timer), so slow clients could hold every slot. :func:`server_config` runs the h11
protocol with a guard: from the moment a connection opens (and again after each response) the
client has ``read_timeout_s`` to deliver a whole request, headers and body; past that the
connection is aborted, whatever it is doing, unless the request is complete and the app is
answering it. A client IP holds at most ``max_connections_per_ip`` connections, headers are
capped at ``max_header_bytes`` (h11), bodies by the app, and ``limit_concurrency`` / ``backlog``
bound what the process accepts. So half-open, slow-header and slow-body connections are dropped
within ``read_timeout_s`` (+ the event loop's latency).

Put TLS in front with a reverse proxy listening publicly and forwarding to ``127.0.0.1:PORT``
(see the README): the service itself speaks plain HTTP on loopback.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol
from web3 import Web3

from node.errors import ConfigError
from node.protocol.keystore import load_secret
from node.settings import NodeSettings
from node.wiring import ValidatorSettings, blob_store, connect, validator_dir
from validator.dkg_watcher import FERVEO_KIND
from validator.shares.app import ShareServiceSettings, create_app
from validator.shares.audit import AuditLog
from validator.shares.material import load_served_rituals
from validator.shares.nonces import NonceStore

__all__ = [
    "ServeConfig",
    "build_app",
    "default_audit_path",
    "guarded_h11",
    "serve",
    "server_config",
]

AUDIT_FILE = "audit.jsonl"
NONCES_FILE = "share-nonces.sqlite3"


def default_audit_path(home: Path, validator: str) -> Path:
    """Where ``serve`` writes the audit log unless told otherwise (for ``audit verify``)."""
    return validator_dir(home, Web3.to_checksum_address(validator)) / AUDIT_FILE


@dataclass(frozen=True)
class ServeConfig:
    """Where a validator's share service finds its chain, keys and storage, and its limits.

    Attributes (beyond the obvious):
        data_dir: where the audit log and replay store live (default
            ``<home>/validator/<address>``).
        audit_path: the audit log (default ``<data_dir>/audit.jsonl``).
        limit_concurrency: connections + in-flight requests before uvicorn answers 503.
        backlog: the listen queue.
        timeout_keep_alive: seconds an idle keep-alive connection is kept.
        read_timeout_s: a whole request (headers and body) must arrive within this.
        max_header_bytes: h11's cap on an incomplete request head.
        max_connections_per_ip: open connections one client IP may hold.
    """

    home: Path
    validator: str
    passphrase: str
    host: str = "127.0.0.1"
    port: int = 0
    confirmations: int = 2
    deployment_file: Path | None = None
    rpc_url: str | None = None
    kubo_api_url: str | None = None
    requester_rate: float = 50.0
    log_level: str = "info"
    data_dir: Path | None = None
    audit_path: Path | None = None
    limit_concurrency: int = 512
    backlog: int = 256
    timeout_keep_alive: int = 5
    read_timeout_s: float = 10.0
    max_header_bytes: int = 16 * 1024
    max_connections_per_ip: int = 64

    def __repr__(self) -> str:
        return f"ServeConfig(home={self.home}, validator={self.validator}, passphrase=<redacted>)"


def build_app(cfg: ServeConfig) -> FastAPI:
    """Load everything a share service needs and build its app (no server started).

    The chain, contracts and storage come from :mod:`node.wiring` (the node's settings, with
    ``cfg``'s explicit values on top), as for every other command: the same RPC timeout, the
    same Kubo with its token, the same deployment file.
    """
    overrides: dict[str, Any] = {"home": cfg.home}
    for name in ("deployment_file", "rpc_url", "kubo_api_url"):
        if getattr(cfg, name) is not None:
            overrides[name] = getattr(cfg, name)
    settings = NodeSettings(**overrides)
    c = connect(settings, signer=False)
    me = Web3.to_checksum_address(cfg.validator)
    key_dir = ValidatorSettings().ferveo_key_dir(cfg.home, c.deployment, me)
    if not (key_dir / "ferveo.json").is_file():
        raise ConfigError(f"no Ferveo keystore for {me} at {key_dir / 'ferveo.json'}")
    seed = load_secret(key_dir / "ferveo.json", passphrase=cfg.passphrase, kind=FERVEO_KIND)
    rituals = load_served_rituals(
        c.chain, c.address("DKGCoordinator"), me=me, key_dir=key_dir, seed=seed
    )
    service = ShareServiceSettings(
        confirmations=cfg.confirmations,
        requester_rate=cfg.requester_rate,
        requester_burst=2 * cfg.requester_rate,
        client_rate=4 * cfg.requester_rate,
        client_burst=8 * cfg.requester_rate,
        stranger_rate=2 * cfg.requester_rate,
        stranger_burst=4 * cfg.requester_rate,
        body_timeout_s=cfg.read_timeout_s,
    )
    where = cfg.data_dir or validator_dir(cfg.home, me)
    return create_app(
        chain=c.chain,
        contracts=c.contracts,
        store=blob_store(settings),
        rituals=rituals,
        me=me,
        settings=service,
        audit=AuditLog(cfg.audit_path or where / AUDIT_FILE),
        nonces=NonceStore(where / NONCES_FILE, max_per_signer=service.max_nonces_per_signer),
    )


def guarded_h11(*, read_timeout_s: float, max_connections_per_ip: int) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a per-request read deadline and a per-IP connection cap.

    The class carries its own per-IP counts, so each server (and each test) gets a fresh one.
    """
    open_by_ip: Counter[str] = Counter()

    class GuardedH11(H11Protocol):
        _guard: asyncio.TimerHandle | None = None
        _ip: str | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if self.client is not None:
                self._ip = str(self.client[0])
                open_by_ip[self._ip] += 1
                if open_by_ip[self._ip] > max_connections_per_ip:
                    transport.abort()
                    return
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._ip is not None:
                open_by_ip[self._ip] -= 1
                if open_by_ip[self._ip] <= 0:
                    del open_by_ip[self._ip]
                self._ip = None
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            early = self.conn.their_state is not h11.DONE
            super().on_response_complete()
            if self.transport.is_closing():
                return
            if early:
                # answered (413, 408) before the request was whole: nothing more is wanted
                # from this client, and uvicorn would keep reading what it trickles
                self.transport.close()
                return
            self._arm()  # the next request on this connection gets a fresh deadline

        def _arm(self) -> None:
            self._disarm()
            self._guard = self.loop.call_later(read_timeout_s, self._expire)

        def _disarm(self) -> None:
            if self._guard is not None:
                self._guard.cancel()
                self._guard = None

        def _expire(self) -> None:
            self._guard = None
            cycle = self.cycle
            if cycle is not None and not cycle.more_body and not cycle.response_complete:
                return  # the request is complete; the app is answering it
            self.transport.abort()

    return GuardedH11


def server_config(app: FastAPI, cfg: ServeConfig, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration ``serve`` runs (tests start servers with the same limits)."""
    options: dict[str, Any] = {
        "host": cfg.host,
        "port": cfg.port,
        "log_level": cfg.log_level,
        "access_log": False,
        "http": guarded_h11(
            read_timeout_s=cfg.read_timeout_s,
            max_connections_per_ip=cfg.max_connections_per_ip,
        ),
        "limit_concurrency": cfg.limit_concurrency,
        "backlog": cfg.backlog,
        "timeout_keep_alive": cfg.timeout_keep_alive,
        "h11_max_incomplete_event_size": cfg.max_header_bytes,
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)


def serve(cfg: ServeConfig) -> None:
    """Build the app and serve it until interrupted; the audit log is flushed on the way out."""
    app = build_app(cfg)
    try:
        uvicorn.Server(server_config(app, cfg)).run()
    finally:
        app.state.service.audit.close()
        app.state.service.nonces.close()
