"""The local ritual helper runs a real Ferveo DKG and behaves like a committee of validators."""

from __future__ import annotations

import json

import pytest

from node.protocol.crypto import SealContext, open_sealed_bytes, seal_bytes
from node.protocol.dkg_local import LocalRitual, run_local_ritual


def test_material_round_trips_through_json(ritual: LocalRitual, ctx: SealContext) -> None:
    sealed = seal_bytes(b"kept", ritual.public_key, ctx)
    again = LocalRitual.from_dict(json.loads(json.dumps(ritual.to_dict())))
    assert bytes(again.public_key) == bytes(ritual.public_key)
    assert open_sealed_bytes(sealed.data, ctx, dek_for=again.decrypt) == b"kept"


def test_material_that_does_not_reproduce_its_key_is_refused(ritual: LocalRitual) -> None:
    material = ritual.to_dict()
    material["public_key"] = "00" * 48
    with pytest.raises(ValueError, match="public key"):
        LocalRitual.from_dict(material)


def test_seed_fixes_identities_but_not_the_dealt_key() -> None:
    a = run_local_ritual(shares=3, threshold=2, seed=b"s")
    b = run_local_ritual(shares=3, threshold=2, seed=b"s")
    assert a.to_dict()["keypair_seeds"] == b.to_dict()["keypair_seeds"]
    assert bytes(a.public_key) != bytes(b.public_key)  # transcripts are freshly dealt


def test_one_of_one_ritual_works(ctx: SealContext) -> None:
    solo = run_local_ritual(shares=1, threshold=1, ritual_id=ctx.ritual_id)
    sealed = seal_bytes(b"solo", solo.public_key, ctx)
    assert open_sealed_bytes(sealed.data, ctx, dek_for=solo.decrypt) == b"solo"


@pytest.mark.parametrize(("shares", "threshold"), [(3, 0), (3, 4), (0, 0)])
def test_bad_sizes_are_refused(shares: int, threshold: int) -> None:
    with pytest.raises(ValueError, match="threshold"):
        run_local_ritual(shares=shares, threshold=threshold)


def test_repr_shows_no_secrets(ritual: LocalRitual) -> None:
    assert repr(ritual) == "LocalRitual(ritual_id=7, shares=4, threshold=3)"
