"""The demo's ownership-proof check (issue #20): the dataset's proof policy, applied to everyone.

The devnet's ValuationSpec (``node/devnet/valuation-spec.json``) pins the synthetic platform's
DKIM key and attestors of :mod:`node.proofs.devkeys` and keeps ``factor_bps`` (50%) of an
unproven file's value. After the epoch is scored, :func:`check_proofs` reads what a committee
validator wrote, never what the demo hopes:

* its journal (``validator/<address>/journal/<dataset>-<epoch>.json``): the nano units of the
  pool it committed per file (protocol v2's score vector) and the reason of every file the
  checks or the policy changed;
* its nutrition label (``validator/<address>/labels/epoch-<n>/report.json``): each file's value
  *before* the policy (``contributors[].bps``) and, once the daemon writes it, the label's proof
  counts (``proofs``: files and basis points proven, by method, and the unproven rest before and
  after the policy).

and checks, for every demo contributor, that the validator did what the policy says:

* an honest contributor's proof verifies (the demo re-runs the same verifiers on the bytes it
  sealed, for its address), and the validator paid its value **in full**: committed = value;
* the thief, who sealed another person's export with an e-mail sent to his own mailbox, is
  unproven, and the validator committed ``policy.unproven_bps(value)`` with a reason naming
  the ownership proof; his value before the policy is > 0 (else the check shows nothing);
* the label's counts equal the sums over those files.

Anything else raises :class:`~node.demo.stages.DemoCheckFailed`. :func:`judge` is the pure part
(tested without a devnet); :func:`check_proofs` reads the files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.demo.data import ContributorKind, DemoExport
from node.demo.stages import ContributorOutcome, DemoCheckFailed
from node.devnet.validation import SPEC_FILE
from node.proofs.attach import policy_from_spec
from node.proofs.params import ProofPolicy
from node.proofs.registry import ProofRegistry, subject_of_canonical, verify_proofs
from node.protocol.scorevector import UNITS

__all__ = ["ProofCheck", "ProofRow", "check_proofs", "judge", "policy_words"]

_PROOF_REASON = "ownership proof"  # how validator/proofs.py begins an unproven file's reason


@dataclass(frozen=True)
class ProofRow:
    """One contributor's proof, as the demo re-checked it and as the validator scored it.

    Attributes:
        name: the demo contributor.
        kind: honest or which attack.
        verdicts: the verdicts on the sealed proofs (``dkim: verified``, ...); empty: none.
        method: the first verified method, None when unproven.
        value_bps: the engine's value before the policy (report.json).
        after_bps: what the policy makes of it (the value, or its unproven share).
        score_bps: what the validator committed (its journal's units, in the same basis points:
            units are the after-policy values normalized to 1e9, so ``units * Σafter / 1e9``;
            equal to ``after_bps`` up to the rounding of one unit).
        reason: the validator's reason for the file ("" when it gave none).
    """

    name: str
    kind: str
    verdicts: tuple[str, ...]
    method: str | None
    value_bps: int
    after_bps: int
    score_bps: int
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "verdicts": list(self.verdicts),
            "proven_by": self.method,
            "value_bps_before_policy": self.value_bps,
            "value_bps_after_policy": self.after_bps,
            "score_bps": self.score_bps,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ProofCheck:
    """What :func:`check_proofs` verified (for the demo's table and summary.json)."""

    validator: str
    policy: str
    rows: tuple[ProofRow, ...]
    label: Mapping[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {
            "validator": self.validator,
            "policy": self.policy,
            "contributors": [r.as_json() for r in self.rows],
            "nutrition_label": None if self.label is None else dict(self.label),
        }


def policy_words(policy: ProofPolicy) -> str:
    """The policy for people (:meth:`ProofPolicy.describe`)."""
    return policy.describe()


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def check_proofs(
    home: Path,
    committee: Sequence[str],
    epoch: int,
    dataset_id: int,
    exports: Sequence[DemoExport],
    outcomes: Sequence[ContributorOutcome],
    *,
    policy: ProofPolicy | None = None,
    registry: ProofRegistry | None = None,
) -> ProofCheck:
    """Check the first committee member that wrote both its journal and its label.

    Args:
        home: the demo's data dir (the devnet home).
        committee: the epoch's scoring committee (``ScoringOutcome.committee``).
        epoch, dataset_id: the scored epoch.
        exports: what ``make_exports`` wrote (which proofs each contributor attached).
        outcomes: ``contribute_all``'s outcomes (file ids, addresses, sealed canonical bytes).
        policy: the dataset's proof policy; default the devnet spec's.

    Raises:
        DemoCheckFailed: no validator wrote a journal and label, or the policy was not applied
            as it says.
    """
    policy = policy if policy is not None else policy_from_spec(SPEC_FILE)
    for v in committee:
        base = home / "validator" / v
        journal = _read(base / "journal" / f"{dataset_id}-{epoch}.json")
        report = _read(base / "labels" / f"epoch-{epoch}" / "report.json")
        if report is None:
            report = _read(base / "labels" / f"epoch-{epoch}.json")
        if journal is not None and report is not None:
            return judge(journal, report, exports, outcomes, policy, registry, validator=v)
    raise DemoCheckFailed(
        f"no committee validator of epoch {epoch} wrote both its journal and its nutrition "
        "label: the proof policy cannot be checked"
    )


def _key(raw: object) -> str:
    return str(raw).removeprefix("0x").lower()


def _committed(journal: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    """File key -> committed nano units, and file key -> reason, from a journal record."""
    ids, units = journal.get("file_ids"), journal.get("units")
    if not isinstance(ids, list) or not isinstance(units, list) or len(ids) != len(units):
        raise DemoCheckFailed("the validator's journal holds no per-file units")
    reasons = journal.get("reasons")
    return (
        {_key(f): int(u) for f, u in zip(ids, units, strict=True)},
        {_key(k): str(v) for k, v in (reasons if isinstance(reasons, dict) else {}).items()},
    )


def _values(report: Mapping[str, Any]) -> dict[str, int]:
    """File key -> the engine's basis points before the proof policy, from report.json."""
    rows = report.get("contributors")
    if not isinstance(rows, list):
        raise DemoCheckFailed("the nutrition label lists no contributors")
    return {_key(r["id"]): int(r["bps"]) for r in rows if isinstance(r, dict) and "id" in r}


def judge(
    journal: Mapping[str, Any],
    report: Mapping[str, Any],
    exports: Sequence[DemoExport],
    outcomes: Sequence[ContributorOutcome],
    policy: ProofPolicy,
    registry: ProofRegistry | None = None,
    *,
    validator: str = "",
) -> ProofCheck:
    """The pure check (see the module docstring) over one validator's journal and report.

    Raises:
        DemoCheckFailed: the policy was not applied as it says, or the demo's own data does not
            show it (an honest proof that does not verify, a thief worth nothing).
    """
    if not policy.requires_proof:
        raise DemoCheckFailed("the dataset's proof policy requires nothing: nothing to show")
    committed, reasons = _committed(journal)
    values = _values(report)
    by_name = {e.name: e for e in exports}
    judged: list[tuple[ContributorOutcome, DemoExport, tuple[str, ...], str | None, int]] = []
    for o in outcomes:
        export = by_name.get(o.name)
        if export is None:  # mallory's copy: not an export, valued 0 by the copy rule
            continue
        if o.file_key not in committed:
            raise DemoCheckFailed(f"the validator's journal does not list {o.name}'s file")
        subject, proofs = subject_of_canonical(o.canonical)
        verdicts = verify_proofs(subject, proofs, o.address, policy, registry)
        if len(proofs) != len(export.proofs):
            raise DemoCheckFailed(f"{o.name}'s sealed file does not carry its proofs")
        method = next((v.method for v in verdicts if v.ok), None)
        value = values.get(o.file_key, 0)
        after = value if method is not None else policy.unproven_bps(value)
        judged.append((o, export, tuple(v.describe() for v in verdicts), method, after))
    whole = sum(after for *_, after in judged)
    rows: list[ProofRow] = []
    for o, export, verdicts_text, method, after in judged:
        row = ProofRow(
            name=o.name,
            kind=export.kind.value,
            verdicts=verdicts_text,
            method=method,
            value_bps=values.get(o.file_key, 0),
            after_bps=after,
            score_bps=round(committed[o.file_key] * whole / UNITS),
            reason=reasons.get(o.file_key, ""),
        )
        rows.append(row)
    # whose proof verifies is the demo's own data: checked before any value
    for row in rows:
        if row.kind == ContributorKind.HONEST and row.method is None:
            raise DemoCheckFailed(
                f"{row.name}'s ownership proof does not verify "
                f"({'; '.join(row.verdicts) or 'none'})"
            )
        if row.kind == ContributorKind.THIEF and row.method is not None:
            raise DemoCheckFailed(f"{row.name} submitted another's export and it verified: {row}")
    # then the thief: his value moves the normalisation every other row is read back through
    for row in rows:
        if row.kind == ContributorKind.THIEF:
            _check_thief(row, policy)
    for row in rows:
        if row.kind == ContributorKind.HONEST:
            _check_proven(row)
    if not any(r.kind == ContributorKind.THIEF for r in rows):
        raise DemoCheckFailed("the demo has no contributor without a valid proof")
    label = report.get("proofs")
    if label is not None:
        _check_label(label, rows, committed)
    return ProofCheck(validator, policy_words(policy), tuple(rows), label)


def _check_proven(row: ProofRow) -> None:
    if row.method is None:
        raise DemoCheckFailed(
            f"{row.name}'s ownership proof does not verify ({'; '.join(row.verdicts) or 'none'})"
        )
    if row.value_bps <= 0:
        raise DemoCheckFailed(f"{row.name} (honest, proven) has no value ({row.reason})")
    if abs(row.score_bps - row.value_bps) > 1 or _PROOF_REASON in row.reason:
        raise DemoCheckFailed(
            f"{row.name} is proven by {row.method} but the validator committed "
            f"{row.score_bps} bps of a {row.value_bps} bps value ({row.reason or 'no reason'})"
        )


def _check_thief(row: ProofRow, policy: ProofPolicy) -> None:
    if row.method is not None:
        raise DemoCheckFailed(f"{row.name} submitted another's export and it verified: {row}")
    if not row.verdicts:
        raise DemoCheckFailed(f"{row.name} attached no proof: the demo shows a failed one")
    if row.value_bps <= 0:
        raise DemoCheckFailed(
            f"{row.name}'s stolen export has no value before the policy "
            f"({row.reason or 'no reason'}): the demo would not show the policy"
        )
    expected = policy.unproven_bps(row.value_bps)
    if row.after_bps != expected or abs(row.score_bps - expected) > 1:
        raise DemoCheckFailed(
            f"{row.name} is unproven: expected {expected} bps ({policy_words(policy)} of "
            f"{row.value_bps}), the validator committed {row.score_bps}"
        )
    if expected != row.value_bps and not row.reason.startswith(_PROOF_REASON):
        raise DemoCheckFailed(f"{row.name}'s reduced score gives no proof reason: {row.reason!r}")


def _check_label(label: object, rows: Sequence[ProofRow], committed: Mapping[str, int]) -> None:
    """The label's counts must equal the sums over the files (the epoch holds only these)."""
    if not isinstance(label, dict):
        raise DemoCheckFailed("the nutrition label's proofs section is not an object")
    proven = [r for r in rows if r.method is not None]
    unproven = [r for r in rows if r.method is None]
    methods: dict[str, dict[str, int]] = {}
    for r in proven:
        m = methods.setdefault(str(r.method), {"files": 0, "value_bps": 0})
        m["files"] += 1
        m["value_bps"] += r.after_bps
    expected = {
        "files": len(rows),
        "proven_files": len(proven),
        "unproven_files": len(unproven),
        "proven_bps": sum(r.after_bps for r in proven),
        "unproven_bps_before_policy": sum(r.value_bps for r in unproven),
        "unproven_bps_after_policy": sum(r.after_bps for r in unproven),
        "by_method": methods,
    }
    if len(committed) != len(rows):  # files not from the demo: only the proven side is exact
        expected = {k: expected[k] for k in ("proven_files", "proven_bps", "by_method")}
    wrong = {k: (label.get(k), v) for k, v in expected.items() if label.get(k) != v}
    if wrong:
        shown = ", ".join(f"{k} {got!r} (expected {want!r})" for k, (got, want) in wrong.items())
        raise DemoCheckFailed(f"the nutrition label's proof counts are wrong: {shown}")
