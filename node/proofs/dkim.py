"""Method ``dkim``: the platform's DKIM-signed "your data export is ready" e-mail.

The contributor attaches the ``.eml`` the platform sent when the export was ready. A validator
accepts it when, with no DNS at all (the key comes from the dataset's pinned parameters):

1. one of its ``DKIM-Signature`` headers is by a pinned ``(domain, selector)`` key that vouches
   for the export's platform and was valid at the signature time (``t=``, else ``Date``), and
   that signature verifies (``dkimpy``, RSA >= 1024 bits, the body hash included);
2. the signature covers ``From``, ``To`` and ``Date``, and the message has exactly one of each
   (DKIM signs the *last* instance of a header while mail readers show the first, so a second
   ``To`` above the signed one would otherwise name someone else);
3. the ``From`` address is at the signing domain or a subdomain (the e-mail is the platform's,
   not any mail relayed through it);
4. the single ``To`` address equals, case-insensitively, the account e-mail the export states;
5. the ``Date`` is not older than the export's newest record by more than
   ``max_email_age_s`` (a stale e-mail is the one of an older export).

Refused outright, so every validator decides the same whatever its clock: signatures with an
expiry (``x=``; whether it passed depends on when a validator looks) and signatures with a body
length limit (``l=``; text appended after the signed length would be unsigned).

What it proves, and what not: that whoever attached the e-mail could read the mailbox the
platform sent the export to, and that the mailbox is the one the export names. It does not
prove that nobody else holds a copy of the export, nor that the e-mail was not leaked; and the
e-mail names no contributor address, so it binds the export to the account, not to the chain
address (use ``reclaim`` for that).
"""

from __future__ import annotations

import base64
import email.utils
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

from node.proofs.base import ProofSubject, Verdict
from node.proofs.params import DkimKey, ProofPolicy

__all__ = ["METHOD", "DkimVerifier", "sign_email"]

METHOD = "dkim"
MIN_KEY_BITS = 1024
_REQUIRED = (b"from", b"to", b"date")
_quiet = logging.getLogger(__name__ + ".dkimpy")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False  # dkimpy logs the whole signature on debug; keep it out of node logs


class _Refusal(Exception):
    """A check failed; the message is the verdict's reason."""


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    values = [v for k, v in headers if k.lower() == name]
    if len(values) != 1:
        raise _Refusal(f"the e-mail must have exactly one {name.decode().title()} header")
    return values[0]


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace").replace("\r\n", "").replace("\n", "").strip()


def _address(value: bytes, what: str) -> str:
    pairs = email.utils.getaddresses([_text(value)])
    addresses = [a for _, a in pairs if a]
    if len(addresses) != 1 or "@" not in addresses[0]:
        raise _Refusal(f"the {what} header must name exactly one address")
    return addresses[0].casefold()


def _date(value: bytes) -> datetime:
    try:
        when = email.utils.parsedate_to_datetime(_text(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        raise _Refusal("the Date header is not a date") from None
    if when.tzinfo is None:
        raise _Refusal("the Date header has no time zone")
    return when.astimezone(UTC)


def _lookup(key: DkimKey) -> Callable[..., bytes | None]:
    record = f"v=DKIM1; k=rsa; p={key.public_key}".encode()
    wanted = f"{key.selector}._domainkey.{key.domain}."

    def dnsfunc(name: bytes | str, timeout: int = 5) -> bytes | None:  # dkimpy's
        asked = name.decode() if isinstance(name, bytes) else name
        return record if asked.rstrip(".").lower() + "." == wanted else None

    return dnsfunc


def _signatures(headers: list[tuple[bytes, bytes]]) -> list[dict[bytes, bytes]]:
    out = []
    for name, value in headers:
        if name.lower() == b"dkim-signature":
            try:
                out.append(parse_tag_value(value))
            except (InvalidTagValueList, ValueError, IndexError):
                out.append({})
    return out


def _check(subject: ProofSubject, message: bytes, policy: ProofPolicy) -> None:
    try:
        headers, _ = dkim.rfc822_parse(message)
    except Exception as err:  # any parse failure of hostile bytes is a refusal
        raise _Refusal(f"not an e-mail ({type(err).__name__})") from None
    sigs = _signatures(headers)
    if not sigs:
        raise _Refusal("the e-mail carries no DKIM signature")
    to = _address(_header(headers, b"to"), "To")
    sender = _address(_header(headers, b"from"), "From")
    sent = _date(_header(headers, b"date"))
    pinned = [k for k in policy.dkim_keys if subject.platform in k.platforms]
    for idx, sig in enumerate(sigs):
        domain = sig.get(b"d", b"").decode("ascii", "replace").lower()
        selector = sig.get(b"s", b"").decode("ascii", "replace").lower()
        candidates = [k for k in pinned if (k.domain, k.selector) == (domain, selector)]
        if not candidates:
            continue
        if b"x" in sig:
            raise _Refusal("signatures with an expiry (x=) are not accepted")
        if b"l" in sig:
            raise _Refusal("signatures with a body length limit (l=) are not accepted")
        signed = [h.strip().lower() for h in sig.get(b"h", b"").split(b":")]
        missing = [h.decode() for h in _REQUIRED if h not in signed]
        if missing:
            raise _Refusal(f"the signature does not cover {', '.join(missing)}")
        t = sig.get(b"t", b"")
        when = int(t) if t.isdigit() and len(t) <= 12 else int(sent.timestamp())
        key = next((k for k in candidates if k.valid_at(when)), None)
        if key is None:
            raise _Refusal(f"key {selector}/{domain} is not valid at the signature time")
        if not (sender.endswith("@" + domain) or sender.endswith("." + domain)):
            raise _Refusal("the From address is not at the signing domain")
        try:
            good = dkim.DKIM(message, logger=_quiet, minkey=MIN_KEY_BITS).verify(
                idx=idx, dnsfunc=_lookup(key)
            )
        except Exception as err:  # dkimpy raises several families on bad input
            raise _Refusal(f"DKIM signature invalid ({type(err).__name__})") from None
        if not good:
            raise _Refusal("DKIM signature does not verify (altered or forged e-mail)")
        if subject.email is None:
            raise _Refusal("the export states no account e-mail to match")
        if to != subject.email.casefold():
            raise _Refusal("the e-mail was sent to another address than the export's account")
        if subject.newest is None:
            raise _Refusal("the export has no record times to bound the e-mail's age")
        age = (subject.newest - sent).total_seconds()
        if age > policy.max_email_age_s:
            raise _Refusal(f"the e-mail is {int(age)} s older than the export (stale)")
        return
    raise _Refusal(f"no DKIM signature by a key pinned for {subject.platform}")


class DkimVerifier:
    """The ``dkim`` proof method (see the module docstring)."""

    @property
    def method(self) -> str:
        """``dkim``."""
        return METHOD

    def sniff(self, data: bytes) -> bool:
        """An RFC 822 message with a DKIM-Signature header near the top."""
        head = data[:65536].lower()
        return b"dkim-signature:" in head and (head.startswith(b"dkim-") or b"\ndkim-" in head)

    def verify(
        self, subject: ProofSubject, proof: bytes, contributor: str, policy: ProofPolicy
    ) -> Verdict:
        """Verify ``proof`` (an ``.eml``). ``contributor`` is unused: the e-mail cannot name it."""
        if not policy.dkim_keys:
            return Verdict.not_applicable(METHOD, "the dataset pins no DKIM keys")
        try:
            _check(subject, bytes(proof), policy)
        except _Refusal as refusal:
            return Verdict.refused(METHOD, str(refusal))
        return Verdict.verified(METHOD)


def sign_email(
    *,
    private_key_pem: bytes,
    domain: str,
    selector: str,
    sender: str,
    to: str,
    date: datetime,
    subject: str = "Your data export is ready",
    body: str = "Your data export is ready to download.\n",
) -> bytes:
    """A DKIM-signed export e-mail (for tests and the devnet demo's synthetic platform)."""
    message = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {email.utils.format_datetime(date.astimezone(UTC))}\r\n"
        f"Message-ID: <{int(date.timestamp())}.{base64.b32encode(to.encode()).decode()[:16]}"
        f"@{domain}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + body.replace("\n", "\r\n")
    ).encode()
    signature = dkim.sign(
        message,
        selector.encode(),
        domain.encode(),
        private_key_pem,
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
        logger=_quiet,
    )
    return bytes(signature) + message
