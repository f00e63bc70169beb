"""One epoch's files, opened in memory, to basis points: the bridge to the valuation engine.

The daemon hands over what it could open: each file's canonical JSONL plaintext (as
``node.parsers.canonical`` wrote it, header line included) or the reason it could not be
obtained (ciphertext missing from storage, CID mismatch, authentication failure). Unavailable
files score 0 with the reason recorded and never enter the engine, so one missing blob cannot
shift the others' values through a malformed column. Readable files are valued together by
:func:`validator.valuation.pipeline.value_epoch` with the dataset's pinned ValuationSpec and the
on-chain epoch seed, so every honest committee member computes the same basis points.

Contributors are keyed by the file id in hex and passed in that (byte) order: the engine's mask
column ``j`` is the ``j``-th contributor, so all validators must agree on the order.
Plaintext stays in memory; nothing here writes to disk or logs text.

A contributor's plaintext is hostile. :func:`read_contribution` turns *every* failure to read
it, whatever exception the loader raised (a :class:`~node.errors.ParseError` as documented, or a
``TypeError``/``RecursionError``/... from a loader bug), into one typed
:class:`ContributorFileError`, and :func:`score_epoch` turns that into a ``malformed`` flag and a
0 for that file alone. The scorer does not rely on the loader being perfect: one file must never
take the epoch, or the daemon, down. The one failure no ``except`` can contain, deep nesting
that overflows the C JSON decoder's stack once web3 has raised the recursion limit, is refused
by the loader before it decodes (:mod:`node.safejson`); the hostile-file tests here run with
that recursion limit, so a regression there shows as a crashed test run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from node.errors import ParseError, ValuationError
from node.parsers.canonical import load_canonical
from node.protocol.scorevector import to_units
from node.types import Bps, FileId
from validator.proofs import FileVerdicts, apply_proof_policy, judge_file
from validator.valuation.backends import Backend
from validator.valuation.data import Contribution, Record
from validator.valuation.pipeline import ValuationResult, value_epoch
from validator.valuation.spec import ValuationSpec

__all__ = [
    "ContributorFileError",
    "EpochScores",
    "FileInput",
    "ScoringError",
    "prepare_file",
    "read_contribution",
    "records_of",
    "score_epoch",
]

SEED_BYTES = 32


class ScoringError(ValuationError):
    """The epoch cannot be scored at all (bad seed, unreadable validation set)."""


class ContributorFileError(ValuationError):
    """One contributor's plaintext cannot be read as canonical JSONL, whatever the cause.

    Never fatal to the epoch: the file is flagged ``malformed`` and scores 0. ``reason`` names
    the failure (error class and message, which name a line, never the data).
    """

    def __init__(self, file_id: str, reason: str) -> None:
        super().__init__(f"file {file_id}: {reason}")
        self.file_id = file_id
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FileInput:
    """One file of the epoch: its plaintext, what valuation needs of it, or why there is none
    (exactly one of the three).

    The daemon keeps no epoch's worth of plaintext: as each file opens it is turned by
    :func:`prepare_file` into its parsed ``contribution`` (and, under a proof policy, the
    ``verdicts`` on its sealed proofs), and the bytes are dropped. ``plaintext`` stays for
    callers that score bytes directly (tests, tools); both forms score identically.
    """

    file_id: bytes
    plaintext: bytes | None = field(default=None, repr=False)
    failure: str | None = None
    contributor: str | None = None  # the chain record's; ownership proofs may name it
    contribution: Contribution | None = field(default=None, repr=False)
    verdicts: FileVerdicts | None = None  # judged when prepared, if the spec pins a policy

    def __post_init__(self) -> None:
        given = (self.plaintext, self.contribution, self.failure)
        if sum(x is not None for x in given) != 1:
            raise ValueError(
                "a FileInput has either a plaintext, a parsed contribution or a failure"
            )

    @property
    def readable(self) -> bool:
        """Whether the file was opened (its bytes or their parse are here, not a failure)."""
        return self.failure is None


def prepare_file(f: FileInput, spec: ValuationSpec) -> FileInput:
    """``f`` with its plaintext replaced by what :func:`score_epoch` needs of it, so that the
    bytes can be dropped as soon as the file is opened (peak memory: parsed records only).

    The result scores exactly as ``f`` would: the contribution is :func:`read_contribution`'s
    (a file that cannot be read becomes the same ``malformed`` contribution score_epoch makes of
    it), and under a non-default proof policy the verdicts are :func:`judge_file`'s on the same
    bytes and chain contributor. Files without a plaintext are returned unchanged. Never raises.
    """
    if f.plaintext is None:
        return f
    key = f.file_id.hex()
    try:
        contribution = read_contribution(key, f.plaintext)
    except ContributorFileError as err:
        contribution = Contribution(key, (), malformed=err.reason)
    verdicts = None
    if not spec.proofs.is_default():
        verdicts = judge_file(f.plaintext, f.contributor, spec.proofs)
    return FileInput(
        f.file_id, contributor=f.contributor, contribution=contribution, verdicts=verdicts
    )


@dataclass(frozen=True, slots=True)
class EpochScores:
    """Scores in the epoch's file order, the reason of every zero, and the engine's record."""

    file_ids: tuple[bytes, ...]
    scores_bps: tuple[Bps, ...]
    reasons: dict[str, str]  # file id hex -> why it scored 0 (absent for valued, unflagged)
    result: ValuationResult | None  # None when no file could be valued
    proofs: dict[str, Any] | None = None  # the label's proof counts (validator/proofs.py)
    # protocol v2: each file's nano units of the pool (node.protocol.scorevector.to_units over
    # the exact payout shares), in the same order; sums to 10**9, or all 0 when nothing is paid
    units: tuple[int, ...] = ()


def records_of(canonical: bytes, *, file: str = "<canonical>") -> tuple[Record, ...]:
    """The texts of canonical JSONL as valuation records (empty texts dropped).

    Raises:
        ParseError: not canonical JSONL version 1.
    """
    export = load_canonical(canonical, file=file)
    return tuple(Record(r.text) for r in export.records if r.text)


def read_contribution(file_id: str, plaintext: bytes) -> Contribution:
    """A contributor's canonical JSONL as a :class:`Contribution`.

    Raises:
        ContributorFileError: the plaintext could not be read, for any reason. A ParseError is
            the documented refusal; any other exception is a loader bug that hostile bytes
            reached, contained here all the same (a ``MemoryError`` or ``RecursionError`` from
            a bomb included), because the alternative is an honest validator that cannot score.
    """
    try:
        return Contribution(file_id, records_of(plaintext, file=file_id))
    except ParseError as err:
        raise ContributorFileError(file_id, f"not canonical JSONL: {err}") from None
    except Exception as err:  # hostile input: every failure is the file's
        raise ContributorFileError(
            file_id, f"unreadable ({type(err).__name__} while loading canonical JSONL)"
        ) from None


def score_epoch(
    files: Sequence[FileInput],
    validation_plaintext: bytes,
    spec: ValuationSpec,
    seed: bytes,
    backend: Backend,
    pool: Sequence[Record] = (),
    min_score_bps: int = 0,
) -> EpochScores:
    """Basis points and nano units for every file of the epoch, in the order given.

    The units (protocol v2's score vector) come from the same integers as the basis points:
    each valued, unflagged file's quantized engine value (``ContributorValue.quanta``, already
    identical on every honest validator), times the proof policy's factor when it discounted
    the file, and 0 for a file below the dataset's ``min_score_bps`` share, then
    :func:`~node.protocol.scorevector.to_units` (exact fractions, ties by file id). So the
    units are as deterministic as the basis points, only finer.

    Args:
        files: the epoch's files in on-chain order (``SubmissionRegistry.epochFiles``).
        validation_plaintext: the DAO's secret validation set, canonical JSONL, opened in memory.
        spec: the dataset's registered ValuationSpec (its digest checked against the chain).
        seed: the 32-byte on-chain epoch seed (``ScoreBoard.epochSeed``).
        backend: where subset models train.
        pool: earlier accepted data, if the operator keeps it; empty is allowed.
        min_score_bps: the dataset's ``DatasetConfig`` minimum: a file whose share (in basis
            points, after the proof policy) is below it is paid 0 and the others share its part.

    Raises:
        ScoringError: the seed is not 32 bytes or the validation set is unreadable.
        ValuationError: the engine failed (backend, unusable validation set for the spec).
    """
    if len(seed) != SEED_BYTES:
        raise ScoringError("the epoch seed must be 32 bytes")
    if len({f.file_id for f in files}) != len(files):
        raise ScoringError("the epoch lists a file id twice")
    try:
        validation = records_of(validation_plaintext, file="<validation set>")
    except ParseError as err:
        raise ScoringError(f"the validation set is not canonical JSONL ({err})") from None
    except Exception as err:  # the DAO's own file, but a loader bug must still be typed
        raise ScoringError(f"the validation set is unreadable ({type(err).__name__})") from None

    reasons: dict[str, str] = {}
    contributions: list[Contribution] = []
    for f in sorted(files, key=lambda f: f.file_id):
        key = f.file_id.hex()
        if f.contribution is not None:  # parsed when opened (prepare_file)
            contributions.append(f.contribution)
            continue
        if f.plaintext is None:
            reasons[key] = f.failure or "unavailable"
            continue
        try:
            contributions.append(read_contribution(key, f.plaintext))
        except ContributorFileError as err:
            # a contributor's bad file is the contributor's problem: flagged, scored 0
            contributions.append(Contribution(key, (), malformed=err.reason))

    bps: dict[str, Bps] = {}
    shares: dict[str, Fraction] = {}
    result: ValuationResult | None = None
    if contributions:
        # who keeps a record two files share: the one registered first (chain order)
        order = {f.file_id.hex(): i for i, f in enumerate(files)}
        registered = [order[c.contributor] for c in contributions]
        result = value_epoch(spec, contributions, validation, pool, seed, backend, registered)
        for c in result.contributors:
            bps[c.contributor] = c.bps
            # to_bps's own rule: flagged or non-positive values are paid nothing
            shares[c.contributor] = Fraction(max(c.quanta, 0)) if c.bps > 0 else Fraction(0)
            if c.flags:
                reasons[c.contributor] = "; ".join(c.flags)
            elif c.bps == 0:  # valued, but it did not improve the model on the validation set
                reasons[c.contributor] = f"no positive value ({c.value:+.4f} nats)"
    proofs = None
    if not spec.proofs.is_default():  # ownership proofs (DESIGN.md §10): the pinned policy
        if any(f.contribution is not None and f.verdicts is None for f in files):
            raise ScoringError("a file was prepared without the dataset's proof policy")
        plaintexts = {f.file_id.hex(): f.plaintext for f in files if f.plaintext is not None}
        judged = {f.file_id.hex(): f.verdicts for f in files if f.verdicts is not None}
        contributors = {f.file_id.hex(): f.contributor for f in files}
        before = dict(bps)
        label = apply_proof_policy(
            plaintexts, contributors, bps, reasons, spec.proofs, judged=judged
        )
        proofs = label.to_dict()
        factor = (
            Fraction(0)
            if spec.proofs.unproven == "zero"
            else Fraction(spec.proofs.factor_bps, 10_000)
        )
        for key, b in bps.items():
            if b != before[key]:  # discounted as unproven: the same factor on the exact share
                shares[key] *= factor
    for key, b in bps.items():
        if shares.get(key, 0) > 0 and b < min_score_bps:
            shares[key] = Fraction(0)
            reasons[key] = f"below the dataset's minimum score ({b} < {min_score_bps} bps)"
    units = to_units({FileId(f.file_id): shares.get(f.file_id.hex(), Fraction(0)) for f in files})
    return EpochScores(
        file_ids=tuple(f.file_id for f in files),
        scores_bps=tuple(bps.get(f.file_id.hex(), Bps(0)) for f in files),
        reasons=reasons,
        result=result,
        proofs=proofs,
        units=tuple(units[FileId(f.file_id)] for f in files),
    )
