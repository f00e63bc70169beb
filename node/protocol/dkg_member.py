"""One validator's part in a Ferveo key ritual: deal, aggregate, and create decryption shares.

The on-chain ritual (``DKGCoordinator``) fixes the committee (sorted by address; a member's index
is its Ferveo share index), the threshold and the ritual id (Ferveo's ``tau``). Each member:

1. deals a PVSS transcript (:meth:`RitualMember.deal`) and posts it on chain;
2. once every transcript is posted, aggregates them (:meth:`RitualMember.aggregate`), which also
   verifies each one, and posts the aggregate's keccak256 and the resulting DKG public key; all
   members must post the same pair or the ritual is INVALID;
3. later answers authorised decryption requests with a share
   (:meth:`RitualMember.decryption_share`); any ``t`` shares open a file's wrapped key.

Only this module and ``_ferveo``/``dkg_local`` touch ``nucypher_core`` for rituals. Everything
crossing its API is bytes, exactly what goes on chain and over the wire.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak
from nucypher_core import ferveo as _f

from node.errors import KeyCustodyError
from node.protocol.crypto import DecryptionRequest, create_decryption_share

__all__ = [
    "KEYPAIR_SEED_LENGTH",
    "Aggregation",
    "BadTranscript",
    "Participant",
    "RitualMember",
    "ferveo_public_key",
    "new_keypair_seed",
]

KEYPAIR_SEED_LENGTH = 32

_FAILURES = (
    _f.SerializationError,
    _f.ThresholdEncryptionError,
    ValueError,
    RuntimeError,
    TypeError,
    OverflowError,
)


class BadTranscript(KeyCustodyError):
    """A posted transcript does not verify; ``members`` are the dealers at fault."""

    def __init__(self, ritual_id: int, members: Sequence[str]) -> None:
        super().__init__(f"ritual {ritual_id}: invalid transcript from {', '.join(members)}")
        self.ritual_id = ritual_id
        self.members = list(members)


@dataclass(frozen=True, slots=True)
class Participant:
    """A committee member as the chain lists it: address and registered Ferveo public key."""

    address: str
    ferveo_public_key: bytes


@dataclass(frozen=True, slots=True)
class Aggregation:
    """The result every honest member computes identically."""

    aggregated_transcript: bytes
    digest: bytes
    dkg_public_key: bytes


def new_keypair_seed() -> bytes:
    """Fresh secret randomness for a validator's long-lived Ferveo keypair."""
    return secrets.token_bytes(KEYPAIR_SEED_LENGTH)


def ferveo_public_key(keypair_seed: bytes) -> bytes:
    """The public key (registered on chain) of the keypair derived from ``keypair_seed``."""
    return bytes(_keypair(keypair_seed).public_key())


def _keypair(seed: bytes) -> Any:
    if len(seed) != KEYPAIR_SEED_LENGTH:
        raise ValueError(f"a Ferveo keypair seed is {KEYPAIR_SEED_LENGTH} bytes")
    return _f.Keypair.from_secure_randomness(seed)


class RitualMember:
    """One validator in one ritual. Holds its keypair; repr never shows it.

    Args:
        ritual_id: the on-chain ritual id (Ferveo ``tau``).
        threshold: ``t``.
        participants: the committee in on-chain order (ascending address = share index).
        me: this validator's address (must be among ``participants``).
        keypair_seed: this validator's secret seed (:func:`new_keypair_seed`).
    """

    def __init__(
        self,
        *,
        ritual_id: int,
        threshold: int,
        participants: Sequence[Participant],
        me: str,
        keypair_seed: bytes,
    ) -> None:
        addresses = [p.address.lower() for p in participants]
        if me.lower() not in addresses:
            raise KeyCustodyError(f"{me} is not in ritual {ritual_id}'s committee")
        if not 1 <= threshold <= len(participants):
            raise ValueError("need 1 <= threshold <= committee size")
        self.ritual_id = ritual_id
        self.threshold = threshold
        self.participants = list(participants)
        self.index = addresses.index(me.lower())
        self._keypair = _keypair(keypair_seed)
        if bytes(self._keypair.public_key()) != participants[self.index].ferveo_public_key:
            raise KeyCustodyError(
                f"{me}: local Ferveo key does not match the key registered on chain"
            )
        try:
            self._validators = [
                _f.Validator(p.address, _f.FerveoPublicKey.from_bytes(p.ferveo_public_key), i)
                for i, p in enumerate(participants)
            ]
        except _FAILURES as err:
            raise KeyCustodyError(f"ritual {ritual_id}: invalid registered Ferveo key") from err

    def __repr__(self) -> str:
        return (
            f"RitualMember(ritual_id={self.ritual_id}, index={self.index}, "
            f"threshold={self.threshold}, keypair=<redacted>)"
        )

    def _dkg(self) -> Any:
        return _f.Dkg(
            tau=self.ritual_id,
            shares_num=len(self.participants),
            security_threshold=self.threshold,
            validators=self._validators,
            me=self._validators[self.index],
        )

    def deal(self) -> bytes:
        """A fresh PVSS transcript to post on chain."""
        return bytes(self._dkg().generate_transcript())

    def aggregate(self, transcripts: Mapping[str, bytes]) -> Aggregation:
        """Verify and aggregate every member's transcript.

        Raises:
            BadTranscript: naming each member whose transcript is missing or does not verify.
        """
        by_address = {a.lower(): t for a, t in transcripts.items()}
        messages = []
        bad: list[str] = []
        for validator, participant in zip(self._validators, self.participants, strict=True):
            raw = by_address.get(participant.address.lower())
            try:
                if raw is None:
                    raise ValueError("missing")
                messages.append(_f.ValidatorMessage(validator, _f.Transcript.from_bytes(raw)))
            except _FAILURES:
                bad.append(participant.address)
        if bad:
            raise BadTranscript(self.ritual_id, bad)
        try:
            aggregated = self._dkg().aggregate_transcripts(messages)
        except _FAILURES:
            raise BadTranscript(self.ritual_id, self._culprits(messages)) from None
        blob = bytes(aggregated)
        return Aggregation(
            aggregated_transcript=blob,
            digest=keccak(blob),
            dkg_public_key=bytes(aggregated.public_key),
        )

    def _culprits(self, messages: list[Any]) -> list[str]:
        """Find the dealers whose transcripts break aggregation, by leaving each one out."""
        culprits = []
        for i, participant in enumerate(self.participants):
            rest = messages[:i] + messages[i + 1 :]
            if len(rest) < self.threshold:
                break
            try:
                self._dkg().aggregate_transcripts(rest)
            except _FAILURES:
                continue
            culprits.append(participant.address)
        return culprits or [p.address for p in self.participants]

    def decryption_share(self, aggregated_transcript: bytes, request: DecryptionRequest) -> bytes:
        """This member's decryption share for one wrapped key. Authorisation is the caller's job.

        Raises:
            KeyCustodyError: the aggregate does not belong to this ritual.
            EnvelopeError: the wrapped key does not verify against its header (tampered header);
                Ferveo panics on that and ``create_decryption_share`` contains the panic.
        """
        try:
            aggregate = _f.AggregatedTranscript.from_bytes(aggregated_transcript)
        except _FAILURES as err:
            raise KeyCustodyError(f"ritual {self.ritual_id}: malformed aggregate") from err
        return create_decryption_share(
            request, aggregate=aggregate, dkg=self._dkg(), keypair=self._keypair
        )
