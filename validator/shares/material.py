"""Load a validator's ritual material for the share service: keystore seed + aggregates.

Every ``ritual-<id>.aggregate`` beside the keystore is checked against the chain before it is
served: the ritual must be ACTIVE, this validator a member, and the file's keccak256 equal to the
aggregated-transcript digest the committee agreed on.
"""

from __future__ import annotations

import hmac
import logging
import re
from pathlib import Path

from eth_utils.crypto import keccak

from node.chain.client import ChainClient
from node.chain.dkg import DKGCoordinator, RitualState
from node.chain.staking import ValidatorStaking
from node.errors import KeyCustodyError
from node.protocol.dkg_member import Participant, RitualMember
from node.protocol.keystore import Secret
from node.types import RitualId
from validator.shares.app import ServedRitual

__all__ = ["load_served_rituals"]

log = logging.getLogger(__name__)

_AGGREGATE = re.compile(r"^ritual-(\d+)\.aggregate$")


def load_served_rituals(
    chain: ChainClient, dkg_address: str, *, me: str, key_dir: Path, seed: Secret
) -> dict[int, ServedRitual]:
    """Ritual id → material, for every verified aggregate in ``key_dir``.

    Raises:
        KeyCustodyError: an aggregate does not match the chain (a corrupted or foreign file
            must not be served silently).
    """
    dkg = DKGCoordinator(chain, dkg_address)
    staking = ValidatorStaking(chain, str(dkg.contract.functions.staking().call()))
    served: dict[int, ServedRitual] = {}
    for path in sorted(key_dir.glob("ritual-*.aggregate")):
        match = _AGGREGATE.match(path.name)
        if match is None:
            continue
        ritual_id = RitualId(int(match.group(1)))
        state = dkg.getRitualState(ritual_id)
        if state is not RitualState.ACTIVE:
            log.info("skipping ritual", extra={"ritual": ritual_id, "state": state.name})
            continue
        aggregate = path.read_bytes()
        info = dkg.getRitual(ritual_id)
        if not hmac.compare_digest(keccak(aggregate), info.aggregated_transcript_digest):
            raise KeyCustodyError(f"{path} does not match ritual {ritual_id}'s agreed aggregate")
        committee = dkg.getParticipants(ritual_id)
        member = RitualMember(
            ritual_id=ritual_id,
            threshold=dkg.getThreshold(ritual_id),
            participants=[
                Participant(a, staking.validatorInfo(a).ferveo_public_key) for a in committee
            ],
            me=me,
            keypair_seed=seed.reveal(),
        )
        served[ritual_id] = ServedRitual(member=member, aggregated_transcript=aggregate)
    return served
