"""Batched share requests: ``POST /v1/shares/batch``, one signature for up to 256 files.

A single request costs the service one EIP-712 recovery (~12 ms), a head read and up to six
chain reads before its ~7 ms Ferveo share; for an epoch of thousands of files that overhead,
paid per file, is most of the work. A :class:`~node.chain.eip712.DecryptionBatch` pays it once:

1. the body's ids must hash to the signed ``fileIdsHash`` and be at most
   :data:`~node.chain.eip712.MAX_BATCH_FILES` (413), with no duplicates (400);
2. signature recovery, the stranger bucket, the pinned block, the deadline, the signer's
   standing (:func:`~validator.shares.checks.authorize_requester`), the nonce and the per-signer
   bucket: exactly the single endpoint's steps 4-9, **once**, and a failure refuses the batch
   (one HTTP error, as for a single request). A batch takes **one** token from the signer's
   bucket and one nonce: the bucket bounds batches per second, and the batch cap bounds the
   shares each may cost (at the defaults, 50 batches/s x 256 files, far above what Ferveo
   can compute, so the CPU, not the bucket, is the limit for an authorized requester);
3. then per file: :func:`~validator.shares.checks.authorize_file` (in scope / in the epoch),
   the served ritual, the stored header and its v2 bindings
   (:func:`~validator.shares.checks.check_header`), and the share; a file that fails any of
   these gets its typed refusal code in its slot and the others are still served;
4. one audit line for the batch lists every file with ``served`` or its code; it is fsync'd
   before any share leaves (a file that passed the checks is recorded as served: its share is
   computed after the line is durable).

**Streaming.** Steps 1-4 are :func:`prepare_batch`; a refusal there is a typed HTTP error, as
before. The shares (~7 ms of Ferveo each, far more on a loaded host) are then computed one at a
time by :func:`stream_batch`, which yields the answer's JSON piece by piece: the envelope, each
item as it is sealed, the closing brackets. The client's read timeout then measures the
service's liveness rather than the whole batch's work: a 256-file batch on a busy 2-core host
takes longer than any sane read timeout, and a client that times out retries from scratch with
a fresh nonce, throwing all that work away (the daemons livelocked on exactly that, issue #19).
If a share fails mid-stream (our own key material's fault) the stream is cut without its closing
brackets or final chunk, so the client sees a truncated body, a transport error it retries,
never a 200 that parses as a shorter answer.

Each share is sealed to ``requesterKey`` with AAD ``batch digest ‖ fileId``
(:func:`~node.chain.eip712.batch_share_aad`), so a slot cannot carry another file's share.

**Parallelism.** The per-file checks are I/O (up to three RPC reads and a storage read per file),
so they run on ``batch_read_workers`` threads at once. Shares are then computed one at a
time, in order, as the answer streams: measured on this 2-core machine, Ferveo holds the GIL
(137 shares/s on one thread, 131 on two), so a thread pool buys nothing there, and the member
state (``ferveo.Keypair``) cannot be pickled into a process pool. Concurrent batches still run on
Starlette's thread pool like single requests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from node.chain.eip712 import (
    MAX_BATCH_FILES,
    DecryptionBatch,
    DecryptionRequest,
    Purpose,
    batch_share_aad,
    digest,
)
from node.custody.session import seal_to
from node.custody.wire import (
    BatchItem,
    BatchRequestBody,
    Refusal,
    to_hex,
)
from node.errors import KeyCustodyError
from node.protocol.crypto import ferveo_ciphertext_header
from validator.shares.checks import Pinned, Refused, authorize_file, authorize_requester

if TYPE_CHECKING:
    from node.chain.registry import SubmissionRecord
    from node.protocol.crypto import SealedHeader
    from validator.shares.app import ServedRitual, _Service

__all__ = ["PreparedBatch", "prepare_batch", "stream_batch"]

log = logging.getLogger(__name__)

_DETAIL_MAX = 1000


def _per_file(m: DecryptionBatch, file_id: bytes) -> DecryptionRequest:
    """The single request a batch stands for, for one of its files (what the checks read)."""
    return DecryptionRequest(
        purpose=m.purpose,
        reqId=m.reqId,
        datasetId=m.datasetId,
        epoch=m.epoch,
        fileId=file_id,
        requesterKey=m.requesterKey,
        deadline=m.deadline,
        nonce=m.nonce,
    )


def check_batch_shape(body: BatchRequestBody) -> None:
    """Step 1: size and binding of the ids, before any signature work.

    Raises:
        Refused: ``too_large`` over :data:`MAX_BATCH_FILES`, ``malformed`` when the ids do not
            hash to ``fileIdsHash``.
    """
    n = len(body.request.fileIds)
    if n > MAX_BATCH_FILES:
        raise Refused(Refusal.TOO_LARGE, f"{n} files in one batch (at most {MAX_BATCH_FILES})")
    if not body.request.hash_matches():
        raise Refused(Refusal.MALFORMED, "fileIds do not hash to fileIdsHash")


@dataclass(frozen=True, slots=True)
class _Ready:
    """A file that passed step 3's checks: what its share needs."""

    file_id: bytes
    record: SubmissionRecord
    header: SealedHeader
    served: ServedRitual


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """A batch whose checks are done and whose audit line is durable: what is left is Ferveo.

    Attributes:
        validator: this service's address (the answer's ``validator``).
        message: the signed batch.
        batch_digest: its EIP-712 digest (each share's AAD starts with it).
        slots: per requested file, in order: its refusal item, or what its share needs.
    """

    validator: str
    message: DecryptionBatch
    batch_digest: bytes
    slots: tuple[BatchItem | _Ready, ...]


def prepare_batch(
    service: _Service, body: BatchRequestBody, event: dict[str, object], started: float
) -> PreparedBatch:
    """Steps 1-4 of the module docstring, everything that must finish before a byte is sent
    (blocking: runs on a worker thread).

    Raises:
        Refused: the whole batch is refused (shape, signature, standing, replay, limits).
        AuditError: the audit line could not be made durable (nothing is served).
    """
    check_batch_shape(body)
    m = body.request.to_message()
    file_ids = body.request.file_ids()
    event.update(
        purpose=Purpose(m.purpose).name.lower(),
        dataset_id=m.datasetId,
        req_id=m.reqId if m.purpose == Purpose.ACCESS else None,
        epoch=m.epoch if m.purpose == Purpose.SCORING else None,
    )
    signer, block = service.admit(m, body.signature_bytes(), event)
    authorize_requester(service.view, _per_file(m, file_ids[0]), signer, block=block)
    service.spend(signer, m.nonce, deadline=m.deadline, now=block.timestamp)

    batch_digest = digest(m, chain_id=service.chain_id, registry=service.registry)
    # chain reads and storage per file are I/O: overlap them; Ferveo then runs in order
    workers = max(1, min(service.settings.batch_read_workers, len(file_ids)))
    with ThreadPoolExecutor(workers, thread_name_prefix="share-batch") as pool:
        checked = list(pool.map(lambda f: _checked(service, m, f, block), file_ids))
    slots: list[BatchItem | _Ready] = []
    outcomes: dict[str, str] = {}
    for file_id, ready in zip(file_ids, checked, strict=True):
        fid = to_hex(file_id)
        if isinstance(ready, Refused):
            slots.append(
                BatchItem(fileId=fid, error=ready.code.value, detail=ready.detail[:_DETAIL_MAX])
            )
            outcomes[fid] = ready.code.value
            continue
        slots.append(_Ready(file_id, *ready))
        outcomes[fid] = "served"
    event["files"] = outcomes
    served = sum(1 for v in outcomes.values() if v == "served")
    # no share leaves before its audit line is on disk (AuditError: not served)
    service.record(event, "served" if served else "refused", None, started, durable=served > 0)
    return PreparedBatch(service.me, m, batch_digest, tuple(slots))


def stream_batch(prepared: PreparedBatch) -> Iterator[bytes]:
    """The answer of a prepared batch as JSON pieces, each share computed when it is due.

    Blocking (Ferveo): iterate it on a worker thread, one ``next`` at a time. The pieces join
    into exactly ``BatchResponseBody(validator, results).model_dump_json(exclude_none=True)``.

    Raises:
        KeyCustodyError: a share could not be made (logged by :func:`_share`); the caller must
            cut the response there rather than close it as if it were whole.
    """
    yield b'{"validator":' + json.dumps(prepared.validator).encode() + b',"results":['
    for k, slot in enumerate(prepared.slots):
        item = (
            slot
            if isinstance(slot, BatchItem)
            else _share(
                prepared.message,
                slot.file_id,
                prepared.batch_digest,
                slot.record,
                slot.header,
                slot.served,
            )
        )
        yield (b"," if k else b"") + item.model_dump_json(exclude_none=True).encode()
    yield b"]}"


def _checked(
    service: _Service, m: DecryptionBatch, file_id: bytes, block: Pinned
) -> tuple[SubmissionRecord, SealedHeader, ServedRitual] | Refused:
    """Step 3's checks for one file (no share yet): its record, its header, our material."""
    single = _per_file(m, file_id)
    try:
        record = authorize_file(service.view, single, block=block, store=service.store)
        served = service.rituals.get(record.ritual_id)
        if served is None:
            raise Refused(
                Refusal.RITUAL_NOT_SERVED,
                f"{service.me} holds no key material for ritual {record.ritual_id}",
            )
        return record, service._header(record, single), served
    except Refused as err:
        return err


def _share(
    m: DecryptionBatch,
    file_id: bytes,
    batch_digest: bytes,
    record: SubmissionRecord,
    header: SealedHeader,
    served: ServedRitual,
) -> BatchItem:
    """This validator's share of a checked file, sealed to the requester for this slot."""
    try:
        share = served.member.decryption_share(
            served.aggregated_transcript, ferveo_ciphertext_header(header)
        )
    except KeyCustodyError:
        # the header verified against the chain, so this is our own material's fault
        log.exception("share creation failed", extra={"ritual": record.ritual_id})
        raise
    sealed = seal_to(m.requesterKey, share, aad=batch_share_aad(batch_digest, file_id))
    return BatchItem(
        fileId=to_hex(file_id),
        ritualId=record.ritual_id,
        ephemeralKey=to_hex(sealed.ephemeral_public),
        ciphertext=to_hex(sealed.ciphertext),
    )
