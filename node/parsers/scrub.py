"""PII scrubbing of record text, on by default before anything is sealed or shared.

What is replaced, and by what:

* ``url_secret``: in ``http(s)``/``ftp`` URLs, the userinfo (``https://user:pw@host`` ->
  ``https://[secret]@host``) and the values of query or fragment parameters whose names mark a
  credential (``token``, ``access_token``, ``key``, ``api_key``, ``password``, ``sig``,
  ``signature``, ``secret``, ``session``, ``X-Amz-Credential``, …) -> ``token=[secret]``;
* ``email``: addresses such as ``alice@example.com`` -> ``[email]``;
* ``phone``: numbers written as phone numbers: ``+`` and 8-15 digits with optional separators,
  ``(555) 123-4567``, ``555-123-4567`` -> ``[phone]``.

Deliberately *not* matched: bare runs of digits (``5551234567``), because platform ids, unix
times and order numbers look the same; dates and times. Scrubbing is idempotent (the
replacement tokens match nothing), and the counts per kind are reported so the user can see what
was removed (``datadao inspect``). URLs go first so that a password in ``user:pw@host`` counts as
a URL secret rather than half of an e-mail address.

Every pattern anchors its start with a look-behind, so the regex engine tries each run of
characters once: matching stays linear even on a multi-megabyte record without separators.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from node.parsers.base import ParsedExport, Record, RecordsCallback, report_records

__all__ = ["PII_KINDS", "ScrubOptions", "ScrubResult", "scrub_export", "scrub_text"]

PII_KINDS = ("email", "phone", "url_secret")
SECRET = "[secret]"  # noqa: S105 -- the replacement token, not a credential

_URL = re.compile(r"(?<![\w/])(?:https?|ftp)://[^\s<>\"'`]+", re.IGNORECASE)
_USERINFO = re.compile(r"^([a-z]+://)([^/?#@\s]+)@", re.IGNORECASE)
_PARAM = re.compile(r"([?&#;])([^=&#;\s]+)=([^&#;\s]*)")
_SECRET_EXACT = frozenset(
    {"key", "sig", "pwd", "pass", "passwd", "sid", "session", "jwt", "otp", "auth", "ticket"}
)
_SECRET_PARTS = (
    "token",
    "secret",
    "password",
    "apikey",
    "api_key",
    "api-key",
    "signature",
    "credential",
    "sessionid",
    "session_id",
    "auth_",
    "authorization",
    "private_key",
    "access_key",
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9\-])"
)
_PHONE = re.compile(
    r"(?<![\w+.\-/])(?:"
    r"\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]?\d{2,4}){1,4}"
    r"|\(\d{2,4}\)[ .\-]?\d{3,4}[ .\-]\d{3,4}"
    r"|\d{3}[ .\-]\d{3}[ .\-]\d{4}"
    r")(?![\w])(?![.\-]\d)"
)


@dataclass(frozen=True, slots=True)
class ScrubOptions:
    """Which kinds to scrub. All on by default; turning one off is an explicit choice."""

    emails: bool = True
    phones: bool = True
    url_secrets: bool = True


@dataclass(frozen=True, slots=True)
class ScrubResult:
    """Scrubbed text and the replacements made per kind."""

    text: str
    counts: Mapping[str, int]


def _is_secret_param(name: str) -> bool:
    n = name.lower()
    return n in _SECRET_EXACT or any(part in n for part in _SECRET_PARTS)


class _Scrubber:
    """Holds the running counts while scrubbing many texts."""

    def __init__(self, options: ScrubOptions) -> None:
        self.options = options
        self.counts = dict.fromkeys(PII_KINDS, 0)

    def _param(self, m: re.Match[str]) -> str:
        sep, name, value = m.group(1), m.group(2), m.group(3)
        if not value or value == SECRET or not _is_secret_param(name):
            return m.group(0)
        self.counts["url_secret"] += 1
        return f"{sep}{name}={SECRET}"

    def _url(self, m: re.Match[str]) -> str:
        url = m.group(0)
        ui = _USERINFO.match(url)
        if ui is not None and ui.group(2) != SECRET:
            self.counts["url_secret"] += 1
            url = f"{ui.group(1)}{SECRET}@{url[ui.end() :]}"
        if "=" in url:
            url = _PARAM.sub(self._param, url)
        return url

    def _email(self, m: re.Match[str]) -> str:
        self.counts["email"] += 1
        return "[email]"

    def _phone(self, m: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in m.group(0))
        if not 7 <= digits <= 15 or (m.group(0).startswith("+") and digits < 8):
            return m.group(0)
        self.counts["phone"] += 1
        return "[phone]"

    def text(self, text: str) -> str:
        o = self.options
        if o.url_secrets and "://" in text:
            text = _URL.sub(self._url, text)
        if o.emails and "@" in text:
            text = _EMAIL.sub(self._email, text)
        if o.phones:
            text = _PHONE.sub(self._phone, text)
        return text


def scrub_text(text: str, options: ScrubOptions | None = None) -> ScrubResult:
    """Scrub one text.

    Args:
        text: any text.
        options: kinds to scrub (all when None).

    Returns:
        The scrubbed text and counts per kind (every kind of ``PII_KINDS`` present).
    """
    s = _Scrubber(options or ScrubOptions())
    out = s.text(text)
    return ScrubResult(out, MappingProxyType(dict(s.counts)))


def scrub_export(
    export: ParsedExport,
    options: ScrubOptions | None = None,
    *,
    on_records: RecordsCallback | None = None,
) -> ParsedExport:
    """Scrub every record's text; the result has ``scrubbed=True`` and ``pii_removed`` counts.

    Counts add to any from an earlier scrub, so scrubbing twice reports the same totals.
    Records whose text is unchanged are reused, not copied. ``on_records`` is called with the
    number of records scrubbed so far every ``PROGRESS_EVERY`` records and once with the total.
    """
    s = _Scrubber(options or ScrubOptions())
    records: list[Record] = []
    for r in export.records:
        text = s.text(r.text)
        records.append(r if text is r.text or text == r.text else replace(r, text=text))
        report_records(on_records, len(records))
    report_records(on_records, len(records), final=True)
    totals = {k: export.pii_removed.get(k, 0) + s.counts[k] for k in PII_KINDS}
    return replace(
        export,
        records=tuple(records),
        scrubbed=True,
        pii_removed=MappingProxyType(totals),
    )
