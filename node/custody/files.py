"""Opening one registered file: read its sealed blob, check it against the chain, gather the
data key from the ritual's committee and decrypt it.

The renter (fetching a granted dataset) and the scoring validator (opening its epoch's files and
the secret validation set) both open files exactly this way, with only the share request's
purpose differing, so the checks that protect them are written once.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Final

from node.chain.dkg import DKGCoordinator
from node.chain.registry import SubmissionRecord
from node.chain.staking import ValidatorStaking
from node.custody.errors import FileHeaderMismatch, HeaderNamesAnotherContributor
from node.custody.gather import BatchAsk, GatherResult, Peer, ShareAsk, ShareClient
from node.custody.streams import HashingWriter, IteratorReader
from node.errors import DataDaoError, EnvelopeError
from node.protocol.crypto import DataKey, SealContext, SealedHeader, open_with_dek, read_header
from node.storage.base import BlobStore
from node.types import RitualId

__all__ = [
    "MAX_SEALED_BYTES",
    "BatchStats",
    "FileOutcome",
    "committee_peers",
    "decrypt_file",
    "decrypt_files",
]

MAX_SEALED_BYTES: Final = 1 << 40
"""Storage streams are capped at this many bytes per sealed file (1 TiB)."""


def committee_peers(
    dkg: DKGCoordinator, staking: ValidatorStaking, ritual_id: int
) -> tuple[list[Peer], int]:
    """The share services of ``ritual_id``'s committee (URLs registered on chain) and ``t``."""
    rid = RitualId(ritual_id)
    peers = [
        Peer(address=a, url=staking.validatorInfo(a).share_service_url)
        for a in dkg.getParticipants(rid)
    ]
    return peers, dkg.getThreshold(rid)


def decrypt_file(
    *,
    store: BlobStore,
    file: SubmissionRecord,
    chain_id: int,
    registry: str,
    client: ShareClient,
    ask: ShareAsk,
    peers: Sequence[Peer],
    threshold: int,
    open_sink: Callable[[], BinaryIO],
) -> tuple[GatherResult, HashingWriter]:
    """Verify, gather, unwrap and decrypt one file into the sink ``open_sink()`` returns.

    ``open_sink`` is called only once the data key is in hand, so a file that cannot be
    decrypted creates nothing. The plaintext's SHA-256 is checked against the on-chain content
    commitment after the body authenticated.

    Raises:
        HeaderNamesAnotherContributor: the header names someone else (a copied submission).
        FileHeaderMismatch: storage does not hold what the chain registered.
        NotEnoughShares: fewer than ``threshold`` valid shares.
        EnvelopeError: the body failed to authenticate or the commitment did not match.
    """
    reader = IteratorReader(iter(store.cat(file.cid, max_bytes=MAX_SEALED_BYTES)))
    try:
        header, ctx = _checked_header(reader, file, chain_id=chain_id, registry=registry)
        result = client.gather_dek(header, ask, peers, threshold)
        return result, _open_body(header, reader, result.dek, ctx, file, open_sink())
    finally:
        reader.close()


def _checked_header(
    reader: IteratorReader, file: SubmissionRecord, *, chain_id: int, registry: str
) -> tuple[SealedHeader, SealContext]:
    """The header at the front of ``reader``, checked as :func:`decrypt_file` checks it."""
    try:
        header = read_header(reader)
    except EnvelopeError:
        raise FileHeaderMismatch(file.name) from None
    if not hmac.compare_digest(header.header_hash, file.header_hash):
        raise FileHeaderMismatch(file.name)
    if header.header.contributor.lower() != str(file.contributor).lower():
        raise HeaderNamesAnotherContributor(
            file.name, header.header.contributor, str(file.contributor)
        )
    ctx = SealContext(
        chain_id=chain_id,
        registry=registry,  # type: ignore[arg-type]
        dataset_id=file.dataset_id,
        contributor=file.contributor,
        ritual_id=file.ritual_id,
        content_commitment=file.content_commitment,
    )
    if not ctx.matches(header.header):
        raise FileHeaderMismatch(file.name)
    return header, ctx


def _open_body(
    header: SealedHeader,
    reader: IteratorReader,
    dek: DataKey,
    ctx: SealContext,
    file: SubmissionRecord,
    sink: BinaryIO,
) -> HashingWriter:
    """Decrypt the body after ``header`` into ``sink`` and check it against the commitment.

    Raises:
        EnvelopeError: the body failed to authenticate or the commitment did not match.
    """
    writer = HashingWriter(sink)
    open_with_dek(header, reader, dek, ctx, out=writer)
    if not hmac.compare_digest(writer.digest(), file.content_commitment):
        raise EnvelopeError(f"file {file.name}: plaintext does not match its commitment")
    return writer


FileOutcome = tuple[GatherResult, HashingWriter] | DataDaoError
"""What :func:`decrypt_files` reports per file: the result and its sink, or the typed error."""


@dataclass
class BatchStats:
    """What one :func:`decrypt_files` call cost, for the caller's metrics and benchmarks.

    ``asked`` counts the files whose headers passed and were named in the signed batches;
    ``slots`` the file slots those batches named, summed over the validators asked (``t`` of
    them per file unless one failed or lagged), ``requests`` the signed batches sent; the
    seconds are wall time of the three passes.
    """

    asked: int = 0
    slots: int = 0
    requests: int = 0
    headers_s: float = 0.0
    gather_s: float = 0.0
    body_s: float = 0.0


def decrypt_files(
    *,
    store: BlobStore,
    files: Sequence[SubmissionRecord],
    chain_id: int,
    registry: str,
    client: ShareClient,
    ask: BatchAsk,
    peers: Sequence[Peer],
    threshold: int,
    open_sink: Callable[[SubmissionRecord], BinaryIO],
    on_done: Callable[[SubmissionRecord, FileOutcome], None] | None = None,
    stats: BatchStats | None = None,
) -> dict[bytes, FileOutcome]:
    """:func:`decrypt_file` for many files, with their shares gathered in batches.

    Every header is read and checked first (one short read per file; the streams are closed
    again, so a 10,000-file epoch does not hold 10,000 open streams), then the files whose
    headers passed are asked for in one :meth:`ShareClient.gather_batch` (one signed batch per
    validator per 256 files), then each is streamed from storage again and decrypted into
    ``open_sink(record)``, called only once its key is in hand. ``ask.file_ids`` is ignored:
    the batch names exactly the files whose headers passed.

    One file's failure never stops the others: each gets its typed error
    (:class:`FileHeaderMismatch`, :class:`HeaderNamesAnotherContributor`,
    :class:`~node.custody.errors.NotEnoughShares`, :class:`EnvelopeError`, or the storage's
    :class:`~node.errors.StorageError` for a blob that is missing or not what its CID names)
    in the answer.

    ``on_done(record, outcome)`` is called once per file as soon as its outcome is final (in
    this thread), so a caller that consumes the sink there (the scoring daemon parses and drops
    the plaintext) holds one file's bytes at a time rather than the whole batch's.

    Returns:
        File id → ``(GatherResult, HashingWriter)`` or the error, for every file in ``files``.
    """
    out: dict[bytes, FileOutcome] = {}
    by_id = {bytes(f.file_id): f for f in files}
    st = stats if stats is not None else BatchStats()

    def settle(file: SubmissionRecord, outcome: FileOutcome) -> None:
        out[bytes(file.file_id)] = outcome
        if on_done is not None:
            on_done(file, outcome)

    t0 = time.perf_counter()
    headers: dict[bytes, tuple[SealedHeader, SealContext, SubmissionRecord]] = {}
    for file in files:
        try:
            reader = IteratorReader(iter(store.cat(file.cid, max_bytes=MAX_SEALED_BYTES)))
            try:
                header, ctx = _checked_header(reader, file, chain_id=chain_id, registry=registry)
            finally:
                reader.close()
            headers[bytes(file.file_id)] = (header, ctx, file)
        except DataDaoError as err:
            settle(file, err)
    st.headers_s += time.perf_counter() - t0
    if not headers:
        return out
    batch = BatchAsk(
        purpose=ask.purpose,
        dataset_id=ask.dataset_id,
        file_ids=tuple(headers),
        req_id=ask.req_id,
        epoch=ask.epoch,
    )
    t0 = time.perf_counter()
    st.asked += len(headers)
    gathered = client.gather_batch(
        {f: h for f, (h, _, _) in headers.items()}, batch, peers, threshold
    )
    st.gather_s += time.perf_counter() - t0
    st.slots += gathered.slots
    st.requests += gathered.requests
    for fid, missing in gathered.failed.items():
        settle(by_id[fid], missing)
    t0 = time.perf_counter()
    for fid, result in gathered.keys.items():
        header, ctx, file = headers[fid]
        outcome: FileOutcome
        try:
            reader = IteratorReader(iter(store.cat(file.cid, max_bytes=MAX_SEALED_BYTES)))
            try:
                _checked_header(reader, file, chain_id=chain_id, registry=registry)
                writer = _open_body(header, reader, result.dek, ctx, file, open_sink(file))
                outcome = (result, writer)
            finally:
                reader.close()
        except DataDaoError as err:
            outcome = err
        settle(file, outcome)
    st.body_s += time.perf_counter() - t0
    return out
