"""Attack bench for the valuation checks (issue #18): who is paid when contributors game it.

Run (fixed seeds; about a minute on one busy core):

    .venv/bin/python scripts/bench/valuation_attacks.py --threads 1

A text task of one domain: five honest sources (four prose sources that share a Zipf-weighted
vocabulary but each have their own topic words, one of package-index-like templated
descriptions) and a validation set drawn from four of them (one prose source is in the domain
but not in the validation set). Each attack is valued in its own epoch against the same honest
contributors, registered after them, with the spec given (default: the devnet's, the default
``ValuationSpec``). Printed per attack: the attacker's basis points and flags, and the victim's
change (for copies: the original's pay over its unattacked pay; otherwise: the honest
contributors' total pay over theirs without the attack). The sybil table also says where a
gain would come from: the identities' summed value over the unsplit one, and the other
contributors' summed value over theirs unsplit (``--sybil-only --sybil-epochs E`` reruns it
alone, summing E epoch seeds per world). The prose sources have word order
(``prose_records(phrase_rate=...)``), so a word shuffle of them is noise, as it is of real text.
``--stability`` adds the L1 distance between payout shares under different epoch seeds on the
bench tasks.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import torch

from validator.valuation.backends import LocalBackend, device_label, resolve_device
from validator.valuation.data import Contribution, Record
from validator.valuation.pipeline import ValuationResult, value_epoch
from validator.valuation.spec import CheckSpec, FeaturizerSpec, TrainSpec, ValuationSpec
from validator.valuation.synthetic import (
    made_up_words,
    paraphrase,
    prose_records,
    shuffle_sentences,
    templated_records,
)

HONEST = ("hA", "hB", "hC", "hD", "hT")
PHRASE_RATE = 0.5  # prose with word order (synthetic.prose_records), so a word shuffle is noise


@dataclass(frozen=True)
class World:
    """One data seed's honest sources, validation set and pool, and material for attacks."""

    honest: list[Contribution]
    validation: list[Record]
    pool: list[Record]
    shared: list[str]
    fresh_a: list[Record]  # more honest text of source A (attack filler)


def world(seed: int, per: int = 40, val_per: int = 25) -> World:
    rng = np.random.default_rng(7_000 + seed)
    words = made_up_words(rng, 1500 + 4 * 150 + 300, syllables=3)
    shared, own = words[:1500], [words[1500 + 150 * k : 1650 + 150 * k] for k in range(4)]
    names = words[2100:]

    def src(k: int, n: int) -> list[Record]:
        return prose_records(rng, n, shared, own[k], phrase_rate=PHRASE_RATE)

    honest = [Contribution(f"h{'ABCD'[k]}", tuple(src(k, per))) for k in range(4)]
    honest.append(Contribution("hT", tuple(templated_records(rng, per, names[150:]))))
    validation = [r for k in range(3) for r in src(k, val_per)]
    validation += templated_records(rng, val_per, names[:150])
    pool = [r for k in range(3) for r in src(k, 4)] + templated_records(rng, 4, names[:150])
    return World(honest, validation, pool, shared, src(0, per))


Attack = Callable[[World, np.random.Generator], list[Contribution]]


def _one(name: str, recs: list[Record]) -> list[Contribution]:
    return [Contribution(name, tuple(recs))]


def attacks() -> dict[str, tuple[Attack, str]]:
    """name -> (builder, victim): victim 'honest' = all honest contributors' total pay."""
    out: dict[str, tuple[Attack, str]] = {
        "val exact copy": (lambda w, r: _one("x", list(w.validation)), "honest"),
    }

    def para(p: float) -> Attack:
        return lambda w, r: _one("x", paraphrase(w.validation, r, p, w.shared))

    for p in (0.1, 0.2, 0.25, 0.4, 0.6):
        out[f"val paraphrase {int(p * 100)}%"] = (para(p), "honest")
    out["val sentence shuffle"] = (
        lambda w, r: _one("x", shuffle_sentences(w.validation, r)),
        "honest",
    )
    out["val shuffle + 40% paraphrase"] = (
        lambda w, r: _one("x", paraphrase(shuffle_sentences(w.validation, r), r, 0.4, w.shared)),
        "honest",
    )
    out["val halves (partial copies)"] = (
        lambda w, r: _one("x", [Record(" ".join(v.text.split()[: len(v.text.split()) // 2]))
                                for v in w.validation]),
        "honest",
    )  # fmt: skip
    out["20% of val + honest filler"] = (
        lambda w, r: _one("x", list(w.validation[::5]) + w.fresh_a),
        "honest",
    )
    out["exact copy of hA"] = (lambda w, r: _one("x", list(w.honest[0].records)), "hA")
    out["30% paraphrase of hA"] = (
        lambda w, r: _one("x", paraphrase(list(w.honest[0].records), r, 0.3, w.shared)),
        "hA",
    )
    out["word-shuffled noise"] = (
        lambda w, r: _one(
            "x", [Record(" ".join(r.permutation(v.text.split()))) for v in w.fresh_a]
        ),
        "honest",
    )
    out["respelled 3 val items (concentration)"] = (
        lambda w, r: _one("x", respelled(w.validation[:3], r, 40)),
        "honest",
    )
    return out


def respelled(items: list[Record], rng: np.random.Generator, n: int) -> list[Record]:
    """``n`` records that each re-spell one of ``items`` with its spaces moved to random places
    (one every 6 characters on average): byte n-grams mostly survive, words do not,
    so word containment sees unknown words while a byte n-gram LM gains on those few items."""
    out: list[Record] = []
    for i in range(n):
        text = items[i % len(items)].text.replace(" ", "")
        cuts = [0, *sorted(int(c) for c in rng.choice(len(text), len(text) // 6, replace=False)
                           if c > 0), len(text)]  # fmt: skip
        out.append(Record(" ".join(text[a:b] for a, b in pairwise(cuts) if b > a)))
    return out


def epoch_seed(label: str) -> bytes:
    return hashlib.sha256(f"datadao attack bench {label}".encode()).digest()


def run(spec: ValuationSpec, w: World, extra: list[Contribution], seed: bytes,
        backend: LocalBackend, drop: str | None = None) -> ValuationResult:  # fmt: skip
    honest = [c for c in w.honest if c.contributor != drop]
    contribs = honest + extra
    return value_epoch(spec, contribs, w.validation, w.pool, seed, backend,
                       registered=list(range(len(contribs))))  # fmt: skip


def bps_of(res: ValuationResult) -> dict[str, int]:
    return {c.contributor: int(c.bps) for c in res.contributors}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=3, help="data seeds (worlds)")
    ap.add_argument("--spec", type=Path, default=None, help="spec JSON (default: ValuationSpec())")
    ap.add_argument("--models", type=int, default=None, help="override n_models")
    ap.add_argument("--write-results", type=Path, default=None)
    ap.add_argument("--no-attacks", action="store_true")
    ap.add_argument(
        "--stability",
        default="",
        help="comma-separated seed-stability tasks: demo, text, breast_cancer, digits",
    )
    ap.add_argument("--stability-seeds", type=int, default=4)
    ap.add_argument("--max-models", type=int, default=None, help="override max_models")
    ap.add_argument("--sybil-only", action="store_true", help="skip the other attacks")
    ap.add_argument(
        "--sybil-epochs", type=int, default=1, help="epoch seeds per world in the sybil ratio"
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    spec = ValuationSpec.from_json(args.spec.read_text()) if args.spec else ValuationSpec()
    if args.models is not None:
        spec = dataclasses.replace(spec, n_models=args.models)
    if args.max_models is not None:
        spec = dataclasses.replace(spec, max_models=args.max_models)
    device = resolve_device(args.device)
    backend = LocalBackend(args.device)
    lines: list[str] = []

    def out(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    out("# Valuation attack bench")
    out("")
    out(f"command: `.venv/bin/python {' '.join(sys.argv)}`")
    out(f"spec digest {spec.digest()} (model {spec.model}, M={spec.n_models}); ")
    out(f"{device_label(device)}; data seeds 0..{args.seeds - 1}")
    out("")
    if args.stability:
        out("## Seed stability: payout shares of one epoch under different epoch seeds")
        out("")
        stability(spec, backend, args.stability_seeds, args.stability.split(","), out)
        out("")
    if args.no_attacks:
        if args.write_results is not None:
            args.write_results.write_text("\n".join(lines) + "\n")
        return 0
    worlds = [world(s) for s in range(args.seeds)]
    base = [run(spec, w, [], epoch_seed(f"w{s}"), backend) for s, w in enumerate(worlds)]
    fp = [c.contributor for b in base for c in b.contributors if c.flags]
    out(f"no attack: honest bps per seed {[list(bps_of(b).values()) for b in base]}; "
        f"honest flagged: {fp or 'none'}")  # fmt: skip
    for b in base:
        for c in b.contributors:
            if c.flags:
                out(f"  {c.contributor}: {'; '.join(c.flags)}")
    out("")
    if not args.sybil_only:
        out("| attack | attacker bps (per seed) | attacker flagged | victim | victim pay / "
            "unattacked | honest flagged |")  # fmt: skip
        out("|---|---|---|---|---|---|")
    for name, (build, victim) in [] if args.sybil_only else attacks().items():
        abps: list[int] = []
        ratio: list[float] = []
        reasons: set[str] = set()
        aflag = hflag = 0
        for s, w in enumerate(worlds):
            rng = np.random.default_rng(hash_int(name, s))
            res = run(spec, w, build(w, rng), epoch_seed(f"w{s}"), backend)
            got, was = bps_of(res), bps_of(base[s])
            abps.append(got["x"])
            flags = next(c.flags for c in res.contributors if c.contributor == "x")
            aflag += bool(flags)
            reasons.update(f.split(":")[0] for f in flags)
            hflag += sum(bool(c.flags) for c in res.contributors if c.contributor in HONEST)
            if victim == "honest":
                ratio.append(sum(got[h] for h in HONEST) / max(sum(was[h] for h in HONEST), 1))
            else:
                ratio.append(got[victim] / max(was[victim], 1))
        out(f"| {name} | {np.mean(abps):.0f} ({', '.join(map(str, abps))}) | "
            f"{aflag}/{len(worlds)} {'/'.join(sorted(reasons))} | {victim} | "
            f"{np.mean(ratio):.3f} (min {min(ratio):.3f}) | {hflag} |")  # fmt: skip
    out("")
    sybil(spec, worlds, base, backend, out, args.sybil_epochs)
    out("")
    if args.write_results is not None:
        args.write_results.write_text("\n".join(lines) + "\n")
    return 0


def sybil(spec: ValuationSpec, worlds: list[World], base: list[ValuationResult],
          backend: LocalBackend, out: Callable[[str], None], epochs: int = 1) -> None:  # fmt: skip
    """hB split into k identities registered where hB was: the identities' pay over hB's, and
    where it comes from: their summed value over hB's, and the other contributors' summed value
    over theirs without the split (a fall there is what made splitting pay). With ``epochs`` >
    1 each world's figures are sums over that many epoch seeds (the first is the attack table's)
    before the ratio, which averages out estimator noise in both numerator and denominator."""
    out("| sybil split of hB | paid to identities / paid unsplit (per seed) | mean "
        "| identities' value / hB's (per seed) | others' value / unsplit (per seed) |")  # fmt: skip
    out("|---|---|---|---|---|")
    others = ("hA", "hC", "hD", "hT")
    for k in (2, 4):
        ratios, ids, oth = [], [], []
        for s, w in enumerate(worlds):
            recs = list(w.honest[1].records)
            parts = [Contribution(f"hB{i}", tuple(recs[i::k])) for i in range(k)]
            tot = np.zeros(6)  # split pay, unsplit pay, ids' value, hB's, others' split, unsplit
            for e in range(epochs):
                label = f"w{s}" if e == 0 else f"w{s} e{e}"
                b0 = base[s] if e == 0 else run(spec, w, [], epoch_seed(label), backend)
                res = run(spec, w, parts, epoch_seed(label), backend, drop="hB")
                got, was = bps_of(res), bps_of(b0)
                v = {c.contributor: c.value for c in res.contributors}
                v0 = {c.contributor: c.value for c in b0.contributors}
                tot += [sum(got[f"hB{i}"] for i in range(k)), was["hB"],
                        sum(v[f"hB{i}"] for i in range(k)), v0["hB"],
                        sum(v[h] for h in others), sum(v0[h] for h in others)]  # fmt: skip
            ratios.append(tot[0] / max(tot[1], 1))
            ids.append(tot[2] / tot[3])
            oth.append(tot[4] / tot[5])
        cells = [", ".join(f"{r:.3f}" for r in x) for x in (ratios, ids, oth)]
        out(f"| k={k} | {cells[0]} | {np.mean(ratios):.3f} | {cells[1]} | {cells[2]} |")


# --------------------------------------------------------------------------- seed stability


def tabular(name: str, seed: int, per: int) -> tuple[list[Contribution], list[Record], set[str]]:
    """A small sklearn tabular task split across contributors of ``per`` rows, one of which has
    random labels (``noise``). Features are standardised on the contributors' rows."""
    from sklearn.datasets import load_breast_cancer, load_digits

    x, y = (load_breast_cancer if name == "breast_cancer" else load_digits)(return_X_y=True)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    x, y = x[perm], y[perm]
    n_contrib = 20
    n = n_contrib * per
    mu, sd = x[:n].mean(axis=0), x[:n].std(axis=0) + 1e-9
    x = (x - mu) / sd
    classes = np.unique(y)

    def row(v: np.ndarray) -> str:
        return " ".join(f"{a:.3f}" for a in v)

    contribs = []
    for j in range(n_contrib):
        idx = range(j * per, (j + 1) * per)
        labels = [int(rng.choice(classes)) if j == 0 else int(y[i]) for i in idx]
        name_j = "noise" if j == 0 else f"c{j:02d}"
        contribs.append(
            Contribution(
                name_j,
                tuple(Record(row(x[i]), str(lb)) for i, lb in zip(idx, labels, strict=True)),
            )
        )
    val = [Record(row(x[i]), str(int(y[i]))) for i in range(n, len(y))]
    return contribs, val, {"noise"}


def demo_epoch(seed: int) -> tuple[list[Contribution], list[Record]]:
    """The devnet demo's six exports (three honest, copier, noise, validation copy), parsed,
    scrubbed and canonicalised as its contributors' pipelines do, and its validation set."""
    import tempfile

    from node.demo.data import make_exports
    from node.devnet.validation import synthetic_validation_set
    from node.parsers import parse_export, scrub_export
    from node.parsers.canonical import canonicalize
    from validator.daemon.scoring import records_of

    val = synthetic_validation_set()
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "validation.jsonl"
        plain.write_bytes(val.data)
        exports = make_exports(Path(tmp) / "exports", seed=seed, validation_plaintext=plain)
        contribs = [
            Contribution(
                e.name,
                records_of(
                    canonicalize(scrub_export(parse_export(e.path, platform=e.platform))).data
                ),
            )
            for e in exports
        ]
    return contribs, list(records_of(val.data))


def tabular_spec(base: ValuationSpec) -> ValuationSpec:
    return dataclasses.replace(
        base,
        model="classifier",
        featurizer=FeaturizerSpec(kind="numeric", scale=1.0),
        training=TrainSpec(steps=50, lr=0.1, l2=1.0),
        checks=CheckSpec(near_dup_threshold=None),
        model_chunk=64,
        curve_fractions=(0.125, 0.25, 1.0),
    )


def stability(spec: ValuationSpec, backend: LocalBackend, seeds: int, tasks: list[str],
              out: Callable[[str], None]) -> None:  # fmt: skip
    """L1 distance between payout shares of the same epoch under ``seeds`` epoch seeds."""
    out(f"| task | spec M / max | M used per seed | L1 mean (max) over {seeds * (seeds - 1) // 2}"
        " pairs | predicted L1 | noise bps per seed | flagged |")  # fmt: skip
    out("|---|---|---|---|---|---|---|")
    for task in tasks:
        pool: list[Record] = []
        noise: set[str] = set()
        registered = None
        tspec = spec
        if task == "demo":
            contribs, val = demo_epoch(1)
            registered = list(range(len(contribs)))
        elif task == "text":
            w = world(0)
            contribs, val, pool = list(w.honest), w.validation, w.pool
            registered = list(range(len(contribs)))
        elif task in ("breast_cancer", "digits"):
            contribs, val, noise = tabular(task, 0, 17 if task == "breast_cancer" else 60)
            tspec = tabular_spec(spec)
        else:
            raise SystemExit(f"unknown task {task}")
        results = [
            value_epoch(
                tspec,
                contribs,
                val,
                pool,
                epoch_seed(f"{task} {k}"),
                backend,
                registered=registered,
            )
            for k in range(seeds)
        ]
        shares = [np.array([c.bps for c in r.contributors]) / 10_000 for r in results]
        l1 = [
            float(np.abs(shares[a] - shares[b]).sum())
            for a in range(seeds)
            for b in range(a + 1, seeds)
        ]
        noise_bps = [sum(c.bps for c in r.contributors if c.contributor in noise) for r in results]
        flagged = sorted({c.contributor for r in results for c in r.contributors if c.flags})
        out(f"| {task} | {tspec.n_models} / {tspec.max_models} | "
            f"{', '.join(str(r.n_models_used) for r in results)} | {np.mean(l1):.4f} "
            f"({max(l1):.4f}) | {max(r.predicted_l1 for r in results):.4f} | "
            f"{', '.join(map(str, noise_bps)) if noise else '-'} | "
            f"{', '.join(flagged) or '-'} |")  # fmt: skip


def hash_int(name: str, s: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{name} {s}".encode()).digest()[:8], "big")


if __name__ == "__main__":
    sys.exit(main())
