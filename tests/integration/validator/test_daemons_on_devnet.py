"""Four validator daemons, as separate processes, score one real epoch on the devnet.

Everything is production: share services (``datadao validator serve-shares``) answer scoring
requests for the epoch's files and the secret validation set; each daemon fetches ciphertexts
from the blockstore, gathers t = 3 shares, decrypts in memory, values with the registered
ValuationSpec and the on-chain seed, commits, reveals, finalizes and claims. One daemon is the
plain CLI; the other three are the same daemon with one injected fault each
(``faulty_daemon.py``): a dishonest scorer, a crash before the scores are journaled, and a crash
right after the commit is mined (both restarted, as an operator would).

The epoch holds the demo's six contributors (three honest platforms, a partial duplicate,
noise, the validation set) plus a file whose ciphertext is missing from storage and one whose
body fails authentication. The module runs the epoch once; each test checks one promise.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from node.chain.dataset_config import DatasetConfig
from node.chain.registry import SubmissionRegistry
from node.chain.rewards import RewardDistributor
from node.chain.scoreboard import ScoreBoard
from node.demo.data import ContributorKind, DemoExport, make_exports
from node.demo.procs import Child, Supervisor
from node.demo.stages import daemon_seconds
from node.devnet.bootstrap import validator_passphrase
from node.devnet.validation import SPEC_FILE
from node.parsers import parse_export, scrub_export
from node.parsers.canonical import canonicalize
from node.storage.local import LocalBlockstore
from node.storage.memory import MemoryBlobStore
from node.types import Epoch
from tests.integration.conftest import Devnet
from tests.integration.helpers import DATASET, SealedFile, open_fresh_epoch, seal_and_submit
from validator.daemon.journal import EpochRecord, Journal
from validator.daemon.scoring import FileInput, score_epoch
from validator.daemon.state import EpochState
from validator.valuation.backends import LocalBackend
from validator.valuation.spec import ValuationSpec

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
PHASE_TIMEOUT_S = 300.0


@dataclass
class Proc:
    """A process the test may restart: what to run, and its current :class:`Child`."""

    name: str
    argv: list[str]
    log: Path
    child: Child | None = None
    restarts: int = 0

    def start(self, sup: Supervisor, env: dict[str, str]) -> Child:
        self.child = sup.spawn(self.name, self.argv, log=self.log, env=env, cwd=REPO)
        return self.child

    def returncode(self) -> int | None:
        return None if self.child is None else self.child.proc.poll()

    def tail(self, n: int = 30) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


@dataclass
class Outcome:
    devnet: Devnet
    epoch: Epoch
    validators: list[str]  # [honest CLI, crash-after-commit, crash-before-journal, dishonest]
    files: dict[str, SealedFile]  # role name -> sealed file
    file_order: list[bytes]
    journals: dict[str, EpochRecord]
    procs: dict[str, Proc]
    markers: dict[str, Path]
    ema_before: dict[str, int]
    commits_per_validator: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)


def _pump(
    sup: Supervisor,
    env: dict[str, str],
    procs: dict[str, Proc],
    markers: dict[str, Path],
    until: Callable[[], bool],
    what: str,
) -> None:
    """Wait for ``until``; restart a faulty daemon once its fault fired (it left its marker)."""
    deadline = time.monotonic() + PHASE_TIMEOUT_S
    while not until():
        for name, p in procs.items():
            rc = p.returncode()
            if rc is None:
                continue
            if rc == -signal.SIGKILL and name in markers and markers[name].exists():
                if p.restarts:
                    pytest.fail(f"{name} crashed twice:\n{p.tail()}")
                p.restarts += 1
                p.start(sup, env)
                continue
            pytest.fail(f"{name} exited with {rc} while waiting for {what}:\n{p.tail()}")
        if time.monotonic() > deadline:
            logs = "\n\n".join(f"== {n}\n{p.tail(8)}" for n, p in procs.items())
            pytest.fail(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.25)


def _role(e: DemoExport) -> str:
    return f"honest-{e.platform}" if e.kind is ContributorKind.HONEST else str(e.kind)


def _canonical(e: DemoExport) -> bytes:
    return canonicalize(scrub_export(parse_export(e.path, platform=e.platform))).data


@pytest.fixture(scope="module")
def outcome(devnet: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    logs = tmp_path_factory.mktemp("daemon-logs")
    snap = devnet.time.snapshot()
    env = {
        **os.environ,
        "DATADAO_VALIDATOR_PASSPHRASE": validator_passphrase(),
        "DATADAO_HOME": str(devnet.home),
        "PYTHONPATH": str(REPO),
        "OMP_NUM_THREADS": "1",
    }
    env.pop("DATADAO_KUBO_API_URL", None)
    py = [sys.executable, "-m"]
    home = str(devnet.home)
    infos = devnet.deployment.extra["validators"]
    addrs = [str(v["address"]) for v in infos]
    procs: dict[str, Proc] = {}
    markers: dict[str, Path] = {}
    sup = Supervisor()
    try:
        for v in infos:
            port = urlparse(v["share_url"]).port
            assert port is not None
            p = Proc(
                f"shares-{v['address'][:8]}",
                [
                    *py,
                    "node.cli",
                    "validator",
                    "serve-shares",
                    "--home",
                    home,
                    "--validator",
                    v["address"],
                    "--port",
                    str(port),
                    "--confirmations",
                    "1",
                    "--quiet",
                ],
                logs / f"shares-{v['address']}.log",
            )
            procs[p.name] = p
            sup.wait_http(p.start(sup, env), f"{v['share_url']}/v1/health", timeout_s=60)

        store = LocalBlockstore(devnet.home / "blocks")
        epoch = open_fresh_epoch(devnet)
        # the demo's six exports, canonicalized as each contributor's pipeline would
        made = {
            _role(e): _canonical(e)
            for e in make_exports(
                logs / "exports",
                seed=7,
                validation_plaintext=devnet.home / "devnet" / "validation-set.jsonl",
            )
        }
        files = {
            role: seal_and_submit(devnet, store, who, epoch, plaintext)
            for (role, plaintext), who in zip(made.items(), devnet.contributors, strict=True)
        }
        first, second = list(made.values())[:2]
        files["missing"] = seal_and_submit(
            devnet, MemoryBlobStore(), devnet.spare[0], epoch, first + b"\n"
        )
        files["tampered"] = seal_and_submit(
            devnet, store, devnet.spare[1], epoch, second[:-1] + b" \n", tamper_body=True
        )

        run = [*py, "node.cli", "validator", "run", "--home", home, "--spec", str(SPEC_FILE),
               "--confirmations", "1", "--interval", "0.3", "--threads", "1"]  # fmt: skip
        faulty = [*py, "tests.integration.validator.faulty_daemon", "--home", home,
                  "--spec", str(SPEC_FILE)]  # fmt: skip
        roles = [None, "crash-after-commit", "crash-before-journal", "invert"]
        for v, fault in zip(infos, roles, strict=True):
            name = f"daemon-{fault or 'honest'}"
            idx = str(v["account_index"])
            if fault is None:
                argv = [*run, "--account-index", idx]
            else:
                markers[name] = logs / f"{name}.fired"
                argv = [*faulty, "--account-index", idx, "--fault", fault,
                        "--marker", str(markers[name])]  # fmt: skip
            procs[name] = Proc(name, argv, logs / f"{name}.log")

        board = ScoreBoard(devnet.chain, devnet.address("ScoreBoard"))
        ema_before = {a: board.agreementEma(a) for a in addrs}
        windows = DatasetConfig(devnet.chain, devnet.address("DatasetConfig")).epochWindows(
            DATASET, epoch
        )
        for name in procs:
            if name.startswith("daemon-"):
                procs[name].start(sup, env)
        t0 = time.monotonic()
        devnet.time.mine_to(windows.close_block + 1)
        # A daemon fixes the seed (and the committee); share services read 1 block behind the
        # head, and an automining anvil makes no block on its own: mine one, as time would.
        _pump(
            sup,
            env,
            procs,
            markers,
            lambda: board.epochSeed(DATASET, epoch) != b"\0" * 32,
            "the seed",
        )
        devnet.time.mine(1)
        _pump(
            sup,
            env,
            procs,
            markers,
            lambda: (
                all(board.commitmentOf(DATASET, epoch, a) != b"\0" * 32 for a in addrs)
                and all(p.restarts == 1 for n, p in procs.items() if n in markers and "crash" in n)
            ),
            "every validator to commit (and both crashed daemons to be restarted)",
        )
        t_commit = time.monotonic() - t0
        devnet.time.mine_to(windows.reveal_start)
        _pump(
            sup,
            env,
            procs,
            markers,
            lambda: all(board.revealed(DATASET, epoch, a) for a in addrs),
            "every validator to reveal",
        )
        devnet.time.mine_to(windows.finalize_from)
        journals = {a: Journal(devnet.home / "validator" / a / "journal") for a in addrs}

        def claimed() -> bool:
            recs = [j.load(DATASET, epoch) for j in journals.values()]
            return all(r is not None and r.state is EpochState.CLAIMED for r in recs)

        _pump(sup, env, procs, markers, claimed, "finalization and every validator's claim")
        wall = time.monotonic() - t0
        sup.close()

        events = board.contract.events.ScoresCommitted.get_logs(
            from_block=windows.close_block, argument_filters={"epoch": epoch}
        )
        commits = {a: sum(1 for e in events if e["args"]["validator"] == a) for a in addrs}
        seconds = {"epoch_wall": wall, "close_to_all_committed": t_commit}
        busy = daemon_seconds([procs["daemon-honest"].log])
        seconds.update({f"honest_{k}": v for k, v in busy.items()})
        print(f"\nepoch timings (s): {json.dumps(seconds, sort_keys=True)}")  # noqa: T201
        recs = {a: journals[a].load(DATASET, epoch) for a in addrs}
        yield Outcome(
            devnet=devnet,
            epoch=epoch,
            validators=addrs,
            files=files,
            file_order=SubmissionRegistry(
                devnet.chain, devnet.address("SubmissionRegistry")
            ).epochFiles(DATASET, epoch),
            journals={a: r for a, r in recs.items() if r is not None},
            procs=procs,
            markers=markers,
            ema_before=ema_before,
            commits_per_validator=commits,
            seconds=seconds,
        )
    finally:
        sup.close()
        devnet.revert(snap)


def _by_file(o: Outcome, record: EpochRecord) -> dict[bytes, int]:
    return dict(zip(record.file_ids, record.scores_bps, strict=True))


def test_epoch_finalizes_with_the_engines_scores(outcome: Outcome) -> None:
    o = outcome
    board = ScoreBoard(o.devnet.chain, o.devnet.address("ScoreBoard"))
    assert board.epochStatus(DATASET, o.epoch).finalized
    honest = o.journals[o.validators[0]]
    # what the valuation engine computes from the same inputs, in this test process
    plain = {f.file_id: f.plaintext for n, f in o.files.items() if n not in ("missing", "tampered")}
    inputs = [
        FileInput(fid, plain[fid]) if fid in plain else FileInput(fid, failure="unavailable")
        for fid in o.file_order
    ]
    spec = ValuationSpec.from_json(SPEC_FILE.read_text())
    validation = (o.devnet.home / "devnet" / "validation-set.jsonl").read_bytes()
    expected = score_epoch(
        inputs, validation, spec, board.epochSeed(DATASET, o.epoch), LocalBackend("cpu", 1)
    )
    assert honest.file_ids == tuple(o.file_order)
    assert honest.scores_bps == tuple(int(b) for b in expected.scores_bps)
    for fid, bps in _by_file(o, honest).items():
        assert board.finalScore(DATASET, o.epoch, fid) == bps
    for name in ("honest-chatgpt", "honest-reddit", "honest-twitter"):
        assert board.finalScore(DATASET, o.epoch, o.files[name].file_id) > 0, name
    for name in ("duplicate", "noise", "contaminated", "missing", "tampered"):
        assert board.finalScore(DATASET, o.epoch, o.files[name].file_id) == 0, name


def test_reasons_are_recorded_for_every_zero(outcome: Outcome) -> None:
    reasons = outcome.journals[outcome.validators[0]].reasons
    why = {n: reasons.get(f.file_id.hex(), "") for n, f in outcome.files.items()}
    assert why["duplicate"].startswith("duplicate")
    assert why["contaminated"].startswith("validation_overlap")
    assert why["noise"].startswith("no positive value")
    assert "Storage" in why["missing"] or "not found" in why["missing"].lower()
    assert why["tampered"]
    assert why["tampered"] != why["missing"]
    assert all(not why[n] for n in ("honest-chatgpt", "honest-reddit", "honest-twitter"))


def test_tokens_minted_are_floor_of_pool_times_share(outcome: Outcome) -> None:
    o = outcome
    board = ScoreBoard(o.devnet.chain, o.devnet.address("ScoreBoard"))
    rewards = RewardDistributor(o.devnet.chain, o.devnet.address("RewardDistributor"))
    scores = {fid: board.finalScore(DATASET, o.epoch, fid) for fid in o.file_order}
    total = sum(scores.values())
    pool = rewards.epochRewards(DATASET, o.epoch).contributor_pool
    assert total > 0
    assert pool > 0
    for fid, s in scores.items():
        assert rewards.contributorReward(DATASET, o.epoch, fid) == pool * s // total


def test_dishonest_validator_is_outvoted_and_loses_agreement(outcome: Outcome) -> None:
    o = outcome
    board = ScoreBoard(o.devnet.chain, o.devnet.address("ScoreBoard"))
    honest, dishonest = o.validators[0], o.validators[3]
    revealed = board.revealedScores(DATASET, o.epoch, dishonest)
    assert list(revealed) != list(o.journals[honest].scores_bps)  # it really did lie
    assert board.agreementEma(dishonest) < o.ema_before[dishonest]
    assert board.agreementEma(honest) >= o.ema_before[honest]
    assert board.agreementEma(dishonest) < board.agreementEma(honest)


def test_crashed_daemons_restart_and_commit_exactly_once(outcome: Outcome) -> None:
    o = outcome
    board = ScoreBoard(o.devnet.chain, o.devnet.address("ScoreBoard"))
    for name in ("daemon-crash-after-commit", "daemon-crash-before-journal"):
        assert o.markers[name].exists(), f"{name}'s fault never fired"
        assert o.procs[name].restarts == 1
    assert o.commits_per_validator == dict.fromkeys(o.validators, 1)
    for a in o.validators:
        rec = o.journals[a]
        assert rec.state is EpochState.CLAIMED, rec.missed_reason
        assert rec.commitment == board.commitmentOf(DATASET, o.epoch, a)
        assert board.revealed(DATASET, o.epoch, a)


def test_nutrition_label_is_written_by_each_daemon(outcome: Outcome) -> None:
    for a in outcome.validators:
        label = outcome.devnet.home / "validator" / a / "labels" / f"epoch-{outcome.epoch}"
        assert (label / "report.json").is_file()
        assert (label / "label.png").stat().st_size > 0
