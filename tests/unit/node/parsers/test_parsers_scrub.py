"""PII scrubbing: what is replaced, what is deliberately left, counts, idempotence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.parsers import ParsedExport, Record, ScrubOptions, scrub_export, scrub_text


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("mail alice.b+x@example.co.uk now", "mail [email] now", "email"),
        ("call +1 (555) 123-4567 today", "call [phone] today", "phone"),
        ("call (555) 123-4567", "call [phone]", "phone"),
        ("call 555-123-4567", "call [phone]", "phone"),
        ("call 555.123.4567", "call [phone]", "phone"),
        ("ring +44 20 7946 0958", "ring [phone]", "phone"),
        ("ring +4915112345678", "ring [phone]", "phone"),
        (
            "x https://h.example/p?a=1&token=abc123 y",
            "x https://h.example/p?a=1&token=[secret] y",
            "url_secret",
        ),
        ("https://h.example/?api_key=k1", "https://h.example/?api_key=[secret]", "url_secret"),
        ("https://h.example/?Signature=zz", "https://h.example/?Signature=[secret]", "url_secret"),
        ("https://h.example/?sig=zz", "https://h.example/?sig=[secret]", "url_secret"),
        (
            "https://h.example/?password=hunter2",
            "https://h.example/?password=[secret]",
            "url_secret",
        ),
        (
            "https://h.example/cb#access_token=abc",
            "https://h.example/cb#access_token=[secret]",
            "url_secret",
        ),
        ("https://bob:hunter2@h.example/x", "https://[secret]@h.example/x", "url_secret"),
        (
            "s3 https://b.example/o?X-Amz-Credential=AK",
            "s3 https://b.example/o?X-Amz-Credential=[secret]",
            "url_secret",
        ),
    ],
)
def test_each_kind_is_replaced(text: str, expected: str, kind: str) -> None:
    result = scrub_text(text)
    assert result.text == expected
    assert result.counts[kind] == 1
    assert sum(result.counts.values()) == 1


@pytest.mark.parametrize(
    "text",
    [
        "date 2023-01-15 12:34:56",
        "tweet id 1712345678901234567 and unix 1700000000",
        "ip 192.168.100.200 and version 1.2.3",
        "math 3+4 = 7 and 12-34",
        "https://h.example/?q=token&page=2",
        "https://h.example/?key=",
        "user@localhost has no domain",
        "@mention and RT @someone",
        "price 1,234,567.89",
    ],
)
def test_lookalikes_are_left_alone(text: str) -> None:
    result = scrub_text(text)
    assert result.text == text
    assert sum(result.counts.values()) == 0


def test_userinfo_password_counts_as_url_secret_not_email() -> None:
    result = scrub_text("https://me:pw@example.com/")
    assert result.counts["url_secret"] == 1
    assert result.counts["email"] == 0


def test_options_turn_kinds_off() -> None:
    text = "a@example.com 555-123-4567 https://h.example/?token=t"
    result = scrub_text(text, ScrubOptions(emails=False, phones=False, url_secrets=False))
    assert result.text == text
    only_email = scrub_text(text, ScrubOptions(phones=False, url_secrets=False))
    assert only_email.text == "[email] 555-123-4567 https://h.example/?token=t"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "a@example.com",
                "555-123-4567",
                "https://u:p@h.example/?token=x&b=2",
                "word",
                " ",
                "\n",
                "+1 555 010 1234",
                "é",
            ]
        ),
        max_size=20,
    ).map("".join)
)
def test_scrubbing_is_idempotent(text: str) -> None:
    once = scrub_text(text)
    twice = scrub_text(once.text)
    assert twice.text == once.text
    assert sum(twice.counts.values()) == 0


def test_scrub_export_counts_and_keeps_untouched_records() -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    clean = Record("1", t, "m", "nothing here")
    dirty = Record("2", t, "m", "mail a@example.com or b@example.com")
    out = scrub_export(ParsedExport("p", None, (clean, dirty)))
    assert out.scrubbed
    assert dict(out.pii_removed) == {"email": 2, "phone": 0, "url_secret": 0}
    assert out.records[0] is clean
    assert out.records[1].text == "mail [email] or [email]"
    again = scrub_export(out)
    assert dict(again.pii_removed) == dict(out.pii_removed)


def test_linear_time_on_a_long_run_without_separators() -> None:
    """A megabyte of word characters must not make the regexes backtrack quadratically."""
    import time

    text = "a" * 1_000_000 + "@" + "b" * 1_000_000
    start = time.perf_counter()
    scrub_text(text)
    assert time.perf_counter() - start < 2.0
