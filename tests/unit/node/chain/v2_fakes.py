"""A read-only fake of the v2 registry as ChainClient sees it (imported by name by the tests).

The ABI fragments are v2.md's interface of record, written here so these tests pin the wrapper
to the interface whatever ABI JSON is checked in. Logs are answered per requested block range,
in a scrambled order within each page, so the wrapper's ordering and paging are what is tested.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3
from web3.contract import Contract

from node.chain._revert_table import SubmissionRegistryUnknownFile

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
