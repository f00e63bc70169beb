"""Word containment against a reference collection: what survives a paraphrase.

Whole-record similarity (MinHash over character shingles) fails both ways on text: a copy of a
validation record with a quarter of its words replaced falls under any useful Jaccard threshold,
while honest templated records (package descriptions, notifications) sit at Jaccard 0.9 with
each other. What separates the two is *which* words are shared. This module scores a record by
the weighted fraction of its words found in the single best-matching reference record, with
each word weighted by its inverse document frequency over a trusted collection (the DAO's
validation set and accepted pool, which no contributor can change)::

    w(t)     = log((D + 1) / (df(t) + 1))           (df over the D trusted records)
    score(r) = max over reference records v of  sum_t min(n_r(t), n_v(t)) w(t) / sum_t n_r(t) w(t)

Template words occur in many trusted records and weigh almost nothing; the names, numbers and
topic words that make a record *that* record weigh most. A word no trusted record holds weighs
the most, so padding a copy with invented words dilutes it no more than honest words would.

With a fraction p of words replaced at random, a unigram survives with probability 1 - p (a word
n-gram only with (1 - p)^n), so unigram containment still measures about 1 - p of a paraphrase's
weight at 60% edits, where honest same-domain text shares only the light template words with
any one validation record. Thresholds live in the spec (:class:`CheckSpec`), and
``scripts/bench/valuation_attacks.py`` measures both rates.

Only reference records that share one of the record's heavier words (document frequency at most
``max_df_fraction`` of the trusted records) are compared, through an inverted index, so the
cost grows with the matches, not with the product of the two collections.

A collection that grows without bound (an epoch of 10,000 files, the accepted pool) can still
make that product: words that are heavy to the trusted records may be held by thousands of its
records, and a contributor can make them so on purpose. ``candidates`` bounds the work per
record: its words are taken rarest first (shortest posting list in this collection) while their
posting lists together hold at most ``candidates`` entries, and the rest are not used to find
candidates. A record left out that way shares none of the words used, so its containment is at
most the weight of the words that were not (the skipped ones and the light, unindexed ones)
over the record's total; that bound stands in for the second-best match whenever it is larger.
The pruning can therefore only lower a margin, never raise it: it may miss a paraphrase made of
words common in the collection, but it never flags what the full comparison would clear.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

__all__ = ["ContainmentIndex", "words"]

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (Unicode letters and digits); punctuation and spacing ignored."""
    return _WORD.findall(text.lower())


class ContainmentIndex:
    """Reference records indexed for :meth:`score`, with weights from ``trusted`` texts."""

    def __init__(
        self,
        reference: Sequence[str],
        trusted: Sequence[str],
        max_df_fraction: float = 0.1,
        owners: Sequence[int] | None = None,
        candidates: int | None = None,
    ) -> None:
        if candidates is not None and candidates < 1:
            raise ValueError("candidates must be at least 1 (or None: no bound)")
        self._budget = candidates
        self.compared = 0
        """Reference records scored so far, over every :meth:`match` (the check's work)."""
        self._owners = list(owners) if owners is not None else [0] * len(reference)
        if len(self._owners) != len(reference):
            raise ValueError("owners must give one owner per reference record")
        df: Counter[str] = Counter()
        for text in trusted:
            df.update(set(words(text)))
        self._d = len(trusted)
        self._df = df
        self._unseen = math.log(self._d + 1)
        self._refs = [Counter(words(t)) for t in reference]
        cap = max(1.0, max_df_fraction * self._d)
        self._postings: dict[str, list[int]] = {}
        self._held: set[str] = set()
        for i, bag in enumerate(self._refs):
            for t in bag:
                self._held.add(t)
                if df[t] <= cap:
                    self._postings.setdefault(t, []).append(i)

    def weight(self, token: str) -> float:
        df = self._df.get(token, 0)
        return self._unseen if df == 0 else math.log((self._d + 1) / (df + 1))

    def score(self, text: str) -> float:
        """Weighted fraction of ``text``'s words held by its best-matching reference record."""
        return self.scores(text)[0]

    def scores(self, text: str, skip_owner: int | None = None) -> tuple[float, float]:
        """Best and second-best weighted containment of ``text`` over the reference records
        (those of ``skip_owner`` left out)."""
        best, second, _ = self.match(text, skip_owner)
        return best, second

    def match(self, text: str, skip_owner: int | None = None) -> tuple[float, float, int]:
        """Best and second-best containment, and the owner of the best record (-1: none).

        With a ``candidates`` bound that pruned this record's words, the second value is the
        larger of the second-best candidate and the bound on every record not compared (module
        docstring), so ``best - second`` never exceeds the margin of the full comparison."""
        bag = Counter(words(text))
        weight = {t: self.weight(t) for t in bag}
        mass = {t: n * weight[t] for t, n in bag.items()}
        total = sum(mass.values())
        if total <= 0.0:
            return 0.0, 0.0, -1
        posted = sorted((len(self._postings[t]), t) for t in bag if t in self._postings)
        candidates: set[int] = set()
        used = 0
        unseen = 0.0
        for n, t in posted:
            if self._budget is not None and used + n > self._budget:
                unseen += mass[t]
                continue
            used += n
            candidates.update(self._postings[t])
        if unseen > 0.0:
            unseen += sum(m for t, m in mass.items() if t not in self._postings and t in self._held)
        best = second = 0.0
        owner = -1
        for i in sorted(candidates):
            if skip_owner is not None and self._owners[i] == skip_owner:
                continue
            self.compared += 1
            ref = self._refs[i]
            shared = sum(min(n, ref[t]) * weight[t] for t, n in bag.items() if t in ref)
            c = shared / total
            if c > best:
                best, second, owner = c, best, self._owners[i]
            elif c > second:
                second = c
        return best, max(second, unseen / total), owner
