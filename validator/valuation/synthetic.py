"""Deterministic synthetic chat-like data for tests and benchmarks (never real user data).

Messages are drawn from a small grammar of user/assistant turns, so a byte n-gram model can
learn them and noise (shuffled bytes) or copies are easy to plant and detect. Each turn also
carries a few words from a large made-up vocabulary (project names, details), as real chats do;
without them independent conversations would be near duplicates of each other.
"""

from __future__ import annotations

import hashlib

import numpy as np

from validator.valuation.data import Record

__all__ = [
    "chat_records",
    "made_up_words",
    "paraphrase",
    "prose_records",
    "shuffle_sentences",
    "shuffled_records",
    "templated_records",
]

_VERBS = ["install", "configure", "debug", "deploy", "update", "test", "profile", "rename"]
_NOUNS = ["database", "server", "router", "package", "notebook", "cluster", "script", "cache"]
_LANGS = ["python", "rust", "go", "java", "bash", "sql"]
_OPENERS = ["hi", "hello", "hey there", "quick question", "good morning"]
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "be", "do", "fu", "ga", "hi", "ju"]
_WIDE_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["st", "tr", "ng"]
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


def made_up_words(rng: np.random.Generator, n: int, syllables: int = 3) -> list[str]:
    """``n`` distinct invented words of 1..``syllables`` syllables (never real vocabulary)."""
    out: dict[str, None] = {}
    while len(out) < n:
        k = int(rng.integers(1, syllables + 1))
        out["".join(rng.choice(_WIDE_SYLLABLES, size=k))] = None
    return list(out)


def prose_records(
    rng: np.random.Generator,
    n: int,
    shared: list[str],
    own: list[str],
    own_rate: float = 0.2,
    phrase_rate: float = 0.0,
) -> list[Record]:
    """``n`` paragraphs of 3-5 sentences over a domain vocabulary ``shared`` (Zipf-weighted, so
    a few words are very common, as in real text) mixed with a source's ``own`` words at
    ``own_rate``: sources of one domain share most words but each has its topics and style,
    which is what separates honest same-domain data from a paraphrase of the validation set.

    With ``phrase_rate`` > 0 the text has word order, as real text does: each shared word has
    three fixed successors (the domain's phrases, the same in every source: drawn from
    ``shared`` by a generator seeded with the word), and a word is followed by one of its
    predecessor's successors with that probability. At 0 words are independent draws (word
    soup, indistinguishable from its own shuffle) and the generator's stream is unchanged."""
    ranks = np.arange(1, len(shared) + 1, dtype=np.float64)
    zipf = (1.0 / ranks) / (1.0 / ranks).sum()
    phrases: dict[str, list[str]] = {}

    def successors(word: str) -> list[str]:
        if word not in phrases:
            seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "big")
            picks = np.random.default_rng(seed).choice(len(shared), size=3, p=zipf)
            phrases[word] = [shared[int(i)] for i in picks]
        return phrases[word]

    out: list[Record] = []
    for _ in range(n):
        sentences = []
        for _ in range(int(rng.integers(3, 6))):
            length = int(rng.integers(6, 13))
            own_mask = rng.random(length) < own_rate
            words = [
                str(rng.choice(own)) if o else shared[int(rng.choice(len(shared), p=zipf))]
                for o in own_mask
            ]
            if phrase_rate > 0.0:
                follow = rng.random(length) < phrase_rate
                pick = rng.integers(0, 3, size=length)
                for i in range(1, length):
                    if follow[i]:
                        words[i] = successors(words[i - 1])[int(pick[i])]
            sentences.append(" ".join(words))
        out.append(Record(". ".join(sentences) + "."))
    return out


def templated_records(rng: np.random.Generator, n: int, names: list[str]) -> list[Record]:
    """Package-index-like descriptions: one fixed template, a name, a version and two topic
    words. Independent sources of such text match each other almost word for word outside the
    name, so whole-record similarity calls them copies; they are honest data."""
    topics = ["parsing", "plotting", "testing", "logging", "caching", "hashing", "routing"]
    out: list[Record] = []
    for _ in range(n):
        name = str(rng.choice(names))
        a, b = rng.choice(topics, size=2, replace=False)
        ver = f"{int(rng.integers(0, 5))}.{int(rng.integers(0, 20))}.{int(rng.integers(0, 9))}"
        out.append(
            Record(
                f"{name} {ver}: a small library for {a} and {b}. install it with pip install "
                f"{name}. it is released under the mit license and supports python 3.9 and "
                f"later. see the documentation of {name} for examples of {a}."
            )
        )
    return out


def paraphrase(
    records: list[Record], rng: np.random.Generator, rate: float, vocab: list[str]
) -> list[Record]:
    """Replace each word with probability ``rate`` by a word of ``vocab`` (an attacker's
    paraphraser that keeps sentence shapes)."""
    out: list[Record] = []
    for r in records:
        words = r.text.split(" ")
        hit = rng.random(len(words)) < rate
        new = [str(rng.choice(vocab)) if h else w for w, h in zip(words, hit, strict=True)]
        out.append(Record(" ".join(new), r.label))
    return out


def shuffle_sentences(records: list[Record], rng: np.random.Generator) -> list[Record]:
    """The same sentences of each record in another order."""
    out: list[Record] = []
    for r in records:
        parts = [s.strip() for s in r.text.split(".") if s.strip()]
        rng.shuffle(parts)
        out.append(Record(". ".join(parts) + ".", r.label))
    return out
