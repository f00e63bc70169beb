"""Bootstrap a deployed Data DAO into a usable state: validators staked and registered with Ferveo
keys, and a completed key ritual, so the DAO has an active public key from the start.

On the devnet one process acts for every validator (it holds their keys in the devnet data dir);
on a real network each validator runs :mod:`node.protocol.dkg_member` itself from its own daemon.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount

from node.chain.client import ChainClient
from node.chain.dkg import DKGCoordinator, RitualState
from node.chain.staking import ValidatorStaking
from node.errors import KeyCustodyError
from node.protocol.dkg_member import (
    Participant,
    RitualMember,
    ferveo_public_key,
    new_keypair_seed,
)
from node.protocol.keystore import load_secret, save_secret
from node.types import RitualId

__all__ = ["DEVNET_PASSPHRASE", "LocalValidator", "run_ritual", "stake_and_register"]

log = logging.getLogger(__name__)

DEVNET_PASSPHRASE = "devnet-insecure-passphrase"  # noqa: S105 - devnet only, documented
"""Used for devnet validator keystores when DATADAO_VALIDATOR_PASSPHRASE is unset. The devnet's
accounts come from a public mnemonic anyway; a real validator must set its own passphrase."""

FERVEO_KIND = "ferveo-keypair-seed"


@dataclass(frozen=True)
class LocalValidator:
    """A validator whose keys this process holds (devnet, tests)."""

    account: LocalAccount
    key_dir: Path
    share_url: str

    @property
    def address(self) -> str:
        return str(self.account.address)

    @property
    def keystore_path(self) -> Path:
        return self.key_dir / "ferveo.json"

    def ferveo_seed(self, passphrase: str) -> bytes:
        """Load the Ferveo seed, creating (and encrypting) it on first use."""
        if not self.keystore_path.exists():
            save_secret(
                self.keystore_path, new_keypair_seed(), passphrase=passphrase, kind=FERVEO_KIND
            )
        return load_secret(self.keystore_path, passphrase=passphrase, kind=FERVEO_KIND).reveal()


def validator_passphrase() -> str:
    return os.environ.get("DATADAO_VALIDATOR_PASSPHRASE") or DEVNET_PASSPHRASE


def stake_and_register(
    chain: ChainClient,
    staking_address: str,
    validators: Sequence[LocalValidator],
    *,
    stake_wei: int,
    passphrase: str,
) -> None:
    """Stake ``stake_wei`` for each validator and register its Ferveo key and share URL."""
    for v in validators:
        staking = ValidatorStaking(chain.with_account(v.account), staking_address)
        if staking.stakeOf(v.address) < stake_wei:
            staking.stake(stake_wei - staking.stakeOf(v.address))
        public = ferveo_public_key(v.ferveo_seed(passphrase))
        info = staking.validatorInfo(v.address)
        if (
            not info.registered
            or info.ferveo_public_key != public
            or info.share_service_url != v.share_url
        ):
            staking.register(public, v.share_url)
        log.info("validator staked", extra={"validator": v.address})


def run_ritual(
    chain: ChainClient,
    dkg_address: str,
    staking_address: str,
    validators: Sequence[LocalValidator],
    *,
    size: int,
    threshold: int,
    timeout_s: int,
    passphrase: str,
    progress: Callable[[str], None] = lambda _msg: None,
) -> tuple[RitualId, bytes]:
    """Initiate a ritual (``chain`` must be the coordinator's owner) and complete it on behalf of
    ``validators``; returns the ritual id and the DKG public key.

    Each member's aggregated transcript is written beside its keystore (it is public data, but
    the share service needs it to create decryption shares).
    """
    owner_dkg = DKGCoordinator(chain, dkg_address)
    start_block = chain.block_number()
    ritual_id = owner_dkg.initiateRitual(size, threshold, timeout_s)
    committee = owner_dkg.getParticipants(ritual_id)
    by_address = {v.address.lower(): v for v in validators}
    missing = [a for a in committee if a.lower() not in by_address]
    if missing:
        raise KeyCustodyError(f"ritual {ritual_id}: no local keys for committee members {missing}")
    staking = ValidatorStaking(chain, staking_address)
    participants = [Participant(a, staking.validatorInfo(a).ferveo_public_key) for a in committee]
    members = {
        a: RitualMember(
            ritual_id=ritual_id,
            threshold=threshold,
            participants=participants,
            me=a,
            keypair_seed=by_address[a.lower()].ferveo_seed(passphrase),
        )
        for a in committee
    }
    progress(f"ritual {ritual_id}: {size} members deal transcripts")
    for address, member in members.items():
        dkg = DKGCoordinator(chain.with_account(by_address[address.lower()].account), dkg_address)
        dkg.postTranscript(ritual_id, member.deal())
    transcripts = owner_dkg.transcripts(ritual_id, from_block=start_block)
    progress(f"ritual {ritual_id}: members verify and aggregate")
    public_key = b""
    for address, member in members.items():
        aggregation = member.aggregate({str(a): t for a, t in transcripts.items()})
        validator = by_address[address.lower()]
        (validator.key_dir / f"ritual-{ritual_id}.aggregate").write_bytes(
            aggregation.aggregated_transcript
        )
        dkg = DKGCoordinator(chain.with_account(validator.account), dkg_address)
        dkg.postAggregation(ritual_id, aggregation.digest, aggregation.dkg_public_key)
        public_key = aggregation.dkg_public_key
    state = owner_dkg.getRitualState(ritual_id)
    if state is not RitualState.ACTIVE:
        raise KeyCustodyError(f"ritual {ritual_id} ended {state.name}, not ACTIVE")
    return ritual_id, public_key
