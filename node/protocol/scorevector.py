"""An epoch's score vector: what a validator commits to, publishes and the chain pays from.

Protocol v2 (issue #16) replaced v1's per-file basis-point reveals with one Merkle root over the
whole vector, so ``reveal`` and ``finalize`` cost the same for 10 files or 10,000 and a claim is
a proof against the finalized root. The tree is what ``contracts`` verify with OpenZeppelin's
``MerkleProof.verify``:

* leaf = ``keccak256(bytes.concat(keccak256(abi.encode(bytes32 fileId, uint256 value))))``
  (OpenZeppelin ``StandardMerkleTree``'s double hash, so a leaf can never be confused with an
  inner node);
* inner node = keccak256 of the *sorted* pair (``Hashes.commutativeKeccak256``), so a proof is a
  plain list of siblings with no left/right flags;
* leaves ordered by file id ascending, levels built bottom-up pairing (0,1), (2,3), ...; an odd
  last node is carried up unchanged; one leaf: root = leaf; no leaves: root = 32 zero bytes.

Values are nano units of the epoch's contributor pool (:data:`UNITS` = 1e9 is the whole pool).
:func:`to_units` turns the engine's shares into units with exact rational arithmetic and a
largest-remainder rule whose ties go to the smaller file id, so every honest validator gets the
same integers, hence the same bytes, root and CID.

The published document (:meth:`ScoreVector.encode`) is canonical JSON; :meth:`ScoreVector.decode`
accepts exactly those bytes and nothing else (it re-encodes and compares), because a vector is
fetched from a stranger's blob and its CID is a hash of the bytes: two spellings of one vector
would be two CIDs. ``tests/vectors/scorevector_v2.json`` pins leaves, roots and proofs; a Foundry
test and a pytest read the same file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final

from eth_utils.crypto import keccak

from node import safejson
from node.errors import InputError
from node.types import DatasetId, Epoch, FileId

__all__ = [
    "MAX_VECTOR_BYTES",
    "UNITS",
    "VERSION",
    "ScoreVector",
    "ScoreVectorError",
    "leaf_hash",
    "merkle_root",
    "to_units",
    "verify_proof",
]

UNITS: Final = 10**9
"""The whole contributor pool of an epoch in vector units (1 unit = 1e-9 of the pool)."""

VERSION: Final = 2
UNIT_LABEL: Final = "1e-9"
UINT256_MAX: Final = 2**256 - 1
UINT64_MAX: Final = 2**64 - 1
ZERO_ROOT: Final = bytes(32)

MAX_VECTOR_BYTES: Final = 64 * 1024 * 1024
"""Largest document :meth:`ScoreVector.decode` reads: ~700,000 files, far past any epoch."""

_KEYS: Final = frozenset(("version", "dataset_id", "epoch", "unit", "root", "total", "scores"))
_HEX32: Final = re.compile(r"0x[0-9a-f]{64}\Z")
# canonical decimal: no sign, no leading zeros, at most 78 digits (uint256 max has 78)
_DECIMAL: Final = re.compile(r"(?:0|[1-9][0-9]{0,77})\Z")


class ScoreVectorError(InputError):
    """A score vector (or its inputs) is not what protocol v2 says: malformed, non-canonical,
    out of range, or its root does not match its scores. A fetched vector that raises this is
    refused as a whole; nothing in it is trusted."""


def leaf_hash(file_id: bytes, value: int) -> bytes:
    """``keccak256(bytes.concat(keccak256(abi.encode(bytes32 fileId, uint256 value))))``."""
    _check_entry(file_id, value)
    return keccak(keccak(bytes(file_id) + value.to_bytes(32, "big")))


def _pair(a: bytes, b: bytes) -> bytes:
    """OpenZeppelin ``Hashes.commutativeKeccak256``: the hash of the sorted pair."""
    return keccak(a + b) if a <= b else keccak(b + a)


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first; the last level holds the root alone."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        up = [_pair(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            up.append(below[-1])  # an odd last node is carried up unchanged
        levels.append(up)
    return levels


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root over ``leaves`` in the order given (32 zero bytes when there are none)."""
    if not leaves:
        return ZERO_ROOT
    return _levels(leaves)[-1][0]


def verify_proof(root: bytes, file_id: bytes, value: int, proof: Sequence[bytes]) -> bool:
    """Whether ``(file_id, value)`` is a leaf under ``root``: OpenZeppelin ``MerkleProof.verify``.

    Malformed arguments (a wrong-length id, root or sibling; a value outside uint256) are simply
    not a proof: the answer is ``False``, never an exception, so a caller can feed it hostile
    input.
    """
    try:
        node = leaf_hash(file_id, value)
    except ScoreVectorError:
        return False
    if not isinstance(root, bytes | bytearray) or len(root) != 32:
        return False
    for sibling in proof:
        if not isinstance(sibling, bytes | bytearray) or len(sibling) != 32:
            return False
        node = _pair(node, bytes(sibling))
    return node == bytes(root)


def _check_entry(file_id: object, value: object) -> None:
    if not isinstance(file_id, bytes | bytearray) or len(file_id) != 32:
        raise ScoreVectorError("a file id is 32 bytes")
    if type(value) is not int or not 0 <= value <= UINT256_MAX:
        raise ScoreVectorError("a score is an integer in uint256 range")


@dataclass(frozen=True, slots=True)
class ScoreVector:
    """One epoch's scores, file id ascending, every file of the epoch listed (zeros too).

    ``entries`` must already be strictly ascending by file id (no duplicates): the order is
    part of the tree, so it is checked, never silently repaired. Use :meth:`from_units` to build
    one from a mapping.

    Raises:
        ScoreVectorError: an id that is not 32 bytes, a value outside uint256, a total past
            uint256, duplicate or unsorted ids, a dataset id or epoch out of range.
    """

    dataset_id: DatasetId
    epoch: Epoch
    entries: tuple[tuple[FileId, int], ...]
    _tree: list[list[bytes]] = field(init=False, repr=False, compare=False)
    _index: dict[bytes, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if type(self.dataset_id) is not int or not 0 <= self.dataset_id <= UINT256_MAX:
            raise ScoreVectorError("dataset_id is a uint256")
        if type(self.epoch) is not int or not 0 <= self.epoch <= UINT64_MAX:
            raise ScoreVectorError("epoch is a uint64")
        entries = tuple(self.entries)
        for i, entry in enumerate(entries):
            if not isinstance(entry, tuple) or len(entry) != 2:
                raise ScoreVectorError("an entry is a (file id, value) pair")
            _check_entry(*entry)
            if i and bytes(entries[i - 1][0]) >= bytes(entry[0]):
                raise ScoreVectorError("file ids must be strictly ascending (no duplicates)")
        if sum(v for _, v in entries) > UINT256_MAX:
            raise ScoreVectorError("the total overflows uint256")
        object.__setattr__(self, "entries", entries)
        leaves = [leaf_hash(f, v) for f, v in entries]
        object.__setattr__(self, "_tree", _levels(leaves) if leaves else [[]])
        object.__setattr__(self, "_index", {bytes(f): i for i, (f, _) in enumerate(entries)})

    @classmethod
    def from_units(
        cls, dataset_id: DatasetId, epoch: Epoch, units: Mapping[FileId, int]
    ) -> ScoreVector:
        """The vector of ``units`` (any order), sorted by file id."""
        return cls(dataset_id, epoch, tuple(sorted(units.items(), key=lambda kv: bytes(kv[0]))))

    @property
    def root(self) -> bytes:
        """The Merkle root the validator commits to and reveals (zero when there are no files)."""
        top = self._tree[-1]
        return top[0] if top else ZERO_ROOT

    @property
    def total(self) -> int:
        """Sum of the values: :data:`UNITS` when anything is paid, 0 when nothing is."""
        return sum(v for _, v in self.entries)

    def value(self, file_id: bytes) -> int:
        """The file's value. Raises ScoreVectorError when the file is not in the vector."""
        return self.entries[self._position(file_id)][1]

    def proof(self, file_id: bytes) -> list[bytes]:
        """Siblings from the file's leaf up to the root (``[]`` for a one-leaf vector)."""
        i = self._position(file_id)
        out: list[bytes] = []
        for level in self._tree[:-1]:
            sibling = i ^ 1
            if sibling < len(level):  # an odd last node has no sibling: carried up
                out.append(level[sibling])
            i //= 2
        return out

    def _position(self, file_id: bytes) -> int:
        try:
            return self._index[bytes(file_id)]
        except (KeyError, TypeError):
            raise ScoreVectorError("the file is not in this score vector") from None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "dataset_id": self.dataset_id,
            "epoch": self.epoch,
            "unit": UNIT_LABEL,
            "root": "0x" + self.root.hex(),
            "total": str(self.total),
            "scores": [["0x" + bytes(f).hex(), str(v)] for f, v in self.entries],
        }

    def encode(self) -> bytes:
        """The canonical document: what is published, content-addressed and audited."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes, *, max_bytes: int = MAX_VECTOR_BYTES) -> ScoreVector:
        """Strictly parse a published vector: canonical bytes, consistent total and root.

        Raises:
            ScoreVectorError: anything else, including JSON nested deeper than a vector ever is
                (checked before decoding, :mod:`node.safejson`), a duplicate key, a wrong root
                or total, and bytes that are not the canonical spelling of what they hold.
        """
        if not isinstance(data, bytes | bytearray):
            raise ScoreVectorError("a score vector is bytes")
        if len(data) > max_bytes:
            raise ScoreVectorError(f"a score vector is at most {max_bytes} bytes")
        try:
            doc = safejson.loads(
                bytes(data),
                limit=3,  # object > scores list > pair
                object_pairs_hook=_no_duplicate_keys,
                parse_constant=_no_constant,
                parse_float=_no_float,
            )
        except ScoreVectorError:
            raise
        except (ValueError, UnicodeDecodeError, RecursionError) as err:
            raise ScoreVectorError(f"not a score vector document ({type(err).__name__})") from None
        vector = cls._from_json(doc)
        if vector.encode() != bytes(data):
            raise ScoreVectorError("not the canonical encoding of a score vector")
        return vector

    @classmethod
    def _from_json(cls, doc: object) -> ScoreVector:
        if not isinstance(doc, dict) or set(doc) != _KEYS:
            raise ScoreVectorError(f"a score vector is an object with exactly {sorted(_KEYS)}")
        if type(doc["version"]) is not int or doc["version"] != VERSION:
            raise ScoreVectorError(f"unsupported score vector version (this node reads {VERSION})")
        if doc["unit"] != UNIT_LABEL:
            raise ScoreVectorError(f"the unit must be {UNIT_LABEL!r}")
        for key in ("dataset_id", "epoch"):
            if type(doc[key]) is not int:
                raise ScoreVectorError(f"{key} must be an integer")
        scores = doc["scores"]
        if not isinstance(scores, list):
            raise ScoreVectorError("scores must be a list")
        entries = []
        for pair in scores:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ScoreVectorError('each score is ["0x<fileId>", "<value>"]')
            entries.append((FileId(_hex32(pair[0], "file id")), _uint(pair[1], "value")))
        vector = cls(DatasetId(doc["dataset_id"]), Epoch(doc["epoch"]), tuple(entries))
        if _uint(doc["total"], "total") != vector.total:
            raise ScoreVectorError("the total is not the sum of the scores")
        if _hex32(doc["root"], "root") != vector.root:
            raise ScoreVectorError("the root does not match the scores")
        return vector


def _hex32(raw: object, what: str) -> bytes:
    if not isinstance(raw, str) or not _HEX32.match(raw):
        raise ScoreVectorError(f"the {what} must be 0x and 64 lowercase hex digits")
    return bytes.fromhex(raw[2:])


def _uint(raw: object, what: str) -> int:
    if not isinstance(raw, str) or not _DECIMAL.match(raw):
        raise ScoreVectorError(f"the {what} must be a canonical decimal string")
    value = int(raw)
    if value > UINT256_MAX:
        raise ScoreVectorError(f"the {what} exceeds uint256")
    return value


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ScoreVectorError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ScoreVectorError(f"{name} is not allowed in a score vector")


def _no_float(raw: str) -> Any:
    raise ScoreVectorError("numbers in a score vector are integers")


def to_units(shares: Mapping[FileId, float | Fraction]) -> dict[FileId, int]:
    """Shares of the pool as nano units summing to exactly :data:`UNITS` (or all 0).

    Each file's quota is ``UNITS * share / sum(shares)`` computed exactly (a float converts to a
    Fraction without rounding, so no summation order can change the answer); every file gets the
    floor, and the units left over go one each to the largest remainders, ties to the smaller
    file id. A zero share stays exactly 0 (the left-over units are fewer than the files with a
    remainder). Nothing paid, every share 0, gives all zeros.

    Raises:
        ScoreVectorError: a negative, NaN or infinite share, or a file id that is not 32 bytes.
    """
    exact: dict[FileId, Fraction] = {}
    for file_id, share in shares.items():
        if not isinstance(file_id, bytes | bytearray) or len(file_id) != 32:
            raise ScoreVectorError("a file id is 32 bytes")
        if isinstance(share, bool) or not isinstance(share, int | float | Fraction):
            raise ScoreVectorError("a share is a number")
        if isinstance(share, float) and not math.isfinite(share):
            raise ScoreVectorError("a share must be finite")
        q = Fraction(share)
        if q < 0:
            raise ScoreVectorError("a share cannot be negative")
        exact[file_id] = q
    whole = sum(exact.values(), Fraction(0))
    if whole == 0:
        return dict.fromkeys(exact, 0)
    units: dict[FileId, int] = {}
    remainders: list[tuple[Fraction, bytes, FileId]] = []
    for file_id, q in exact.items():
        quota = q * UNITS / whole
        units[file_id] = math.floor(quota)
        remainders.append((quota - units[file_id], bytes(file_id), file_id))
    left = UNITS - sum(units.values())
    # largest remainder first; ties by file id ascending
    remainders.sort(key=lambda r: (-r[0], r[1]))
    for _, _, file_id in remainders[:left]:
        units[file_id] += 1
    return units
