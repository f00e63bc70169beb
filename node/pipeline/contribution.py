"""The contributor's pipeline: parse -> scrub -> canonicalize -> seal -> store -> register.

Every step's outputs are committed to the database before the next step starts
(``node.db.models`` documents the states), and each step starts by looking at what is already
recorded, so running the same export again, after success or after the process was killed at any
point, finishes the job with exactly one on-chain submission:

* **parse** is deterministic; the row is keyed by contributor and content commitment (unique
  per deployment and dataset), so the same account never gets a second row for the same content.
  Content this account already registered on chain (``contentSubmitted``) is refused before
  anything is recorded: the registry accepts each content once per contributor.
* **seal** is randomized, so its output is never recomputed once recorded: the sealed file names
  the contributor (protocol v2) and is written to ``<sealed_dir>/submission-<row>.ddf`` through a
  temp file, fsynced and renamed, and only then are the header hash and the file id derived from
  it (``keccak256(abi.encode(contributor, headerHash))``, what the registry derives) recorded. A
  crash before the record just seals again (nothing used the first one).
* **store** re-adding the same sealed file gives the same CID, so it is naturally idempotent.
* **sign** persists the EIP-712 epoch, deadline and signature before anything is sent, and the
  transaction hash right after broadcast. v2 signs no nonce: replaying the signature gives the
  same file id, which the registry refuses.
* **register** reads the dataset's bond, reports it, and pays it with ``submit``. It trusts the
  chain over the database: our file id already registered (the process died after the
  transaction, before recording it) reconciles the row to REGISTERED and never sends again. The
  contract itself refuses a second registration of the same file id, or of the same content by
  the same contributor, so exactly-once holds even against a stale database.

Epoch hazard: a message signed for epoch ``e`` and mined after ``e``'s submit window closed
reverts with ``WrongEpoch``, and gas estimation can still pass in the window's last block. So the
pipeline does not sign in the last ``window_margin_blocks`` blocks of a window (it waits for the
next epoch), and a ``WrongEpoch``/``Expired``/inclusion-time revert re-signs with a fresh epoch
The sealed file is reused: its context (chain, registry, dataset, contributor, ritual,
commitment) has no epoch in it.

Ownership proofs (``run(proofs=…)``, DESIGN.md §10) are attached to the export before it is
canonicalized, so they are inside the sealed bytes and the content commitment covers them. The
source key the database resumes by is the export's sha256 mixed with the proofs' (the same
export with another proof is another contribution); resume a cut-short run with the same
proofs, or the re-parse refuses with ``SourceChanged``.

Test hook: with ``crash_after=<step>`` (the CLI reads ``DATADAO_CRASH_AFTER``) the process calls
``os._exit(137)`` right after that step is committed: one of ``parsed``, ``sealed``, ``stored``,
``signed``, ``sent`` (transaction broadcast and its hash recorded) or ``registered``. It exists
for the crash-injection tests and does nothing unless set.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Protocol, cast, runtime_checkable

from eth_typing import HexStr
from sqlmodel import Session

from node.chain.eip712 import SubmissionMessage
from node.chain.errors import ContractRevert, TransactionFailed
from node.chain.registry import SubmissionRecord
from node.db import crud
from node.db.engine import SessionFactory
from node.db.models import Submission, SubmissionCreate, SubmissionPublic, SubmissionStatus
from node.errors import ChainError, ConfigError, ParseError
from node.parsers import (
    AttachedProof,
    CanonicalExport,
    Limits,
    ParsedExport,
    ScrubOptions,
    canonicalize,
    parse_export,
    scrub_export,
)
from node.pipeline.gateway import SubmissionGateway, TxState
from node.protocol.crypto import SealContext, seal
from node.protocol.ids import submission_file_id
from node.storage.base import BlobStore
from node.types import Cid, ContentCommitment, DatasetId, RitualId

__all__ = [
    "CRASH_ENV",
    "CRASH_STEPS",
    "BondAboveLimit",
    "ContentAlreadyContributed",
    "ContributionOutcome",
    "ContributionPipeline",
    "ContributionResult",
    "ExportUnreadable",
    "Progress",
    "ProgressCallback",
    "RegistrationFailed",
    "RegistrationMismatch",
    "SourceChanged",
    "crash_after_from_env",
    "format_wei",
]

log = logging.getLogger(__name__)

CRASH_ENV = "DATADAO_CRASH_AFTER"
CRASH_STEPS = ("parsed", "sealed", "stored", "signed", "sent", "registered")
_READ_CHUNK = 1 << 20
_S = SubmissionStatus


# ----------------------------------------------------------------------------------- errors


class ExportUnreadable(ParseError):
    """The export path does not exist or cannot be read."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot read export {path}: {reason}")
        self.path = path


class SourceChanged(ParseError):
    """Re-parsing an export gave another commitment than the one recorded for it."""

    def __init__(self, path: Path, recorded: str, now: str) -> None:
        super().__init__(
            f"{path} now canonicalizes to {now}, but submission with commitment {recorded} was "
            "recorded from the same bytes (a different parser version?); it cannot be resumed"
        )


class ContentAlreadyContributed(ChainError):
    """This account already registered this content in the dataset (under another file id).

    The registry accepts each content once per contributor (``contentSubmitted``); another
    account may still submit it. Nothing is sent.
    """

    def __init__(self, commitment: str, file_id: str, contributor: str) -> None:
        where = f" as file {file_id}" if file_id else ""
        super().__init__(
            f"{contributor} has already submitted content {commitment} to this dataset{where}; "
            "the registry accepts each content once per contributor: nothing was sent"
        )
        self.commitment = commitment
        self.file_id = file_id
        self.contributor = contributor


class BondAboveLimit(ChainError):
    """The dataset's submission bond is above what the user agreed to pay; nothing was sent."""

    def __init__(self, bond: int, limit: int) -> None:
        super().__init__(
            f"the dataset asks a submission bond of {bond} wei, above your limit of {limit} "
            "wei; nothing was sent (raise the limit to contribute)"
        )
        self.bond = bond
        self.limit = limit


class RegistrationMismatch(ChainError):
    """The chain's record of our file id differs from the local database."""

    def __init__(self, file_id: str, field: str, local: str, chain: str) -> None:
        super().__init__(
            f"file {file_id}: on-chain {field} {chain} differs from the local record {local}"
        )


class RegistrationFailed(ChainError):
    """Registration kept failing with retryable errors (closing windows, expiring deadlines)."""

    def __init__(self, file_id: str, attempts: int, last: str) -> None:
        super().__init__(
            f"file {file_id} was not registered after {attempts} attempts (last: {last}); "
            "nothing is lost: run the same command again to resume"
        )


# ----------------------------------------------------------------------------------- results


class ContributionOutcome(StrEnum):
    SUBMITTED = "submitted"
    """This run saw the registering transaction mined."""
    ALREADY_SUBMITTED = "already_submitted"
    """The content was already registered (recorded locally or found on chain); nothing sent."""


@dataclass(frozen=True, slots=True)
class ContributionResult:
    outcome: ContributionOutcome
    submission: SubmissionPublic
    resumed_from: SubmissionStatus | None
    """The recorded state this run started from, or None for a new contribution."""


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report. ``step`` is ``parse``, ``seal``, ``upload`` or ``register`` (byte
    counts: ``parse`` is the export being read and hashed), or ``parse-records``, ``scrub`` or
    ``canonicalize`` (record counts; ``parse-records`` has no total until its last report);
    ``note`` for waits and retries."""

    step: str
    done: int = 0
    total: int | None = None
    note: str = ""


ProgressCallback = Callable[[Progress], None]


def _ignore(_: Progress) -> None:
    return None


def crash_after_from_env() -> str | None:
    """The crash hook's step from ``DATADAO_CRASH_AFTER`` (test hook; unset in normal use)."""
    value = os.environ.get(CRASH_ENV) or None
    if value is not None and value not in CRASH_STEPS:
        raise ConfigError(f"{CRASH_ENV}={value!r}: expected one of {', '.join(CRASH_STEPS)}")
    return value


@runtime_checkable
class _Deletes(Protocol):
    """Stores that can drop a blob's blocks (the local blockstore); remote ones just keep them."""

    def delete(self, cid: Cid) -> int: ...


class _Reseal(Exception):
    """The recorded sealed file cannot be used (gone, or sealed to a ritual that ended)."""


class _CountingReader(io.RawIOBase):
    """A read-only stream over another that reports bytes read (for progress bars)."""

    def __init__(self, inner: BinaryIO, report: Callable[[int], None]) -> None:
        super().__init__()
        self._inner = inner
        self._report = report
        self._done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._done += n
        self._report(self._done)
        return n


def format_wei(wei: int) -> str:
    """An ETH amount for people: ``0.01 ETH (10000000000000000 wei)``."""
    whole, frac = divmod(wei, 10**18)
    eth = f"{whole}.{frac:018d}".rstrip("0").rstrip(".")
    return f"{eth} ETH ({wei} wei)"


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def _unhex(value: str | None) -> bytes:
    if value is None:
        raise ValueError("missing recorded value")
    return bytes.fromhex(value.removeprefix("0x"))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------------- pipeline


class ContributionPipeline:
    """Contribute one export at a time, resumably. All collaborators are injected.

    Args:
        sessions: makes database sessions (the schema must be migrated).
        store: where sealed files go (LocalBlockstore, KuboStore or MemoryBlobStore).
        gateway: the chain, as the pipeline needs it (signer = the contributor).
        sealed_dir: where sealed files are written before upload (``<home>/sealed``).
        limits: parser caps (defaults when None).
        crash_after: test hook, see the module docstring.
        window_margin_blocks: do not sign when the transaction could land in the last this-many
            blocks of a submit window.
        deadline_s: signature validity (seconds after the head block's timestamp).
        max_register_attempts: re-signs after retryable registration failures.
        max_bond: the most wei the user agreed to pay as the submission bond (None: any).
    """

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        store: BlobStore,
        gateway: SubmissionGateway,
        sealed_dir: Path,
        limits: Limits | None = None,
        crash_after: str | None = None,
        window_margin_blocks: int = 2,
        deadline_s: int = 3600,
        max_register_attempts: int = 4,
        max_bond: int | None = None,
    ) -> None:
        if crash_after is not None and crash_after not in CRASH_STEPS:
            raise ConfigError(f"crash_after={crash_after!r}: expected one of {CRASH_STEPS}")
        self._sessions = sessions
        self._store = store
        self._gw = gateway
        self._sealed_dir = sealed_dir
        self._limits = limits
        self._crash_after = crash_after
        self._margin = window_margin_blocks
        self._deadline_s = deadline_s
        self._max_attempts = max_register_attempts
        self._max_bond = max_bond
        self._proofs: tuple[AttachedProof, ...] = ()  # of the current run (one at a time)

    # -------------------------------------------------------------------------- entry point

    def run(
        self,
        path: str | os.PathLike[str],
        *,
        platform: str = "auto",
        scrub: bool = True,
        progress: ProgressCallback | None = None,
        proofs: tuple[AttachedProof, ...] = (),
    ) -> ContributionResult:
        """Contribute the export at ``path``, or finish a contribution of it that was cut short.

        ``proofs`` are sealed with the export (see the module docstring).

        Returns:
            ``submitted`` when this run saw the registration mined, ``already_submitted`` when
            the content was already registered (nothing is sent then).

        Raises:
            ParseError: the export is unreadable or malformed (nothing is recorded).
            NoActiveRitual: there is no DAO key to seal to.
            ContentAlreadyContributed: this account already registered the same content.
            BondAboveLimit: the dataset's bond is above ``max_bond`` (nothing sent).
            ChainError: other chain failures; the recorded state is kept, run again to resume.
        """
        report = progress or _ignore
        source = Path(path)
        sha256 = self._hash_source(source, report)
        self._proofs = tuple(sorted(set(proofs)))
        if self._proofs:
            mixed = hashlib.sha256(bytes.fromhex(sha256))
            for proof in self._proofs:
                mixed.update(proof.method.encode() + b"\0" + hashlib.sha256(proof.data).digest())
            sha256 = mixed.hexdigest()
        with self._sessions() as session:
            canon: CanonicalExport | None = None
            row = crud.get_by_source(
                session=session,
                source_sha256=sha256,
                chain_id=self._gw.chain_id,
                registry_address=self._gw.registry,
                dataset_id=self._gw.dataset_id,
                scrubbed=scrub,
                contributor=self._gw.contributor,
            )
            if row is None:
                export, canon = self._parse(source, platform, scrub, report)
                row = crud.get_by_commitment(
                    session=session,
                    chain_id=self._gw.chain_id,
                    registry_address=self._gw.registry,
                    dataset_id=self._gw.dataset_id,
                    contributor=self._gw.contributor,
                    content_commitment=_hex(canon.commitment),
                )
                if row is None:
                    return self._start(session, source, sha256, scrub, export, canon, report)
            else:
                report(Progress("parse", 1, 1, note=f"recorded as submission #{row.id}"))
            return self._resume(session, row, source, platform, scrub, canon, report)

    # -------------------------------------------------------------------------- parse

    def _hash_source(self, source: Path, report: ProgressCallback) -> str:
        """sha256 of the export (a file, or a folder's sorted relative paths and contents)."""
        try:
            files = (
                sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
            )
            total = sum(p.stat().st_size for p in files)
            digest = hashlib.sha256()
            done = 0
            report(Progress("parse", 0, total))
            for p in files:
                if source.is_dir():
                    digest.update(p.relative_to(source).as_posix().encode() + b"\0")
                with open(p, "rb") as fh:
                    while chunk := fh.read(_READ_CHUNK):
                        digest.update(chunk)
                        done += len(chunk)
                        report(Progress("parse", done, total))
        except OSError as err:
            raise ExportUnreadable(source, err.strerror or type(err).__name__) from None
        return digest.hexdigest()

    def _parse(
        self, source: Path, platform: str, scrub: bool, report: ProgressCallback
    ) -> tuple[ParsedExport, CanonicalExport]:
        def records(step: str, total: int | None) -> Callable[[int], None]:
            return lambda n: report(Progress(step, n, total))

        export = parse_export(
            source,
            platform=platform,
            limits=self._limits,
            on_records=records("parse-records", None),
        )
        total = len(export.records)
        report(Progress("parse-records", total, total))  # now the total is known
        if scrub:
            export = scrub_export(export, ScrubOptions(), on_records=records("scrub", total))
        if self._proofs:
            export = replace(export, proofs=self._proofs)
        canon = canonicalize(export, on_records=records("canonicalize", total))
        report(Progress("parse", 1, 1, note=f"{canon.records} records ({export.platform})"))
        return export, canon

    def _reparse(
        self, row: Submission, source: Path, platform: str, scrub: bool, report: ProgressCallback
    ) -> CanonicalExport:
        """Canonical bytes again (a resumed row that still needs sealing; parsing is pure)."""
        _, canon = self._parse(
            source, row.platform if platform == "auto" else platform, scrub, report
        )
        if _hex(canon.commitment) != row.content_commitment:
            raise SourceChanged(source, row.content_commitment, _hex(canon.commitment))
        return canon

    def _start(
        self,
        session: Session,
        source: Path,
        sha256: str,
        scrub: bool,
        export: ParsedExport,
        canon: CanonicalExport,
        report: ProgressCallback,
    ) -> ContributionResult:
        """A content this account's database has never seen: check the chain, record step 1.

        Nothing is recorded when this account already registered the content on chain (a lost
        or other data dir: the registry would refuse it, and v2 has no index from content to
        file id to adopt it by) or there is no key to seal to: those are errors to report.
        """
        if self._gw.content_submitted(canon.commitment):
            raise ContentAlreadyContributed(_hex(canon.commitment), "", self._gw.contributor)
        self._gw.active_ritual()  # fail before recording anything if there is no DAO key
        row = crud.create_submission(
            session=session,
            submission_in=SubmissionCreate(
                source_path=str(source.absolute()),
                source_sha256=sha256,
                platform=export.platform,
                export_account=export.account,
                contributor=self._gw.contributor,
                chain_id=self._gw.chain_id,
                registry_address=self._gw.registry,
                dataset_id=self._gw.dataset_id,
                scrubbed=scrub,
                records=canon.records,
                pii_removed=dict(export.pii_removed),
                content_commitment=_hex(canon.commitment),
            ),
        )
        self._crash_point("parsed")
        return self._drive(session, row, source, "auto", scrub, canon, None, report)

    # -------------------------------------------------------------------------- resume

    def _resume(
        self,
        session: Session,
        row: Submission,
        source: Path,
        platform: str,
        scrub: bool,
        canon: CanonicalExport | None,
        report: ProgressCallback,
    ) -> ContributionResult:
        resumed_from = row.status
        if row.contributor != self._gw.contributor and row.status != _S.REGISTERED:
            raise ConfigError(
                f"submission #{row.id} of this content was started by {row.contributor}; "
                "resume it with that account"
            )
        if row.status == _S.REGISTERED:
            record = self._gw.submission(_unhex(row.file_id))
            if record is None:
                raise RegistrationMismatch(
                    row.file_id or "?", "registration", "registered", "missing"
                )
            self._verify(row, record)
            self._remove_sealed(row)
            return self._result(ContributionOutcome.ALREADY_SUBMITTED, row, resumed_from)
        if row.status == _S.FAILED:
            self._discard(session, row)
        return self._drive(session, row, source, platform, scrub, canon, resumed_from, report)

    def _drive(
        self,
        session: Session,
        row: Submission,
        source: Path,
        platform: str,
        scrub: bool,
        canon: CanonicalExport | None,
        resumed_from: SubmissionStatus | None,
        report: ProgressCallback,
    ) -> ContributionResult:
        """Run the remaining steps from the recorded state."""
        # Killed after the transaction was mined, before REGISTERED was recorded?
        record = None if row.file_id is None else self._gw.submission(_unhex(row.file_id))
        if record is not None:
            row = self._record_registered(session, row, record)
            self._remove_sealed(row)
            return self._result(ContributionOutcome.ALREADY_SUBMITTED, row, resumed_from)
        if row.status != _S.PARSED and not self._sealed_v2(row):
            log.info("submission %s: sealed by protocol v1; sealing again", row.id)
            row = self._discard(session, row)
        while True:
            try:
                if row.status == _S.PARSED:
                    if canon is None:
                        canon = self._reparse(row, source, platform, scrub, report)
                    row = self._seal(session, row, canon, report)
                    self._crash_point("sealed")
                if row.status == _S.SEALED:
                    row = self._upload(session, row, report)
                    self._crash_point("stored")
                row, outcome = self._register(session, row, report)
                break
            except _Reseal as why:
                log.info("submission %s: sealing again (%s)", row.id, why)
                row = self._discard(session, row)
        self._remove_sealed(row)
        return self._result(outcome, row, resumed_from)

    # -------------------------------------------------------------------------- seal + store

    def _seal(
        self, session: Session, row: Submission, canon: CanonicalExport, report: ProgressCallback
    ) -> Submission:
        ritual_id, dao_key = self._gw.active_ritual()
        contributor = self._gw.contributor
        ctx = SealContext(
            chain_id=self._gw.chain_id,
            registry=self._gw.registry,
            dataset_id=DatasetId(self._gw.dataset_id),
            contributor=contributor,
            ritual_id=RitualId(ritual_id),
            content_commitment=ContentCommitment(canon.commitment),
        )
        self._sealed_dir.mkdir(parents=True, exist_ok=True)
        name = self._sealed_name(row)
        final = self._sealed_dir / name
        for stale in self._sealed_dir.glob(name + ".*.tmp"):  # from a run killed mid-seal
            stale.unlink(missing_ok=True)
        tmp = self._sealed_dir / f"{name}.{secrets.token_hex(4)}.tmp"
        total = len(canon.data)
        report(Progress("seal", 0, total))
        try:
            with open(tmp, "wb") as fh:
                reader = _CountingReader(
                    cast(BinaryIO, io.BytesIO(canon.data)),
                    lambda n: report(Progress("seal", n, total)),
                )
                header = seal(reader, dao_key, ctx, out=fh, length=total)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(self._sealed_dir)
        return crud.advance(
            session=session,
            submission=row,
            status=_S.SEALED,
            ritual_id=int(ritual_id),
            sealed_path=str(final),
            sealed_size=final.stat().st_size,
            header_hash=_hex(header.header_hash),
            file_id=_hex(submission_file_id(contributor, header.header_hash)),
        )

    def _upload(self, session: Session, row: Submission, report: ProgressCallback) -> Submission:
        path = Path(row.sealed_path or "")
        if not path.is_file():
            raise _Reseal(f"sealed file {path} is missing")
        total = path.stat().st_size
        report(Progress("upload", 0, total))
        with open(path, "rb") as fh:
            reader = _CountingReader(
                cast(BinaryIO, fh), lambda n: report(Progress("upload", n, total))
            )
            cid = self._store.add(cast(BinaryIO, reader), pin=True)
        return crud.advance(session=session, submission=row, status=_S.STORED, cid=str(cid))

    # -------------------------------------------------------------------------- register

    def _register(
        self, session: Session, row: Submission, report: ProgressCallback
    ) -> tuple[Submission, ContributionOutcome]:
        file_hex = row.file_id or ""
        resign = row.status == _S.STORED
        last = ""
        for attempt in range(1, self._max_attempts + 1):
            if resign or not self._signature_usable(row):
                row = self._sign(session, row, report)
                resign = False
                self._crash_point("signed")
            try:
                tx = self._pending_tx(row)
                if tx is None:
                    bond = self._bond(report)
                    tx = self._gw.broadcast(self._message(row), _unhex(row.signature), bond)
                    row = crud.update_fields(session=session, submission=row, tx_hash=tx)
                    self._crash_point("sent")
                report(Progress("register", note=f"transaction {tx} sent; waiting for it"))
                self._gw.wait(tx)
            except ContractRevert as err:
                name = err.error_name
                record = self._gw.submission(_unhex(file_hex))
                if record is not None:  # an earlier transaction of ours landed
                    return self._record_registered(session, row, record), (
                        ContributionOutcome.ALREADY_SUBMITTED
                    )
                if name == "SubmissionRegistryDuplicateContent":
                    # this account registered the content under another sealing (another
                    # database, or one restored from a backup): ours can never be registered
                    self._fail(session, row, "this account already registered this content")
                    raise ContentAlreadyContributed(
                        row.content_commitment, "", self._gw.contributor
                    ) from None
                if name == "SubmissionRegistryRitualNotActive":
                    raise _Reseal("the key ritual it was sealed to is no longer active") from None
                if name == "SubmissionRegistryWrongBond":
                    # governance changed the bond between our read and inclusion: read it again
                    last = str(err)
                    report(Progress("register", note=f"attempt {attempt}: {name}; sending again"))
                    continue
                if name not in ("SubmissionRegistryWrongEpoch", "SubmissionRegistryExpired"):
                    raise
                last = str(err)
                resign = True
                report(Progress("register", note=f"attempt {attempt}: {name}; signing again"))
                continue
            except TransactionFailed as err:  # reverted on inclusion without decodable data
                last = str(err)
                resign = True
                continue
            record = self._gw.submission(_unhex(file_hex))
            if record is None:
                raise RegistrationMismatch(file_hex, "registration", "mined", "missing")
            row = self._record_registered(session, row, record)
            return row, ContributionOutcome.SUBMITTED
        raise RegistrationFailed(file_hex, self._max_attempts, last)

    def _bond(self, report: ProgressCallback) -> int:
        """The dataset's bond, checked against the user's limit and shown before it is paid."""
        bond = self._gw.submission_bond()
        if self._max_bond is not None and bond > self._max_bond:
            raise BondAboveLimit(bond, self._max_bond)
        report(
            Progress(
                "register",
                note=f"paying the submission bond: {format_wei(bond)} (returned with a paid "
                "claim; forfeited to the treasury if the file scores 0)",
            )
        )
        return bond

    def _pending_tx(self, row: Submission) -> HexStr | None:
        """A transaction from an earlier run still in the mempool: wait for it, do not resend."""
        if row.tx_hash is None:
            return None
        tx = HexStr(row.tx_hash)
        state = self._gw.tx_state(tx)
        return tx if state is TxState.PENDING else None

    def _open_window(self, report: ProgressCallback) -> tuple[int, int, int]:
        """(epoch, head timestamp, head number) once a transaction can safely land in the
        current epoch's submit window; waits for the next epoch when the window is closing."""
        while True:
            head = self._gw.head()
            pos = self._gw.epoch_position()
            if head.number + 1 + self._margin < pos.close_block:
                return pos.epoch, head.timestamp, head.number
            report(
                Progress(
                    "register",
                    note=f"epoch {pos.epoch}'s submit window closes at block {pos.close_block} "
                    f"(head {head.number}); waiting for epoch {pos.epoch + 1}",
                )
            )
            self._gw.wait_for_block(pos.close_block)

    def _signature_usable(self, row: Submission) -> bool:
        if row.signature is None or row.epoch is None:
            return False
        if row.tx_hash is not None and self._gw.tx_state(HexStr(row.tx_hash)) is TxState.PENDING:
            return True
        head = self._gw.head()
        pos = self._gw.epoch_position()
        return (
            row.epoch == pos.epoch
            and head.number + 1 + self._margin < pos.close_block
            and (row.deadline or 0) > head.timestamp + 60
        )

    def _sign(self, session: Session, row: Submission, report: ProgressCallback) -> Submission:
        epoch, now, _ = self._open_window(report)
        ritual_id, _key = self._gw.active_ritual()
        if ritual_id != row.ritual_id:
            raise _Reseal(f"sealed to ritual {row.ritual_id}, the active ritual is {ritual_id}")
        fields = {"epoch": int(epoch), "deadline": now + self._deadline_s}
        message = self._message(row, **fields)
        signature = self._gw.sign(message)
        return crud.advance(
            session=session,
            submission=row,
            status=_S.SIGNED,
            signature=_hex(signature),
            tx_hash=None,
            **fields,
        )

    def _message(self, row: Submission, **override: int) -> SubmissionMessage:
        values = {"epoch": row.epoch, "deadline": row.deadline, **override}
        if row.cid is None or row.ritual_id is None or None in values.values():
            raise ValueError(f"submission {row.id} is missing fields to sign")
        return SubmissionMessage(
            contributor=self._gw.contributor,
            datasetId=self._gw.dataset_id,
            cid=row.cid,
            headerHash=_unhex(row.header_hash),
            contentCommitment=_unhex(row.content_commitment),
            ritualId=row.ritual_id,
            epoch=int(values["epoch"] or 0),
            deadline=int(values["deadline"] or 0),
        )

    # -------------------------------------------------------------------------- bookkeeping

    def _verify(self, row: Submission, record: SubmissionRecord) -> None:
        """The chain's record must be what we sealed and stored; anything else is corruption."""
        checks = [
            ("fileId", row.file_id or "", _hex(record.file_id)),
            ("contributor", row.contributor, record.contributor),
            ("contentCommitment", row.content_commitment, _hex(record.content_commitment)),
        ]
        if row.cid is not None:
            checks.append(("cid", row.cid, record.cid))
        if row.header_hash is not None:
            checks.append(("headerHash", row.header_hash, _hex(record.header_hash)))
        for field, local, chain in checks:
            if local.lower() != chain.lower():
                raise RegistrationMismatch(row.file_id or "?", field, local, chain)

    def _record_registered(
        self, session: Session, row: Submission, record: SubmissionRecord
    ) -> Submission:
        self._verify(row, record)
        row = crud.advance(
            session=session,
            submission=row,
            status=_S.REGISTERED,
            cid=record.cid,
            header_hash=_hex(record.header_hash),
            epoch=record.epoch,
            ritual_id=record.ritual_id,
            block_number=record.registered_at,
        )
        self._crash_point("registered")
        return row

    def _discard(self, session: Session, row: Submission) -> Submission:
        """Drop a row's sealed file and blocks and go back to PARSED (never after registering)."""
        if row.cid is not None and isinstance(self._store, _Deletes):
            self._store.delete(Cid(row.cid))
        self._remove_sealed(row)
        return crud.reset_to_parsed(session=session, submission=row)

    def _fail(self, session: Session, row: Submission, reason: str) -> None:
        if row.cid is not None and isinstance(self._store, _Deletes):
            self._store.delete(Cid(row.cid))
        self._remove_sealed(row)
        crud.mark_failed(session=session, submission=row, reason=reason)

    def _remove_sealed(self, row: Submission) -> None:
        """The sealed file is a staging copy: once the store has it and it is registered (or the
        row is discarded), the store's verified copy is the only one kept."""
        name = self._sealed_name(row)
        for path in [self._sealed_dir / name, *self._sealed_dir.glob(name + ".*.tmp")]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _sealed_v2(self, row: Submission) -> bool:
        """Whether the row's sealing is v2's: its file id is the one derived from its header.

        A row sealed by v1 software (a random file id, no contributor in the header) must be
        sealed again: validators refuse v1 files."""
        if row.header_hash is None or row.file_id is None:
            return False
        derived = submission_file_id(self._gw.contributor, _unhex(row.header_hash))
        return row.file_id.lower() == _hex(derived)

    @staticmethod
    def _sealed_name(row: Submission) -> str:
        """The staging file's name: by row, since the file id is known only once sealed."""
        return f"submission-{row.id}.ddf"

    def _crash_point(self, step: str) -> None:
        if self._crash_after == step:
            log.warning("%s=%s: exiting now (test hook)", CRASH_ENV, step)
            os._exit(137)

    @staticmethod
    def _result(
        outcome: ContributionOutcome, row: Submission, resumed_from: SubmissionStatus | None
    ) -> ContributionResult:
        return ContributionResult(
            outcome=outcome,
            submission=SubmissionPublic.model_validate(row),
            resumed_from=resumed_from,
        )
