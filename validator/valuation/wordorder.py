"""Does a contributor's text have word order? A check against word-shuffled real text.

Real words in random order are cheap to make in bulk (shuffle any in-domain text) and a byte
n-gram proxy still learns from them (spelling, word frequencies), so without a check they are
paid. Natural text, templated or not, keeps putting the same words in the same orders ("of
the", "install it with", a template's fixed phrases): many of its adjacent word pairs occur
again elsewhere in the same contributor's text. The same words in random order repeat a pair
only by chance. So the check compares the text with itself shuffled::

    repeats(text) = fraction of adjacent word pairs (inside records) that occur at least twice
    lift          = repeats(text) / repeats(text with each record's words shuffled)

Shuffled text measures a lift near 1; natural text well above it. The reference is the
contributor's own text, not the validation set: a contributor whose domain differs from the
validation set's (the demo's chats against its synthetic validation set) shares few pairs with
it in any order, and would look shuffled against it. The shuffle is deterministic (each
record's words ordered by sha256 of the record's digest and the word's position), so every
validator computes the same lift; no platform random generator is involved. A contributor with
too few pairs, or whose shuffled text repeats almost no pair (too little text to measure
chance on), is not judged (:class:`OrderStats`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from validator.valuation.containment import words

__all__ = ["OrderStats", "word_order"]


@dataclass(frozen=True, slots=True)
class OrderStats:
    """Pair repeats of one contributor's text, in its order and shuffled.

    Attributes:
        pairs: adjacent word pairs inside its records.
        observed: fraction of those pairs that occur at least twice in its text.
        chance: the same fraction after each record's words are shuffled.
    """

    pairs: int
    observed: float
    chance: float

    @property
    def lift(self) -> float:
        return self.observed / self.chance if self.chance > 0.0 else float("inf")


def _shuffled(tokens: list[str], record: bytes) -> list[str]:
    keys = [hashlib.sha256(record + i.to_bytes(4, "big")).digest() for i in range(len(tokens))]
    return [t for _, t in sorted(zip(keys, tokens, strict=True))]


def _repeats(records: list[list[str]]) -> float:
    counts: Counter[tuple[str, str]] = Counter()
    for w in records:
        counts.update(pairwise(w))
    total = sum(counts.values())
    return sum(n for n in counts.values() if n >= 2) / total if total else 0.0


def word_order(texts: Sequence[str]) -> OrderStats:
    """Pair repeats of ``texts`` in their order and shuffled (see the module docstring)."""
    tokens = [words(t) for t in texts]
    pairs = sum(max(len(w) - 1, 0) for w in tokens)
    shuffled = [
        _shuffled(w, hashlib.sha256(t.encode()).digest())
        for w, t in zip(tokens, texts, strict=True)
    ]
    return OrderStats(pairs, _repeats(tokens), _repeats(shuffled))
