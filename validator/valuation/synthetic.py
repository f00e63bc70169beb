"""Deterministic synthetic chat-like data for tests and benchmarks (never real user data).

Messages are drawn from a small grammar of user/assistant turns, so a byte n-gram model can
learn them and noise (shuffled bytes) or copies are easy to plant and detect. Each turn also
carries a few words from a large made-up vocabulary (project names, details), as real chats do;
without them independent conversations would be near duplicates of each other.
"""

from __future__ import annotations

import numpy as np

from validator.valuation.data import Record

__all__ = ["chat_records", "shuffled_records"]

_VERBS = ["install", "configure", "debug", "deploy", "update", "test", "profile", "rename"]
_NOUNS = ["database", "server", "router", "package", "notebook", "cluster", "script", "cache"]
_LANGS = ["python", "rust", "go", "java", "bash", "sql"]
_OPENERS = ["hi", "hello", "hey there", "quick question", "good morning"]
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "be", "do", "fu", "ga", "hi", "ju"]
_ADVICE = [
    "first check the logs, then restart the {noun}",
    "you can {verb} the {noun} with the command line tool",
    "try to {verb} it in a fresh environment before you {verb2} the {noun}",
    "read the {lang} docs on how to {verb} a {noun}",
    "make sure the {noun} is not locked by another process",
]


def _details(rng: np.random.Generator) -> str:
    words = [
        "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 4))))
        for _ in range(int(rng.integers(4, 9)))
    ]
    return " ".join(words)


def chat_records(rng: np.random.Generator, n: int) -> list[Record]:
    """``n`` two-turn conversations, each a few hundred bytes."""
    out: list[Record] = []
    for _ in range(n):
        verb, verb2 = rng.choice(_VERBS, size=2, replace=False)
        noun, lang = rng.choice(_NOUNS), rng.choice(_LANGS)
        opener = rng.choice(_OPENERS)
        serial = int(rng.integers(0, 10_000))
        user = (
            f"user: {opener}, how do I {verb} the {noun} in {lang}? it fails with error {serial}"
            f" on {_details(rng)}"
        )
        advice = [
            str(rng.choice(_ADVICE)).format(verb=verb, verb2=verb2, noun=noun, lang=lang)
            for _ in range(int(rng.integers(1, 3)))
        ]
        out.append(Record(f"{user}\nassistant: {'. '.join(advice)}, see {_details(rng)}."))
    return out


def shuffled_records(records: list[Record], rng: np.random.Generator) -> list[Record]:
    """The same bytes in random order: same size and byte histogram, no language."""
    out: list[Record] = []
    for r in records:
        chars = list(r.text)
        rng.shuffle(chars)
        out.append(Record("".join(chars), r.label))
    return out
