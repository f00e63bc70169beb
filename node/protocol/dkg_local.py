"""A complete Ferveo key ritual run in one process: the DAO key for unit tests and the devnet.

A real ritual (DESIGN.md §3, contracts/README.md ``DKGCoordinator``) has ``n`` validators each
deal a PVSS transcript on chain, aggregate all of them, and agree on one DKG public key; later
each validator answers decryption requests with a share, and any ``t`` shares open a file's
wrapped data key. :func:`run_local_ritual` does exactly that with real Ferveo (no mocks), but
with every validator's private key in this process, so it is for tests and local devnets only:
whoever holds a :class:`LocalRitual` can decrypt everything sealed to its key.

Usage::

    ritual = run_local_ritual(shares=4, threshold=3, ritual_id=1)
    sealed = seal_bytes(data, ritual.public_key, ctx)               # ctx.ritual_id == 1
    plaintext = open_sealed_bytes(sealed.data, ctx, dek_for=ritual.decrypt)

A ritual serializes to JSON-friendly hex (:meth:`LocalRitual.to_dict`): validator keypair seeds
and the dealt transcripts, from which the same public key and the same (deterministic)
decryption shares are re-derived. Known-answer vectors store that to keep re-deriving the DEK
through the threshold path forever.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nucypher_core import ferveo as _f

from node.protocol.crypto import (
    DaoPublicKey,
    DataKey,
    DecryptionRequest,
    SealedHeader,
    SharedSecret,
    combine_decryption_shares,
    create_decryption_share,
    ferveo_ciphertext_header,
    unwrap_dek,
)
from node.types import RitualId

__all__ = ["LocalRitual", "run_local_ritual"]

_SEED_LENGTH = 32


@dataclass(frozen=True, slots=True)
class _Member:
    """One validator's ferveo state: its keypair, and its DKG view once it has aggregated."""

    keypair: Any
    validator: Any


class LocalRitual:
    """The outcome of a local ritual: the DAO public key and every validator's share material."""

    def __init__(
        self,
        *,
        ritual_id: int,
        threshold: int,
        addresses: Sequence[str],
        keypair_seeds: Sequence[bytes],
        transcripts: Sequence[bytes],
    ) -> None:
        """Rebuild a ritual from its material (see :meth:`to_dict`); use :func:`run_local_ritual`
        to run a new one."""
        shares = len(addresses)
        if not (len(keypair_seeds) == len(transcripts) == shares):
            raise ValueError("one address, keypair seed and transcript per validator")
        _check_sizes(shares, threshold)
        self.ritual_id = RitualId(ritual_id)
        self.threshold = threshold
        self.addresses = tuple(addresses)
        self._seeds = tuple(keypair_seeds)
        self._transcripts = tuple(transcripts)
        self._members = [
            _member(address, seed, index)
            for index, (address, seed) in enumerate(zip(addresses, keypair_seeds, strict=True))
        ]
        self._messages = [
            _f.ValidatorMessage(m.validator, _f.Transcript.from_bytes(t))
            for m, t in zip(self._members, transcripts, strict=True)
        ]
        # Aggregation is per validator (each needs its own Dkg with ``me`` set) and is the slow
        # step, so it happens lazily, only for the validators asked for a share.
        self._aggregates: dict[int, tuple[Any, Any]] = {}
        self.public_key = DaoPublicKey(bytes(self._aggregate(0)[1].public_key))

    @property
    def shares_num(self) -> int:
        return len(self.addresses)

    def decryption_share(self, index: int, request: DecryptionRequest) -> bytes:
        """Validator ``index``'s serialized decryption share for a file's request.

        Raises:
            EnvelopeError: the request's ciphertext does not verify against its AAD.
        """
        dkg, aggregate = self._aggregate(index)
        return create_decryption_share(
            request, aggregate=aggregate, dkg=dkg, keypair=self._members[index].keypair
        )

    def shared_secret(
        self, header: SealedHeader, *, indices: Sequence[int] | None = None
    ) -> SharedSecret:
        """Combine the shares of ``indices`` (default: the first ``t`` validators)."""
        request = ferveo_ciphertext_header(header)
        chosen = range(self.threshold) if indices is None else indices
        return combine_decryption_shares([self.decryption_share(i, request) for i in chosen])

    def decrypt(self, header: SealedHeader) -> DataKey:
        """Recover a file's data key with ``t`` shares; fits ``open_sealed(dek_for=...)``.

        Raises:
            EnvelopeError: the header was not sealed to this ritual's key and context.
        """
        return unwrap_dek(header, self.shared_secret(header))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly material, validator secrets included (test and devnet use only)."""
        return {
            "ritual_id": self.ritual_id,
            "shares_num": self.shares_num,
            "threshold": self.threshold,
            "addresses": list(self.addresses),
            "keypair_seeds": [s.hex() for s in self._seeds],
            "transcripts": [t.hex() for t in self._transcripts],
            "public_key": bytes(self.public_key).hex(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LocalRitual:
        """Rebuild from :meth:`to_dict`; raises ``ValueError`` if the public key does not match."""
        ritual = cls(
            ritual_id=int(data["ritual_id"]),
            threshold=int(data["threshold"]),
            addresses=[str(a) for a in data["addresses"]],
            keypair_seeds=[bytes.fromhex(s) for s in data["keypair_seeds"]],
            transcripts=[bytes.fromhex(t) for t in data["transcripts"]],
        )
        if bytes(ritual.public_key).hex() != data["public_key"]:
            raise ValueError("ritual material does not reproduce its public key")
        return ritual

    def __repr__(self) -> str:
        return (
            f"LocalRitual(ritual_id={self.ritual_id}, shares={self.shares_num}, "
            f"threshold={self.threshold})"
        )

    def _aggregate(self, index: int) -> tuple[Any, Any]:
        if index not in self._aggregates:
            dkg = self._dkg(index)
            self._aggregates[index] = (dkg, dkg.aggregate_transcripts(self._messages))
        return self._aggregates[index]

    def _dkg(self, index: int) -> Any:
        return _f.Dkg(
            tau=self.ritual_id,
            shares_num=self.shares_num,
            security_threshold=self.threshold,
            validators=[m.validator for m in self._members],
            me=self._members[index].validator,
        )


def run_local_ritual(
    *,
    shares: int = 4,
    threshold: int = 3,
    ritual_id: int = 1,
    addresses: Sequence[str] | None = None,
    seed: bytes | None = None,
) -> LocalRitual:
    """Run a full DKG among ``shares`` in-process validators; any ``threshold`` of them decrypt.

    Args:
        shares: committee size ``n``.
        threshold: shares needed to decrypt, ``t``.
        ritual_id: the ritual id (Ferveo's ``tau``); files sealed to the key must carry it.
        addresses: validator addresses in share-index order (the coordinator sorts the
            committee ascending by address); default ``0x00…01``, ``0x00…02``, ….
        seed: derive the validators' keypairs from it (reproducible identities); the dealt
            transcripts stay random, as Ferveo draws them internally.
    """
    _check_sizes(shares, threshold)
    if addresses is None:
        addresses = [f"0x{i + 1:040x}" for i in range(shares)]
    if len(addresses) != shares:
        raise ValueError("one address per validator")
    keypair_seeds = [
        secrets.token_bytes(_SEED_LENGTH)
        if seed is None
        else hashlib.sha256(b"datadao/dkg_local/keypair" + seed + i.to_bytes(4, "big")).digest()
        for i in range(shares)
    ]
    pairs = zip(addresses, keypair_seeds, strict=True)
    members = [_member(a, s, i) for i, (a, s) in enumerate(pairs)]
    validators = [m.validator for m in members]
    transcripts = [
        bytes(
            _f.Dkg(
                tau=ritual_id,
                shares_num=shares,
                security_threshold=threshold,
                validators=validators,
                me=m.validator,
            ).generate_transcript()
        )
        for m in members
    ]
    return LocalRitual(
        ritual_id=ritual_id,
        threshold=threshold,
        addresses=addresses,
        keypair_seeds=keypair_seeds,
        transcripts=transcripts,
    )


def _member(address: str, seed: bytes, index: int) -> _Member:
    keypair = _f.Keypair.from_secure_randomness(seed)
    return _Member(keypair=keypair, validator=_f.Validator(address, keypair.public_key(), index))


def _check_sizes(shares: int, threshold: int) -> None:
    if not 1 <= threshold <= shares:
        raise ValueError("need 1 <= threshold <= shares")
