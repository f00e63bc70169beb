"""FastAPI app of the decryption-share service: ``create_app(...)`` with injected dependencies.

Request pipeline for ``POST /v1/shares``: cheap refusals first, and **nothing an unauthorized
requester sends is stored** (the only per-key state before authorization is the per-IP bucket,
a bounded LRU):

1. body size cap (``Content-Length`` and the bytes actually read) → 413; the body must arrive
   within ``body_timeout_s`` → 408 (the server also drops slow connections, see
   :mod:`validator.shares.serve`);
2. strict JSON model (``node.custody.wire``) → 400;
3. per-client-IP token bucket → 429;
4. EIP-712 signature recovery (domain: this chain, this SubmissionRegistry) → 401;
5. a signer not authorized recently takes a token from one global *stranger* bucket → 429: fresh
   keys can cost the RPC at most ``stranger_rate`` uncached reads per second in all;
6. chain view pinned at ``latest - confirmations`` (head reads coalesced, reads cached per block
   hash): deadline not passed and not too far ahead (chain time) → 403;
7. authorization on chain (:func:`validator.shares.checks.authorize`) → 403/404;
8. replay: a nonce this (authorized) signer already used → 409, before its bucket is touched, so
   replaying someone's request does not spend their tokens;
9. per-signer token bucket → 429, then the nonce is claimed durably
   (:class:`validator.shares.nonces.NonceStore`; a signer over its nonce bound → 429);
10. the header from storage, checked against the chain → 422/503;
11. this validator's Ferveo share for that header, sealed to ``requesterKey`` with the request's
    EIP-712 digest as AAD; its audit line is fsync'd, then → 200.

Every outcome is one audit line (:mod:`validator.shares.audit`). Nothing is global: the chain
client, blob store, ritual material, stores and settings are arguments, so tests run several
services in one process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from eth_typing import ChecksumAddress
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import ClientDisconnect

from node.chain.client import ChainClient
from node.chain.contracts import Contracts
from node.chain.eip712 import (
    DecryptionBatch,
    DecryptionRequest,
    Purpose,
    digest,
    recover_signer,
)
from node.chain.registry import SubmissionRecord
from node.custody.session import seal_to
from node.custody.wire import (
    BATCH_PATH,
    MAX_BATCH_REQUEST_BYTES,
    MAX_REQUEST_BYTES,
    SHARES_PATH,
    BatchRequestBody,
    BatchResponseBody,
    ErrorBody,
    Refusal,
    ShareRequestBody,
    ShareResponseBody,
    to_hex,
)
from node.errors import KeyCustodyError
from node.protocol.crypto import SealedHeader, ferveo_ciphertext_header
from node.protocol.dkg_member import RitualMember
from node.storage.base import BlobStore
from validator.shares.audit import AuditError, AuditEvent, AuditLog
from validator.shares.batch import prepare_batch, stream_batch
from validator.shares.checks import (
    STATUS,
    ChainView,
    Pinned,
    Refused,
    authorize,
    check_header,
    fetch_header,
)
from validator.shares.nonces import NonceStore
from validator.shares.ratelimit import LRU, RateLimiter, TokenBucket

__all__ = ["ServedRitual", "ShareServiceSettings", "create_app"]

log = logging.getLogger(__name__)

_Body = TypeVar("_Body", ShareRequestBody, BatchRequestBody)

_HEADER_CACHE: Final = 4096


@dataclass(frozen=True, slots=True)
class ShareServiceSettings:
    """Knobs of one share service.

    Attributes:
        confirmations: checks read the chain at ``latest - confirmations``.
        max_deadline_s: refuse request deadlines further than this ahead of chain time (bounds
            how long a nonce is kept).
        requester_rate, requester_burst: token bucket per authorized signer.
        client_rate, client_burst: token bucket per client IP (before signature recovery).
        stranger_rate, stranger_burst: one bucket shared by every signer not authorized
            recently: bounds the chain reads junk from fresh keys can cause.
        max_request_bytes: body cap.
        max_batch_request_bytes: body cap of ``POST /v1/shares/batch``.
        batch_read_workers: threads that run one batch's per-file chain and storage reads.
        body_timeout_s: the whole body must arrive within this.
        max_keys: buckets kept per table (client IPs, signers), least recently used dropped.
        known_signers: recently authorized signers remembered (they skip the stranger bucket).
        read_cache: chain reads cached (per block hash).
        max_nonces_per_signer: live nonces one signer may hold.
    """

    confirmations: int = 2
    max_deadline_s: int = 3600
    requester_rate: float = 50.0
    requester_burst: float = 100.0
    client_rate: float = 200.0
    client_burst: float = 400.0
    stranger_rate: float = 100.0
    stranger_burst: float = 200.0
    max_request_bytes: int = MAX_REQUEST_BYTES
    max_batch_request_bytes: int = MAX_BATCH_REQUEST_BYTES
    batch_read_workers: int = 8
    body_timeout_s: float = 10.0
    max_keys: int = 100_000
    known_signers: int = 10_000
    read_cache: int = 65_536
    max_nonces_per_signer: int = 200_000


@dataclass(frozen=True)
class ServedRitual:
    """This validator's material for one ACTIVE ritual: its member state and the aggregate."""

    member: RitualMember
    aggregated_transcript: bytes

    def __repr__(self) -> str:
        return f"ServedRitual(ritual_id={self.member.ritual_id}, member=<redacted>)"


class _Service:
    def __init__(
        self,
        *,
        chain: ChainClient,
        contracts: Contracts,
        store: BlobStore,
        rituals: Mapping[int, ServedRitual],
        me: str,
        settings: ShareServiceSettings,
        audit: AuditLog,
        nonces: NonceStore,
    ) -> None:
        self.chain = chain
        self.store = store
        self.rituals = dict(rituals)
        self.me = me
        self.settings = settings
        self.audit = audit
        self.registry = contracts.registry.address
        self.view = ChainView(
            chain=chain,
            registry=contracts.registry,
            access=contracts.access,
            score_board=contracts.board,
            config=contracts.config,
            confirmations=settings.confirmations,
            cache_size=settings.read_cache,
        )
        self.chain_id = chain.chain_id
        self.by_requester = RateLimiter(
            rate=settings.requester_rate, burst=settings.requester_burst, max_keys=settings.max_keys
        )
        self.by_client = RateLimiter(
            rate=settings.client_rate, burst=settings.client_burst, max_keys=settings.max_keys
        )
        self.strangers = TokenBucket(rate=settings.stranger_rate, burst=settings.stranger_burst)
        self.known: LRU[str, bool] = LRU(settings.known_signers)
        self.nonces = nonces
        self.headers: LRU[tuple[str, bytes], SealedHeader] = LRU(_HEADER_CACHE)

    def sizes(self) -> dict[str, int]:
        """Entries in every per-key table (each has a hard cap; for tests and metrics)."""
        return {
            "client_buckets": len(self.by_client),
            "signer_buckets": len(self.by_requester),
            "known_signers": len(self.known),
            "chain_reads": len(self.view.reads),
            "pinned_blocks": len(self.view.below),
            "headers": len(self.headers),
            "nonce_signers": self.nonces.signers(),
            "nonces": len(self.nonces),
            "audit_pending": self.audit.pending(),
        }

    def admit(
        self, m: DecryptionRequest | DecryptionBatch, signature: bytes, event: dict[str, object]
    ) -> tuple[ChecksumAddress, Pinned]:
        """Steps every request takes before its authorisation, single or batched: recover the
        signer, the strangers' bucket, pin the chain view, and the deadline against it.

        Raises:
            Refused: bad signature, strangers over their limit, expired or too far ahead.
        """
        try:
            signer = recover_signer(m, signature, chain_id=self.chain_id, registry=self.registry)
        except (ValueError, TypeError):
            raise Refused(Refusal.BAD_SIGNATURE, "signature does not recover") from None
        event["requester"] = signer
        if signer.lower() not in self.known and not self.strangers.allow():
            raise Refused(Refusal.RATE_LIMITED, "too many requests from unknown signers")
        block = self.view.pinned_block()
        now = block.timestamp
        event["view_block"] = block.number
        if m.deadline < now:
            raise Refused(Refusal.REQUEST_EXPIRED, "request deadline has passed")
        if m.deadline > now + self.settings.max_deadline_s:
            raise Refused(
                Refusal.DEADLINE_TOO_FAR,
                f"deadline more than {self.settings.max_deadline_s}s ahead of chain time",
            )
        return signer, block

    def spend(self, signer: str, nonce: int, *, deadline: int, now: int) -> None:
        """Steps every authorised request takes, single or batched: the signer becomes known,
        then its nonce and its bucket are spent (one each per request, whatever its size).

        Raises:
            Refused: a replayed nonce, the signer over its limit or holding too many nonces.
        """
        key = signer.lower()
        self.known.put(key, True)
        if self.nonces.seen(signer, nonce):
            raise Refused(Refusal.REPLAYED_NONCE, "nonce already used")
        if not self.by_requester.allow(key):
            raise Refused(Refusal.RATE_LIMITED, f"too many requests from {signer}")
        claimed = self.nonces.claim(signer, nonce, deadline=deadline, now=now)
        if claimed is None:
            raise Refused(Refusal.RATE_LIMITED, f"{signer} holds too many live nonces")
        if not claimed:
            raise Refused(Refusal.REPLAYED_NONCE, "nonce already used")

    def serve(
        self, body: ShareRequestBody, event: dict[str, object], started: float
    ) -> ShareResponseBody:
        """Steps 4-11 of the module docstring (blocking: runs on a worker thread)."""
        m = body.request.to_message()
        event.update(
            purpose=Purpose(m.purpose).name.lower(),
            dataset_id=m.datasetId,
            file_id=to_hex(m.fileId),
            req_id=m.reqId if m.purpose == Purpose.ACCESS else None,
            epoch=m.epoch if m.purpose == Purpose.SCORING else None,
        )
        signer, block = self.admit(m, body.signature_bytes(), event)
        record = authorize(self.view, m, signer, block=block, store=self.store)
        self.spend(signer, m.nonce, deadline=m.deadline, now=block.timestamp)
        event["ritual_id"] = record.ritual_id
        served = self.rituals.get(record.ritual_id)
        if served is None:
            raise Refused(
                Refusal.RITUAL_NOT_SERVED,
                f"{self.me} holds no key material for ritual {record.ritual_id}",
            )
        header = self._header(record, m)
        try:
            share = served.member.decryption_share(
                served.aggregated_transcript, ferveo_ciphertext_header(header)
            )
        except KeyCustodyError:
            # the header verified against the chain, so this is our own material's fault
            log.exception("share creation failed", extra={"ritual": record.ritual_id})
            raise
        sealed = seal_to(
            m.requesterKey,
            share,
            aad=digest(m, chain_id=self.chain_id, registry=self.registry),
        )
        # no share leaves before its audit line is on disk (AuditError: not served)
        self.record(event, "served", None, started, durable=True)
        return ShareResponseBody(
            validator=self.me,
            ritualId=record.ritual_id,
            fileId=to_hex(m.fileId),
            ephemeralKey=to_hex(sealed.ephemeral_public),
            ciphertext=to_hex(sealed.ciphertext),
        )

    def record(
        self,
        event: dict[str, object],
        decision: str,
        reason: str | None,
        started: float,
        *,
        durable: bool = False,
    ) -> None:
        fields = {k: v for k, v in event.items() if v is not None}
        self.audit.record(
            AuditEvent(
                validator=self.me,
                decision=decision,
                reason=reason,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                **fields,  # type: ignore[arg-type]
            ),
            durable=durable,
        )

    def _header(self, record: SubmissionRecord, m: DecryptionRequest) -> SealedHeader:
        # The cache saves the storage read, keyed by what the fetched bytes depend on; the
        # bindings to this record (contributor, derived file id, context) are checked every
        # time, or another record naming the same CID and hash would inherit a cached pass.
        key = (record.cid, bytes(record.header_hash))
        header = self.headers.get(key)
        if header is None:
            header = fetch_header(self.store, record)
            self.headers.put(key, header)
        check_header(
            header, record, chain_id=self.chain_id, registry=self.registry, file_id=m.fileId
        )
        return header


def _refusal(code: Refusal, detail: str, status: int) -> JSONResponse:
    return JSONResponse(ErrorBody(error=code.value, detail=detail).model_dump(), status_code=status)


def create_app(
    *,
    chain: ChainClient,
    contracts: Contracts,
    store: BlobStore,
    rituals: Mapping[int, ServedRitual],
    me: str,
    settings: ShareServiceSettings | None = None,
    audit: AuditLog | None = None,
    nonces: NonceStore | None = None,
) -> FastAPI:
    """Build one validator's share service.

    Args:
        chain: a read-only client on the validator's own RPC.
        contracts: the addresses it reads.
        store: where sealed files are (headers are read from here, never from requests).
        rituals: ritual id → this validator's material for it.
        me: this validator's address (echoed in responses so clients can match answers).
        settings: limits and confirmation depth.
        audit: where decisions are recorded (default: the ``validator.shares.audit`` logger
            only; :func:`validator.shares.serve.build_app` passes the hash-chained file).
        nonces: the replay store (default: in memory; ``build_app`` passes the file under the
            validator's data dir, so replays stay refused across restarts).
    """
    cfg = settings or ShareServiceSettings()
    service = _Service(
        chain=chain,
        contracts=contracts,
        store=store,
        rituals=rituals,
        me=me,
        settings=cfg,
        audit=audit if audit is not None else AuditLog(),
        # `is not None`: an empty store has len 0 and is falsy
        nonces=nonces
        if nonces is not None
        else NonceStore(max_per_signer=cfg.max_nonces_per_signer),
    )
    app = FastAPI(title="datadao decryption-share service", docs_url=None, redoc_url=None)
    app.state.service = service

    @app.get("/v1/health")
    def health() -> dict[str, object]:
        return {"validator": service.me, "rituals": sorted(service.rituals)}

    async def handle(
        request: Request,
        *,
        cap: int,
        parse: Callable[[bytes], _Body],
        serve: Callable[[_Body, dict[str, object], float], BaseModel | Response],
        what: str,
    ) -> Response:
        """What every share route does around its ``serve``: refuse an oversized, slow,
        dropped or malformed body and a client over its limit, each recorded and typed, then
        serve on a worker thread and map its refusals (single and batched requests alike).
        A ``serve`` that returns a :class:`Response` (the batch's stream) has decided
        everything that can refuse; it is sent as it is."""
        started = time.perf_counter()
        client = request.client.host if request.client else None
        event: dict[str, object] = {"client": client}

        def refuse(code: Refusal, detail: str, status: int | None = None) -> JSONResponse:
            service.record(event, "refused", code.value, started)
            return _refusal(code, detail, status or STATUS[code])

        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            return refuse(Refusal.TOO_LARGE, f"request body over {cap} bytes")
        raw = bytearray()
        try:
            async with asyncio.timeout(service.settings.body_timeout_s):
                async for chunk in request.stream():
                    raw += chunk
                    if len(raw) > cap:
                        return refuse(Refusal.TOO_LARGE, f"request body over {cap} bytes")
        except TimeoutError:
            timeout = service.settings.body_timeout_s
            return refuse(Refusal.MALFORMED, f"body not received within {timeout}s", 408)
        except ClientDisconnect:  # dropped mid-body (by the client or the read deadline)
            return refuse(Refusal.MALFORMED, "client disconnected before the body ended")
        try:
            body = parse(bytes(raw))
        except ValidationError as err:
            return refuse(Refusal.MALFORMED, f"{err.error_count()} invalid field(s)")
        if client is not None and not service.by_client.allow(client):
            return refuse(Refusal.RATE_LIMITED, "too many requests from this address")
        try:
            answer = await run_in_threadpool(serve, body, event, started)
        except Refused as err:
            return refuse(err.code, err.detail)
        except AuditError:
            log.exception("audit log unavailable: %s not served", what)
            return JSONResponse(
                ErrorBody(error="unavailable", detail="audit log unavailable").model_dump(),
                status_code=503,
            )
        if isinstance(answer, Response):
            return answer
        return JSONResponse(answer.model_dump())

    @app.post(SHARES_PATH, response_model=ShareResponseBody)
    async def shares(request: Request) -> Response:
        return await handle(
            request,
            cap=service.settings.max_request_bytes,
            parse=ShareRequestBody.model_validate_json,
            serve=service.serve,
            what="share",
        )

    def serve_batch(
        body: BatchRequestBody, event: dict[str, object], started: float
    ) -> StreamingResponse:
        # checks, nonce and the durable audit line here (refusals are typed errors); the
        # shares are computed one at a time on worker threads as the answer streams
        prepared = prepare_batch(service, body, event, started)
        return StreamingResponse(
            iterate_in_threadpool(stream_batch(prepared)), media_type="application/json"
        )

    @app.post(BATCH_PATH, response_model=BatchResponseBody)
    async def batch(request: Request) -> Response:
        """Many files under one signature (:mod:`validator.shares.batch`); same limits; the
        answer streams, one share at a time."""
        return await handle(
            request,
            cap=service.settings.max_batch_request_bytes,
            parse=BatchRequestBody.model_validate_json,
            serve=serve_batch,
            what="batch",
        )

    return app
