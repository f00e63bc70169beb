"""Validators' ritual watchers on anvil: 4 reach ACTIVE; one bad transcript makes the ritual
INVALID (naming the dealer); one silent validator makes it TIME OUT (naming it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from node.chain.dkg import DKGCoordinator, RitualState
from node.devnet.bootstrap import validator_passphrase
from node.protocol.dkg_member import RitualMember
from node.protocol.keystore import load_secret
from node.types import RitualId
from tests.integration.conftest import Devnet
from tests.integration.helpers import initiate_ritual_as_timelock
from validator.dkg_watcher import FERVEO_KIND, RitualOutcome, RitualWatcher, aggregate_path

pytestmark = pytest.mark.integration

TIMEOUT_S = 600


def _watcher(
    devnet: Devnet,
    account: LocalAccount,
    key_dir: Path,
    deal: Callable[[RitualMember], bytes] | None = None,
) -> RitualWatcher:
    info = next(v for v in devnet.deployment.extra["validators"] if v["address"] == account.address)
    seed = load_secret(
        Path(info["key_dir"]) / "ferveo.json", passphrase=validator_passphrase(), kind=FERVEO_KIND
    )
    return RitualWatcher(
        devnet.client(account),
        devnet.address("DKGCoordinator"),
        key_dir=key_dir / account.address,
        seed=seed,
        poll_s=0.1,
        deal=deal,
    )


def _run(watchers: list[RitualWatcher], ritual_id: RitualId, block: int) -> list[RitualOutcome]:
    with ThreadPoolExecutor(len(watchers)) as pool:
        futures = [
            pool.submit(w.participate, ritual_id, initiated_at=block, max_wait_s=120)
            for w in watchers
        ]
        return [f.result() for f in futures]


def test_four_validators_reach_active(devnet: Devnet, snapshot: None, tmp_path: Path) -> None:
    ritual_id, block = initiate_ritual_as_timelock(devnet, size=4, threshold=3, timeout_s=TIMEOUT_S)
    watchers = [_watcher(devnet, v, tmp_path) for v in devnet.validators]
    t0 = time.monotonic()
    outcomes = _run(watchers, ritual_id, block)
    elapsed = time.monotonic() - t0
    assert {o.state for o in outcomes} == {RitualState.ACTIVE}
    keys = {o.dkg_public_key for o in outcomes}
    assert len(keys) == 1
    dkg = DKGCoordinator(devnet.chain, devnet.address("DKGCoordinator"))
    assert dkg.getRitualState(ritual_id) is RitualState.ACTIVE
    assert dkg.getPublicKey(ritual_id) in keys
    for v in devnet.validators:
        assert aggregate_path(tmp_path / v.address, ritual_id).is_file()
    assert all(o.failed_members == () for o in outcomes)
    print(f"\nritual n=4 wall time: {elapsed:.1f}s")  # noqa: T201 - reported in the bench notes


def _corrupt(member: RitualMember) -> bytes:
    good = bytearray(member.deal())
    for i in range(64, len(good), 97):
        good[i] ^= 0x5A
    return bytes(good)


def test_a_bad_transcript_makes_the_ritual_invalid(
    devnet: Devnet, snapshot: None, tmp_path: Path
) -> None:
    ritual_id, block = initiate_ritual_as_timelock(devnet, size=4, threshold=3, timeout_s=TIMEOUT_S)
    cheater = devnet.validators[3]
    watchers = [_watcher(devnet, v, tmp_path) for v in devnet.validators[:3]]
    watchers.append(_watcher(devnet, cheater, tmp_path, deal=_corrupt))
    outcomes = _run(watchers, ritual_id, block)
    dkg = DKGCoordinator(devnet.chain, devnet.address("DKGCoordinator"))
    assert dkg.getRitualState(ritual_id) is RitualState.INVALID
    for o in outcomes[:3]:
        assert o.state is RitualState.INVALID
        assert o.bad_transcripts == (cheater.address,)
        assert o.failed_members[0] == cheater.address
        assert cheater.address in o.describe()
    # no honest member kept an aggregate for a ritual that never activated
    for v in devnet.validators[:3]:
        assert not aggregate_path(tmp_path / v.address, ritual_id).exists()
    with pytest.raises(Exception, match="NotActive"):
        dkg.getPublicKey(ritual_id)


def test_a_silent_validator_makes_the_ritual_time_out(
    devnet: Devnet, snapshot: None, tmp_path: Path
) -> None:
    ritual_id, block = initiate_ritual_as_timelock(devnet, size=4, threshold=3, timeout_s=TIMEOUT_S)
    silent = devnet.validators[2]
    watchers = [_watcher(devnet, v, tmp_path) for v in devnet.validators if v != silent]
    dkg = DKGCoordinator(devnet.chain, devnet.address("DKGCoordinator"))
    stop = threading.Event()

    def advance_clock_when_the_others_have_dealt() -> None:
        while not stop.is_set():
            if dkg.getRitual(ritual_id).transcript_count == 3:
                devnet.time.increase_time(TIMEOUT_S + 1)
                return
            time.sleep(0.1)

    clock = threading.Thread(target=advance_clock_when_the_others_have_dealt)
    clock.start()
    try:
        outcomes = _run(watchers, ritual_id, block)
    finally:
        stop.set()
        clock.join()
    assert dkg.getRitualState(ritual_id) is RitualState.TIMEOUT
    for o in outcomes:
        assert o.state is RitualState.TIMEOUT
        assert o.missing_transcripts == (silent.address,)
        assert o.failed_members == (silent.address,)
        assert silent.address in o.describe()
