"""The parameters a dataset pins for ownership proofs, and the policy for files without one.

Validators must reach identical verdicts without asking anyone: not DNS (answers differ by
resolver and over time, and a platform rotates its DKIM keys), not an attestor's web service.
So everything a verdict depends on is pinned here and carried inside the dataset's
``ValuationSpec`` (``validator/valuation/spec.py``), whose digest is registered on chain:
changing a key, the attestor set or the policy is a governed act, and every validator of an
epoch applies the same one.

* ``dkim_keys``: the platform's DKIM public keys, by ``(domain, selector)``, each with the
  platforms whose exports it may vouch for and a validity window in unix seconds
  (``not_before`` inclusive, ``not_after`` exclusive, ``None`` = open). Rotation is adding the
  new key with its ``not_before`` and closing the old one's ``not_after``: e-mails signed
  before the rotation still verify under the old key, later ones only under the new.
* ``max_email_age_s``: how much older than the export's newest record the "your export is
  ready" e-mail may be (a stale e-mail belongs to an older export of the account).
* ``attestors``: Ethereum addresses of the zkTLS attestors trusted as a set, and
  ``attestor_threshold`` of them that must sign one claim; ``reclaim_providers`` pins which
  provider (by its hash) may vouch for which platform's accounts.
* ``unproven`` and ``factor_bps``: what a file without a verified proof gets: ``zero``, or its
  value times ``factor_bps / 10000``. The default (``factor`` at 10000) is today's behaviour: no
  proof required.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Literal, cast

from node.errors import ConfigError

__all__ = ["BPS", "DkimKey", "ProofPolicy", "ProofPolicyError", "ReclaimProvider", "Unproven"]

BPS = 10_000
Unproven = Literal["zero", "factor"]
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_HASH = re.compile(r"0x[0-9a-f]{64}")
_MAX_KEY_B64 = 8192  # an RSA-8192 SubjectPublicKeyInfo is ~1.4 KB of base64


class ProofPolicyError(ConfigError):
    """The pinned proof parameters are malformed (a governed configuration error)."""


def _domain(name: str, what: str) -> str:
    labels = name.split(".")
    if name != name.lower() or len(name) > 253 or not all(_LABEL.fullmatch(x) for x in labels):
        raise ProofPolicyError(f"{what} {name[:80]!r} is not a lowercase DNS name")
    return name


@dataclass(frozen=True, slots=True)
class DkimKey:
    """One pinned DKIM public key (the ``p=`` of ``<selector>._domainkey.<domain>``).

    Attributes:
        domain: the signing domain (``d=``), lowercase.
        selector: the selector (``s=``), lowercase.
        public_key: base64 of the DER SubjectPublicKeyInfo, exactly as the DNS record's ``p=``.
        platforms: export platforms (parser names) whose exports e-mails under this key vouch
            for; an OpenAI key cannot prove an X export.
        not_before: first unix second at which a signature under this key is accepted.
        not_after: first unix second at which it no longer is (``None``: still current).
    """

    domain: str
    selector: str
    public_key: str
    platforms: tuple[str, ...]
    not_before: int = 0
    not_after: int | None = None

    def __post_init__(self) -> None:
        _domain(self.domain, "DKIM domain")
        _domain(self.selector, "DKIM selector")
        if not self.platforms or not all(isinstance(p, str) and p for p in self.platforms):
            raise ProofPolicyError(f"DKIM key {self.selector}/{self.domain} names no platform")
        if not isinstance(self.public_key, str) or not 0 < len(self.public_key) <= _MAX_KEY_B64:
            raise ProofPolicyError(f"DKIM key {self.selector}/{self.domain}: bad public_key")
        try:
            base64.b64decode(self.public_key, validate=True)
        except (binascii.Error, ValueError):
            raise ProofPolicyError(
                f"DKIM key {self.selector}/{self.domain}: public_key is not base64"
            ) from None
        if self.not_after is not None and self.not_after <= self.not_before:
            raise ProofPolicyError(f"DKIM key {self.selector}/{self.domain}: empty window")

    def valid_at(self, when: int) -> bool:
        """Whether a signature made at unix second ``when`` may use this key."""
        return self.not_before <= when and (self.not_after is None or when < self.not_after)


@dataclass(frozen=True, slots=True)
class ReclaimProvider:
    """A zkTLS provider (by its Reclaim ``providerHash``) trusted to state ``platform`` accounts."""

    platform: str
    provider_hash: str

    def __post_init__(self) -> None:
        if not self.platform or not _HASH.fullmatch(self.provider_hash):
            raise ProofPolicyError("a Reclaim provider needs a platform and a 0x…64-hex hash")


@dataclass(frozen=True, slots=True)
class ProofPolicy:
    """Pinned proof parameters and the policy for unproven files. See the module docstring."""

    unproven: Unproven = "factor"
    factor_bps: int = BPS
    max_email_age_s: int = 30 * 86_400
    dkim_keys: tuple[DkimKey, ...] = ()
    attestors: tuple[str, ...] = ()
    attestor_threshold: int = 1
    reclaim_providers: tuple[ReclaimProvider, ...] = ()

    def __post_init__(self) -> None:
        if self.unproven not in ("zero", "factor"):
            raise ProofPolicyError(f"unknown unproven policy {self.unproven!r}; zero or factor")
        if isinstance(self.factor_bps, bool) or not 0 <= self.factor_bps <= BPS:
            raise ProofPolicyError(f"factor_bps must be 0..{BPS}")
        if self.max_email_age_s < 0:
            raise ProofPolicyError("max_email_age_s must be >= 0")
        if not all(_ADDRESS.fullmatch(a) for a in self.attestors):
            raise ProofPolicyError("attestors must be 0x-prefixed 20-byte hex addresses")
        if len({a.lower() for a in self.attestors}) != len(self.attestors):
            raise ProofPolicyError("an attestor is listed twice")
        if self.attestors and not 1 <= self.attestor_threshold <= len(self.attestors):
            raise ProofPolicyError("attestor_threshold must be 1..len(attestors)")
        seen: set[tuple[str, str, int]] = set()
        for key in self.dkim_keys:
            ident = (key.domain, key.selector, key.not_before)
            if ident in seen:
                raise ProofPolicyError(f"DKIM key {key.selector}/{key.domain} pinned twice")
            seen.add(ident)

    @property
    def requires_proof(self) -> bool:
        """Whether an unproven file loses anything under this policy."""
        return self.unproven == "zero" or self.factor_bps < BPS

    def unproven_bps(self, value_bps: int) -> int:
        """What an unproven file's ``value_bps`` becomes (integer, identical on every validator)."""
        if self.unproven == "zero":
            return 0
        return value_bps * self.factor_bps // BPS

    def describe(self) -> str:
        """The policy for people: ``unproven files keep 50% of their value`` (label, web app)."""
        if self.unproven == "zero":
            return "unproven files score 0"
        return f"unproven files keep {self.factor_bps * 100 / BPS:g}% of their value"

    def is_default(self) -> bool:
        """Whether this is the no-proofs-required default (the spec then omits it)."""
        return self == ProofPolicy()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples become lists)."""
        return cast(dict[str, Any], _listify(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, raw: object) -> ProofPolicy:
        """Build a policy, refusing unknown keys and ill-typed values.

        Raises:
            ProofPolicyError: anything malformed.
        """
        if not isinstance(raw, dict):
            raise ProofPolicyError("the proof policy must be a JSON object")
        try:
            top = dict(raw)
            keys = tuple(DkimKey(**_fix_key(k)) for k in _list(top.pop("dkim_keys", [])))
            providers = tuple(
                ReclaimProvider(**_obj(p)) for p in _list(top.pop("reclaim_providers", []))
            )
            attestors = tuple(_list(top.pop("attestors", [])))
            return cls(**top, dkim_keys=keys, attestors=attestors, reclaim_providers=providers)
        except (TypeError, AttributeError) as err:
            raise ProofPolicyError(f"bad proof policy: {err}") from err


def _list(value: object) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ProofPolicyError("expected a list in the proof policy")
    return list(value)


def _obj(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProofPolicyError("expected an object in the proof policy")
    return value


def _fix_key(value: object) -> dict[str, Any]:
    key = dict(_obj(value))
    if "platforms" in key:
        key["platforms"] = tuple(_list(key["platforms"]))
    return key


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_listify(v) for v in value]
    return value
