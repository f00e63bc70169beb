"""The demo's seven contributors and their exports: three honest, four attacks.

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
* **thief** submits *another person's* export (issue #20): fresh, valuable content that is a
  copy of nobody else's in the epoch, so no copy check can decide it. What decides it is the
  ownership proof: the thief attaches a genuine, validly signed "your export is ready" e-mail
  from the platform, but one sent to *his own* mailbox, not to the account the export names, so
  it does not verify, and the dataset's policy for unproven files applies (the devnet keeps
  ``factor_bps`` of the value: see ``node/devnet/valuation-spec.json``).

Every honest contributor attaches an ownership proof that verifies (``node.proofs.devkeys``,
the devnet's synthetic platform and attestors, pinned in the devnet spec): alice and bob the
platform's DKIM-signed e-mail to the account e-mail their export states, carol an
attestor-signed Reclaim claim naming her address and her export's commitment. The proofs are
written next to the exports, so ``datadao inspect EXPORT --proof PROOF`` shows their verdicts.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from node.chain.anvil import devnet_account
from node.parsers import AttachedProof, canonicalize, parse_export, scrub_export
from node.parsers.canonical import load_canonical
from node.parsers.synthetic import (
    SyntheticExport,
    chatgpt_export,
    reddit_export,
    twitter_export,
)
from node.proofs.devkeys import DEV_PROVIDER_HASH, attestor_key, dev_export_email
from node.proofs.reclaim import ClaimInfo, sign_claim

__all__ = ["ContributorKind", "DemoExport", "make_exports"]

HONEST_BYTES = 24 * 1024
"""Uncompressed size of each honest export: enough text for the proxy model to learn from,
small enough that the whole epoch is valued in seconds on two CPU cores."""


class ContributorKind(StrEnum):
    HONEST = "honest"
    DUPLICATE = "duplicate"
    NOISE = "noise"
    CONTAMINATED = "contaminated"
    THIEF = "thief"


@dataclass(frozen=True, slots=True)
class DemoExport:
    """One contributor's export and what the demo expects of it.

    Attributes:
        name: a label for tables (``alice``, …).
        kind: honest or which attack.
        platform: the parser the pipeline is told to use.
        path: the export file.
        account_index: the anvil account that contributes it.
        proofs: ownership proofs sealed with the export (``contribute --proof``).
        proof_files: the same proofs as files (for ``datadao inspect --proof``).
    """

    name: str
    kind: ContributorKind
    platform: str
    path: Path
    account_index: int
    proofs: tuple[AttachedProof, ...] = ()
    proof_files: tuple[Path, ...] = ()

    @property
    def paid(self) -> bool:
        """Whether the demo expects this contributor to earn tokens: the honest ones, and the
        thief while the dataset's policy keeps part of an unproven file's value."""
        return self.kind in (ContributorKind.HONEST, ContributorKind.THIEF)

    @property
    def proven(self) -> bool:
        """Whether the demo expects validators to verify this export's ownership proof."""
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


EMAIL_DELAY = timedelta(hours=1)
"""How long after the export's newest record the platform's "export ready" e-mail is sent."""


def _dkim_proof(made: SyntheticExport, to: str, out: Path) -> tuple[AttachedProof, Path]:
    """The devnet platform's signed "export ready" e-mail to ``to``, written to ``out``."""
    span = parse_export(made.path, platform=made.platform).time_span()
    if span is None:  # the synthetic generators always date their records
        raise ValueError(f"{made.path}: a synthetic export without record times")
    eml = dev_export_email(to, span[1] + EMAIL_DELAY)
    out.write_bytes(eml)
    return AttachedProof("dkim", eml), out


def _reclaim_proof(
    made: SyntheticExport, contributor: str, out: Path
) -> tuple[AttachedProof, Path]:
    """An attestor-signed claim that ``contributor`` is logged in as the export's account,
    bound to ``contributor`` and to the export's commitment (sha256 of the canonical bytes the
    pipeline will seal, before proofs are added), written to ``out``."""
    export = scrub_export(parse_export(made.path, platform=made.platform))
    context = {
        "contextAddress": contributor,
        "contextMessage": canonicalize(export).commitment_hex,
        "providerHash": DEV_PROVIDER_HASH,
        "extractedParameters": {"username": export.account},
    }
    info = ClaimInfo(
        "http",
        json.dumps({"url": f"https://{made.platform}.test/settings/account"}),
        json.dumps(context, sort_keys=True),
    )
    data = sign_claim(
        info,
        owner=contributor,
        timestamp_s=1_700_000_000,
        epoch=1,
        attestor_keys=[attestor_key("a")],
    )
    out.write_bytes(data)
    return AttachedProof("reclaim", data), out


def make_exports(
    out_dir: Path, *, seed: int, validation_plaintext: Path, first_account: int = 5
) -> list[DemoExport]:
    """Write the seven exports (and the proofs) under ``out_dir``; the same ``seed`` gives the
    same exports (DKIM e-mails carry their signing time, ``t=``, so their bytes differ per run).

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

    def add(
        name: str,
        kind: ContributorKind,
        platform: str,
        path: Path,
        proof: tuple[AttachedProof, Path] | None = None,
    ) -> None:
        proofs, files = ((proof[0],), (proof[1],)) if proof else ((), ())
        index = first_account + len(made)
        made.append(DemoExport(name, kind, platform, path, index, proofs, files))

    def address(position: int) -> str:
        return devnet_account(first_account + position).address

    chatgpt = chatgpt_export(out_dir / "alice-chatgpt.zip", seed=base + 1, size_bytes=HONEST_BYTES)
    proof = _dkim_proof(chatgpt, _account_email(chatgpt), out_dir / "alice-export-ready.eml")
    add("alice", ContributorKind.HONEST, "chatgpt", chatgpt.path, proof)
    reddit = reddit_export(out_dir / "bob-reddit.zip", seed=base + 2, size_bytes=HONEST_BYTES)
    proof = _dkim_proof(reddit, _account_email(reddit), out_dir / "bob-export-ready.eml")
    add("bob", ContributorKind.HONEST, "reddit", reddit.path, proof)
    twitter = twitter_export(out_dir / "carol-twitter.zip", seed=base + 3, size_bytes=HONEST_BYTES)
    proof = _reclaim_proof(twitter, address(len(made)), out_dir / "carol-reclaim.json")
    add("carol", ContributorKind.HONEST, "twitter", twitter.path, proof)

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

    # Victor's export (an account that contributes nothing), which trent got hold of, with the
    # platform's genuine e-mail about trent's *own* export attached: validly signed, but sent to
    # trent's mailbox, not to the account the export names.
    victor = chatgpt_export(
        out_dir / "trent-victors-chatgpt.zip", seed=base + 7, size_bytes=HONEST_BYTES
    )
    proof = _dkim_proof(victor, THIEF_MAILBOX, out_dir / "trent-export-ready.eml")
    add("trent", ContributorKind.THIEF, "chatgpt", victor.path, proof)
    return made


THIEF_MAILBOX = "trent@example.org"
"""The thief's own mailbox, where the platform sent the e-mail he attaches."""


def _account_email(made: SyntheticExport) -> str:
    if made.email is None:  # every demo platform's synthetic export states one
        raise ValueError(f"{made.path}: the export states no account e-mail")
    return made.email
