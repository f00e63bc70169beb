"""Token buckets, the bounded LRU, the durable per-signer replay store, the shared head read."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from node.custody.wire import Refusal
from validator.shares.checks import ChainView, Refused
from validator.shares.nonces import NonceStore
from validator.shares.ratelimit import LRU, RateLimiter, TokenBucket


def test_bucket_allows_a_burst_then_refills_at_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # keys are independent
    now[0] += 0.5  # one token back
    assert limiter.allow("a")
    assert not limiter.allow("a")


def test_a_flood_of_fresh_keys_never_grows_the_table_past_its_cap() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, max_keys=100)
    for i in range(10_000):
        limiter.allow(f"k{i}")
    assert len(limiter) == 100


def test_the_least_recently_used_key_is_evicted_not_the_busy_one() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=1.0, burst=1, max_keys=2, clock=lambda: now[0])
    assert limiter.allow("busy")
    assert limiter.allow("x")
    assert not limiter.allow("busy")  # touched last: "x" is now the oldest
    assert limiter.allow("y")  # evicts "x"
    assert not limiter.allow("busy")  # still limited: its bucket was kept


def test_global_bucket() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=1.0, burst=2, clock=lambda: now[0])
    assert [bucket.allow() for _ in range(3)] == [True, True, False]
    now[0] += 1.0
    assert bucket.allow()


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        RateLimiter(rate=0, burst=1)
    with pytest.raises(ValueError, match="burst >= 1"):
        TokenBucket(rate=1, burst=0)
    with pytest.raises(ValueError, match="max_items"):
        LRU(0)


def test_lru_is_bounded() -> None:
    lru: LRU[int, int] = LRU(3)
    for i in range(10):
        lru.put(i, i)
    assert len(lru) == 3
    assert lru.get(0) is None
    assert lru.get(9) == 9


def test_nonce_is_single_use_until_its_deadline() -> None:
    store = NonceStore()
    assert store.claim("0xAbC", 1, deadline=100, now=10)
    assert store.seen("0xabc", 1)
    assert store.claim("0xabc", 1, deadline=100, now=11) is False  # case-insensitive address
    assert store.claim("0xabc", 2, deadline=100, now=11)
    assert store.claim("0xdef", 1, deadline=100, now=11)
    # past the deadline the entry may be forgotten (the request is refused as expired anyway)
    assert store.claim("0xabc", 1, deadline=300, now=200)


def test_a_signer_over_its_bound_is_refused_for_itself_only() -> None:
    store = NonceStore(max_per_signer=2)
    assert store.claim("a", 1, deadline=100, now=0)
    assert store.claim("a", 2, deadline=100, now=0)
    assert store.claim("a", 3, deadline=100, now=0) is None
    assert store.claim("b", 1, deadline=100, now=0)  # someone else is unaffected
    assert store.claim("a", 1, deadline=100, now=0) is None  # a full signer: refused anyway
    assert len(store) == 3
    assert store.signers() == 2
    # once the deadlines pass (purged every 60 s of chain time), the signer may ask again
    assert store.claim("a", 3, deadline=500, now=101)


def test_huge_nonces_are_stored_exactly() -> None:
    store = NonceStore()
    big = 2**256 - 1
    assert store.claim("a", big, deadline=100, now=0)
    assert store.claim("a", big - 1, deadline=100, now=0)
    assert store.claim("a", big, deadline=100, now=0) is False


def test_claims_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "v" / "nonces.sqlite3"
    store = NonceStore(path, max_per_signer=2)
    assert store.claim("0xA", 7, deadline=100, now=0)
    assert store.claim("0xA", 8, deadline=100, now=0)
    store.close()
    again = NonceStore(path, max_per_signer=2)
    assert again.seen("0xa", 7)
    assert again.seen("0xA", 8)
    assert not again.seen("0xa", 9)
    assert again.claim("0xa", 9, deadline=100, now=1) is None  # its bound is remembered too
    assert again.claim("0xb", 7, deadline=100, now=1)
    again.close()


# ------------------------------------------------------------------ the pinned head (ChainView)


class _Eth:
    def __init__(self, fail: BaseException | None = None) -> None:
        self.calls = 0
        self.fail = fail
        self.gate = threading.Event()
        self.gate.set()

    def get_block(self, ident: object) -> dict[str, object]:
        self.calls += 1
        self.gate.wait(5)
        if self.fail is not None:
            raise self.fail
        number = 10 if ident == "latest" else int(ident)  # type: ignore[call-overload]
        return {"number": number, "hash": bytes([number]) * 32, "timestamp": 1000 + number}


def _view(eth: _Eth, confirmations: int = 2) -> ChainView:
    chain = SimpleNamespace(w3=SimpleNamespace(eth=eth))
    return ChainView(
        chain=chain,  # type: ignore[arg-type]
        registry=None,  # type: ignore[arg-type]
        access=None,  # type: ignore[arg-type]
        score_board=None,  # type: ignore[arg-type]
        config=None,  # type: ignore[arg-type]
        confirmations=confirmations,
    )


def test_the_pinned_block_below_a_head_is_read_once_per_head() -> None:
    eth = _Eth()
    view = _view(eth)
    first = view.pinned_block()
    assert (first.number, first.timestamp) == (8, 1008)
    view.pinned_block()
    assert eth.calls == 3  # two head reads, one read of block 8


def test_concurrent_requests_share_one_head_read() -> None:
    eth = _Eth()
    view = _view(eth, confirmations=0)
    eth.gate.clear()
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(view.pinned_block().number))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    while eth.calls == 0:  # the first read is in flight, the others queue behind it
        threading.Event().wait(0.01)
    threading.Event().wait(0.2)
    eth.gate.set()
    for t in threads:
        t.join(5)
    assert results == [10] * 8
    assert eth.calls <= 2  # one in flight, at most one more for those that came after it


def test_an_unexpected_rpc_error_refuses_and_never_wedges_the_head() -> None:
    view = _view(_Eth(fail=RuntimeError("boom")), confirmations=0)
    for _ in range(2):  # a second request is not stuck behind the first one's failure
        with pytest.raises(Refused) as info:
            view.pinned_block()
        assert info.value.code is Refusal.CHAIN_UNAVAILABLE
    ok = _view(_Eth(fail=OSError("connection refused")), confirmations=0)
    with pytest.raises(Refused):
        ok.pinned_block()
