"""The demo's six contributors and their exports: three honest, three that must earn nothing.

Every export is a file in a real platform format that goes through the real parser, scrubber and
pipeline; none of it is anybody's data (``node.parsers.synthetic``). The three bad actors are
the attacks the validators' checks exist for (DESIGN.md §5):

* **duplicate** re-submits, under a new account, a third of an honest contributor's records.
  A *whole* copy would zero both (the checks pay nobody for data that is not uniquely theirs
  within an epoch), so the demo shows the attack that pays off only if undetected: the copier is
  flagged ``duplicate`` and earns nothing, while the original keeps being paid for the rest.
* **noise** is gibberish (see :data:`NOISE_ALPHABET`): it parses, but it does not help the
  proxy model on the validation set, so its value is at most 0 and so is its score.
* **contaminated** submits the DAO's secret validation set (read from the devnet's plaintext
  copy), which would otherwise look maximally valuable; the checks flag ``validation_overlap``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from node.parsers import parse_export, scrub_export
from node.parsers.canonical import load_canonical
from node.parsers.synthetic import chatgpt_export, reddit_export, twitter_export

__all__ = ["ContributorKind", "DemoExport", "make_exports"]

HONEST_BYTES = 24 * 1024
"""Uncompressed size of each honest export: enough text for the proxy model to learn from,
small enough that the whole epoch is valued in seconds on two CPU cores."""


class ContributorKind(StrEnum):
    HONEST = "honest"
    DUPLICATE = "duplicate"
    NOISE = "noise"
    CONTAMINATED = "contaminated"


@dataclass(frozen=True, slots=True)
class DemoExport:
    """One contributor's export and what the demo expects of it.

    Attributes:
        name: a label for tables (``alice``, …).
        kind: honest or which attack.
        platform: the parser the pipeline is told to use.
        path: the export file.
        account_index: the anvil account that contributes it.
    """

    name: str
    kind: ContributorKind
    platform: str
    path: Path
    account_index: int

    @property
    def paid(self) -> bool:
        """Whether the demo expects this contributor to earn tokens."""
        return self.kind is ContributorKind.HONEST


def _write_jsonl(path: Path, texts: list[str], *, id_prefix: str, start_ts: int) -> None:
    """A generic-format export (one JSON object per line: ``id``, ``text``, ``timestamp``)."""
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            row = {"id": f"{id_prefix}-{i}", "text": text, "timestamp": start_ts + 60 * i}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


NOISE_ALPHABET = "qxzjvkwyfgpbmhdcul"
"""Mostly consonants the platforms' (synthetic) language rarely uses. Gibberish over the
corpus's *own* letters would still teach the proxy model letter frequencies and be paid a
little; this teaches it nothing about the validation set, so its value is at most 0 (checked
over 18 epoch seeds and 3 demo seeds: always 0 bps; printable-ASCII noise scored > 0 in 3)."""


def _noise(rng: random.Random, records: int) -> list[str]:
    return [
        " ".join(
            "".join(rng.choice(NOISE_ALPHABET) for _ in range(rng.randint(2, 9)))
            for _ in range(rng.randint(8, 30))
        )
        for _ in range(records)
    ]


def make_exports(
    out_dir: Path, *, seed: int, validation_plaintext: Path, first_account: int = 5
) -> list[DemoExport]:
    """Write the six exports under ``out_dir``; the same ``seed`` gives the same files.

    Args:
        out_dir: created if missing.
        seed: drives every generator (honest content, noise, which records are copied).
        validation_plaintext: the devnet's canonical validation set (for the contaminated one).
        first_account: anvil account of the first contributor; the others follow.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    base = seed * 1000
    made: list[DemoExport] = []

    def add(name: str, kind: ContributorKind, platform: str, path: Path) -> None:
        made.append(DemoExport(name, kind, platform, path, first_account + len(made)))

    chatgpt = chatgpt_export(out_dir / "alice-chatgpt.zip", seed=base + 1, size_bytes=HONEST_BYTES)
    add("alice", ContributorKind.HONEST, "chatgpt", chatgpt.path)
    reddit = reddit_export(out_dir / "bob-reddit.zip", seed=base + 2, size_bytes=HONEST_BYTES)
    add("bob", ContributorKind.HONEST, "reddit", reddit.path)
    twitter = twitter_export(out_dir / "carol-twitter.zip", seed=base + 3, size_bytes=HONEST_BYTES)
    add("carol", ContributorKind.HONEST, "twitter", twitter.path)

    # What bob actually shares (parsed and scrubbed, as his pipeline did): copy every third
    # record, in a different format, under another account.
    bob = scrub_export(parse_export(reddit.path, platform="reddit"))
    offset = rng.randrange(3)
    copied = [r.text for i, r in enumerate(bob.records) if i % 3 == offset and r.text.strip()]
    dup_path = out_dir / "dave-copy-of-bob.jsonl"
    _write_jsonl(dup_path, copied, id_prefix="dave", start_ts=1_700_000_000)
    add("dave", ContributorKind.DUPLICATE, "generic", dup_path)

    noise_path = out_dir / "erin-noise.jsonl"
    _write_jsonl(noise_path, _noise(rng, 80), id_prefix="erin", start_ts=1_700_100_000)
    add("erin", ContributorKind.NOISE, "generic", noise_path)

    validation = load_canonical(validation_plaintext.read_bytes(), file=str(validation_plaintext))
    stolen_path = out_dir / "frank-validation-set.jsonl"
    _write_jsonl(
        stolen_path,
        [r.text for r in validation.records if r.text.strip()],
        id_prefix="frank",
        start_ts=1_700_200_000,
    )
    add("frank", ContributorKind.CONTAMINATED, "generic", stolen_path)
    return made
