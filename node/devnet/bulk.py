"""Many small contributions into one devnet epoch, fast, through the real contract calls.

The contribute pipeline (parse, seal, store, sign, submit, wait) takes about a second per file
on a 2-core machine, mostly waiting for one mined block per transaction; an epoch of 10,000
files would spend hours there before any validator starts. A benchmark needs the *epoch*, not the
pipeline, so this module takes the shortest honest path to the same on-chain state:

* each file is a synthetic canonical export (distinct records, words drawn from the devnet's
  validation set so the valuation has something to value), signed by its own fresh contributor
  key (a 10,000-file epoch is 10,000 contributors, as the issue counts them);
* sealing to the DAO key and the EIP-712 signature run in a process pool (both CPU-bound); the
  parent stores each sealed file in the devnet's blockstore (one writer);
* one relayer account sends a real ``SubmissionRegistry.submit`` per file with its bond, with
  anvil's automine off, and then mines until the pool is empty: hundreds of submissions per
  block instead of one, so a large epoch fits the submit window. Every receipt is checked.

Nothing here is a shortcut around the protocol: the registry derives each file id, takes each
bond and emits each ``SubmissionRegistered`` event exactly as for a contributor's own submit.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import random
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from node.chain.client import ChainClient, PendingTx
from node.chain.eip712 import SubmissionMessage, sign
from node.chain.registry import SubmissionRegistry
from node.errors import ChainError
from node.parsers.base import ParsedExport, Record
from node.parsers.canonical import canonicalize
from node.protocol.crypto import DaoPublicKey, SealContext, seal_bytes
from node.storage.base import BlobStore
from node.types import ContentCommitment, DatasetId, FileId, RitualId

__all__ = [
    "BulkFile",
    "BulkSubmitFailed",
    "SealJob",
    "automine_off",
    "contributor_key",
    "mine_pending",
    "prepare_files",
    "send_batched",
    "submit_bulk",
    "synthetic_plaintext",
    "vocabulary",
]

GAS_HEADROOM = 1.5
"""Gas limit of every bulk submit, relative to the first one's measured gas: the files differ
only in hashes and CID, so their cost hardly varies; anvil packs a block by gas *limit*."""

_EPOCH_TS = datetime(2026, 1, 1, tzinfo=UTC)


class BulkSubmitFailed(ChainError):
    """A bulk submission reverted or was not mined; the message names the file."""


@dataclass(frozen=True, slots=True)
class SealJob:
    """What a pool worker needs to seal and sign one file (plain values: it is pickled)."""

    index: int
    seed: int
    records: int
    words: tuple[str, ...]
    chain_id: int
    registry: str
    dataset_id: int
    ritual_id: int
    dao_key: bytes
    epoch: int
    deadline: int


@dataclass(frozen=True, slots=True)
class BulkFile:
    """One sealed, signed file, ready to relay (``sealed`` is dropped once stored)."""

    index: int
    message: SubmissionMessage
    signature: bytes
    sealed: bytes
    plaintext_bytes: int

    @property
    def file_id(self) -> FileId:
        """What the registry will derive: keccak256(abi.encode(contributor, headerHash))."""
        return self.message.file_id()


def contributor_key(seed: int, index: int) -> LocalAccount:
    """The ``index``-th synthetic contributor's key: a hash, not the mnemonic (deriving 10,000
    HD keys costs minutes). It holds no ETH: the relayer pays gas and bond, and the bond is
    refunded to this address by the claim."""
    digest = hashlib.sha256(f"datadao-bench-contributor/{seed}/{index}".encode()).digest()
    account: LocalAccount = Account.from_key(digest)
    return account


def vocabulary(canonical_text: str, *, limit: int = 4000) -> tuple[str, ...]:
    """Distinct lower-case words of a text (the validation set's), in first-seen order."""
    seen: dict[str, None] = {}
    for raw in canonical_text.split():
        word = "".join(ch for ch in raw.lower() if ch.isalpha())
        if word and word not in seen:
            seen[word] = None
            if len(seen) >= limit:
                break
    return tuple(seen) or ("data",)


def synthetic_plaintext(index: int, *, seed: int, records: int, words: Sequence[str]) -> bytes:
    """Canonical export bytes for file ``index``: ``records`` chat messages of 6 to 24 words.

    Deterministic in (seed, index); the record ids carry the index, so no two files share
    content (the registry takes each content once per contributor, and copies score 0)."""
    rng = random.Random(f"{seed}/{index}")  # noqa: S311 - reproducible benchmark data
    rows = tuple(
        Record(
            id=f"f{index}-r{i}",
            timestamp=_EPOCH_TS + timedelta(minutes=index * 97 + i),
            kind="message",
            text=" ".join(rng.choices(words, k=rng.randint(6, 24))).capitalize() + ".",
            author="user",
            thread=f"t{index}",
        )
        for i in range(records)
    )
    export = ParsedExport(platform="generic", account=None, records=rows, scrubbed=True)
    return canonicalize(export).data


def _seal_one(job: SealJob) -> BulkFile:
    """Pool worker: build, seal and sign file ``job.index``."""
    who = contributor_key(job.seed, job.index)
    plaintext = synthetic_plaintext(job.index, seed=job.seed, records=job.records, words=job.words)
    commitment = ContentCommitment(hashlib.sha256(plaintext).digest())
    ctx = SealContext(
        chain_id=job.chain_id,
        registry=job.registry,  # type: ignore[arg-type]  # checked by SealContext itself
        dataset_id=DatasetId(job.dataset_id),
        contributor=who.address,
        ritual_id=RitualId(job.ritual_id),
        content_commitment=commitment,
    )
    sealed = seal_bytes(plaintext, DaoPublicKey(job.dao_key), ctx)
    message = SubmissionMessage(
        contributor=who.address,
        datasetId=job.dataset_id,
        cid="",  # set by the parent once stored (the CID is not part of the sealed bytes)
        headerHash=bytes(sealed.header_hash),
        contentCommitment=bytes(commitment),
        ritualId=job.ritual_id,
        epoch=job.epoch,
        deadline=job.deadline,
    )
    return BulkFile(job.index, message, b"", sealed.data, len(plaintext))


def _sign_one(item: tuple[SubmissionMessage, int, int, str, int]) -> bytes:
    message, seed, index, registry, chain_id = item
    return sign(message, contributor_key(seed, index), chain_id=chain_id, registry=registry)


def prepare_files(
    jobs: Sequence[SealJob],
    store: BlobStore,
    *,
    workers: int = 2,
    chunksize: int = 16,
    pool: Callable[[int], ProcessPoolExecutor] | None = None,
) -> list[BulkFile]:
    """Seal every job's file in a process pool, store it, then sign its submission.

    The signature covers the CID, which exists only once the parent stored the sealed bytes, so
    signing is a second pooled pass. Returns the files in job order, without their sealed bytes.
    """
    make = pool or (
        lambda n: ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"))
    )
    stored: list[BulkFile] = []
    with make(workers) as ex:
        for f in ex.map(_seal_one, jobs, chunksize=chunksize):
            cid = str(store.add(f.sealed, pin=True))
            msg = SubmissionMessage(**{**_fields(f.message), "cid": cid})
            stored.append(BulkFile(f.index, msg, b"", b"", f.plaintext_bytes))
        items = [
            (f.message, j.seed, j.index, j.registry, j.chain_id)
            for f, j in zip(stored, jobs, strict=True)
        ]
        signatures = list(ex.map(_sign_one, items, chunksize=chunksize))
    return [
        BulkFile(f.index, f.message, sig, b"", f.plaintext_bytes)
        for f, sig in zip(stored, signatures, strict=True)
    ]


def _fields(m: SubmissionMessage) -> dict[str, Any]:
    return {k: getattr(m, k) for k in SubmissionMessage.__slots__}


@contextlib.contextmanager
def automine_off(chain: ChainClient) -> Iterator[Callable[[], None]]:
    """Anvil without automine; yields ``mine()``, and turns automine back on whatever happens."""
    rpc = chain.w3.provider.make_request
    rpc("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield lambda: _rpc_ok(rpc("evm_mine", []))  # type: ignore[arg-type]
    finally:
        rpc("evm_setAutomine", [True])  # type: ignore[arg-type]


def _rpc_ok(response: Any) -> None:
    if isinstance(response, dict) and response.get("error"):
        raise BulkSubmitFailed(f"anvil refused: {response['error']}")


def pending_count(chain: ChainClient) -> int:
    """Transactions waiting in anvil's pool (``txpool_status``)."""
    status = chain.w3.provider.make_request("txpool_status", [])  # type: ignore[arg-type]
    result = status.get("result") or {}
    return int(str(result.get("pending", "0x0")), 16)


def mine_pending(chain: ChainClient, mine: Callable[[], None], *, max_blocks: int) -> int:
    """Mine until anvil's pool is empty (a block holds what fits its gas limit); returns the
    blocks mined. Raises :class:`BulkSubmitFailed` if ``max_blocks`` do not drain it."""
    for mined in range(max_blocks):
        if pending_count(chain) == 0:
            return mined
        mine()
    if pending_count(chain):
        raise BulkSubmitFailed(f"transactions still pending after {max_blocks} blocks")
    return max_blocks


def send_batched(
    chain: ChainClient,
    calls: Sequence[tuple[Any, int]],
    *,
    gas: int,
    per_block: int = 100,
    max_blocks: int = 10_000,
) -> list[TxReceipt]:
    """Send ``(contract function, value)`` calls from ``chain``'s account with automine off,
    mining a block every ``per_block`` and then until the pool is empty; returns each receipt
    in order. Raises :class:`BulkSubmitFailed` for the first call that did not succeed."""
    pending: list[PendingTx] = []
    with automine_off(chain) as mine:
        for fn, value in calls:
            pending.append(chain.send_nowait(fn, value=value, gas=gas))
            if len(pending) % per_block == 0:
                mine()
        mine_pending(chain, mine, max_blocks=max_blocks)
    receipts = []
    for i, p in enumerate(pending):
        try:
            receipt = chain.wait(p)
        except ChainError as err:
            raise BulkSubmitFailed(f"call {i} ({p.tx_hash!r}) failed: {err}") from err
        receipts.append(receipt)
    return receipts


def submit_bulk(
    relayer: ChainClient,
    registry: SubmissionRegistry,
    files: Sequence[BulkFile],
    *,
    bond: int,
    per_block: int = 100,
) -> list[TxReceipt]:
    """Relay one ``SubmissionRegistry.submit`` per file, paying its ``bond``.

    The first goes alone with automine on (its gas sets the limit of the rest, see
    :data:`GAS_HEADROOM`); the rest with :func:`send_batched`. ``registry`` must be bound to
    ``relayer``. Returns every receipt, in file order.
    """
    if not files:
        return []
    fn = registry.contract.functions.submit
    first = relayer.send(fn(files[0].message.as_tuple(), files[0].signature), value=bond)
    gas = int(first["gasUsed"] * GAS_HEADROOM)
    rest = [(fn(f.message.as_tuple(), f.signature), bond) for f in files[1:]]
    return [first, *send_batched(relayer, rest, gas=gas, per_block=per_block)]
