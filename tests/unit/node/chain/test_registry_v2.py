"""SubmissionRegistry v2 wrapper: records joined from storage and event, epochs from logs.

Hostile first: an unknown file and a stored file whose log the RPC does not return are typed
errors; a provider that ignores topic filters or returns a page twice cannot mix epochs or list
a file twice; 10,000 files across many pages come back complete, in chain order.

The fake's ABI fragments are v2.md's interface of record, written here so these tests pin the
wrapper to the interface whatever ABI JSON is checked in. Logs are answered per requested block
range, scrambled within each page, so the wrapper's ordering and paging are what is tested.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from web3 import Web3
from web3.contract import Contract

from node.chain._revert_table import SubmissionRegistryUnknownFile
from node.chain.client import ChainClient
from node.chain.registry import SubmissionEventMissing, SubmissionRegistry, UnknownSubmission
from node.errors import ChainError
from node.types import DatasetId, Epoch

_ADDR = {"internalType": "address", "type": "address"}
_U256 = {"internalType": "uint256", "type": "uint256"}
_B32 = {"internalType": "bytes32", "type": "bytes32"}

ABI_V2: list[dict[str, Any]] = [
    {
        "type": "event",
        "name": "SubmissionRegistered",
        "anonymous": False,
        "inputs": [
            {"name": "datasetId", "type": "uint256", "indexed": True},
            {"name": "epoch", "type": "uint64", "indexed": True},
            {"name": "fileId", "type": "bytes32", "indexed": True},
            {"name": "contributor", "type": "address", "indexed": False},
            {"name": "cid", "type": "string", "indexed": False},
            {"name": "headerHash", "type": "bytes32", "indexed": False},
            {"name": "contentCommitment", "type": "bytes32", "indexed": False},
            {"name": "ritualId", "type": "uint32", "indexed": False},
            {"name": "bond", "type": "uint256", "indexed": False},
        ],
    },
    {
        "type": "function",
        "name": "submissionOf",
        "stateMutability": "view",
        "inputs": [{"name": "fileId", **_B32}],
        "outputs": [
            {
                "name": "",
                "type": "tuple",
                "internalType": "struct SubmissionRecord",
                "components": [
                    {"name": "contributor", **_ADDR},
                    {"name": "epoch", "type": "uint64", "internalType": "uint64"},
                    {"name": "ritualId", "type": "uint32", "internalType": "uint32"},
                    {"name": "datasetId", "type": "uint96", "internalType": "uint96"},
                    {"name": "bond", "type": "uint96", "internalType": "uint96"},
                    {"name": "registeredAt", "type": "uint64", "internalType": "uint64"},
                ],
            }
        ],
    },
    {
        "type": "function",
        "name": "config",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", **_ADDR}],
    },
    {
        "type": "function",
        "name": "epochWindows",
        "stateMutability": "view",
        "inputs": [{"name": "datasetId", **_U256}, {"name": "epoch", "type": "uint64"}],
        "outputs": [{"name": n, **_U256} for n in ("a", "b", "c", "d")],
    },
]

CONFIG = Web3.to_checksum_address("0x" + "c0" * 20)


@dataclass
class Log:
    block: int
    index: int
    args: dict[str, Any]


@dataclass
class FakeRegistryChain:
    """Answers ``call`` for submissionOf/config/epochWindows and ``events`` from ``logs``."""

    head: int = 100_000
    windows: tuple[int, int, int, int] = (1_000, 61_000, 61_010, 61_020)
    stored: dict[bytes, tuple[Any, ...]] = field(default_factory=dict)
    logs: list[Log] = field(default_factory=list)
    pages: list[tuple[int, int]] = field(default_factory=list)
    seed: int = 7

    def contract(self, address: str, abi: list[dict[str, Any]]) -> Contract:
        return Web3().eth.contract(address=Web3.to_checksum_address(address), abi=ABI_V2)

    def block_number(self) -> int:
        return self.head

    def call(self, fn: Any) -> Any:
        if fn.fn_name == "submissionOf":
            (file_id,) = fn.args
            if bytes(file_id) not in self.stored:
                raise SubmissionRegistryUnknownFile({"fileId": bytes(file_id)})
            return self.stored[bytes(file_id)]
        if fn.fn_name == "config":
            return CONFIG
        if fn.fn_name == "epochWindows":
            return self.windows
        raise AssertionError(fn.fn_name)

    def events(
        self,
        event: Any,
        *,
        from_block: int,
        to_block: int | None = None,
        page_size: int = 2_000,
        argument_filters: dict[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        end = self.head if to_block is None else to_block
        filters = argument_filters or {}
        rng = random.Random(self.seed)
        start = from_block
        while start <= end:
            stop = min(start + page_size - 1, end)
            self.pages.append((start, stop))
            page = [
                {"blockNumber": lg.block, "logIndex": lg.index, "args": lg.args}
                for lg in self.logs
                if start <= lg.block <= stop and all(lg.args[k] == v for k, v in filters.items())
            ]
            rng.shuffle(page)
            yield from page
            start = stop + 1


def event_args(
    *, file_id: bytes, contributor: str, epoch: int = 3, dataset_id: int = 1, n: int = 0
) -> dict[str, Any]:
    return {
        "datasetId": dataset_id,
        "epoch": epoch,
        "fileId": file_id,
        "contributor": contributor,
        "cid": f"bafy{n}",
        "headerHash": n.to_bytes(32, "big"),
        "contentCommitment": (n + 1).to_bytes(32, "big"),
        "ritualId": 1,
        "bond": 10**16,
    }


ALICE = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def registry(fake: FakeRegistryChain) -> SubmissionRegistry:
    return SubmissionRegistry(cast(ChainClient, fake), REGISTRY)


def fid(n: int) -> bytes:
    return (0xF00 + n).to_bytes(32, "big")


def stored(block: int, *, epoch: int = 3) -> tuple[Any, ...]:
    return (ALICE, epoch, 1, 1, 10**16, block)


def test_unknown_file_is_a_typed_error() -> None:
    with pytest.raises(UnknownSubmission) as err:
        registry(FakeRegistryChain()).record(fid(1))
    assert isinstance(err.value, ChainError)
    assert err.value.file_id == fid(1)


def test_stored_file_without_its_log_is_a_typed_error() -> None:
    fake = FakeRegistryChain(stored={fid(1): stored(5_000)})
    with pytest.raises(SubmissionEventMissing, match="prune logs"):
        registry(fake).record(fid(1))
    # it looked at the registration block, then the whole submit window
    assert fake.pages[0] == (5_000, 5_000)
    assert fake.pages[1][0] == 1_000
    assert fake.pages[-1][1] == 61_000


def test_record_joins_storage_and_the_event_of_its_file_id() -> None:
    fake = FakeRegistryChain(stored={fid(1): stored(5_000)})
    fake.logs = [
        Log(5_000, 0, event_args(file_id=fid(2), contributor=ALICE, n=2)),  # a neighbour
        Log(5_000, 1, event_args(file_id=fid(1), contributor=ALICE, n=1)),
    ]
    rec = registry(fake).record(fid(1))
    assert rec.file_id == fid(1)
    assert rec.cid == "bafy1"
    assert rec.header_hash == (1).to_bytes(32, "big")
    assert rec.content_commitment == (2).to_bytes(32, "big")
    assert (rec.contributor, rec.epoch, rec.registered_at, rec.bond) == (
        ALICE,
        3,
        5_000,
        10**16,
    )
    assert fake.pages == [(5_000, 5_000)]  # found at its block: one request


def test_epoch_records_pages_10000_files_in_chain_order() -> None:
    fake = FakeRegistryChain()
    n = 10_000
    # 4 files a block over 2,500 blocks, plus another epoch's and another dataset's files
    fake.logs = [
        Log(1_000 + i // 4, i % 4, event_args(file_id=fid(i), contributor=ALICE, n=i))
        for i in range(n)
    ]
    fake.logs += [
        Log(1_500, 9, event_args(file_id=fid(n + 1), contributor=ALICE, epoch=4, n=1)),
        Log(1_500, 10, event_args(file_id=fid(n + 2), contributor=ALICE, dataset_id=2, n=2)),
    ]
    records = registry(fake).epoch_records(DatasetId(1), Epoch(3), page_size=500)
    assert [r.file_id for r in records] == [fid(i) for i in range(n)]
    assert len(fake.pages) > 100  # paged over the window, not one request
    assert all(stop - start < 500 for start, stop in fake.pages)


def test_epoch_records_ignore_a_provider_that_ignores_filters_and_repeats_pages() -> None:
    class Sloppy(FakeRegistryChain):
        def events(self, event: Any, **kw: Any) -> Any:
            kw.pop("argument_filters", None)
            yield from super().events(event, **kw)
            yield from super().events(event, **kw)  # every log twice

    fake = Sloppy()
    fake.logs = [
        Log(1_001, 0, event_args(file_id=fid(1), contributor=ALICE, n=1)),
        Log(1_001, 1, event_args(file_id=fid(2), contributor=ALICE, epoch=4, n=2)),
        Log(1_000, 3, event_args(file_id=fid(3), contributor=ALICE, n=3)),
    ]
    records = registry(fake).epoch_records(DatasetId(1), Epoch(3))
    assert [r.file_id for r in records] == [fid(3), fid(1)]
