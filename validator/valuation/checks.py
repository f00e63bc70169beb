"""Checks that zero a contribution before it is valued, and say why.

Order of work, per contributor in canonical order:

* ``malformed``: the file could not be parsed (data.py recorded why); ``empty``: fewer than
  ``min_chars`` characters of text remain.
* Exact duplicates (sha256 of case- and whitespace-normalised text) and near duplicates
  (MinHash over character shingles, LSH at ``near_dup_threshold``; datasketch with its fixed
  default seed, so every validator buckets identically). A record that duplicates the pool
  (data accepted in earlier epochs) is removed. A record that several contributors of the
  epoch hold is *contested*; ``contested`` decides who keeps it:

  - ``first_registered`` (default): the holder registered first on chain keeps it and every
    later holder loses it. A copier, who can only register after the original exists, gains
    nothing and no longer takes the original's pay down with it (the previous rule let anyone
    knock a competitor out by copying them). Copying one's own data to a second identity pays
    the same as not copying. The order is the chain's (``SubmissionRegistry.epochFiles``),
    which every validator reads identically; front-running that order is what ownership proofs
    and the v2 submission format address, not this check.
  - ``everyone_loses``: every holder loses it (nobody is paid for data that is not uniquely
    theirs). Used when no registration order is known (``datadao value`` on a folder).

  A contributor left with more than ``max_duplicate_fraction`` of its records removed is
  flagged ``duplicate``. Repeats inside one file are dropped silently.
* ``validation_overlap``: more than ``max_validation_overlap`` of the records match the
  DAO's secret validation set (exactly or near). Submitting the validation set would otherwise
  look maximally valuable, so this is treated as an attack and the contributor is zeroed.

* ``word_order`` (when ``word_order_min_lift`` is set): the contributor's kept text has no
  word order: its adjacent word pairs repeat in its own text hardly more often than those of
  its words in random order (wordorder.py): real words shuffled into noise, which a byte
  n-gram proxy would otherwise pay for their spelling.

Records shorter than ``min_record_chars`` are matched exactly only: short messages ("ok",
"thanks") collide by chance and must not flag honest contributors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from validator.valuation.containment import ContainmentIndex, words
from validator.valuation.data import Contribution, Record
from validator.valuation.spec import CheckSpec
from validator.valuation.wordorder import word_order

__all__ = ["CheckResult", "run_checks"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What the checks decided for one contributor.

    Attributes:
        flags: reasons the contributor is zeroed (empty tuple: valued normally).
        kept: records that go on to valuation (duplicates removed).
        detail: counts behind the decision, for the report.
    """

    contributor: str
    flags: tuple[str, ...]
    kept: tuple[Record, ...]
    detail: dict[str, int]

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _exact(text: str) -> bytes:
    return hashlib.sha256(_norm(text).encode()).digest()


def _minhash(text: str, cs: CheckSpec) -> MinHash | None:
    norm = _norm(text)
    if len(norm) < max(cs.min_record_chars, cs.shingle):
        return None
    data = norm.encode()
    shingles = {data[i : i + cs.shingle] for i in range(len(data) - cs.shingle + 1)}
    mh = MinHash(num_perm=cs.num_perm)
    mh.update_batch(sorted(shingles))
    return mh


class _Index:
    """Exact-hash set plus a near-match index over one collection of records: word containment
    margins (weights from ``trusted``) when the spec sets ``containment_margin``, else MinHash
    LSH."""

    def __init__(
        self,
        records: Sequence[Record],
        cs: CheckSpec,
        trusted: Sequence[str],
        candidates: int | None = None,
    ) -> None:
        self.exact = {_exact(r.text) for r in records}
        self.lsh: MinHashLSH | None = None
        self.cs = cs
        self.contain: ContainmentIndex | None = None
        if cs.containment_margin is not None and len(records) >= cs.containment_min_reference:
            self.contain = ContainmentIndex(
                [r.text for r in records], trusted, candidates=candidates
            )
        elif cs.near_dup_threshold is not None:
            self.lsh = MinHashLSH(threshold=cs.near_dup_threshold, num_perm=cs.num_perm)
            for i, r in enumerate(records):
                mh = _minhash(r.text, cs)
                if mh is not None:
                    self.lsh.insert(str(i), mh)

    def margin(self, text: str) -> float | None:
        """Containment margin of ``text`` (None: containment off or the record is too short)."""
        if self.contain is None or len(words(text)) < self.cs.containment_min_words:
            return None
        best, second = self.contain.scores(text)
        return best - second

    def hit(self, key: bytes, mh: MinHash | None, margin: float | None = None) -> bool:
        if key in self.exact:
            return True
        if self.contain is not None:
            limit = self.cs.containment_margin
            return margin is not None and limit is not None and margin >= limit
        return self.lsh is not None and mh is not None and bool(self.lsh.query(mh))


def run_checks(
    contributions: Sequence[Contribution],
    validation: Sequence[Record],
    pool: Sequence[Record],
    cs: CheckSpec,
    registered: Sequence[int] | None = None,
) -> list[CheckResult]:
    """Apply every check of the module docstring; one result per contribution, same order.

    Args:
        registered: each contribution's position in the chain's registration order (lower is
            earlier). With ``cs.contested == "first_registered"`` the earliest holder of a
            contested record keeps it; without an order every holder loses it.

    Raises:
        ValueError: ``registered`` does not give one distinct position per contribution.
    """
    if registered is not None and (
        len(registered) != len(contributions) or len(set(registered)) != len(registered)
    ):
        raise ValueError("registered must give one distinct position per contribution")
    first_wins = registered is not None and cs.contested == "first_registered"

    def earlier(k: int, j: int) -> bool:
        """Does holder ``k`` take a record contested with ``j`` from ``j``?"""
        return not first_wins or registered[k] < registered[j]  # type: ignore[index]

    trusted = [r.text for r in validation] + [r.text for r in pool]
    val_index = _Index(validation, cs, trusted)
    pool_index = _Index(pool, cs, trusted, cs.containment_candidates)
    near = cs.near_dup_threshold is not None

    # Own-file exact repeats are dropped first; what is left is what contributors "hold".
    held: list[list[tuple[Record, bytes, MinHash | None]]] = []
    self_dups: list[int] = []
    for c in contributions:
        seen: set[bytes] = set()
        rows: list[tuple[Record, bytes, MinHash | None]] = []
        for r in c.records:
            key = _exact(r.text)
            if key in seen:
                continue
            seen.add(key)
            rows.append((r, key, _minhash(r.text, cs) if near else None))
        held.append(rows)
        self_dups.append(len(c.records) - len(rows))

    owners: dict[bytes, set[int]] = {}
    epoch_lsh = MinHashLSH(threshold=cs.near_dup_threshold, num_perm=cs.num_perm) if near else None
    for j, rows in enumerate(held):
        for i, (_, key, mh) in enumerate(rows):
            owners.setdefault(key, set()).add(j)
            if epoch_lsh is not None and mh is not None:
                epoch_lsh.insert(f"{j}:{i}", mh)

    # Paraphrased copies of another contributor's records, by the same containment margin as
    # against the validation set (weights from the DAO's trusted data, so the copier cannot
    # move them): the best-matching record's holder is the one the record is contested with.
    epoch_contain: ContainmentIndex | None = None
    if cs.containment_margin is not None:
        texts = [r.text for rows in held for r, _, _ in rows]
        if len(texts) >= cs.containment_min_reference:
            epoch_contain = ContainmentIndex(
                texts,
                trusted,
                owners=[j for j, rows in enumerate(held) for _ in rows],
                candidates=cs.containment_candidates,
            )

    def paraphrased_from(text: str, j: int) -> set[int]:
        if epoch_contain is None or len(words(text)) < cs.containment_min_words:
            return set()
        best, second, owner = epoch_contain.match(text, skip_owner=j)
        limit = cs.containment_margin
        if owner < 0 or limit is None or best - second < limit:
            return set()
        return {owner}

    results: list[CheckResult] = []
    for j, (c, rows) in enumerate(zip(contributions, held, strict=True)):
        kept: list[Record] = []
        overlap = dup_pool = dup_epoch = 0
        margins: list[float] = []
        for r, key, mh in rows:
            margin = val_index.margin(r.text)
            if margin is not None:
                margins.append(margin)
            if val_index.hit(key, mh, margin):
                overlap += 1
                continue
            if pool_index.hit(key, mh, pool_index.margin(r.text)):
                dup_pool += 1
                continue
            shared = {k for k in owners[key] - {j} if earlier(k, j)}
            if not shared and epoch_lsh is not None and mh is not None:
                near_holders = {int(k.split(":")[0]) for k in epoch_lsh.query(mh)} - {j}
                shared = {k for k in near_holders if earlier(k, j)}
            if not shared:
                shared = {k for k in paraphrased_from(r.text, j) if earlier(k, j)}
            if shared:
                dup_epoch += 1
                continue
            kept.append(r)
        n = max(len(rows), 1)
        flags: list[str] = []
        if c.malformed is not None:
            flags.append(f"malformed: {c.malformed}")
        mean_margin = sum(margins) / len(margins) if margins else 0.0
        if overlap / n > cs.max_validation_overlap:
            flags.append(
                f"validation_overlap: {overlap} of {len(rows)} records match a validation record"
            )
        elif val_index.contain is not None and mean_margin >= cs.containment_mean:
            flags.append(
                f"validation_overlap: its records share {mean_margin:.0%} more of their "
                f"weighted words with one validation record than with any other, on average "
                f"(limit {cs.containment_mean:.0%}; paraphrased validation text)"
            )
        if (dup_pool + dup_epoch) / n > cs.max_duplicate_fraction:
            flags.append(
                f"duplicate: {dup_pool} records in the pool, {dup_epoch} shared with "
                + ("earlier submissions" if first_wins else "others")
            )
        elif not flags and sum(len(r.text) for r in kept) < cs.min_chars:
            flags.append("empty")
        lift_permille = -1
        if cs.word_order_min_lift is not None and not flags:
            order = word_order([r.text for r in kept])
            if order.pairs >= cs.word_order_min_pairs and order.chance >= cs.word_order_min_chance:
                lift_permille = round(1000 * order.lift)
                if order.lift < cs.word_order_min_lift:
                    flags.append(
                        f"word_order: {order.observed:.1%} of its {order.pairs} adjacent word "
                        f"pairs recur in its text, only {order.lift:.2f}x the {order.chance:.1%} "
                        "of the same words in random order (natural text repeats its phrases "
                        f"far more; limit {cs.word_order_min_lift:.2f}x): shuffled words, not "
                        "text"
                    )
        results.append(
            CheckResult(
                contributor=c.contributor,
                flags=tuple(flags),
                kept=tuple(kept),
                detail={
                    "records": len(c.records),
                    "self_duplicates": self_dups[j],
                    "validation_overlap": overlap,
                    "pool_duplicates": dup_pool,
                    "epoch_duplicates": dup_epoch,
                    "kept": len(kept),
                    "validation_margin_permille": round(1000 * mean_margin),
                    "word_order_lift_permille": lift_permille,
                },
            )
        )
    return results
