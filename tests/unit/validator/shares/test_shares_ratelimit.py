"""Token buckets and the replay-nonce store."""

from __future__ import annotations

from validator.shares.ratelimit import NonceStore, RateLimiter


def test_bucket_allows_a_burst_then_refills_at_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # keys are independent
    now[0] += 0.5  # one token back
    assert limiter.allow("a")
    assert not limiter.allow("a")


def test_nonce_is_single_use_until_its_deadline() -> None:
    store = NonceStore()
    assert store.claim("0xAbC", 1, deadline=100, now=10)
    assert not store.claim("0xabc", 1, deadline=100, now=11)  # case-insensitive address
    assert store.claim("0xabc", 2, deadline=100, now=11)
    assert store.claim("0xdef", 1, deadline=100, now=11)
    # past the deadline the entry may be forgotten (the request is refused as expired anyway)
    assert store.claim("0xabc", 1, deadline=300, now=200)


def test_nonce_store_refuses_rather_than_grows() -> None:
    store = NonceStore(max_entries=2)
    assert store.claim("a", 1, deadline=100, now=0)
    assert store.claim("a", 2, deadline=100, now=0)
    assert not store.claim("a", 3, deadline=100, now=0)
