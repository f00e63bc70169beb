"""ValuationSpec: every knob that changes a value, frozen, versioned and hashed for the chain.

Two validators holding specs with the same :meth:`ValuationSpec.digest` and the same epoch seed
train the same subset models on the same data and report the same values. Anything that would
change a value (featurizer, model, optimiser settings, number of subsets, rounding, the
duplicate/contamination thresholds that zero contributors) therefore lives here and nowhere else.

The digest is sha256 over the canonical JSON form: keys sorted, no whitespace, floats in
Python's shortest round-trip ``repr``. It is what the DAO registers on chain per dataset.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from node.proofs.params import ProofPolicy, ProofPolicyError
from validator.valuation.errors import SpecError

__all__ = [
    "SPEC_VERSION",
    "CheckSpec",
    "Contested",
    "Estimator",
    "FeaturizerKind",
    "FeaturizerSpec",
    "ModelKind",
    "Precision",
    "TrainSpec",
    "ValuationSpec",
]

SPEC_VERSION = 1

ModelKind = Literal["ngram", "neural", "classifier"]
FeaturizerKind = Literal["bytes", "words", "hashed-ngrams", "numeric"]
Utility = Literal["val_loglik"]
Precision = Literal["fp64", "fp32"]
Contested = Literal["first_registered", "everyone_loses"]
Estimator = Literal["banzhaf", "loo", "auto"]


@dataclass(frozen=True, slots=True)
class FeaturizerSpec:
    """How records become model inputs.

    ``bytes``/``words`` tokenise text for language models (``words`` hashes whitespace tokens into
    ``buckets`` ids); ``hashed-ngrams`` is a bag of byte n-grams (1..``order``) hashed into
    ``buckets`` dimensions, for classifiers over text; ``numeric`` reads whitespace-separated
    numbers from the text field and multiplies them by ``scale`` (tabular data such as digits).
    """

    kind: FeaturizerKind = "bytes"
    order: int = 3
    buckets: int = 4096
    scale: float = 1.0


@dataclass(frozen=True, slots=True)
class TrainSpec:
    """Optimisation of the batched proxy models.

    Softmax models (neural, classifier) minimise the mean weighted cross-entropy plus
    ``l2/2 * |W|^2 / (n + 1)`` with full-batch Adam for exactly ``steps`` steps (the sklearn
    ``LogisticRegression(C=1/l2)`` objective, rescaled so one learning rate fits every subset
    size). ``hidden > 0`` inserts one ReLU layer. ``smoothing`` is the Dirichlet prior strength of
    the n-gram LM's interpolation with lower orders.

    ``precision`` is the floating-point type the softmax models train in (TF32 is always off).
    ``fp64`` is the default because validators on different hardware must agree: in fp32 a CPU
    and an H100 summing in different orders drift apart through Adam's normalised steps, by up
    to 7e-5 nats in a subset's utility and several 1e-4 units in a value, so their rounded
    scores differ; in fp64 they agree to about 1e-12. On an H100 fp64 keeps 0.67-0.74x of the
    fp32 rate (FP64 tensor cores; README, Benchmarks), far above what an epoch needs. ``fp32``
    suits a DAO whose validators all run the same hardware.
    """

    steps: int = 100
    lr: float = 0.1
    l2: float = 1.0
    hidden: int = 0
    smoothing: float = 1.0
    precision: Precision = "fp64"


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """Thresholds of the checks that zero a contributor before it is valued (see checks.py).

    ``contested`` says who keeps a record that several contributors of an epoch hold: the one
    registered first on chain (``first_registered``), or nobody (``everyone_loses``).

    ``containment_margin`` switches near matching against the validation set and the pool from
    MinHash to word containment (containment.py; text featurizers only, numeric rows skip it):
    a record of ``containment_min_words`` words or more matches when its weighted containment
    in its best reference record exceeds that in the second best by this margin (template text
    matches many references equally and cancels; a paraphrase matches one). A contributor whose
    records' mean margin against the validation set reaches ``containment_mean`` is flagged
    even when few records cross the record threshold (heavy paraphrases). ``None`` keeps
    MinHash, and so do validation sets and pools of fewer than ``containment_min_reference``
    records, where word weights and the second-best match are too noisy to tell a template
    from a copy. ``containment_candidates`` bounds the records each record is compared with in
    the collections that grow with the DAO (the epoch's own records and the pool; the
    validation set is fixed and compared in full): containment.py says how, and why the bound
    can only clear a record the full comparison would flag, never the reverse. ``None`` compares
    every candidate (cost quadratic in an epoch whose records share words).

    ``word_order_min_lift`` flags a contributor whose adjacent word pairs recur in its own text
    less than this many times as often as those of the same words in random order
    (wordorder.py: word-shuffled text has a lift near 1, natural text well above); judged only
    with ``word_order_min_pairs`` pairs or more and a chance level of at least
    ``word_order_min_chance``. ``concentration_max`` flags a contributor more than that
    fraction of whose gain on the validation set comes from its ``concentration_top``
    validation items with the largest gains (pipeline.py): data tailored to a few validation
    items. Both ``None`` (off) by default; fields at their defaults are left out of the
    canonical JSON, so earlier digests do not change."""

    min_chars: int = 1
    shingle: int = 5
    num_perm: int = 128
    near_dup_threshold: float | None = 0.8
    min_record_chars: int = 32
    max_duplicate_fraction: float = 0.5
    max_validation_overlap: float = 0.05
    contested: Contested = "first_registered"
    containment_margin: float | None = 0.25
    containment_mean: float = 0.08
    containment_min_words: int = 8
    containment_min_reference: int = 50
    containment_candidates: int | None = None
    word_order_min_lift: float | None = None
    word_order_min_pairs: int = 200
    word_order_min_chance: float = 0.005
    concentration_max: float | None = None
    concentration_top: int = 5


# CheckSpec fields added after digests were registered: omitted from the canonical JSON while
# they hold these defaults, so a spec that does not use them keeps its digest.
_LATE_CHECKS: dict[str, object] = {
    "word_order_min_lift": None,
    "word_order_min_pairs": 200,
    "word_order_min_chance": 0.005,
    "concentration_max": None,
    "concentration_top": 5,
    "containment_candidates": None,
}


@dataclass(frozen=True, slots=True)
class ValuationSpec:
    """The pinned valuation procedure for one dataset. See the module docstring.

    Attributes:
        model: proxy model family: ``ngram`` LM, ``neural`` hashed-feature LM, ``classifier``.
        n_models: M, the number of Banzhaf subset models per epoch.
        model_chunk: models trained together in one tensor program. Local and Ray backends both
            train exactly these chunks, which is why their results are bitwise equal.
        antithetic: subsets come in complementary pairs (masks.py); lowers estimator variance.
        curve_fractions: extra subsets (inclusion probability p, over the contributors of
            non-negative value) that anchor the learning curve.
        decimals: values are rounded to this many decimals (nats) before they become scores.
        block_chars: the game's players are blocks of about this many characters of a
            contributor's kept records (records in content-hash order, packed into
            ``max(1, round(chars / block_chars))`` blocks), and a contributor is paid the sum of
            its blocks' values. Identities are not data: splitting one's data over k identities
            then leaves the players (and so everyone's value) as they were, up to one block's
            rounding per identity, where with one player per contributor it lowered the others'
            values and raised the splitter's share (pipeline.py). 0: one player per contributor.
            Omitted from the canonical JSON while 0, so earlier digests do not change.
        estimator: ``banzhaf`` (sampled Banzhaf over M subset models, estimator.py) or ``loo``
            (exact leave-one-out on the full pool, influence.py; n-gram model only, no subset
            models, deterministic, O(n) at any n: sampled Banzhaf needs M growing with the
            number of contributors, scripts/bench/RESULTS-valuation-scale.md). Omitted from the
            canonical JSON while ``banzhaf``, so earlier digests do not change. ``auto``:
            Banzhaf up to ``loo_above`` players, leave-one-out above (an epoch of thousands of
            files is valued in seconds, a small one keeps the game-theoretic value).
        loo_above: the player count above which ``auto`` switches to leave-one-out (written in
            the canonical JSON only with ``auto``).
        loo_decimals: ``decimals`` for leave-one-out values (``None``: ``decimals``). Removing
            one of 10,000 files moves the validation log-likelihood by about 1e-6 nats, under
            a 4-decimal quantum: every value rounded to 0 and the epoch paid nobody. The
            leave-one-out arithmetic is deterministic fp64 on CPU (influence.py), so it can be
            rounded finer than trained models' values. Omitted from the canonical JSON while
            ``None``.
        proofs: ownership-proof parameters and the policy for unproven files
            (``node/proofs/params.py``, applied by ``validator/proofs.py``). Omitted from the
            canonical JSON while it is the default (no proof required), so the digests of specs
            written before proofs existed do not change.
    """

    model: ModelKind = "ngram"
    featurizer: FeaturizerSpec = field(default_factory=FeaturizerSpec)
    training: TrainSpec = field(default_factory=TrainSpec)
    checks: CheckSpec = field(default_factory=CheckSpec)
    n_models: int = 128
    model_chunk: int = 16
    antithetic: bool = True
    curve_fractions: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0)
    utility: Utility = "val_loglik"
    decimals: int = 4
    loo_decimals: int | None = None
    max_models: int = 0
    stable_l1: float = 0.03
    block_chars: int = 0
    estimator: Estimator = "banzhaf"
    loo_above: int = 512
    version: int = SPEC_VERSION
    proofs: ProofPolicy = field(default_factory=ProofPolicy)

    def __post_init__(self) -> None:
        if self.version != SPEC_VERSION:
            raise SpecError(f"unknown ValuationSpec version {self.version}")
        if self.model not in get_args(ModelKind):
            raise SpecError(f"unknown model {self.model!r}")
        if self.featurizer.kind not in get_args(FeaturizerKind):
            raise SpecError(f"unknown featurizer {self.featurizer.kind!r}")
        text_lm = self.featurizer.kind in ("bytes", "words")
        if self.model in ("ngram", "neural") and not text_lm:
            raise SpecError(f"{self.model} needs a bytes or words featurizer")
        if self.model == "classifier" and text_lm:
            raise SpecError("classifier needs a hashed-ngrams or numeric featurizer")
        if self.n_models < 2 or self.model_chunk < 1:
            raise SpecError("n_models must be >= 2 and model_chunk >= 1")
        if self.antithetic and self.n_models % 2:
            raise SpecError("antithetic masks need an even n_models")
        if not 1 <= self.featurizer.order <= 8 or self.featurizer.buckets < 2:
            raise SpecError("featurizer order must be 1..8 and buckets >= 2")
        if self.training.steps < 0 or self.training.hidden < 0 or self.training.smoothing <= 0:
            raise SpecError("steps and hidden must be >= 0 and smoothing > 0")
        if not all(0.0 < p <= 1.0 for p in self.curve_fractions):
            raise SpecError("curve fractions must lie in (0, 1]")
        if self.training.precision not in get_args(Precision):
            raise SpecError(f"unknown precision {self.training.precision!r}; use fp64 or fp32")
        if self.max_models and (
            self.max_models < self.n_models or (self.antithetic and self.max_models % 2)
        ):
            raise SpecError("max_models must be 0 or an (even, if antithetic) M >= n_models")
        if not 0.0 < self.stable_l1 < 2.0:
            raise SpecError("stable_l1 must lie in (0, 2)")
        if self.loo_above < 1:
            raise SpecError("loo_above must be >= 1")
        if self.block_chars < 0:
            raise SpecError("block_chars must be >= 0 (0: one player per contributor)")
        if self.estimator not in get_args(Estimator):
            raise SpecError(f"unknown estimator {self.estimator!r}; use banzhaf, loo or auto")
        if self.estimator in ("loo", "auto") and self.model != "ngram":
            raise SpecError("the loo estimator is exact for the ngram count model only")
        if not 0 <= self.decimals <= 9:
            raise SpecError("decimals must be 0..9")
        if self.loo_decimals is not None and not 0 <= self.loo_decimals <= 12:
            raise SpecError("loo_decimals must be 0..12 or null")
        cm = self.checks.containment_margin
        if (cm is not None and not 0.0 < cm <= 1.0) or not self.checks.containment_mean > 0.0:
            raise SpecError("containment_margin must be in (0, 1] or null, containment_mean > 0")
        cc = self.checks.containment_candidates
        if cc is not None and cc < 1:
            raise SpecError("containment_candidates must be at least 1 or null")
        c = self.checks
        if (c.word_order_min_lift is not None and not c.word_order_min_lift > 0.0) or (
            c.concentration_max is not None and not 0.0 < c.concentration_max <= 1.0
        ):
            raise SpecError("word_order_min_lift must be > 0 and concentration_max in (0, 1]")
        if c.word_order_min_pairs < 1 or c.word_order_min_chance < 0.0 or c.concentration_top < 1:
            raise SpecError(
                "word_order_min_pairs and concentration_top must be >= 1, min_chance >= 0"
            )
        if self.checks.contested not in get_args(Contested):
            raise SpecError(
                f"unknown contested rule {self.checks.contested!r}; "
                "use first_registered or everyone_loses"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples become lists)."""
        return cast(dict[str, Any], json.loads(self.canonical_json()))

    def canonical_json(self) -> str:
        """The exact string the digest is taken over."""
        raw = dataclasses.asdict(self)
        if self.proofs.is_default():
            del raw["proofs"]
        if not self.block_chars:
            del raw["block_chars"]
        for key, default in _LATE_CHECKS.items():
            if raw["checks"][key] == default:
                del raw["checks"][key]
        if self.estimator == "banzhaf":
            del raw["estimator"]
        if self.estimator != "auto":
            del raw["loo_above"]
        if self.loo_decimals is None:
            del raw["loo_decimals"]
        return json.dumps(raw, sort_keys=True, separators=(",", ":"), allow_nan=False)

    def digest(self) -> str:
        """0x-prefixed sha256 of :meth:`canonical_json`; registered on chain per dataset."""
        return "0x" + hashlib.sha256(self.canonical_json().encode()).hexdigest()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ValuationSpec:
        """Build a spec, refusing unknown keys so a typo cannot silently fall back to a default.

        Raises:
            SpecError: unknown or ill-typed fields, or values the spec refuses.
        """
        try:
            top = dict(raw)
            parts: dict[str, Any] = {
                "featurizer": FeaturizerSpec(**top.pop("featurizer", {})),
                "training": TrainSpec(**top.pop("training", {})),
                "checks": CheckSpec(**top.pop("checks", {})),
                "proofs": ProofPolicy.from_dict(top.pop("proofs", {})),
            }
            if "curve_fractions" in top:
                top["curve_fractions"] = tuple(float(p) for p in top["curve_fractions"])
            return cls(**top, **parts)
        except (TypeError, ProofPolicyError) as err:
            raise SpecError(f"bad ValuationSpec: {err}") from err

    @classmethod
    def from_json(cls, text: str) -> ValuationSpec:
        """Parse a spec file's contents (see :meth:`from_dict`)."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as err:
            raise SpecError(f"spec is not JSON: {err}") from err
        if not isinstance(raw, dict):
            raise SpecError("spec must be a JSON object")
        return cls.from_dict(raw)
