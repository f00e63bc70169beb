"""A scoring epoch's worth of synthetic contributions, made by the node's real importers.

Used by ``datadao demo`` and the validator's end-to-end tests. Every plaintext is canonical JSONL
exactly as ``datadao contribute`` would seal it: a synthetic platform export, parsed, scrubbed
and canonicalized. The roles are the ones a Data DAO must tell apart: honest contributors on
three platforms, one who re-submits part of another's data, one who submits noise, and one who
submits the DAO's secret validation set.
"""

from __future__ import annotations

import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from node.parsers.canonical import canonicalize, load_canonical
from node.parsers.registry import parse_export
from node.parsers.scrub import scrub_export
from node.parsers.synthetic import generate

__all__ = [
    "Contribution",
    "canonical_export",
    "canonical_texts",
    "epoch_contributions",
    "texts_of",
]


@dataclass(frozen=True)
class Contribution:
    name: str
    role: str  # honest | duplicate | noise | contaminated
    plaintext: bytes


def _canonical(path: Path, platform: str) -> bytes:
    return canonicalize(scrub_export(parse_export(path, platform=platform))).data


def canonical_export(platform: str, *, seed: int, size_kb: int) -> bytes:
    """A synthetic ``platform`` export of about ``size_kb``, as canonical JSONL."""
    with tempfile.TemporaryDirectory() as tmp:
        ext = ".jsonl" if platform == "generic" else ".zip"
        made = generate(platform, Path(tmp) / f"export{ext}", seed=seed, size_bytes=size_kb * 1024)
        return _canonical(made.path, platform)


def canonical_texts(texts: list[str]) -> bytes:
    """A generic JSONL export holding ``texts``, through the generic importer."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.jsonl"
        path.write_text(
            "".join(
                json.dumps({"id": f"r{i}", "text": t, "timestamp": 1_700_000_000 + i}) + "\n"
                for i, t in enumerate(texts)
            )
        )
        return _canonical(path, "generic")


def texts_of(canonical: bytes) -> list[str]:
    return [r.text for r in load_canonical(canonical).records if r.text]


def epoch_contributions(
    validation_set: bytes, *, seed: int = 7, size_kb: int = 12
) -> list[Contribution]:
    """Six contributions: three honest (ChatGPT, Reddit, X), a duplicate, noise, a contaminated one.

    The duplicate re-submits 40% of the first honest contributor's records: it is flagged, and
    the honest original loses only those shared records (nobody is paid for data that is not
    uniquely theirs) but keeps the rest. The noise is random letters; the contaminated one is
    the validation set's own texts.
    """
    honest = [
        Contribution(f"honest-{p}", "honest", canonical_export(p, seed=seed + i, size_kb=size_kb))
        for i, p in enumerate(("chatgpt", "reddit", "twitter"))
    ]
    first = texts_of(honest[0].plaintext)
    dup = Contribution(
        "duplicate", "duplicate", canonical_texts(first[: max(1, 2 * len(first) // 5)])
    )
    rng = random.Random(seed)  # noqa: S311 - test data
    alphabet = "qxzjvkwyfgpbmhdcul"
    noise_texts = [
        " ".join(
            "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 9)))
            for _ in range(rng.randint(8, 30))
        )
        for _ in range(len(first))
    ]
    noise = Contribution("noise", "noise", canonical_texts(noise_texts))
    contaminated = Contribution(
        "contaminated", "contaminated", canonical_texts(texts_of(validation_set))
    )
    return [*honest, dup, noise, contaminated]
