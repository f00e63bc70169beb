"""The stages of ``datadao demo``, each a function over an explicit :class:`DemoNet`.

Stages only talk to the chain, storage and child processes through the same code paths a user's
commands use (the contribute pipeline, the custody renter, the chain wrappers); the validators
run as real ``datadao validator`` processes. The demo never scores anything itself: it mines
blocks on anvil to move the epoch along and *waits* for the daemons' commits and reveals on
chain, so a daemon that does not do its job stalls the demo with an error naming it.

Every stage checks its own outcome and raises :class:`DemoCheckFailed` when the protocol did
something it should not have (a flagged contributor paid, a renter's bytes differing, ...).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from sqlmodel import Session
from web3 import Web3

from node.chain.anvil import devnet_account
from node.chain.client import ChainClient
from node.chain.contracts import Contracts
from node.chain.dataset_config import EpochWindows
from node.chain.deployment import Deployment
from node.chain.errors import ContractRevert
from node.chain.escrow import GrantProposal, RequestStatus
from node.chain.governor import DataDAOGovernor, ProposalState, VoteType
from node.chain.timetravel import TimeTravel
from node.chain.token import DatasetToken
from node.custody.renter import Renter, SessionVault
from node.custody.session import SessionKey
from node.db.engine import open_database
from node.demo.data import DemoExport
from node.demo.frontrun import FrontRun, FrontRunningGateway
from node.demo.procs import Child, Supervisor
from node.devnet.epochs import SEED_GRACE_S
from node.devnet.errors import ScoringStalled
from node.devnet.manager import SCORING_WINDOWS, DevnetOptions, devnet_down, devnet_up
from node.devnet.validators import daemon_argv, share_service_argv, validator_env
from node.errors import DataDaoError
from node.parsers import parse_export, scrub_export
from node.parsers.canonical import canonicalize
from node.pipeline import ChainGateway, ContributionPipeline
from node.services.claims import ChainEpochs, FinalizedEpoch, claim_file, file_reward, load_vector
from node.storage.local import LocalBlockstore
from node.types import DatasetId, Epoch, ReqId

__all__ = [
    "ContributorOutcome",
    "DemoCheckFailed",
    "DemoNet",
    "GovernanceOutcome",
    "RenterOutcome",
    "ScoringOutcome",
    "Services",
    "claim_rewards",
    "contribute_all",
    "fetch_and_verify",
    "govern_access",
    "score_epoch",
    "start_devnet",
    "start_validators",
    "wait_for_shares",
]

Report = Callable[[str], None]

DEMO_ACCOUNTS = 8
"""Contributor accounts the demo's devnet funds: seven exports and mallory, the front-runner."""
VICTIM = "alice"
"""Whose pending submission mallory copies."""
FRONT_RUNNER = "mallory"

PAID_KINDS = frozenset({"honest", "thief"})
"""Outcome kinds the demo expects to be paid (see :meth:`node.demo.data.DemoExport.paid`)."""

RENTER_PASSPHRASE = "demo-renter-passphrase"  # noqa: S105 - devnet demo only, documented
RENTER_FEE_WEI = Web3.to_wei(1, "ether")
ZERO32 = b"\x00" * 32


class DemoCheckFailed(DataDaoError):
    """An outcome the demo asserts did not hold: the protocol misbehaved (a bug to report)."""


# --------------------------------------------------------------------------------- the net


@dataclass
class DemoNet:
    """The running devnet as the demo drives it: one client per account (so nonces are tracked
    in one place per key), and anvil's time travel."""

    home: Path
    deployment: Deployment
    chain: ChainClient
    _clients: dict[str, ChainClient] = field(default_factory=dict)

    @property
    def dataset(self) -> DatasetId:
        return DatasetId(self.deployment.dataset_id)

    @property
    def time(self) -> TimeTravel:
        return TimeTravel(self.chain.w3)

    def address(self, name: str) -> str:
        return self.deployment.address(name)

    def client(self, account: LocalAccount) -> ChainClient:
        found = self._clients.get(account.address)
        if found is None:
            found = self._clients[account.address] = self.chain.with_account(account)
        return found

    @functools.cached_property
    def contracts(self) -> Contracts:
        """The deployment's contracts through the deployer's client (reads and its own writes)."""
        return Contracts.of(self.chain, self.deployment)

    def contracts_for(self, account: LocalAccount) -> Contracts:
        """The same contracts, acting as ``account``."""
        return Contracts.of(self.client(account), self.deployment)

    def windows(self, epoch: Epoch) -> EpochWindows:
        return self.contracts.config.epochWindows(self.dataset, epoch)

    @functools.cached_property
    def store(self) -> LocalBlockstore:
        """The devnet's shared blockstore (its "IPFS"): sealed files and score vectors."""
        return LocalBlockstore(self.home / "blocks")

    def now(self) -> int:
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])


def start_devnet(home: Path, sup: Supervisor, report: Report) -> DemoNet:
    """A fresh devnet in ``home`` (anvil on a free port); anvil is stopped when ``sup`` closes."""
    sup.on_close("anvil", lambda: devnet_down(home))
    status = devnet_up(
        DevnetOptions(home=home, contributors=DEMO_ACCOUNTS, deploy_env=SCORING_WINDOWS),
        progress=report,
    )
    d = status.deployment
    chain = ChainClient.connect(d.rpc_url, devnet_account(0), confirmations=1)
    return DemoNet(home=home, deployment=d, chain=chain)


# --------------------------------------------------------------------------------- services


@dataclass(frozen=True)
class Services:
    """The validators' processes: share service and daemon per validator, by address."""

    shares: dict[str, Child]
    daemons: dict[str, Child]
    urls: dict[str, str]

    def logs(self) -> dict[str, Path]:
        return {a.lower(): c.log for a, c in self.daemons.items()}


def start_validators(net: DemoNet, sup: Supervisor, log_dir: Path, report: Report) -> Services:
    """Start every validator's share service (on the URL registered on chain) and daemon, with
    the commands ``datadao devnet up`` uses (:mod:`node.devnet.validators`), as children of the
    demo's supervisor; :func:`wait_for_shares` waits for the services to answer."""
    env = validator_env(net.home)
    validators: list[dict[str, Any]] = list(net.deployment.extra["validators"])
    urls = {str(v["address"]): str(v["share_url"]) for v in validators}
    shares: dict[str, Child] = {}
    for v in validators:
        shares[v["address"]] = sup.spawn(
            f"share service {v['address'][:10]}",
            share_service_argv(net.home, v),
            log=log_dir / f"shares-{v['account_index']}.log",
            env=env,
        )
    daemons: dict[str, Child] = {}
    for v in validators:
        daemons[v["address"]] = sup.spawn(
            f"validator daemon {v['address'][:10]}",
            daemon_argv(net.home, v, interval_s=0.5),
            log=log_dir / f"validator-{v['account_index']}.log",
            env=env,
        )
    report(
        f"{len(shares)} share services and {len(daemons)} validator daemons starting "
        f"(logs in {log_dir})"
    )
    return Services(shares=shares, daemons=daemons, urls=urls)


def wait_for_shares(
    services: Services, sup: Supervisor, report: Report, *, timeout_s: float = 90.0
) -> None:
    """Block until every share service answers its health check (they boot while the
    contributors work: both are CPU-bound, and a 2-core machine is busy either way)."""
    for address, child in services.shares.items():
        url = services.urls[address]
        sup.wait_http(child, f"{url}/v1/health", timeout_s=timeout_s)
        report(f"share service of {address[:10]}… answers on {url}")


# --------------------------------------------------------------------------------- contribute


@dataclass
class ContributorOutcome:
    """One contributor, from export to tokens."""

    name: str
    kind: str
    platform: str
    address: str
    export: Path
    file_id: str = ""
    records: int = 0
    epoch: int = -1
    canonical: bytes = field(default=b"", repr=False)
    units: int = 0
    """The finalized value: nano units (1e-9) of the epoch's contributor pool."""
    flags: str = ""
    reward: int = 0
    claimed: int = 0
    balance: int = 0
    bond: int = 0
    """The submission bond paid with ``submit`` (wei)."""
    bond_back: int = 0
    """Refunded with the claim (a paid file)."""
    bond_forfeited: int = 0
    """Sent to the treasury by a proof of a 0 value."""

    @property
    def file_key(self) -> str:
        return self.file_id.removeprefix("0x").lower()

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "platform": self.platform,
            "address": self.address,
            "export": str(self.export),
            "file_id": self.file_id,
            "records": self.records,
            "epoch": self.epoch,
            "units": self.units,
            "share": self.units / 10**9,
            "flags": self.flags,
            "reward": str(self.reward),
            "claimed": str(self.claimed),
            "balance": str(self.balance),
            "bond": str(self.bond),
            "bond_back": str(self.bond_back),
            "bond_forfeited": str(self.bond_forfeited),
        }


def open_fresh_epoch(net: DemoNet) -> Epoch:
    """Mine to the first block of the next epoch, so all contributions share one full window."""
    cfg = net.contracts.config
    epoch = Epoch(cfg.currentEpoch(net.dataset) + 1)
    net.time.mine_to(cfg.epochWindows(net.dataset, epoch).submit_start)
    return epoch


def contribute_all(
    net: DemoNet,
    exports: Sequence[DemoExport],
    work_dir: Path,
    report: Report,
    *,
    front_runner: LocalAccount | None = None,
) -> tuple[Epoch, list[ContributorOutcome]]:
    """Run the real contribute pipeline for each export, each contributor with its own node
    database (as on their own machines) and the shared blockstore (the devnet's "IPFS").

    With ``front_runner``, that account watches the mempool while :data:`VICTIM` submits and
    lands a copy of the pending submission under its own name first (:mod:`node.demo.frontrun`).
    """
    epoch = open_fresh_epoch(net)
    report(f"epoch {epoch} is open for submissions")
    store = net.store
    outcomes: list[ContributorOutcome] = []
    front_run = FrontRun()
    for e in exports:
        account = devnet_account(e.account_index)
        node_dir = work_dir / e.name
        node_dir.mkdir(parents=True, exist_ok=True)
        engine = open_database(f"sqlite:///{node_dir / 'node.db'}")
        try:
            gateway: ChainGateway
            if e.name == VICTIM and front_runner is not None:
                gateway = FrontRunningGateway(
                    net.contracts_for(account),
                    dataset_id=net.dataset,
                    wait_for_block=net.time.mine_to,
                    attacker=front_runner,
                    rpc=lambda method, params: net.chain.w3.provider.make_request(
                        method,  # type: ignore[arg-type]
                        params,
                    ),
                    outcome=front_run,
                )
            else:
                gateway = ChainGateway(
                    net.contracts_for(account),
                    dataset_id=net.dataset,
                    wait_for_block=net.time.mine_to,  # anvil: mine the empty blocks
                )
            pipeline = ContributionPipeline(
                sessions=_sessions(engine),
                store=store,
                gateway=gateway,
                sealed_dir=node_dir / "sealed",
            )
            result = pipeline.run(e.path, platform=e.platform, proofs=e.proofs)
        finally:
            engine.dispose()
        s = result.submission
        if s.file_id is None:  # a registered submission always has its derived id
            raise DemoCheckFailed(f"{e.name}: the pipeline finished without a file id")
        parsed = scrub_export(parse_export(e.path, platform=e.platform))
        canonical = canonicalize(dataclasses.replace(parsed, proofs=e.proofs))
        if "0x" + canonical.commitment.hex() != s.content_commitment.lower():
            raise DemoCheckFailed(f"{e.name}: the pipeline committed to other bytes than parsed")
        outcomes.append(
            ContributorOutcome(
                name=e.name,
                kind=e.kind.value,
                platform=s.platform,
                address=account.address,
                export=e.path,
                file_id=s.file_id,
                records=s.records,
                epoch=int(s.epoch if s.epoch is not None else -1),
                canonical=canonical.data,
            )
        )
        report(
            f"{e.name} ({e.kind.value}, {s.platform}): {s.records} records sealed and registered "
            f"as file {s.file_id[:12]}… in epoch {s.epoch}"
        )
        if e.name == VICTIM and front_runner is not None:
            outcomes.append(_front_run_outcome(net, outcomes[-1], front_runner, front_run, report))
    epochs = {o.epoch for o in outcomes}
    if epochs != {int(epoch)}:
        raise DemoCheckFailed(f"contributions landed in epochs {sorted(epochs)}, not {epoch}")
    return epoch, outcomes


def _front_run_outcome(
    net: DemoNet,
    victim: ContributorOutcome,
    attacker: LocalAccount,
    run: FrontRun,
    report: Report,
) -> ContributorOutcome:
    """Check what the front-run did on chain: both transactions landed, the copy first, under a
    file id of its own (v1 gave the copy the victim's id and reverted the victim)."""
    if not (run.attacker_succeeded and run.victim_succeeded and run.attacker_first):
        raise DemoCheckFailed(
            f"front-run: attacker first {run.attacker_first}, attacker landed "
            f"{run.attacker_succeeded}, {victim.name} landed {run.victim_succeeded}"
        )
    if run.attacker_file_id == victim.file_key:
        raise DemoCheckFailed("the front-runner's copy took the victim's file id")
    stored = net.contracts.registry.stored(bytes.fromhex(run.attacker_file_id))
    if stored.contributor != attacker.address:
        raise DemoCheckFailed("the copy is not registered to the front-runner")
    report(
        f"{FRONT_RUNNER} copied {victim.name}'s pending submission and landed first (same CID and "
        f"header, own address and signature): registered as file {run.attacker_file_id[:12]}…, "
        f"{victim.name}'s own transaction landed too, as {victim.file_key[:12]}…"
    )
    return ContributorOutcome(
        name=FRONT_RUNNER,
        kind="front-runner",
        platform=victim.platform,
        address=attacker.address,
        export=victim.export,
        file_id="0x" + run.attacker_file_id,
        records=victim.records,
        epoch=victim.epoch,
    )


def _sessions(engine: Engine) -> Callable[[], Session]:
    return lambda: Session(engine, expire_on_commit=False)


# --------------------------------------------------------------------------------- scoring


@dataclass
class ScoringOutcome:
    epoch: int
    committee: list[str]
    contributor_pool: int
    root: str
    total_units: int
    vector_cid: str
    revealed_roots: dict[str, str]
    agreement_bps: dict[str, int]
    journals: dict[str, Path]
    labels: dict[str, str]
    seconds: dict[str, float]
    # mean per daemon of the seconds it spent on the epoch: decrypt (storage + shares +
    # decryption), value (the engine), chain (the rest of its ticks: RPC calls, journal)
    daemon_seconds: dict[str, float]

    def as_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "committee": self.committee,
            "contributor_pool": str(self.contributor_pool),
            "root": self.root,
            "total_units": self.total_units,
            "vector_cid": self.vector_cid,
            "revealed_roots": self.revealed_roots,
            "agreement_ema_bps": self.agreement_bps,
            "journals": {k: str(v) for k, v in self.journals.items()},
            "nutrition_label": self.labels,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "daemon_seconds": {k: round(v, 2) for k, v in self.daemon_seconds.items()},
        }


_SCORED = frozenset({"REVEALED", "CLAIMED"})


def state_changes(log: Path) -> Iterator[dict[str, Any]]:
    """The daemon's ``epoch state`` lines from its JSON log (each carries the cumulative
    per-phase ``seconds`` and the state it went ``to``); an unreadable log yields nothing and
    other lines (warnings, tracebacks) are skipped."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("seconds"), dict) and "to" in rec:
            yield rec


def daemon_seconds(logs: Sequence[Path]) -> dict[str, float]:
    """Mean decrypt / value / chain seconds over the daemons, from their JSON logs.

    Each daemon logs its cumulative phase seconds with every state change; the last line that
    reaches REVEALED or CLAIMED holds its totals for the epoch (the demo may read the logs
    before a daemon has claimed). A daemon whose log lacks one is left out.
    """
    totals: list[dict[str, float]] = []
    for path in logs:
        last: dict[str, float] | None = None
        for rec in state_changes(path):
            if rec["to"] in _SCORED:
                last = {str(k): float(v) for k, v in rec["seconds"].items()}
        if last is not None:
            decrypt, value = last.get("decrypt", 0.0), last.get("value", 0.0)
            chain = max(0.0, last.get("tick", 0.0) - decrypt - value)
            totals.append({"decrypt": decrypt, "value": value, "chain": chain})
    if not totals:
        return {}
    return {k: sum(t[k] for t in totals) / len(totals) for k in ("decrypt", "value", "chain")}


def _wait_all(
    step: str,
    what: str,
    members: Sequence[str],
    done: Callable[[str], bool],
    *,
    sup: Supervisor,
    services: Services,
    timeout_s: float,
    report: Report,
    poll_s: float = 0.25,
) -> None:
    """Poll ``done(member)`` until every member is done; raise naming the stragglers."""
    deadline = time.monotonic() + timeout_s
    pending = list(members)
    while pending:
        sup.check()
        for m in list(pending):
            if done(m):
                pending.remove(m)
                report(f"{m} {what}")
        if not pending:
            return
        if time.monotonic() > deadline:
            raise ScoringStalled(step, pending, services.logs())
        time.sleep(poll_s)


def score_epoch(
    net: DemoNet,
    epoch: Epoch,
    outcomes: Sequence[ContributorOutcome],
    *,
    sup: Supervisor,
    services: Services,
    report: Report,
    timeout_s: float = 120.0,
) -> ScoringOutcome:
    """Move the epoch through commit, reveal and finalize, waiting on the daemons at each step.

    The demo only mines blocks (anvil does not produce them by itself) and, if nobody did yet,
    fixes the seed and finalizes (both permissionless); the scores are the daemons' own.
    """
    board = net.contracts.board
    rewards = net.contracts.rewards
    w = net.windows(epoch)
    ds = net.dataset
    seconds: dict[str, float] = {}

    t0 = time.monotonic()
    # one block past the close: the daemons wait for one confirmation of the last submission
    net.time.mine_to(w.close_block + 1)
    report(f"submission window closed at block {w.close_block}; the daemons fetch and value")
    grace = time.monotonic() + SEED_GRACE_S
    while board.epochSeed(ds, epoch) == ZERO32 and time.monotonic() < grace:
        time.sleep(0.2)
    if board.epochSeed(ds, epoch) == ZERO32:
        try:
            board.fixSeed(ds, epoch)
        except ContractRevert:
            if board.epochSeed(ds, epoch) == ZERO32:  # not a lost race with a daemon
                raise
    # Share services read the chain one confirmation deep; anvil mines only on transactions,
    # so without this block they would not yet see the committee the seed just fixed.
    net.time.mine(1)
    committee = [str(a) for a in board.committee(ds, epoch)]
    report(f"scoring committee: {len(committee)} validators")
    _wait_all(
        "commit",
        "committed its scores",
        committee,
        lambda v: board.commitmentOf(ds, epoch, v) != ZERO32,
        sup=sup,
        services=services,
        timeout_s=timeout_s,
        report=report,
    )
    seconds["commit"] = time.monotonic() - t0

    t0 = time.monotonic()
    net.time.mine_to(w.reveal_start)
    report(f"reveal window open at block {w.reveal_start}")
    _wait_all(
        "reveal",
        "revealed its scores",
        committee,
        lambda v: board.revealed(ds, epoch, v),
        sup=sup,
        services=services,
        timeout_s=timeout_s,
        report=report,
    )
    seconds["reveal"] = time.monotonic() - t0

    t0 = time.monotonic()
    net.time.mine_to(w.finalize_from)
    if not board.epochStatus(ds, epoch).finalized:
        try:
            board.finalize(ds, epoch)
        except ContractRevert:
            if not board.epochStatus(ds, epoch).finalized:  # not a lost race with a daemon
                raise
    status = board.epochStatus(ds, epoch)
    if not status.quorum_met:
        raise DemoCheckFailed(f"epoch {epoch} finalized without a quorum of revealed stake")
    seconds["finalize"] = time.monotonic() - t0
    final = _finalized(net, epoch)
    vector = load_vector(net.store, final)
    cid = final.vector_cids[0]
    report(
        f"epoch {epoch} finalized: score root {vector.root.hex()[:12]}… over {len(vector.entries)} "
        f"files, vector {cid[:16]}…"
    )
    roots = {v: "0x" + bytes(board.revealedRoot(ds, epoch, v)[0]).hex() for v in committee}
    if set(roots.values()) != {"0x" + vector.root.hex()}:
        raise DemoCheckFailed(f"the committee revealed different roots: {roots}")

    journals = {v: net.home / "validator" / v / "journal" / f"{ds}-{epoch}.json" for v in committee}
    by_file = {o.file_key: o for o in outcomes}
    for v in committee:
        record = _read_journal(journals[v])
        for key, why in dict(record.get("reasons", {})).items():
            o = by_file.get(str(key).removeprefix("0x").lower())
            if o is not None and not o.flags:
                o.flags = str(why)
    info = rewards.epochRewards(ds, epoch)
    for o in outcomes:
        fid = bytes.fromhex(o.file_key)
        o.units = vector.value(fid)
        o.reward = info.contributor_pool * o.units // vector.total if vector.total else 0
        o.bond = net.contracts.registry.stored(fid).bond
    return ScoringOutcome(
        epoch=int(epoch),
        committee=committee,
        contributor_pool=info.contributor_pool,
        root="0x" + vector.root.hex(),
        total_units=vector.total,
        vector_cid=cid,
        revealed_roots=roots,
        agreement_bps={v: board.agreementEma(v) for v in committee},
        journals=journals,
        labels=_labels(net.home, committee, int(epoch)),
        seconds=seconds,
        daemon_seconds=daemon_seconds([c.log for c in services.daemons.values()]),
    )


def _read_journal(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _labels(home: Path, committee: Sequence[str], epoch: int) -> dict[str, str]:
    """The first committee member's nutrition label files that exist: the daemon writes
    ``labels/epoch-N/{report.json,label.png}`` (``labels/epoch-N.{json,png}`` also accepted)."""
    for v in committee:
        base = home / "validator" / v / "labels" / f"epoch-{epoch}"
        candidates = {
            "json": (base / "report.json", base.with_suffix(".json")),
            "png": (base / "label.png", base.with_suffix(".png")),
        }
        found: dict[str, str] = {}
        for ext, paths in candidates.items():
            hit = next((p for p in paths if p.is_file()), None)
            if hit is not None:
                found[ext] = str(hit)
        if found:
            return found
    return {}


def check_rewards(outcomes: Sequence[ContributorOutcome], scoring: ScoringOutcome) -> None:
    """Flagged and worthless data is valued 0; paid data earns ``floor(E_c * v / Σv)``.

    Which kinds are paid is :meth:`DemoExport.paid`'s rule (the honest ones, and the thief at
    the dataset's unproven-file factor); the front-runner's copy must be worth nothing.
    """
    for o in outcomes:
        if o.kind not in PAID_KINDS:
            if o.reward != 0 or o.units != 0:
                raise DemoCheckFailed(
                    f"{o.name} ({o.kind}) was valued {o.units} units and earns {o.reward}: "
                    "it should earn nothing"
                )
            continue
        if o.units <= 0:
            raise DemoCheckFailed(f"{o.name} ({o.kind}) was valued 0 ({o.flags or 'no flag'})")
        expected = scoring.contributor_pool * o.units // scoring.total_units
        if o.reward != expected:
            raise DemoCheckFailed(f"{o.name} earns {o.reward}, expected floor(E*v/Σv) = {expected}")


def claim_rewards(
    net: DemoNet, epoch: Epoch, outcomes: Sequence[ContributorOutcome]
) -> tuple[int, int]:
    """Each paid contributor claims with a Merkle proof built from the published vector (as
    ``datadao rewards --claim`` does) and gets its bond back; then a keeper proves every 0
    value and the bonds of those files go to the treasury. Returns (minted, forfeited wei)."""
    token = net.contracts.token
    final = _finalized(net, epoch)
    vector = load_vector(net.store, final)
    treasury = Web3.to_checksum_address(net.contracts.rewards.contract.functions.treasury().call())
    w3 = net.contracts.rewards.contract.w3
    treasury_before = w3.eth.get_balance(treasury)
    minted = forfeited = 0
    for o in outcomes:
        fid = bytes.fromhex(o.file_key)
        if o.units > 0:
            account = devnet_account(_index_of(net, o.address))
            reward = file_reward(vector, final, fid, bond=o.bond, claimed=False)
            done = claim_file(net.contracts_for(account), net.dataset, reward)
            o.claimed, o.bond_back = done.tokens, done.bond_refund
            minted += done.tokens
            bond_back = done.bond_refund
            if bond_back != o.bond:
                raise DemoCheckFailed(f"{o.name} got {bond_back} wei of its {o.bond} bond back")
        else:
            net.contracts.rewards.forfeitBond(net.dataset, epoch, fid, vector.proof(fid))
            o.bond_forfeited = o.bond
            forfeited += o.bond
            left = net.contracts.registry.stored(fid).bond
            if left != 0:
                raise DemoCheckFailed(f"{o.name}'s bond was not forfeited ({left} wei left)")
        o.balance = token.balanceOf(o.address)
        if o.balance != o.claimed:
            raise DemoCheckFailed(f"{o.name} holds {o.balance} tokens after claiming {o.claimed}")
    gained = w3.eth.get_balance(treasury) - treasury_before
    if gained != forfeited:
        raise DemoCheckFailed(f"the treasury received {gained} wei of {forfeited} forfeited")
    return minted, forfeited


def _finalized(net: DemoNet, epoch: Epoch) -> FinalizedEpoch:
    final = ChainEpochs(net.contracts, net.dataset).finalized(epoch)
    if final is None or not final.quorum_met:
        raise DemoCheckFailed(f"epoch {epoch} is not finalized with a quorum")
    return final


def _index_of(net: DemoNet, address: str) -> int:
    for c in net.deployment.extra.get("contributors", []):
        if str(c["address"]).lower() == address.lower():
            return int(c["account_index"])
    raise DemoCheckFailed(f"{address} is not one of the devnet's contributors")


# --------------------------------------------------------------------------------- governance


@dataclass
class GovernanceOutcome:
    granted_req: int
    denied_req: int
    proposals: dict[str, dict[str, Any]]
    refund_wei: int
    renter_key: bytes = field(repr=False)
    session: SessionKey = field(repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "granted_request": self.granted_req,
            "denied_request": self.denied_req,
            "proposals": self.proposals,
            "refund_wei": str(self.refund_wei),
        }


RENTER_INDEX, DENIED_RENTER_INDEX = 13, 14
"""After the devnet's contributor accounts (5 .. 4 + DEMO_ACCOUNTS)."""


def govern_access(
    net: DemoNet,
    epoch: Epoch,
    holders: Sequence[ContributorOutcome],
    report: Report,
) -> GovernanceOutcome:
    """Two renters ask for the epoch; holders grant one through the Governor and timelock and
    vote the other down, which is then refunded."""
    token_address = net.address("DatasetToken")
    for h in holders:
        DatasetToken(net.client(_holder(net, h)), token_address).delegate(h.address)
    net.time.mine(1)  # votes count from the block after delegation
    report(f"{len(holders)} token holders delegated their votes to themselves")

    vault = SessionVault(net.home / "renter")
    requests: dict[int, tuple[ReqId, SessionKey]] = {}
    for index in (RENTER_INDEX, DENIED_RENTER_INDEX):
        renter = _renter(net, devnet_account(index))
        session = SessionKey.generate()
        vault.save(session, passphrase=RENTER_PASSPHRASE)
        req = renter.request_access(
            dataset_id=net.dataset,
            session=session,
            from_epoch=int(epoch),
            to_epoch=int(epoch),
            expiry=net.now() + 30 * 86_400,
            fee=RENTER_FEE_WEI,
        )
        vault.record(req, {"req_id": req, "renter": renter.account.address, "epoch": int(epoch)})
        requests[index] = (req, session)
        report(f"renter {renter.account.address} requested access #{req} escrowing 1 ETH")
    granted, session = requests[RENTER_INDEX]
    denied, _ = requests[DENIED_RENTER_INDEX]

    governor_address = net.address("DataDAOGovernor")
    governor = DataDAOGovernor(net.chain, governor_address)
    escrow = net.contracts.escrow
    proposals: dict[int, tuple[int, GrantProposal]] = {}
    for req, proposer in ((granted, holders[0]), (denied, holders[1 % len(holders)])):
        p = escrow.grantProposal(req)
        # the escrow proposes it (anyone may ask it to): no stranger can propose and cancel it
        pid = escrow.with_client(net.client(_holder(net, proposer))).proposeGrant(req)
        proposals[req] = (pid, p)
        report(f"{proposer.name} proposed granting request #{req} (proposal {str(pid)[:10]}…)")
    net.time.mine(governor.votingDelay() + 1)
    for h in holders:
        voter = DataDAOGovernor(net.client(_holder(net, h)), governor_address)
        voter.castVote(proposals[granted][0], VoteType.FOR)
        voter.castVote(proposals[denied][0], VoteType.AGAINST)
    report(f"holders voted FOR #{granted} and AGAINST #{denied}")
    net.time.mine(governor.votingPeriod() + 1)
    states = {req: governor.state(pid) for req, (pid, _) in proposals.items()}
    if states[granted] is not ProposalState.SUCCEEDED:
        raise DemoCheckFailed(f"grant of #{granted} ended {states[granted].name}, not SUCCEEDED")
    if states[denied] is not ProposalState.DEFEATED:
        raise DemoCheckFailed(f"grant of #{denied} ended {states[denied].name}, not DEFEATED")

    pid, p = proposals[granted]
    governor.queue(p)
    delay = net.contracts.timelock.getMinDelay()
    net.time.increase_time(delay + 1)
    governor.execute(p)
    if escrow.request(granted).status is not RequestStatus.GRANTED:
        raise DemoCheckFailed(f"request #{granted} is not GRANTED after execution")
    report(f"proposal queued, timelock ({delay}s) passed, executed: #{granted} is GRANTED")

    # refund is permissionless: the deployer sends it, so the renter's balance moves by the fee
    # exactly (no gas of its own to account for)
    loser = devnet_account(DENIED_RENTER_INDEX).address
    before = net.chain.w3.eth.get_balance(loser)
    escrow.refund(denied)
    refund = int(net.chain.w3.eth.get_balance(loser)) - int(before)
    if refund != RENTER_FEE_WEI or escrow.request(denied).status is not RequestStatus.REFUNDED:
        raise DemoCheckFailed(f"denied request #{denied} refunded {refund} wei, not the fee")
    report(f"request #{denied} was voted down and its 1 ETH fee refunded")

    def tally(req: int) -> dict[str, Any]:
        against, for_, abstain = governor.proposalVotes(proposals[req][0])
        return {
            "proposal_id": str(proposals[req][0]),
            "state": governor.state(proposals[req][0]).name,
            "for": str(for_),
            "against": str(against),
            "abstain": str(abstain),
        }

    return GovernanceOutcome(
        granted_req=int(granted),
        denied_req=int(denied),
        proposals={f"grant #{granted}": tally(granted), f"grant #{denied}": tally(denied)},
        refund_wei=refund,
        renter_key=session.public_bytes,
        session=session,
    )


def _holder(net: DemoNet, h: ContributorOutcome) -> LocalAccount:
    return devnet_account(_index_of(net, h.address))


def _renter(net: DemoNet, account: LocalAccount) -> Renter:
    chain = net.client(account)
    return Renter(
        chain=chain,
        contracts=net.contracts_for(account),
        store=LocalBlockstore(net.home / "blocks"),
    )


# --------------------------------------------------------------------------------- renter


@dataclass
class RenterOutcome:
    req_id: int
    out_dir: Path
    files: int
    verified: int
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "request": self.req_id,
            "out_dir": str(self.out_dir),
            "files": self.files,
            "verified": self.verified,
            "seconds": round(self.seconds, 2),
        }


def fetch_and_verify(
    net: DemoNet,
    gov: GovernanceOutcome,
    outcomes: Sequence[ContributorOutcome],
    out_dir: Path,
    report: Report,
) -> RenterOutcome:
    """The granted renter gathers threshold shares from the validators' share services and
    decrypts every file; each must equal its contributor's canonical export byte for byte."""
    renter = _renter(net, devnet_account(RENTER_INDEX))
    session = SessionVault(net.home / "renter").load(gov.renter_key, passphrase=RENTER_PASSPHRASE)
    fetched = renter.fetch(gov.granted_req, out_dir, session=session)
    expected = {o.file_key: o for o in outcomes if o.kind != "front-runner"}
    copies = sorted(o.file_key for o in outcomes if o.kind == "front-runner")
    if sorted(c.removeprefix("0x").lower() for c in fetched.copies) != copies:
        raise DemoCheckFailed(
            f"the renter skipped {fetched.copies} as copies of another contributor's "
            f"submission, expected {copies}"
        )
    verified = 0
    for key, o in expected.items():
        path = out_dir / "files" / f"{key}.jsonl"
        if not path.is_file():
            raise DemoCheckFailed(f"the renter did not receive {o.name}'s file ({path})")
        got = path.read_bytes()
        if got != o.canonical:
            raise DemoCheckFailed(
                f"{o.name}'s decrypted file differs from the canonical export "
                f"(sha256 {hashlib.sha256(got).hexdigest()[:16]}… vs "
                f"{hashlib.sha256(o.canonical).hexdigest()[:16]}…)"
            )
        verified += 1
    if fetched.files != len(expected) + len(copies):
        raise DemoCheckFailed(
            f"the grant covers {fetched.files} files, expected {len(expected) + len(copies)}"
        )
    report(
        f"renter decrypted {fetched.fetched} files with threshold shares in "
        f"{fetched.seconds:.1f}s (skipped {len(copies)} copy whose header names another "
        f"contributor); all {verified} equal the contributors' canonical exports"
    )
    return RenterOutcome(
        req_id=gov.granted_req,
        out_dir=out_dir,
        files=fetched.files,
        verified=verified,
        seconds=fetched.seconds,
    )
