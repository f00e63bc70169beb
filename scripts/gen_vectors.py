"""Generate the DDF v1 known-answer vectors: ``tests/vectors/ddf_v1.json``.

Run by hand, never in CI, and review the diff::

    .venv/bin/python scripts/gen_vectors.py            # refuses to overwrite
    .venv/bin/python scripts/gen_vectors.py --force    # only when adding vectors to a new file

Sealing is randomized, so a vector is a *decrypt-side* known answer: a sealed file plus what is
needed to open it, and the plaintext it must open to, forever. Two ways in are recorded:

* the data key (DEK) itself, drawn here from a deterministic stream through the recipe's private
  ``randbytes`` hook (with the nonce prefix), so the body can be checked without Ferveo;
* a complete local 3-of-4 Ferveo ritual (validator keypair seeds and dealt transcripts, from
  which the DKG public key and every decryption share are re-derived deterministically), so the
  DEK is also recovered through real threshold decryption.

Ferveo's own encryption randomness is internal, so running this again produces different
wrapped keys and header hashes: version-1 vectors, once committed, are never regenerated, only
added to (see tests/vectors/README.md).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from node.protocol import crypto
from node.protocol.crypto import DataKey, SealContext, open_bytes_with_dek, open_sealed_bytes
from node.protocol.dkg_local import LocalRitual, run_local_ritual
from node.types import ContentCommitment, DatasetId, FileId, RitualId

OUT = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "ddf_v1.json"
RITUAL_ID = 1
REGISTRY = to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3")


def deterministic_randbytes(label: str) -> Callable[[int], bytes]:
    """A counter-mode sha256 stream: the DEK and nonce prefix of a vector, reproducibly."""
    counter = 0

    def randbytes(n: int) -> bytes:
        nonlocal counter
        out = b""
        while len(out) < n:
            out += hashlib.sha256(f"ddf_v1 vector {label} {counter}".encode()).digest()
            counter += 1
        return out[:n]

    return randbytes


def context(name: str, **overrides: Any) -> SealContext:
    fields: dict[str, Any] = {
        "chain_id": 31337,
        "registry": REGISTRY,
        "dataset_id": DatasetId(1),
        "file_id": FileId(hashlib.sha256(f"file {name}".encode()).digest()),
        "ritual_id": RitualId(RITUAL_ID),
        "content_commitment": ContentCommitment(hashlib.sha256(f"cc {name}".encode()).digest()),
    }
    fields.update(overrides)
    return SealContext(**fields)


CASES: list[tuple[str, str, bytes, int, dict[str, Any]]] = [
    ("empty", "empty plaintext: one 16-byte final segment", b"", crypto.SEGMENT_SIZE, {}),
    ("one-byte", "a single byte", b"\x00", crypto.SEGMENT_SIZE, {}),
    (
        "text",
        "a short JSONL record",
        b'{"id":"1","kind":"message","text":"hello, DAO"}\n',
        crypto.SEGMENT_SIZE,
        {},
    ),
    (
        "multi-segment",
        "100 bytes in 16-byte segments (7 segments, last one 4 bytes); test-only segment size",
        bytes(range(100)),
        16,
        {},
    ),
    (
        "segment-boundary",
        "64 bytes in 16-byte segments: the final segment is full; test-only segment size",
        bytes(range(64, 128)),
        16,
        {},
    ),
    (
        "wide-fields",
        "chain id and dataset id that need all 32 bytes",
        b"wide",
        crypto.SEGMENT_SIZE,
        {"chain_id": 2**256 - 1, "dataset_id": DatasetId(2**255 + 12345)},
    ),
]


def context_json(ctx: SealContext) -> dict[str, Any]:
    return {
        "chain_id": str(ctx.chain_id),  # decimal strings: JSON readers lose precision past 2^53
        "registry": ctx.registry,
        "dataset_id": str(ctx.dataset_id),
        "file_id": ctx.file_id.hex(),
        "ritual_id": ctx.ritual_id,
        "content_commitment": ctx.content_commitment.hex(),
    }


def seal_case(
    ritual: LocalRitual, name: str, plaintext: bytes, segment_size: int, ctx: SealContext
) -> dict[str, Any]:
    randbytes = deterministic_randbytes(name)
    dek = randbytes(32)
    prefix = randbytes(7)
    out = io.BytesIO()
    header = crypto._seal(
        plaintext,
        ritual.public_key,
        ctx,
        out=out,
        length=None,
        segment_size=segment_size,
        randbytes=deterministic_randbytes(name),
        threads=None,
    )
    sealed = out.getvalue()
    # Check before writing: the DEK we recorded opens the file, and so do t shares.
    checks = (
        header.header.nonce_prefix == prefix,
        open_bytes_with_dek(sealed, DataKey(dek), ctx) == plaintext,
        ritual.decrypt(header) == DataKey(dek),
        open_sealed_bytes(sealed, ctx, dek_for=ritual.decrypt) == plaintext,
    )
    if not all(checks):
        raise RuntimeError(f"vector {name!r} does not open as recorded: {checks}")
    return {
        "segment_size": segment_size,
        "context": context_json(ctx),
        "plaintext": plaintext.hex(),
        "dek": dek.hex(),
        "nonce_prefix": prefix.hex(),
        "header": header.encoded.hex(),
        "header_hash": header.header_hash.hex(),
        "sealed": sealed.hex(),
    }


def invalid_cases(valid: dict[str, Any]) -> list[dict[str, Any]]:
    """Mutations of the "text" vector that must fail with EnvelopeError."""
    sealed = bytes.fromhex(valid["sealed"])
    header_len = int.from_bytes(sealed[:4], "big")
    version_at = 4 + 4
    mutations = {
        "unknown-version": sealed[:version_at] + b"\x02" + sealed[version_at + 1 :],
        "truncated-final-segment": sealed[:-1],
        "body-removed": sealed[: 4 + header_len],
        "trailing-byte": sealed + b"\x00",
        "tag-bit-flipped": sealed[:-1] + bytes([sealed[-1] ^ 0x01]),
        # a nonce-prefix bit: the context still matches, so only the cryptography can object
        "header-bit-flipped": sealed[:130] + bytes([sealed[130] ^ 0x80]) + sealed[131:],
    }
    return [
        {
            "name": name,
            "based_on": "text",
            "sealed": blob.hex(),
            "dek": valid["dek"],
            "context": valid["context"],
            "expect": "EnvelopeError",
        }
        for name, blob in mutations.items()
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.out.exists() and not args.force:
        print(f"{args.out} exists; v1 vectors are never regenerated (use --force to override)")
        return 1

    ritual = run_local_ritual(
        shares=4, threshold=3, ritual_id=RITUAL_ID, seed=b"datadao ddf_v1 vectors"
    )
    vectors = []
    for name, description, plaintext, segment_size, overrides in CASES:
        ctx = context(name, **overrides)
        vectors.append(
            {"name": name, "description": description}
            | seal_case(ritual, name, plaintext, segment_size, ctx)
        )
    text = next(v for v in vectors if v["name"] == "text")
    document = {
        "format": "DDF v1 (node/protocol/header.py, node/protocol/crypto.py)",
        "generator": "scripts/gen_vectors.py",
        "nucypher_core": "0.16.0",
        "ritual": ritual.to_dict(),
        "valid": vectors,
        "invalid": invalid_cases(text),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    counts = f"{len(vectors)} valid and {len(document['invalid'])} invalid vectors"
    print(f"wrote {counts} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
