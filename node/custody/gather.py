"""Gather decryption shares from a ritual's validators and recover a file's data key.

Used by the renter (purpose ACCESS) and by scoring validators (purpose SCORING) alike: the only
differences are the request fields and who signs. For one file, :meth:`ShareClient.gather_dek`

1. signs one EIP-712 ``DecryptionRequest`` per validator (fresh nonce each attempt, the
   requester's X25519 session key as ``requesterKey``) and posts them all concurrently;
2. opens each sealed share with the session key (a share that does not open marks its validator
   as misbehaving);
3. as soon as ``t`` shares are in, combines them and tries to unwrap the DEK; if that fails some
   share is bad, so every further arrival is tried in the ``t``-subsets it completes until one
   unwraps; Ferveo's simple shares cannot be verified one by one, but a wrong DEK cannot unwrap
   (AES-GCM under the header AAD), so success is proof;
4. returns the DEK with who was used, who sent bad shares, who was unreachable and who refused,
   or raises :class:`~node.custody.errors.NotEnoughShares` naming them.

Transport failures (timeouts, connection errors, 5xx, 429) are retried per validator under
:data:`node.retry.SHARE_REQUEST` (a bounded number of times and seconds, exponential backoff with
jitter, each attempt signed afresh); refusals (other 4xx) are final: the validator checked the
chain and said no. A validator that stays unreachable is :class:`ShareUnreachable`, which the
gatherer reports rather than raises: it needs only ``t`` of ``n``.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import TracebackType
from typing import Final

import httpx
from eth_account.signers.local import LocalAccount
from pydantic import ValidationError

from node.chain.eip712 import (
    MAX_BATCH_FILES,
    DecryptionBatch,
    DecryptionRequest,
    Purpose,
    batch_share_aad,
    digest,
    file_ids_hash,
    sign,
)
from node.custody.errors import (
    NotEnoughShares,
    ShareEnvelopeError,
    ShareRefused,
    ShareUnreachable,
)
from node.custody.session import SealedShare, SessionKey, open_from
from node.custody.wire import (
    BATCH_PATH,
    MAX_BATCH_RESPONSE_BYTES,
    MAX_RESPONSE_BYTES,
    SHARES_PATH,
    BatchRequestBody,
    BatchResponseBody,
    ErrorBody,
    ShareRequestBody,
    ShareResponseBody,
    WireBatch,
    WireRequest,
    from_hex,
)
from node.errors import EnvelopeError, KeyCustodyError
from node.protocol.crypto import (
    DataKey,
    SealedHeader,
    combine_decryption_shares,
    unwrap_dek,
)
from node.retry import SHARE_REQUEST, RetryPolicy, retry_call

__all__ = [
    "BatchAsk",
    "BatchGather",
    "GatherPolicy",
    "GatherResult",
    "Peer",
    "ShareAsk",
    "ShareClient",
]

log = logging.getLogger(__name__)

_RETRY_STATUS: Final = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Peer:
    """A committee validator's share service, as registered on chain."""

    address: str
    url: str


@dataclass(frozen=True, slots=True)
class ShareAsk:
    """What to ask for: one file, for one purpose (renter access or epoch scoring)."""

    purpose: Purpose
    dataset_id: int
    file_id: bytes
    req_id: int = 0
    epoch: int = 0


@dataclass(frozen=True, slots=True)
class BatchAsk:
    """Many files of one epoch (SCORING) or one grant (ACCESS), asked under one signature each
    :data:`~node.chain.eip712.MAX_BATCH_FILES` files (longer lists are split)."""

    purpose: Purpose
    dataset_id: int
    file_ids: tuple[bytes, ...]
    req_id: int = 0
    epoch: int = 0

    def one(self, file_id: bytes) -> ShareAsk:
        """The single-file ask this batch stands for (for errors and fallbacks)."""
        return ShareAsk(self.purpose, self.dataset_id, file_id, self.req_id, self.epoch)


@dataclass(frozen=True, slots=True)
class GatherPolicy:
    """Timeouts and retry bounds of share gathering.

    Attributes:
        timeout_s: per HTTP attempt (connect + read).
        retries: extra attempts per validator after a transport failure.
        backoff_s: first retry delay (doubles each time, plus jitter; capped and bounded in
            total by :data:`node.retry.SHARE_REQUEST`).
        validity_s: how long (chain seconds) a signed request stays valid; validators refuse
            deadlines further out than their own cap (1 hour by default).
        max_workers: concurrent HTTP requests across all files.
        hedge_s: a batch is first asked of ``t`` validators only (each Ferveo share costs its
            validator CPU, and ``t`` of them open a file); the others are asked when one of
            those fails or refuses a file, when none is left in flight, or when files are
            still short this many seconds after the first answer came in, or half as long
            again as that answer took if longer (a loaded committee answers alike; a slow
            peer is not waited for). ``None`` asks every validator at once.
    """

    timeout_s: float = 10.0
    retries: int = 2
    backoff_s: float = 0.2
    validity_s: int = 600
    max_workers: int = 32
    hedge_s: float | None = 1.0

    def retry_policy(self) -> RetryPolicy:
        """SHARE_REQUEST with this policy's attempt count and first wait."""
        return SHARE_REQUEST.with_attempts(self.retries + 1).with_waits(self.backoff_s)


@dataclass(frozen=True)
class GatherResult:
    """A recovered data key and how it was obtained (for the report and the audit trail)."""

    dek: DataKey
    used: tuple[str, ...]
    bad: tuple[str, ...] = ()
    unreachable: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchGather:
    """Per-file outcome of :meth:`ShareClient.gather_batch`: a data key, or why not."""

    keys: dict[bytes, GatherResult]
    failed: dict[bytes, NotEnoughShares]
    slots: int = 0
    """File slots asked, summed over the validators asked (the shares they were asked to
    compute)."""
    requests: int = 0
    """Signed batch requests sent (one per validator asked per 256 files, retries not
    counted)."""


PeerAnswer = dict[bytes, "bytes | ShareRefused | _BadShare"]
"""One validator's batch answer: file id → opened share, its refusal, or a bad slot."""


class _BadShare(Exception):
    """Internal: a validator answered with something that is not a usable sealed share."""


def _refusal(peer: Peer, status: int, raw: bytes) -> ShareRefused:
    """A non-200 answer as the typed refusal it carries (``unknown`` if the body is not one)."""
    try:
        err_body = ErrorBody.model_validate_json(raw)
    except ValidationError:
        return ShareRefused(peer.address, status, "unknown", f"HTTP {status}")
    return ShareRefused(peer.address, status, err_body.error, err_body.detail)


class ShareClient:
    """Signs share requests, posts them to validators and combines the answers.

    Args:
        chain_id: the EIP-712 domain's chain id.
        registry: the SubmissionRegistry address (the domain's verifying contract).
        signer: the requester's Ethereum key (the renter, or the scoring validator).
        session: the requester's X25519 session key; shares come back sealed to it.
        now: the chain's current timestamp (request deadlines are in chain time, which on a
            devnet may run ahead of the wall clock).
        policy: timeouts and retries.
        http: an injected httpx client (tests); by default one is created and owned here.
    """

    def __init__(
        self,
        *,
        chain_id: int,
        registry: str,
        signer: LocalAccount,
        session: SessionKey,
        now: Callable[[], int],
        policy: GatherPolicy | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.chain_id = chain_id
        self.registry = registry
        self.signer = signer
        self.session = session
        self.policy = policy or GatherPolicy()
        self._now = now
        self._own_http = http is None
        self._http = http or httpx.Client(
            timeout=self.policy.timeout_s,
            trust_env=False,  # loopback and validator URLs must never go through a proxy
            limits=httpx.Limits(max_connections=self.policy.max_workers * 2),
        )
        self._pool = ThreadPoolExecutor(
            max_workers=self.policy.max_workers, thread_name_prefix="share-gather"
        )
        self._nonce_lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._own_http:
            self._http.close()

    def __enter__(self) -> ShareClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------------- one validator

    def _message(self, ask: ShareAsk, deadline: int) -> DecryptionRequest:
        return DecryptionRequest(
            purpose=int(ask.purpose),
            reqId=ask.req_id,
            datasetId=ask.dataset_id,
            epoch=ask.epoch,
            fileId=ask.file_id,
            requesterKey=self.session.public_bytes,
            deadline=deadline,
            nonce=secrets.randbits(256),
        )

    def request_share(self, peer: Peer, ask: ShareAsk, *, now: int | None = None) -> bytes:
        """Ask one validator for its share of ``ask.file_id``; returns the opened share bytes.

        Raises:
            ShareRefused: the validator refused (a final answer, never retried).
            ShareUnreachable: still unreachable once the retry policy is spent.
            _BadShare: the answer was malformed or did not open (never retried).
        """
        chain_now = self._now() if now is None else now
        deadline = chain_now + self.policy.validity_s
        return retry_call(
            # a fresh nonce per attempt: a request that reached the validator is never replayed
            lambda: self._attempt(peer, self._message(ask, deadline)),
            policy=self.policy.retry_policy(),
            retry_if=lambda err: isinstance(err, _Retryable),
            give_up=lambda last: ShareUnreachable(peer.address, str(last)),
        )

    def _attempt(self, peer: Peer, message: DecryptionRequest) -> bytes:
        body = ShareRequestBody(
            request=WireRequest.from_message(message),
            signature="0x"
            + sign(message, self.signer, chain_id=self.chain_id, registry=self.registry).hex(),
        )
        status, raw = self._post(
            peer, SHARES_PATH, body.model_dump_json().encode(), cap=MAX_RESPONSE_BYTES
        )
        if status != 200:
            raise _refusal(peer, status, raw)
        try:
            answer = ShareResponseBody.model_validate_json(bytes(raw))
            if answer.validator.lower() != peer.address.lower():
                raise _BadShare("answered as another validator")
            if from_hex(answer.fileId, length=32) != message.fileId:
                raise _BadShare("answered for another file")
            sealed = SealedShare(
                ephemeral_public=from_hex(answer.ephemeralKey, length=32),
                ciphertext=from_hex(answer.ciphertext, max_length=MAX_RESPONSE_BYTES),
            )
            aad = digest(message, chain_id=self.chain_id, registry=self.registry)
            return open_from(self.session, sealed, aad=aad)
        except (ValidationError, ValueError, ShareEnvelopeError) as err:
            raise _BadShare(type(err).__name__) from None

    # ------------------------------------------------------------------------- t of n

    def gather_dek(
        self, header: SealedHeader, ask: ShareAsk, peers: Sequence[Peer], threshold: int
    ) -> GatherResult:
        """Recover ``header``'s data key from any ``threshold`` valid shares among ``peers``.

        Raises:
            NotEnoughShares: fewer than ``threshold`` validators gave shares that combine.
        """
        if threshold < 1:
            raise ValueError("threshold must be >= 1")
        now = self._now()
        futures: dict[Future[bytes], Peer] = {
            self._pool.submit(self.request_share, p, ask, now=now): p for p in peers
        }
        pending = set(futures)
        shares: list[tuple[str, bytes]] = []
        bad: list[str] = []
        unreachable: dict[str, str] = {}
        refused: dict[str, str] = {}
        failed_once = False
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    peer = futures[fut]
                    try:
                        shares.append((peer.address, fut.result()))
                    except ShareRefused as err:
                        refused[peer.address] = f"{err.code}: {err.detail}"
                        continue
                    except ShareUnreachable as err:
                        unreachable[peer.address] = err.reason
                        continue
                    except _BadShare as err:
                        log.warning(
                            "bad share answer",
                            extra={"validator": peer.address, "why": str(err)},
                        )
                        bad.append(peer.address)
                        continue
                    if len(shares) < threshold:
                        continue
                    found = self._try_newest(header, shares, threshold)
                    if found is None:
                        failed_once = True
                        continue
                    used, dek = found
                    if failed_once:
                        bad += self._blame(header, shares, used, threshold)
                    for v in bad:
                        log.warning("excluded a bad decryption share", extra={"validator": v})
                    return GatherResult(
                        dek=dek,
                        used=tuple(used),
                        bad=tuple(dict.fromkeys(bad)),
                        unreachable=unreachable,
                        refused=refused,
                    )
        finally:
            for fut in pending:
                fut.cancel()
        if len(shares) >= threshold:
            # every t-subset failed: we cannot tell which ones lied, so blame all that answered
            bad += [a for a, _ in shares]
        raise NotEnoughShares(
            file_id=ask.file_id.hex(),
            threshold=threshold,
            valid=0,
            unreachable=unreachable,
            refused=refused,
            bad=list(dict.fromkeys(bad)),
        )

    @staticmethod
    def _unwrap(header: SealedHeader, subset: Sequence[bytes]) -> DataKey | None:
        try:
            return unwrap_dek(header, combine_decryption_shares(subset))
        except (EnvelopeError, KeyCustodyError):
            return None

    def _try_newest(
        self, header: SealedHeader, shares: list[tuple[str, bytes]], threshold: int
    ) -> tuple[list[str], DataKey] | None:
        """Try every ``threshold``-subset that contains the newest share (older ones failed)."""
        newest, older = shares[-1], shares[:-1]
        for rest in itertools.combinations(older, threshold - 1):
            subset = [*rest, newest]
            dek = self._unwrap(header, [s for _, s in subset])
            if dek is not None:
                return [a for a, _ in subset], dek
        return None

    def _blame(
        self,
        header: SealedHeader,
        shares: list[tuple[str, bytes]],
        used: list[str],
        threshold: int,
    ) -> list[str]:
        """Which of the unused shares are bad: swap each into a known-good subset."""
        good = {a: s for a, s in shares if a in used}
        base = [good[a] for a in used[1:]]
        culprits = []
        for address, share in shares:
            if address in good:
                continue
            if self._unwrap(header, [*base, share][:threshold]) is None:
                culprits.append(address)
        return culprits

    # ------------------------------------------------------------------------- batches

    def _batch_message(self, ask: BatchAsk, ids: Sequence[bytes], deadline: int) -> DecryptionBatch:
        return DecryptionBatch(
            purpose=int(ask.purpose),
            reqId=ask.req_id,
            datasetId=ask.dataset_id,
            epoch=ask.epoch,
            fileIdsHash=file_ids_hash(ids),
            requesterKey=self.session.public_bytes,
            deadline=deadline,
            nonce=secrets.randbits(256),
        )

    def request_batch(self, peer: Peer, ask: BatchAsk, *, now: int | None = None) -> PeerAnswer:
        """Ask one validator for its shares of every file in ``ask`` (batches of 256).

        Returns:
            Per file: the opened share bytes, the :class:`ShareRefused` the validator gave for
            that file, or a bad-slot marker (its share did not open).

        Raises:
            ShareRefused: the validator refused a whole batch (signature, standing, replay...).
            ShareUnreachable: still unreachable once the retry policy is spent.
            _BadShare: the answer as a whole was malformed (never retried).
        """
        if len(set(ask.file_ids)) != len(ask.file_ids):
            raise ValueError("a file id appears twice in the batch")
        chain_now = self._now() if now is None else now
        deadline = chain_now + self.policy.validity_s
        out: PeerAnswer = {}
        for start in range(0, len(ask.file_ids), MAX_BATCH_FILES):
            ids = ask.file_ids[start : start + MAX_BATCH_FILES]

            def attempt(ids: Sequence[bytes] = ids) -> PeerAnswer:
                # a fresh nonce per attempt: a batch that reached the validator is never replayed
                return self._attempt_batch(peer, self._batch_message(ask, ids, deadline), ids)

            out.update(
                retry_call(
                    attempt,
                    policy=self.policy.retry_policy(),
                    retry_if=lambda err: isinstance(err, _Retryable),
                    give_up=lambda last: ShareUnreachable(peer.address, str(last)),
                )
            )
        return out

    def _attempt_batch(
        self, peer: Peer, message: DecryptionBatch, ids: Sequence[bytes]
    ) -> PeerAnswer:
        body = BatchRequestBody(
            request=WireBatch.from_message(message, list(ids)),
            signature="0x"
            + sign(message, self.signer, chain_id=self.chain_id, registry=self.registry).hex(),
        )
        status, raw = self._post(
            peer, BATCH_PATH, body.model_dump_json().encode(), cap=MAX_BATCH_RESPONSE_BYTES
        )
        if status != 200:
            raise _refusal(peer, status, raw)
        try:
            answer = BatchResponseBody.model_validate_json(raw)
            if answer.validator.lower() != peer.address.lower():
                raise _BadShare("answered as another validator")
            if [from_hex(r.fileId, length=32) for r in answer.results] != list(ids):
                raise _BadShare("answered for other files")
        except (ValidationError, ValueError) as err:
            raise _BadShare(type(err).__name__) from None
        batch_digest = digest(message, chain_id=self.chain_id, registry=self.registry)
        out: PeerAnswer = {}
        for item, file_id in zip(answer.results, ids, strict=True):
            if item.error is not None:
                out[file_id] = ShareRefused(peer.address, 200, item.error, item.detail or "")
                continue
            try:
                sealed = SealedShare(
                    ephemeral_public=from_hex(item.ephemeralKey or "", length=32),
                    ciphertext=from_hex(item.ciphertext or "", max_length=MAX_RESPONSE_BYTES),
                )
                aad = batch_share_aad(batch_digest, file_id)
                out[file_id] = open_from(self.session, sealed, aad=aad)
            except (ValueError, ShareEnvelopeError) as err:
                out[file_id] = _BadShare(type(err).__name__)
        return out

    def _post(self, peer: Peer, path: str, content: bytes, *, cap: int) -> tuple[int, bytes]:
        """POST and read at most ``cap`` bytes; 5xx/429 and transport errors are retryable.

        The read timeout applies to each read, not to the whole body: a batch answer streams
        one share at a time (:mod:`validator.shares.batch`), so a service that keeps sending
        is alive however long the batch takes. A body cut short (the service failed
        mid-stream, or the connection dropped) is a transport error, hence retried; a body
        that arrives whole but does not parse is the caller's :class:`_BadShare`.
        """
        url = peer.url.rstrip("/") + path
        try:
            with self._http.stream(
                "POST", url, content=content, headers={"content-type": "application/json"}
            ) as response:
                raw = bytearray()
                for chunk in response.iter_bytes():
                    raw += chunk
                    if len(raw) > cap:
                        raise _BadShare(f"response over {cap} bytes")
                status = response.status_code
        except httpx.TransportError as err:  # timeouts, refused, truncated body (protocol)
            raise _Retryable(
                f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
            ) from None
        except httpx.DecodingError:  # a content-encoding that does not decode: a malformed answer
            raise _BadShare("undecodable response body") from None
        if status in _RETRY_STATUS:
            raise _Retryable(f"HTTP {status}")
        return status, bytes(raw)

    def _peer_order(self, peers: Sequence[Peer]) -> list[Peer]:
        """``peers`` rotated to start at the requester itself (a validator) or at a place its
        address picks (a renter): requesters spread their first ``t`` asks over the
        committee instead of all loading the same ``t`` validators."""
        if not peers:
            return []
        me = self.signer.address.lower()
        at = next((k for k, p in enumerate(peers) if p.address.lower() == me), None)
        if at is None:
            at = int(me, 16) % len(peers)
        return [*peers[at:], *peers[:at]]

    def gather_batch(
        self,
        headers: Mapping[bytes, SealedHeader],
        ask: BatchAsk,
        peers: Sequence[Peer],
        threshold: int,
    ) -> BatchGather:
        """Recover the data key of every file in ``ask`` from ``threshold`` shares each.

        One batch per validator asked (per 256 files); ``threshold`` validators first, the
        others as :attr:`GatherPolicy.hedge_s` says (a validator that refuses, fails or lags
        is replaced, and every validator is asked before a file is given up). Each file is
        combined as its shares arrive, exactly as :meth:`gather_dek` does for one (a wrong DEK
        cannot unwrap, so a combination that unwraps is proof; liars are named per file). A
        file short of shares is reported in ``failed`` with who refused, was unreachable or
        lied; the others are returned. Validators still answering once every file is open are
        not waited for.

        Raises:
            ValueError: ``headers`` does not hold exactly ``ask.file_ids``, or threshold < 1.
        """
        if threshold < 1:
            raise ValueError("threshold must be >= 1")
        if set(headers) != set(ask.file_ids) or len(ask.file_ids) != len(set(ask.file_ids)):
            raise ValueError("one header per distinct file id in the batch")
        now = self._now()
        order = self._peer_order(peers)
        first = len(order) if self.policy.hedge_s is None else threshold
        spares = order[first:]
        futures: dict[Future[PeerAnswer], tuple[Peer, tuple[bytes, ...]]] = {}
        pending: set[Future[PeerAnswer]] = set()
        slots = requests = 0
        shares: dict[bytes, list[tuple[str, bytes]]] = {f: [] for f in ask.file_ids}
        bad: dict[bytes, list[str]] = {f: [] for f in ask.file_ids}
        refused: dict[bytes, dict[str, str]] = {f: {} for f in ask.file_ids}
        failed_once: set[bytes] = set()
        unreachable: dict[str, str] = {}
        keys: dict[bytes, GatherResult] = {}

        def launch(peer: Peer) -> None:
            nonlocal slots, requests
            ids = tuple(f for f in ask.file_ids if f not in keys)
            sub = BatchAsk(ask.purpose, ask.dataset_id, ids, ask.req_id, ask.epoch)
            fut = self._pool.submit(self.request_batch, peer, sub, now=now)
            futures[fut] = (peer, ids)
            pending.add(fut)
            slots += len(ids)
            requests += -(-len(ids) // MAX_BATCH_FILES)

        def spare() -> None:
            if spares and len(keys) < len(ask.file_ids):
                launch(spares.pop(0))

        started = time.monotonic()
        for peer in order[:first]:
            launch(peer)
        hedge_at: float | None = None
        try:
            while len(keys) < len(ask.file_ids):
                if not pending:
                    if not spares:
                        break
                    spare()
                timeout = None
                if hedge_at is not None and spares:
                    timeout = max(0.0, hedge_at - time.monotonic())
                done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
                if not done:  # the hedge: files are still short a while after the first answer
                    while spares:
                        spare()
                    continue
                for fut in done:
                    pending.discard(fut)
                    peer, asked = futures[fut]
                    try:
                        answer = fut.result()
                    except ShareRefused as err:
                        for f in asked:
                            refused[f][peer.address] = f"{err.code}: {err.detail}"
                        spare()
                        continue
                    except ShareUnreachable as err:
                        unreachable[peer.address] = err.reason
                        spare()
                        continue
                    except _BadShare as err:
                        log.warning(
                            "bad batch answer", extra={"validator": peer.address, "why": str(err)}
                        )
                        for f in asked:
                            bad[f].append(peer.address)
                        spare()
                        continue
                    if hedge_at is None and self.policy.hedge_s is not None:
                        took = time.monotonic() - started
                        hedge_at = started + took + max(self.policy.hedge_s, took / 2)
                    short = False
                    for f, got in answer.items():
                        if f in keys:
                            continue
                        if isinstance(got, ShareRefused):
                            refused[f][peer.address] = f"{got.code}: {got.detail}"
                            short = True
                            continue
                        if isinstance(got, _BadShare):
                            bad[f].append(peer.address)
                            short = True
                            continue
                        shares[f].append((peer.address, got))
                        if len(shares[f]) < threshold:
                            continue
                        found = self._try_newest(headers[f], shares[f], threshold)
                        if found is None:
                            failed_once.add(f)
                            short = True
                            continue
                        used, dek = found
                        culprits = list(bad[f])
                        if f in failed_once:
                            culprits += self._blame(headers[f], shares[f], used, threshold)
                        keys[f] = GatherResult(
                            dek=dek,
                            used=tuple(used),
                            bad=tuple(dict.fromkeys(culprits)),
                            unreachable=dict(unreachable),
                            refused=dict(refused[f]),
                        )
                    if short:
                        spare()
        finally:
            for fut in pending:
                fut.cancel()
        failed: dict[bytes, NotEnoughShares] = {}
        for f in ask.file_ids:
            if f in keys:
                continue
            culprits = list(bad[f])
            if len(shares[f]) >= threshold:
                culprits += [a for a, _ in shares[f]]
            failed[f] = NotEnoughShares(
                file_id=f.hex(),
                threshold=threshold,
                valid=0,
                unreachable=unreachable,
                refused=refused[f],
                bad=list(dict.fromkeys(culprits)),
            )
        return BatchGather(keys=keys, failed=failed, slots=slots, requests=requests)


class _Retryable(Exception):
    """Internal: a transport failure or a 5xx/429 worth another attempt."""
