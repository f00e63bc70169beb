"""Production wiring of the scoring daemon: chain, storage, custody, engine, journal, labels.

``datadao validator run`` builds a :class:`RunConfig` from its flags and calls :func:`run`.
:func:`build_daemon` is separate so that other launchers (an operator's supervisor, the
fault-injection launcher of the integration tests) assemble exactly the daemon the CLI runs and
only wrap what they must, through :class:`Hooks`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from node.chain.client import ChainClient
from node.custody.files import committee_peers
from node.custody.gather import ShareClient
from node.custody.session import SessionKey
from node.errors import ConfigError
from node.protocol.keystore import Secret
from node.storage.base import BlobStore
from node.types import DatasetId, Epoch
from node.wiring import ChainContext, validator_dir
from validator.daemon.adapters import ChainEpochView, CustodyOpener
from validator.daemon.driver import (
    DaemonConfig,
    EpochChain,
    FileOpener,
    Scorer,
    ValidatorDaemon,
    seed_delay_for,
)
from validator.daemon.journal import Journal
from validator.daemon.scoring import EpochScores, FileInput, prepare_file, score_epoch
from validator.valuation.backends import make_backend
from validator.valuation.report import write_report
from validator.valuation.spec import ValuationSpec

__all__ = [
    "Hooks",
    "RitualKeys",
    "RunConfig",
    "build_daemon",
    "load_spec",
    "run",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunConfig:
    """Everything ``datadao validator run`` is told.

    ``label_dir`` defaults to ``<home>/validator/<address>/labels``; ``keep_plaintext`` is off
    unless the operator names a directory (decrypted files otherwise live only in memory).
    """

    chain: ChainContext
    store: BlobStore
    spec: ValuationSpec
    home: Path
    dataset_id: int = 1
    confirmations: int = 2
    device: str = "cpu"
    compute: str = "local"
    threads: int | None = None
    keep_plaintext: Path | None = None
    label_dir: Path | None = None


@dataclass
class Hooks:
    """Seams for launchers other than the CLI: each wraps the production part it names."""

    wrap_chain: Callable[[EpochChain], EpochChain] = field(default=lambda c: c)
    wrap_scorer: Callable[[Scorer], Scorer] = field(default=lambda s: s)
    wrap_opener: Callable[[FileOpener], FileOpener] = field(default=lambda o: o)


@dataclass
class BuiltDaemon:
    daemon: ValidatorDaemon
    client: ChainClient  # thread-safe (one nonce lock): the ritual watcher shares it
    close: Callable[[], None]


@dataclass(frozen=True)
class RitualKeys:
    """What joining key rituals needs: the Ferveo keystore's directory and its secret seed."""

    key_dir: Path
    seed: Secret = field(repr=False)


def _labels(out: Path) -> Callable[[Epoch, EpochScores], None]:
    """The nutrition label of each scored epoch, with what the engine's report does not know:
    the ownership-proof counts by method (issue #20) and each file's units in the vector."""

    def report(epoch: Epoch, scores: EpochScores) -> None:
        if scores.result is None:
            return
        json_path, _ = write_report(scores.result, out / f"epoch-{int(epoch)}")
        doc = json.loads(json_path.read_text())
        doc["proofs"] = scores.proofs
        doc["score_vector"] = {
            "unit": "1e-9 of the epoch's contributor pool",
            "units": {f.hex(): u for f, u in zip(scores.file_ids, scores.units, strict=True)},
        }
        json_path.write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n")

    return report


def build_daemon(cfg: RunConfig, hooks: Hooks | None = None) -> BuiltDaemon:
    """Assemble the daemon; refuses a ValuationSpec whose digest is not the chain's.

    Raises:
        ConfigError: the spec does not match the dataset's registered digest.
    """
    hooks = hooks or Hooks()
    client = cfg.chain.chain
    contracts = cfg.chain.contracts
    view = ChainEpochView(contracts)
    ds = DatasetId(cfg.dataset_id)
    if bytes.fromhex(cfg.spec.digest()[2:]) != view.config.dataset(ds).valuation_spec_digest:
        raise ConfigError(
            f"the ValuationSpec's digest {cfg.spec.digest()} differs from dataset {ds}'s on chain"
        )
    shares = ShareClient(
        chain_id=client.chain_id,
        registry=view.registry.address,
        signer=client.account,
        session=SessionKey.generate(),
        now=lambda: int(client.w3.eth.get_block("latest")["timestamp"]),
    )
    opener = CustodyOpener(
        store=cfg.store,
        view=view,
        chain_id=client.chain_id,
        client=shares,
        peers=lambda rid: committee_peers(contracts.dkg, contracts.staking, rid),
        keep_plaintext=cfg.keep_plaintext,
    )
    backend = make_backend(cfg.compute, cfg.device, cfg.threads)
    spec = cfg.spec

    def scorer(files: Sequence[FileInput], validation: bytes, seed: bytes) -> EpochScores:
        # read per epoch: governance may change the minimum between epochs
        min_bps = view.config.dataset(ds).min_score_bps
        return score_epoch(files, validation, spec, seed, backend, min_score_bps=min_bps)

    def publish(vector: bytes) -> str:
        # the node's UnixFS importer: the CID is the one Kubo gives for these bytes
        return str(cfg.store.add(vector, pin=True))

    me = client.address
    daemon = ValidatorDaemon(
        DaemonConfig(
            chain_id=client.chain_id,
            score_board=view.board.address,
            dataset_id=ds,
            validator=me,
            confirmations=cfg.confirmations,
            fix_seed_delay_s=seed_delay_for(me),
        ),
        hooks.wrap_chain(view),
        Journal(validator_dir(cfg.home, me) / "journal"),
        hooks.wrap_opener(opener),
        opener.validation_set,
        hooks.wrap_scorer(scorer),
        reporter=_labels(cfg.label_dir or validator_dir(cfg.home, me) / "labels"),
        publish=publish,
        # each file parsed as it opens and its bytes dropped: memory is the records, not the epoch
        digest=lambda f: prepare_file(f, spec),
    )
    return BuiltDaemon(daemon=daemon, client=client, close=shares.close)


def run(
    cfg: RunConfig,
    *,
    interval: float,
    metrics_port: int = 0,
    hooks: Hooks | None = None,
    stop: threading.Event | None = None,
    rituals: RitualKeys | None = None,
) -> None:
    """Tick every ``interval`` seconds until ``stop`` is set (or Ctrl-C).

    With ``rituals``, a watcher thread also takes part in every key ritual that lists this
    validator (its aggregate lands in ``key_dir``, where the share service loads it from).
    """
    built = build_daemon(cfg, hooks)
    stop = stop or threading.Event()
    if rituals is not None:
        from validator.dkg_watcher import RitualWatcher

        watcher = RitualWatcher(
            built.client,
            cfg.chain.address("DKGCoordinator"),
            key_dir=rituals.key_dir,
            seed=rituals.seed,
            poll_s=max(interval, 0.25),
        )
        threading.Thread(
            target=watcher.run,
            args=(stop,),
            kwargs={
                "on_outcome": lambda o: log.info("ritual ended", extra={"outcome": o.describe()})
            },
            name="ritual-watcher",
            daemon=True,
        ).start()
    if metrics_port:
        import uvicorn

        from validator.daemon.metrics import create_metrics_app

        server = uvicorn.Server(
            uvicorn.Config(
                create_metrics_app(built.daemon),
                host="127.0.0.1",
                port=metrics_port,
                log_level="warning",
            )
        )
        threading.Thread(target=server.run, daemon=True).start()
    log.info("validator daemon started", extra={"validator": built.client.address})
    try:
        while not stop.is_set():
            built.daemon.tick()
            stop.wait(interval)
    except KeyboardInterrupt:
        stop.set()
    finally:
        built.close()


def load_spec(path: Path) -> ValuationSpec:
    """Read a ValuationSpec file (its digest is checked against the chain by build_daemon)."""
    try:
        return ValuationSpec.from_json(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read ValuationSpec {path}: {err}") from None
