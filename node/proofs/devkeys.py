"""A synthetic platform and attestor set for tests and the devnet demo. NOT secrets.

The devnet's dataset pins these public parameters (``node/devnet/valuation-spec.json``) so the
demo's honest contributors can attach proofs that verify: the "platform" that sends DKIM-signed
"your export is ready" e-mails from ``DEV_DOMAIN`` with selector ``DEV_SELECTOR``, and attestors
whose keys derive from fixed labels. The private keys are published here on purpose, exactly
like anvil's well-known accounts: anything signed with them proves nothing outside a devnet.
"""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from eth_account import Account
from eth_hash.auto import keccak

from node.proofs.dkim import sign_email
from node.proofs.params import DkimKey, ProofPolicy, ReclaimProvider

__all__ = [
    "DEV_DKIM_PEM",
    "DEV_DOMAIN",
    "DEV_PROVIDER_HASH",
    "DEV_SELECTOR",
    "attestor_key",
    "dev_dkim_key",
    "dev_export_email",
    "dev_policy",
    "public_key_b64",
]

DEV_DOMAIN = "export.datadao.test"
DEV_SELECTOR = "devnet"
DEV_PROVIDER_HASH = "0x" + keccak(b"datadao devnet account provider").hex()
DEV_DKIM_PEM = b"""-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAo6PgLGTid4GIso0XFoH3f7kXQtNf/pZhye6YfXHYLQ0VokSG
RD1Woq343JiXLCPKNe2WQTPqYwXRZq+DB4d4T6vWJNSJDA96jlmxkJua3CuZ/Ftp
vUS1OVSl+fOeE9RvNlPYIJzzahbNZ4qPmgh3U2jBaoziHR2jJvLB9CEgLQQVe5gC
sNQQGn2ikk8yMhhspzoZWwzUs7Mlu+MMxbakpzZOVHz6dwOemJU+a4hAPLU8Sjb+
E53hY1Ccg1rEUpKb7tG/hKaQK3EHCKsFP37pXrxXl5hoQ/Fa2NiQbKzEoLOuwH+U
GQ2thzVCwF9meNwnpF6Y58T70NL25NOpkWkhPQIDAQABAoIBAAUa3Sj1Yr1ArL+J
OEGq/0ocP5YFmxaJoXZXu6kaLpjFMjoUMi4ZzcSYcc2L8xdc7Hd/OHNDR9ob+dre
udM3zjCKF02h1b6rEvMy6B+vQwcAUzb0sRlG9fJaai0ghPtwYqHKvtDRpKRYHsNO
psky32oaOAJ3b6xh2s+hvhw8FlFhJODtCftoA0ofytlQYd116PK83MLOU2LEdQDh
CM+6g3jlC3wqftYBjruwDCsIpnlWiAQywTQCoA/W4ofVlnHwxALABz1ozW2xyJLn
SoRYe6rxA4Lx19ZOAvsqkXv/e9cyqe21X6BwsBzbFu3q7YvljKndB0L3J9AO/Y+s
vdUpBzECgYEA5gPJlnZNJmwpiDW24GGXE1CYAuWrgxKwm2aE6ecwhy6rS8NjGC+E
1DAHsZ0D3fItEyKolsa+siKP+6o/w13zYJiXfipnQpxdX3KwtHH+T1hrhosdDCJR
bh46x3+Nc80qPEiiyFFm3bz/ZuK/AkcRkFtcPnJ6h7w98VeAtfP6dIUCgYEAtiB6
2pyR+EBRWgUKnhbnWOG0/sWhp6Ooul+hajVRsBuh0GRm8+8rjlZsowWiTyKGfRTt
lBf9ijmvPWaVHXAui5jWJeA4j8wnl7kN+/QBcfc0Zh8IILLkUYEDAGNEBg0Cc1xX
Fo5TqbgnfHOmmA4X5y7Aub8tbntIQCGqKYgp01kCgYEAxEBlBpDHgMn2obYa49XA
XgV8vbQSI5KVxvGw5BWSrTSfiNQbv64DqjuUxPGQNBWGafY/W+4VFM4yhWqcXufR
WRC46TfqxMW/UUn9BOjiL/bkP3aAgTLiwY7fXgoxuaVKrQbYhQwXNYglbjZ2/M2A
aefZi5qHezqcq0ealSSnBDUCgYBrwK+u429hRvxanBz6B2b8qR0ilt7bhfJvweCI
K9+Wp+KGnsBiliBY6D0B/nVXCIA1RMqDEeaJfzN0ylpyvkprgRNB+XS9bvYFyBDD
/ktUmANCYB246t42cnPKKPC3+751bi6AQ9iv0ypZcTshP0VZG8oem0NP2FSYzNIW
HF9SkQKBgBJcuwYfUgXVVoUG5Grhr94aWWnQA6uCUOcJW+Pxf3Tuv5AU9vIvyFzc
9vwZUz9i0clag8Vg8FJaAWqyJqVavKCDG5PWFgG4qpq9ZHpf5Bj+6DugTDyAjaYq
1oiTCn7unNaEJF2ksXrOQx6P4RD+6hRc1wFXmOr2lrGmDkYwdIX0
-----END RSA PRIVATE KEY-----
"""


def public_key_b64(private_key_pem: bytes) -> str:
    """The DNS ``p=`` value (base64 DER SubjectPublicKeyInfo) of an RSA private key in PEM."""
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def attestor_key(label: str) -> bytes:
    """A fixed attestor private key for ``label`` (keccak of it; devnet only)."""
    return keccak(b"datadao devnet attestor " + label.encode())


def dev_dkim_key(platforms: tuple[str, ...]) -> DkimKey:
    """The devnet platform's DKIM key, pinned for ``platforms``."""
    return DkimKey(
        domain=DEV_DOMAIN,
        selector=DEV_SELECTOR,
        public_key=public_key_b64(DEV_DKIM_PEM),
        platforms=platforms,
    )


def dev_policy(
    *,
    platforms: tuple[str, ...] = ("chatgpt", "twitter", "reddit", "telegram"),
    unproven: str = "factor",
    factor_bps: int = 5000,
    attestors: tuple[str, ...] = ("a", "b"),
    max_email_age_s: int = 30 * 86_400,
) -> ProofPolicy:
    """A policy pinning the devnet platform key and attestors (threshold 1)."""
    return ProofPolicy(
        unproven=unproven,  # type: ignore[arg-type]
        factor_bps=factor_bps,
        max_email_age_s=max_email_age_s,
        dkim_keys=(dev_dkim_key(platforms),),
        attestors=tuple(Account.from_key(attestor_key(a)).address for a in attestors),
        reclaim_providers=tuple(ReclaimProvider(p, DEV_PROVIDER_HASH) for p in platforms),
    )


def dev_export_email(to: str, date: datetime) -> bytes:
    """The devnet platform's signed "your data export is ready" e-mail to ``to``."""
    return sign_email(
        private_key_pem=DEV_DKIM_PEM,
        domain=DEV_DOMAIN,
        selector=DEV_SELECTOR,
        sender=f"noreply@{DEV_DOMAIN}",
        to=to,
        date=date,
    )
