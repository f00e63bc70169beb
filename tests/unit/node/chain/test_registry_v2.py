"""SubmissionRegistry v2 wrapper: records joined from storage and event, epochs from logs.

Hostile first: an unknown file and a stored file whose log the RPC does not return are typed
errors; a provider that ignores topic filters or returns a page twice cannot mix epochs or list
a file twice; 10,000 files across many pages come back complete, in chain order.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from v2_fakes import FakeRegistryChain, Log, event_args

from node.chain.client import ChainClient
from node.chain.registry import SubmissionEventMissing, SubmissionRegistry, UnknownSubmission
from node.errors import ChainError
from node.types import DatasetId, Epoch

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
