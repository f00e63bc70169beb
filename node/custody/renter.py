"""The renter's side of access: request, follow, and fetch a granted request's files.

``fetch`` lists every file in the request's scope from the chain (``AccessRegistry.access`` →
dataset and epoch range → ``SubmissionRegistry.epochFiles`` / ``submissionOf``), then opens the
files not yet written in batches of ``batch_files`` (one signed ``DecryptionBatch`` per
validator per batch, :func:`node.custody.files.decrypt_files`), several batches at a time; for
each file:

1. streams the sealed file from storage and parses its header (only the first block);
2. checks the header against the chain (``headerHash``, chain, registry, dataset, file, ritual,
   commitment) before asking anyone for a share;
3. gathers ``t`` shares from the ritual's committee (:mod:`node.custody.gather`) and unwraps the
   data key; bad shares are skipped and reported;
4. decrypts the body segment by segment into ``files/<fileId>.jsonl.part``, checks that the
   plaintext hashes to the on-chain content commitment, and renames it into place.

A file already present whose SHA-256 is its commitment is skipped (resume after a crash or a
partial run costs no shares), and ``progress`` is told of every file as it is skipped, written
or found to be a copy. When every file is in, ``dataset.jsonl`` (the files' JSONL in scope
order), ``dataset.parquet`` (if pyarrow is importable) and ``manifest.json`` are written
atomically. Nothing is created in the output directory before the first data key is recovered,
so a request that cannot be decrypted leaves nothing behind.

The renter's X25519 session key (whose public half is the ``renterKey`` on chain) is kept in an
encrypted keystore by :class:`SessionVault` until the data has been fetched.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import importlib.util
import json
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Final

import httpx
from eth_account.signers.local import LocalAccount

from node.chain.client import ChainClient
from node.chain.contracts import Contracts
from node.chain.eip712 import Purpose
from node.chain.errors import ContractRevert
from node.chain.escrow import Request
from node.chain.registry import SubmissionRecord
from node.custody.errors import HeaderNamesAnotherContributor, RenterStateError
from node.custody.files import FileOutcome, committee_peers, decrypt_files
from node.custody.gather import BatchAsk, GatherPolicy, GatherResult, Peer, ShareClient
from node.custody.session import SessionKey
from node.custody.streams import HashingWriter
from node.protocol.keystore import load_secret, save_secret
from node.storage.base import BlobStore
from node.types import DatasetId, Epoch, ReqId

__all__ = [
    "FetchReport",
    "Renter",
    "SessionVault",
]

log = logging.getLogger(__name__)

SESSION_KIND: Final = "renter-x25519-session"
MANIFEST_VERSION: Final = 1
_COPY_CHUNK: Final = 1 << 20


@dataclass
class FetchReport:
    """What a fetch did. ``bad``/``unreachable``/``refused`` count files per validator."""

    out_dir: Path
    files: int
    fetched: int
    skipped: int
    bytes_written: int
    seconds: float
    bad: dict[str, int] = field(default_factory=dict)
    unreachable: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    copies: list[str] = field(default_factory=list)
    """Records whose sealed header names another contributor (copies of someone's submission):
    not fetched, since the original is fetched under its own record."""
    parquet: bool = False


class SessionVault:
    """Encrypted, 0600 storage of renter session keys and request records under ``root``.

    Layout: ``sessions/<publicKeyHex>.json`` (keystore) and ``requests/<reqId>.json`` (public
    facts: dataset, epochs, expiry, session public key). The key is saved *before* the access
    request is sent, so a crash in between loses no key that the chain already refers to.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _session_path(self, public: bytes) -> Path:
        return self.root / "sessions" / f"{public.hex()}.json"

    def save(self, session: SessionKey, *, passphrase: str) -> Path:
        path = self._session_path(session.public_bytes)
        save_secret(path, session.secret_bytes(), passphrase=passphrase, kind=SESSION_KIND)
        return path

    def load(self, public: bytes, *, passphrase: str) -> SessionKey:
        path = self._session_path(public)
        if not path.is_file():
            raise RenterStateError(
                f"no session key for renterKey 0x{public.hex()} in {path.parent}: "
                "fetch must run where the request was made (or copy the sessions/ dir)"
            )
        secret = load_secret(path, passphrase=passphrase, kind=SESSION_KIND)
        session = SessionKey.from_secret(secret.reveal())
        if session.public_bytes != public:
            raise RenterStateError(f"{path} holds another key")
        return session

    def record(self, req_id: int, facts: dict[str, Any]) -> Path:
        path = self.root / "requests" / f"{req_id}.json"
        _write_json_atomic(path, facts)
        return path


class Renter:
    """A renter's view of one Data DAO.

    Args:
        chain: a client signing as the renter (reads go through it too).
        contracts: the addresses it talks to.
        store: where the sealed files are (``BlobStore``: local blockstore or Kubo).
        policy: share-gathering timeouts and retries.
        parallel_files: batches fetched concurrently.
        batch_files: files per signed batch of share requests (one per validator per batch).
        http: injected HTTP client (tests).
    """

    def __init__(
        self,
        *,
        chain: ChainClient,
        contracts: Contracts,
        store: BlobStore,
        policy: GatherPolicy | None = None,
        parallel_files: int = 4,
        batch_files: int = 64,
        http: httpx.Client | None = None,
    ) -> None:
        self.chain = chain
        self.contracts = contracts
        self.store = store
        self.policy = policy or GatherPolicy()
        self.parallel_files = parallel_files
        self.batch_files = batch_files
        self._http = http
        self.registry = contracts.registry
        self.access = contracts.access
        self.escrow = contracts.escrow
        self.dkg = contracts.dkg
        self.staking = contracts.staking
        self.config = contracts.config

    @property
    def account(self) -> LocalAccount:
        return self.chain.account

    def chain_now(self) -> int:
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])

    # ------------------------------------------------------------------------- request

    def request_access(
        self,
        *,
        dataset_id: int,
        session: SessionKey,
        from_epoch: int,
        to_epoch: int,
        expiry: int,
        fee: int,
    ) -> ReqId:
        """Escrow ``fee`` and ask for access; ``session``'s public half becomes the renterKey."""
        return self.escrow.requestAccess(
            DatasetId(dataset_id), session.public_bytes, from_epoch, to_epoch, expiry, fee
        )

    def request(self, req_id: int) -> Request:
        return self.escrow.request(ReqId(req_id))

    def is_granted(self, req_id: int) -> bool:
        return self.access.isGranted(ReqId(req_id))

    # ------------------------------------------------------------------------- scope

    def files_in_scope(self, req_id: int) -> list[SubmissionRecord]:
        """Every file the grant covers, in epoch then submission order.

        Raises:
            RenterStateError: the request is not granted (or its grant expired).
        """
        rid = ReqId(req_id)
        try:
            access = self.access.access(rid)
        except ContractRevert:
            raise RenterStateError(f"access request {req_id} is not granted") from None
        if not self.access.isGranted(rid):
            revoked = self.access.revokedAtBlock(rid)
            if revoked:
                raise RenterStateError(
                    f"access request {req_id}'s grant was revoked by governance at block {revoked}"
                )
            raise RenterStateError(f"access request {req_id}'s grant has expired")
        dataset = DatasetId(access.dataset_id)
        last = min(access.to_epoch, self.config.currentEpoch(dataset))
        files = []
        for epoch in range(access.from_epoch, last + 1):
            files.extend(self.registry.epoch_records(dataset, Epoch(epoch)))
        return files

    # ------------------------------------------------------------------------- fetch

    def fetch(
        self,
        req_id: int,
        out_dir: Path,
        *,
        session: SessionKey,
        progress: Callable[[SubmissionRecord, int, int], None] | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> FetchReport:
        """Decrypt every file in scope into ``out_dir`` (see the module docstring).

        Args:
            progress: called after each file with (file, files done, total).
            on_total: called once with the number of files in scope.

        Raises:
            RenterStateError: not granted, or ``session`` is not the request's renterKey.
            NotEnoughShares: a file could not be decrypted (files already done are kept).
        """
        t0 = time.monotonic()
        access = self.access.access(ReqId(req_id)) if self.access.isGranted(ReqId(req_id)) else None
        files = self.files_in_scope(req_id)
        if access is not None and not hmac.compare_digest(
            bytes(access.renter_key), session.public_bytes
        ):
            raise RenterStateError("this session key is not the request's renterKey")
        if on_total is not None:
            on_total(len(files))
        files_dir = out_dir / "files"
        chain_id = self.chain.chain_id
        committees: dict[int, tuple[list[Peer], int]] = {}
        for f in files:
            if f.ritual_id not in committees:
                committees[f.ritual_id] = committee_peers(self.dkg, self.staking, f.ritual_id)
        report = FetchReport(
            out_dir=out_dir, files=len(files), fetched=0, skipped=0, bytes_written=0, seconds=0
        )
        lock = threading.Lock()
        done_count = 0

        def tick(f: SubmissionRecord) -> None:
            nonlocal done_count
            with lock:
                done_count += 1
                if progress:
                    progress(f, done_count, len(files))

        todo: list[SubmissionRecord] = []
        for f in files:  # resume: a file already written whose hash is its commitment is done
            target = files_dir / f"{f.name}.jsonl"
            if target.is_file() and hmac.compare_digest(_sha256_file(target), f.content_commitment):
                with lock:
                    report.skipped += 1
                tick(f)
            else:
                todo.append(f)
        chunks: list[list[SubmissionRecord]] = []
        by_ritual: dict[int, list[SubmissionRecord]] = {}
        for f in todo:
            by_ritual.setdefault(int(f.ritual_id), []).append(f)
        for group in by_ritual.values():
            size = self.batch_files
            chunks += [group[i : i + size] for i in range(0, len(group), size)]
        errors: list[Exception] = []

        def chunk(group: list[SubmissionRecord]) -> None:
            """One signed batch per validator for ``group`` (one ritual), each file written
            and renamed into place as soon as it opens."""
            peers, threshold = committees[group[0].ritual_id]
            open_files: dict[bytes, tuple[BinaryIO, Path]] = {}

            def open_sink(f: SubmissionRecord) -> BinaryIO:
                files_dir.mkdir(parents=True, exist_ok=True)
                part = files_dir / f".{f.name}.{secrets.token_hex(4)}.part"
                fh = part.open("wb")
                open_files[bytes(f.file_id)] = (fh, part)
                return fh

            def done(f: SubmissionRecord, outcome: FileOutcome) -> None:
                sink = open_files.pop(bytes(f.file_id), None)
                try:
                    if isinstance(outcome, HeaderNamesAnotherContributor):
                        with lock:
                            report.copies.append(f.name)
                    elif isinstance(outcome, Exception):
                        with lock:
                            errors.append(outcome)
                        return  # not done: a rerun tries it again
                    elif sink is not None:
                        fh, part = sink
                        fh.flush()
                        os.fsync(fh.fileno())
                        fh.close()
                        os.replace(part, files_dir / f"{f.name}.jsonl")
                        result, writer = outcome
                        _count(report, lock, result, writer.length)
                finally:
                    if sink is not None:
                        sink[0].close()
                        sink[1].unlink(missing_ok=True)
                tick(f)

            try:
                decrypt_files(
                    store=self.store,
                    files=group,
                    chain_id=chain_id,
                    registry=self.registry.address,
                    client=client,
                    ask=BatchAsk(Purpose.ACCESS, int(group[0].dataset_id), (), req_id=req_id),
                    peers=peers,
                    threshold=threshold,
                    open_sink=open_sink,
                    on_done=done,
                )
            finally:
                for fh, part in open_files.values():  # a file interrupted mid-body
                    fh.close()
                    part.unlink(missing_ok=True)

        with (
            ShareClient(
                chain_id=chain_id,
                registry=self.registry.address,
                signer=self.account,
                session=session,
                now=self.chain_now,
                policy=self.policy,
                http=self._http,
            ) as client,
            ThreadPoolExecutor(max_workers=self.parallel_files) as pool,
        ):
            for fut in [pool.submit(chunk, c) for c in chunks]:
                try:
                    fut.result()
                except Exception as err:  # collected, the first is re-raised below
                    errors.append(err)
            if errors:
                raise errors[0]
        copies = set(report.copies)
        opened = [f for f in files if f.name not in copies]
        if opened:
            report.parquet = _assemble(out_dir, opened, req_id=req_id, report=report)
        report.seconds = time.monotonic() - t0
        return report


# --------------------------------------------------------------------------------------------
# Output assembly


def _count(report: FetchReport, lock: threading.Lock, result: GatherResult, length: int) -> None:
    """A fetched file in the report: its bytes, and who was bad, unreachable or refused."""
    with lock:
        report.fetched += 1
        report.bytes_written += length
        for v in result.bad:
            report.bad[v] = report.bad.get(v, 0) + 1
        for v in result.unreachable:
            report.unreachable[v] = report.unreachable.get(v, 0) + 1
        for v in result.refused:
            report.refused[v] = report.refused.get(v, 0) + 1


def _sha256_file(path: Path) -> bytes:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_COPY_CHUNK):
            h.update(chunk)
    return h.digest()


def _write_json_atomic(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with tmp.open("w") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _assemble(
    out_dir: Path, files: Sequence[SubmissionRecord], *, req_id: int, report: FetchReport
) -> bool:
    """Write dataset.jsonl, dataset.parquet (if possible) and manifest.json, atomically."""
    entries = []
    dataset = out_dir / "dataset.jsonl"
    tmp = out_dir / f".dataset.jsonl.{secrets.token_hex(4)}.tmp"
    line = 0
    try:
        with tmp.open("wb") as out:
            for f in files:
                src = out_dir / "files" / f"{f.name}.jsonl"
                size = src.stat().st_size
                with src.open("rb") as fh:
                    writer = HashingWriter(out)
                    shutil.copyfileobj(fh, writer, _COPY_CHUNK)  # type: ignore[misc, unused-ignore]
                lines = writer.lines
                if writer.length and writer.last_byte != b"\n":
                    out.write(b"\n")  # keep one record per line across file boundaries
                    lines += 1
                entries.append(
                    {
                        "file_id": "0x" + f.name,
                        "cid": f.cid,
                        "contributor": f.contributor,
                        "dataset_id": f.dataset_id,
                        "epoch": f.epoch,
                        "ritual_id": f.ritual_id,
                        "header_hash": "0x" + f.header_hash.hex(),
                        "content_commitment": "0x" + f.content_commitment.hex(),
                        "bytes": size,
                        "path": f"files/{f.name}.jsonl",
                        "first_line": line,
                        "lines": lines,
                    }
                )
                line += lines
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dataset)
    finally:
        tmp.unlink(missing_ok=True)
    parquet = _write_parquet(out_dir, files)
    _write_json_atomic(
        out_dir / "manifest.json",
        {
            "version": MANIFEST_VERSION,
            "req_id": req_id,
            "files": entries,
            "total_bytes": sum(int(str(e["bytes"])) for e in entries),
            "total_lines": line,
            "dataset": "dataset.jsonl",
            "parquet": "dataset.parquet" if parquet else None,
            "report": {k: v for k, v in asdict(report).items() if k in ("bad", "unreachable")},
        },
    )
    return parquet


def _write_parquet(out_dir: Path, files: Sequence[SubmissionRecord]) -> bool:
    """One row per JSONL line (file_id, contributor, epoch, line), if pyarrow is installed."""
    if importlib.util.find_spec("pyarrow") is None:
        return False
    import pyarrow as pa  # type: ignore[import-not-found, unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-not-found, unused-ignore]

    schema = pa.schema(
        [
            ("file_id", pa.string()),
            ("contributor", pa.string()),
            ("epoch", pa.int64()),
            ("line", pa.string()),
        ]
    )
    target = out_dir / "dataset.parquet"
    tmp = out_dir / f".dataset.parquet.{secrets.token_hex(4)}.tmp"
    try:
        with pq.ParquetWriter(str(tmp), schema) as writer:
            for f in files:
                text = (out_dir / "files" / f"{f.name}.jsonl").read_text("utf-8", errors="replace")
                lines = text.splitlines()
                writer.write_table(
                    pa.table(
                        {
                            "file_id": ["0x" + f.name] * len(lines),
                            "contributor": [f.contributor] * len(lines),
                            "epoch": [f.epoch] * len(lines),
                            "line": lines,
                        },
                        schema=schema,
                    )
                )
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return True
