"""Four validator daemons, as separate processes, score one real epoch on the devnet.

Everything is production: share services (``datadao validator serve-shares``) answer scoring
requests for the epoch's files and the secret validation set; each daemon fetches ciphertexts
from the blockstore, gathers t = 3 shares, decrypts in memory, values with the registered
ValuationSpec and the on-chain seed, commits, reveals, finalizes and claims. One daemon is the
plain CLI; the other three are the same daemon with one injected fault each
(``faulty_daemon.py``): a dishonest scorer, a crash before the scores are journaled, and a crash
right after the commit is mined (both restarted, as an operator would).

The epoch holds the demo's six contributors (three honest platforms, a partial duplicate,
noise, the validation set) plus a file whose ciphertext is missing from storage, one whose
body fails authentication, and hostile plaintexts sealed and registered directly (a contributor's
pipeline would never canonicalize them): a number for ``ts``, a header without ``platform``,
10,000- and 200,000-deep nesting, a list for ``text``. Every daemon must keep running, score
them 0 with a flag, and pay the other files exactly as without them.

Share services read the chain one block behind, so every daemon's first requests, made in the
block that fixed the seed, are refused ``not_committee`` by the real services (issue #17: that
used to become a committed 0). The crash-after-commit daemon's peers lag more: its first
attempt at every file, and every attempt until the head is ``LAG_BLOCKS`` past the close, is
refused. Once every daemon has begun the epoch the test mines one block a second up to the
availability deadline (:func:`validator.daemon.availability.availability_deadline`), as a live
chain would, so the missing file's verdict comes from the chain's clock. The module runs the
epoch once; each test checks one promise.
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
from node.protocol.scorevector import ScoreVector
from node.storage.local import LocalBlockstore
from node.storage.memory import MemoryBlobStore
from node.types import Epoch, FileId
from tests.integration.conftest import Devnet
from tests.integration.helpers import DATASET, SealedFile, open_fresh_epoch, seal_and_submit
from validator.daemon.availability import availability_deadline
from validator.daemon.journal import EpochRecord, Journal
from validator.daemon.scoring import FileInput, score_epoch
from validator.daemon.state import EpochState
from validator.valuation.backends import LocalBackend
from validator.valuation.spec import ValuationSpec

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
PHASE_TIMEOUT_S = 300.0
LAG_BLOCKS = 3  # below the deadline's close + 5 (a 10-block commit window): the lag ends first
MINE_EVERY_S = 1.0


def _line(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode() + b"\n"


_HEAD = {"account": None, "format": "datadao.export/1", "platform": "chatgpt", "records": 1}
_ROW = {"author": "user", "id": "x", "kind": "message", "text": "hi", "thread": None, "ts": None}
HOSTILE = {
    "hostile-ts-number": _line(_HEAD) + _line({**_ROW, "ts": 5}),
    "hostile-no-platform": _line({k: v for k, v in _HEAD.items() if k != "platform"}) + _line(_ROW),
    "hostile-deep": _line(_HEAD) + b'{"text":' + b"[" * 10_000 + b"]" * 10_000 + b"}\n",
    "hostile-very-deep": _line(_HEAD) + b'{"text":' + b"[" * 200_000 + b"]" * 200_000 + b"}\n",
    "hostile-text-list": _line(_HEAD) + _line({**_ROW, "text": [1, 2]}),
}
"""Plaintexts no contributor pipeline writes, sealed and registered as they are."""
UNOPENED = ("missing", "tampered")


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
    alive_at_end: dict[str, bool]  # process name -> still running when the epoch was claimed
    lag_refusals: list[str]  # "head file-id" per refused open of the lagging daemon
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
            if e.kind is not ContributorKind.THIEF  # the proof policy is the demo's to show
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
        for i, (role, plaintext) in enumerate(HOSTILE.items()):
            who = devnet.contributors[i % len(devnet.contributors)]
            files[role] = seal_and_submit(devnet, store, who, epoch, plaintext)

        lag_log = logs / "lagging-peers.log"
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
            if fault == "crash-after-commit":
                argv += ["--lag-blocks", str(LAG_BLOCKS), "--lag-log", str(lag_log)]
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
        # head, and an automining anvil makes no block on its own: the blocks come below.
        _pump(
            sup,
            env,
            procs,
            markers,
            lambda: board.epochSeed(DATASET, epoch) != b"\0" * 32,
            "the seed",
        )
        journals = {a: Journal(devnet.home / "validator" / a / "journal") for a in addrs}
        # no block until every daemon has begun the epoch (and made its first, refused,
        # requests): nobody else sends a transaction before the availability deadline
        _pump(
            sup,
            env,
            procs,
            markers,
            lambda: all(j.load(DATASET, epoch) is not None for j in journals.values()),
            "every daemon to begin the epoch",
        )
        deadline = availability_deadline(windows)
        mined_at = [0.0]

        def committed() -> bool:
            # blocks keep coming up to the availability deadline, one a second, as on a live
            # chain (an automining anvil makes none by itself); none after it, so the commit
            # window cannot run out under a loaded machine
            if devnet.chain.block_number() < deadline and (
                time.monotonic() - mined_at[0] >= MINE_EVERY_S
            ):
                devnet.time.mine(1)
                mined_at[0] = time.monotonic()
            return all(board.commitmentOf(DATASET, epoch, a) != b"\0" * 32 for a in addrs) and all(
                p.restarts == 1 for n, p in procs.items() if n in markers and "crash" in n
            )

        _pump(
            sup,
            env,
            procs,
            markers,
            committed,
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

        def claimed() -> bool:
            recs = [j.load(DATASET, epoch) for j in journals.values()]
            return all(r is not None and r.state is EpochState.CLAIMED for r in recs)

        _pump(sup, env, procs, markers, claimed, "finalization and every validator's claim")
        wall = time.monotonic() - t0
        alive = {n: p.returncode() is None for n, p in procs.items()}
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
            file_order=[
                r.file_id
                for r in SubmissionRegistry(
                    devnet.chain, devnet.address("SubmissionRegistry")
                ).epoch_records(DATASET, epoch)
            ],
            journals={a: r for a, r in recs.items() if r is not None},
            procs=procs,
            markers=markers,
            ema_before=ema_before,
            commits_per_validator=commits,
            alive_at_end=alive,
            lag_refusals=lag_log.read_text().splitlines() if lag_log.exists() else [],
            seconds=seconds,
        )
    finally:
        sup.close()
        devnet.revert(snap)


def _by_file(o: Outcome, record: EpochRecord) -> dict[bytes, int]:
    """The nano units of the pool a validator committed per file."""
    return dict(zip(record.file_ids, record.units, strict=True))


def _vector(o: Outcome, record: EpochRecord) -> ScoreVector:
    return ScoreVector.from_units(
        DATASET, o.epoch, {FileId(f): u for f, u in _by_file(o, record).items()}
    )


def test_epoch_finalizes_with_the_engines_scores(outcome: Outcome) -> None:
    o = outcome
    board = ScoreBoard(o.devnet.chain, o.devnet.address("ScoreBoard"))
    assert board.epochStatus(DATASET, o.epoch).finalized
    honest = o.journals[o.validators[0]]
    # what the valuation engine computes from the same inputs, in this test process
    plain = {f.file_id: f.plaintext for n, f in o.files.items() if n not in UNOPENED}
    who = {f.file_id: f.contributor.address for f in o.files.values()}
    inputs = [
        FileInput(fid, plain[fid], contributor=who[fid])
        if fid in plain
        else FileInput(fid, failure="unavailable")
        for fid in o.file_order
    ]
    spec = ValuationSpec.from_json(SPEC_FILE.read_text())
    validation = (o.devnet.home / "devnet" / "validation-set.jsonl").read_bytes()
    expected = score_epoch(
        inputs, validation, spec, board.epochSeed(DATASET, o.epoch), LocalBackend("cpu", 1)
    )
    assert honest.file_ids == tuple(o.file_order)
    assert honest.units == tuple(int(u) for u in expected.units)
    assert sum(honest.units) == 10**9
    vector = _vector(o, honest)
    assert board.finalizedRoot(DATASET, o.epoch) == (vector.root, vector.total)
    assert honest.root == vector.root
    by = _by_file(o, honest)
    for name in ("honest-chatgpt", "honest-reddit", "honest-twitter"):
        assert by[o.files[name].file_id] > 0, name
    for name in ("duplicate", "noise", "contaminated", "missing", "tampered", *HOSTILE):
        assert by[o.files[name].file_id] == 0, name


def test_reasons_are_recorded_for_every_zero(outcome: Outcome) -> None:
    reasons = outcome.journals[outcome.validators[0]].reasons
    why = {n: reasons.get(f.file_id.hex(), "") for n, f in outcome.files.items()}
    assert why["duplicate"].startswith("duplicate")
    assert why["contaminated"].startswith("validation_overlap")
    assert why["noise"].startswith("no positive value")
    assert "Storage" in why["missing"] or "not found" in why["missing"].lower()
    assert why["missing"].startswith("unavailable by block")  # at the deadline, not before
    assert why["tampered"].startswith("invalid: ")  # a fact about the stored bytes: at once
    for name in HOSTILE:
        assert why[name].startswith("malformed: not canonical JSONL"), (name, why[name])
    for n in ("honest-chatgpt", "honest-reddit", "honest-twitter"):
        # sealed here without a proof: valued, and only the dataset's proof policy applies
        assert why[n] == "no ownership proof: unproven files keep 50% of their value", n


def test_tokens_minted_are_floor_of_pool_times_share(outcome: Outcome) -> None:
    """Each paid file is claimed with the proof built from the committed vector: it mints
    floor(E_c * v / Σv) and returns the bond; a 0-valued file's bond is forfeited by a proof."""
    o = outcome
    vector = _vector(o, o.journals[o.validators[0]])
    keeper = o.devnet.client(o.devnet.spare[2])
    rewards = RewardDistributor(keeper, o.devnet.address("RewardDistributor"))
    pool = rewards.epochRewards(DATASET, o.epoch).contributor_pool
    assert pool > 0
    for fid in o.file_order:
        value = vector.value(fid)
        if value == 0:
            rewards.forfeitBond(DATASET, o.epoch, fid, vector.proof(fid))
            continue
        receipt = rewards.claim(DATASET, o.epoch, fid, value, vector.proof(fid))
        ((minted, _bond),) = rewards.claimed_amounts(receipt)
        assert minted == pool * value // vector.total


def test_dishonest_validator_is_outvoted_and_loses_agreement(outcome: Outcome) -> None:
    o = outcome
    board = ScoreBoard(o.devnet.chain, o.devnet.address("ScoreBoard"))
    honest, dishonest = o.validators[0], o.validators[3]
    lied = board.revealedRoot(DATASET, o.epoch, dishonest)
    assert lied != board.revealedRoot(DATASET, o.epoch, honest)  # it really did lie
    assert lied != board.finalizedRoot(DATASET, o.epoch)
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


def test_hostile_files_score_zero_and_every_daemon_keeps_running(outcome: Outcome) -> None:
    o = outcome
    assert all(o.alive_at_end.values()), o.alive_at_end  # daemons and share services alike
    for a in o.validators[:3]:  # the fourth inverts every readable file's score on purpose
        rec = o.journals[a]
        by = _by_file(o, rec)
        for name in HOSTILE:
            fid = o.files[name].file_id
            assert by[fid] == 0, (a, name)
            assert rec.reasons[fid.hex()].startswith("malformed: "), (a, name)


def test_the_other_files_are_paid_as_without_the_hostile_ones(outcome: Outcome) -> None:
    """Flagged files never enter the valuation, so the others' scores are exactly those of
    the same epoch without them."""
    o = outcome
    board = ScoreBoard(o.devnet.chain, o.devnet.address("ScoreBoard"))
    hostile_ids = {o.files[n].file_id for n in HOSTILE}
    plain = {f.file_id: f.plaintext for n, f in o.files.items() if n not in UNOPENED}
    who = {f.file_id: f.contributor.address for f in o.files.values()}
    inputs = [
        FileInput(fid, plain[fid], contributor=who[fid])
        if fid in plain
        else FileInput(fid, failure="unavailable")
        for fid in o.file_order
        if fid not in hostile_ids
    ]
    spec = ValuationSpec.from_json(SPEC_FILE.read_text())
    validation = (o.devnet.home / "devnet" / "validation-set.jsonl").read_bytes()
    without = score_epoch(
        inputs, validation, spec, board.epochSeed(DATASET, o.epoch), LocalBackend("cpu", 1)
    )
    committed = _by_file(o, o.journals[o.validators[0]])
    for fid, units in zip(without.file_ids, without.units, strict=True):
        assert committed[fid] == int(units)
    assert sum(int(u) for u in without.units) == 10**9


def test_lagging_peers_do_not_change_what_a_validator_commits(outcome: Outcome) -> None:
    """Issue #17: the validator whose share requests were refused ``not_committee`` at first
    retried until its peers caught up and revealed the same scores as the honest CLI daemon,
    instead of zeros for every refused file."""
    o = outcome
    assert o.lag_refusals, "the lagging daemon was never refused: the test proved nothing"
    board = ScoreBoard(o.devnet.chain, o.devnet.address("ScoreBoard"))
    honest, lagging, crashed = o.validators[0], o.validators[1], o.validators[2]
    expected = board.revealedRoot(DATASET, o.epoch, honest)
    assert board.revealedRoot(DATASET, o.epoch, lagging) == expected
    assert board.revealedRoot(DATASET, o.epoch, crashed) == expected
    assert o.journals[lagging].reasons == o.journals[honest].reasons
