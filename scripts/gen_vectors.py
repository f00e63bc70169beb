"""Generate the protocol v2 known-answer vectors: ``tests/vectors/ddf_v2.json`` (sealed files)
and ``tests/vectors/submission_eip712_v2.json`` (the EIP-712 Submission struct).

Run by hand, never in CI, and review the diff::

    .venv/bin/python scripts/gen_vectors.py            # both; refuses to overwrite either
    .venv/bin/python scripts/gen_vectors.py --which eip712
    .venv/bin/python scripts/gen_vectors.py --force    # only when adding vectors to a new file

**DDF.**
Sealing is randomized, so a vector is a *decrypt-side* known answer: a sealed file plus what is
needed to open it, and the plaintext it must open to, forever. Two ways in are recorded:

* the data key (DEK) itself, drawn here from a deterministic stream through the recipe's private
  ``randbytes`` hook (with the nonce prefix), so the body can be checked without Ferveo;
* a complete local 3-of-4 Ferveo ritual (validator keypair seeds and dealt transcripts, from
  which the DKG public key and every decryption share are re-derived deterministically), so the
  DEK is also recovered through real threshold decryption.

Ferveo's own encryption randomness is internal, so running this again produces different
wrapped keys and header hashes: version-2 vectors, once committed, are never regenerated, only
added to (see tests/vectors/README.md). One invalid vector is a real DDF v1 sealed file (the
``text`` vector of the retired ``ddf_v1.json``, read from ``--v1-source`` when given), which v2
readers must refuse with ``UnsupportedDdfVersion``.

**EIP-712.** Signing is deterministic (RFC 6979), so these vectors are exact known answers: the
digest and signature come from ``eth_account`` (through ``node.chain.eip712``) and the struct
hash, domain separator and digest are recomputed here with a manual ``eth_abi`` encoding; the
generator refuses to write if the two disagree. Each vector also records the ``file_id`` the
registry derives (``fileIdOf``).
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

from eth_abi.abi import encode
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from node.chain.eip712 import (
    SUBMISSION_DOMAIN_NAME,
    SUBMISSION_DOMAIN_VERSION,
    SUBMISSION_TYPE,
    SubmissionMessage,
    digest,
    recover_signer,
    sign,
)
from node.protocol import crypto
from node.protocol.crypto import DataKey, SealContext, open_bytes_with_dek, open_sealed_bytes
from node.protocol.dkg_local import LocalRitual, run_local_ritual
from node.protocol.ids import VALIDATION_SET_CONTRIBUTOR, submission_file_id
from node.types import ContentCommitment, DatasetId, RitualId

VECTORS = Path(__file__).resolve().parents[1] / "tests" / "vectors"
OUT = VECTORS / "ddf_v2.json"
EIP712_OUT = VECTORS / "submission_eip712_v2.json"
RITUAL_ID = 1
REGISTRY = to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3")
CONTRIBUTOR = to_checksum_address("0x70997970c51812dc3a010c7d01b50e0d17dc79c8")


def deterministic_randbytes(label: str) -> Callable[[int], bytes]:
    """A counter-mode sha256 stream: the DEK and nonce prefix of a vector, reproducibly."""
    counter = 0

    def randbytes(n: int) -> bytes:
        nonlocal counter
        out = b""
        while len(out) < n:
            out += hashlib.sha256(f"ddf_v2 vector {label} {counter}".encode()).digest()
            counter += 1
        return out[:n]

    return randbytes


def context(name: str, **overrides: Any) -> SealContext:
    fields: dict[str, Any] = {
        "chain_id": 31337,
        "registry": REGISTRY,
        "dataset_id": DatasetId(1),
        "contributor": CONTRIBUTOR,
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
        "chain id and dataset id that need all 32 bytes, a contributor of all 0xff bytes",
        b"wide",
        crypto.SEGMENT_SIZE,
        {
            "chain_id": 2**256 - 1,
            "dataset_id": DatasetId(2**255 + 12345),
            "contributor": to_checksum_address("0x" + "ff" * 20),
        },
    ),
    (
        "validation-set",
        "a validation set: sealed with the zero address as contributor",
        b'{"id":"v1","kind":"message","text":"held out"}\n',
        crypto.SEGMENT_SIZE,
        {"contributor": VALIDATION_SET_CONTRIBUTOR},
    ),
]


def context_json(ctx: SealContext) -> dict[str, Any]:
    return {
        "chain_id": str(ctx.chain_id),  # decimal strings: JSON readers lose precision past 2^53
        "registry": ctx.registry,
        "dataset_id": str(ctx.dataset_id),
        "contributor": ctx.contributor,
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
        "file_id": submission_file_id(ctx.contributor, header.header_hash).hex(),
        "sealed": sealed.hex(),
    }


def invalid_cases(valid: dict[str, Any], v1_text: bytes | None) -> list[dict[str, Any]]:
    """Mutations of the "text" vector that must fail with EnvelopeError, and a real v1 file."""
    sealed = bytes.fromhex(valid["sealed"])
    header_len = int.from_bytes(sealed[:4], "big")
    version_at = 4 + 4
    mutations = {
        "unknown-version": sealed[:version_at] + b"\x03" + sealed[version_at + 1 :],
        # a v2 file relabelled as v1 is not laid out like v1: opaque, not "re-seal"
        "relabelled-v1": sealed[:version_at] + b"\x01" + sealed[version_at + 1 :],
        "truncated-final-segment": sealed[:-1],
        "body-removed": sealed[: 4 + header_len],
        "trailing-byte": sealed + b"\x00",
        "tag-bit-flipped": sealed[:-1] + bytes([sealed[-1] ^ 0x01]),
        # a nonce-prefix bit: the context still matches, so only the cryptography can object
        "header-bit-flipped": sealed[:118] + bytes([sealed[118] ^ 0x80]) + sealed[119:],
        # the contributor: the context no longer matches (another contributor's file)
        "contributor-bit-flipped": sealed[:100] + bytes([sealed[100] ^ 0x01]) + sealed[101:],
    }
    cases = [
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
    if v1_text is not None:
        cases.append(
            {
                "name": "v1-file",
                "based_on": "ddf_v1.json text (retired format)",
                "sealed": v1_text.hex(),
                "dek": valid["dek"],
                "context": valid["context"],
                "expect": "UnsupportedDdfVersion",
            }
        )
    return cases


def ddf_document(v1_source: Path | None) -> dict[str, Any]:
    ritual = run_local_ritual(
        shares=4, threshold=3, ritual_id=RITUAL_ID, seed=b"datadao ddf_v2 vectors"
    )
    vectors = []
    for name, description, plaintext, segment_size, overrides in CASES:
        ctx = context(name, **overrides)
        vectors.append(
            {"name": name, "description": description}
            | seal_case(ritual, name, plaintext, segment_size, ctx)
        )
    text = next(v for v in vectors if v["name"] == "text")
    v1_text = None
    if v1_source is not None:
        v1 = json.loads(v1_source.read_text())
        v1_text = bytes.fromhex(next(v for v in v1["valid"] if v["name"] == "text")["sealed"])
    return {
        "format": "DDF v2 (node/protocol/header.py, node/protocol/crypto.py)",
        "generator": "scripts/gen_vectors.py",
        "nucypher_core": "0.16.0",
        "ritual": ritual.to_dict(),
        "valid": vectors,
        "invalid": invalid_cases(text, v1_text),
    }


# --------------------------------------------------------------------------------------------
# EIP-712 Submission (protocol v2)

EIP712_CHAIN_ID = 31337
# anvil's well-known dev accounts 0 and 1 (never use them on a real chain)
ANVIL_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
)
UINT256_MAX = 2**256 - 1


def _h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


EIP712_CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "basic",
        ANVIL_KEYS[0],
        {
            "datasetId": 1,
            "cid": "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
            "headerHash": _h("header basic"),
            "contentCommitment": _h("cc basic"),
            "ritualId": 1,
            "epoch": 0,
            "deadline": 1893456000,
        },
    ),
    (
        "second_contributor_epoch_7",
        ANVIL_KEYS[1],
        {
            "datasetId": 1,
            "cid": "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
            "headerHash": _h("header second"),
            "contentCommitment": _h("cc second"),
            "ritualId": 3,
            "epoch": 7,
            "deadline": 1700000000,
        },
    ),
    (
        "same_header_other_contributor",
        ANVIL_KEYS[1],
        {
            "datasetId": 1,
            "cid": "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
            "headerHash": _h("header basic"),
            "contentCommitment": _h("cc basic"),
            "ritualId": 1,
            "epoch": 0,
            "deadline": 1893456000,
        },
    ),
    (
        "max_values_unicode_cid",
        ANVIL_KEYS[0],
        {
            "datasetId": UINT256_MAX,
            "cid": "bafy-\u00e9\u6f22\u5b57-\U0001f600",
            "headerHash": bytes(32),
            "contentCommitment": b"\x11" * 32,
            "ritualId": 2**32 - 1,
            "epoch": 2**64 - 1,
            "deadline": UINT256_MAX,
        },
    ),
]


def _manual_digest(m: SubmissionMessage, chain_id: int, registry: str) -> tuple[bytes, bytes]:
    """(domain separator, struct hash) by hand with eth_abi: an independent check of the
    library path, mirroring what the contract computes."""
    domain_type = (
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(domain_type.encode()),
                keccak(SUBMISSION_DOMAIN_NAME.encode()),
                keccak(SUBMISSION_DOMAIN_VERSION.encode()),
                chain_id,
                registry,
            ],
        )
    )
    struct_hash = keccak(
        encode(
            [
                "bytes32",
                "address",
                "uint256",
                "bytes32",
                "bytes32",
                "bytes32",
                "uint32",
                "uint64",
                "uint256",
            ],
            [
                keccak(SUBMISSION_TYPE.encode()),
                m.contributor,
                m.datasetId,
                keccak(m.cid.encode("utf-8")),
                m.headerHash,
                m.contentCommitment,
                m.ritualId,
                m.epoch,
                m.deadline,
            ],
        )
    )
    return separator, struct_hash


def eip712_document() -> dict[str, Any]:
    kw: dict[str, Any] = {"chain_id": EIP712_CHAIN_ID, "registry": REGISTRY}
    vectors = []
    separator = b""
    for name, key, fields in EIP712_CASES:
        account = Account.from_key(key)
        m = SubmissionMessage(contributor=account.address, **fields)
        separator, struct_hash = _manual_digest(m, EIP712_CHAIN_ID, REGISTRY)
        d = digest(m, **kw)
        if d != keccak(b"\x19\x01" + separator + struct_hash):
            raise RuntimeError(f"eip712 vector {name!r}: eth_account and eth_abi disagree")
        signature = sign(m, account, **kw)
        if recover_signer(m, signature, **kw) != account.address:
            raise RuntimeError(f"eip712 vector {name!r}: the signature does not recover")
        file_id = keccak(encode(["address", "bytes32"], [m.contributor, m.headerHash]))
        if file_id != m.file_id():
            raise RuntimeError(f"eip712 vector {name!r}: file id derivations disagree")
        vectors.append(
            {
                "name": name,
                "private_key": key,
                "submission": {
                    "contributor": m.contributor,
                    "dataset_id": str(m.datasetId),
                    "cid": m.cid,
                    "header_hash": "0x" + m.headerHash.hex(),
                    "content_commitment": "0x" + m.contentCommitment.hex(),
                    "ritual_id": str(m.ritualId),
                    "epoch": str(m.epoch),
                    "deadline": str(m.deadline),
                },
                "file_id": "0x" + file_id.hex(),
                "struct_hash": "0x" + struct_hash.hex(),
                "digest": "0x" + d.hex(),
                "signature": "0x" + signature.hex(),
            }
        )
    return {
        "description": (
            "EIP-712 Submission vectors for SubmissionRegistry v2 "
            "(contracts/src/interfaces/ISubmissionRegistry.sol). struct_hash = "
            "keccak256(abi.encode(typehash, contributor, datasetId, keccak256(bytes(cid)), "
            "headerHash, contentCommitment, ritualId, epoch, deadline)); digest = "
            "keccak256(0x1901 || domain_separator || struct_hash); signature = 65 bytes r || s "
            "|| v (v in {27, 28}, low s, RFC 6979 deterministic); file_id = "
            "keccak256(abi.encode(contributor, headerHash)) (fileIdOf). Integers inside "
            "`submission` are decimal strings (they may exceed 2^53); cid is UTF-8. "
            "verifying_contract is CREATE(0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266, nonce 0), "
            "the first contract anvil's account 0 deploys; the private keys are anvil's "
            "well-known dev accounts 0 and 1 (never use them on a real chain). "
            "`same_header_other_contributor` signs basic's header hash as another contributor: "
            "same content, another file id. Produced by scripts/gen_vectors.py (eth_account "
            "encode_typed_data + Account.sign_message, cross-checked against a manual eth_abi "
            "encoding)."
        ),
        "version": 2,
        "domain": {
            "name": SUBMISSION_DOMAIN_NAME,
            "version": SUBMISSION_DOMAIN_VERSION,
            "chain_id": EIP712_CHAIN_ID,
            "verifying_contract": REGISTRY,
        },
        "type_string": SUBMISSION_TYPE,
        "typehash": "0x" + keccak(SUBMISSION_TYPE.encode()).hex(),
        "domain_separator": "0x" + separator.hex(),
        "vectors": vectors,
    }


def _write(path: Path, document: dict[str, Any], force: bool) -> bool:
    if path.exists() and not force:
        print(f"{path} exists; committed vectors are never regenerated (--force to override)")
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {path}")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.add_argument("--which", choices=["all", "ddf", "eip712"], default="all")
    parser.add_argument("--out", type=Path, default=OUT, help="the DDF vector file")
    parser.add_argument("--eip712-out", type=Path, default=EIP712_OUT)
    parser.add_argument(
        "--v1-source", type=Path, default=None, help="ddf_v1.json, for the v1-file vector"
    )
    args = parser.parse_args()
    ok = True
    if args.which in ("all", "ddf"):
        ok &= _write(args.out, ddf_document(args.v1_source), args.force)
    if args.which in ("all", "eip712"):
        ok &= _write(args.eip712_out, eip712_document(), args.force)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
