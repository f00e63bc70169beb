"""``datadao devnet``: a whole Data DAO on a local anvil (or deployed onto any EVM RPC).

``up`` starts anvil (detached, state persisted in the data dir), deploys every contract with
``contracts/script/Deploy.s.sol``, funds and stakes the validators, runs a real Ferveo key ritual,
hands the DKG coordinator to the timelock, and writes ``<home>/devnet/deployment.json``.
``down`` stops the validator processes ``datadao devnet up`` started (:mod:`node.devnet.validators`)
and then only the anvil it started (by pid, checked against its command line), and keeps the data
dir unless ``wipe``. Everything is idempotent: ``up`` on a running devnet just reports it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from node.chain.anvil import AnvilProcess, devnet_account, free_port, pid_alive, rpc_ready
from node.chain.client import ChainClient
from node.chain.dataset_config import DatasetConfig
from node.chain.deployment import Deployment
from node.chain.dkg import DKGCoordinator
from node.devnet.bootstrap import (
    LocalValidator,
    run_ritual,
    stake_and_register,
    validator_passphrase,
)
from node.devnet.validation import register_validation_set, synthetic_validation_set
from node.devnet.validators import stop_validators
from node.errors import ChainError, ConfigError
from node.storage.local import LocalBlockstore
from node.types import DatasetId, RitualId

__all__ = [
    "SCORING_WINDOWS",
    "DevnetOptions",
    "DevnetStatus",
    "devnet_down",
    "devnet_status",
    "devnet_up",
]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

SCORING_WINDOWS = {"SUBMIT_BLOCKS": "20", "COMMIT_BLOCKS": "40", "REVEAL_BLOCKS": "40"}
"""Epoch windows (in blocks) for a devnet whose validators score by themselves, wider than the
contracts' default 10. An automining anvil makes a block per transaction, so four validators'
seed, commit and reveal transactions (and any that lose a race and revert) would use up a
10-block window that a live chain, with many transactions per block, would not. S + C + R stays
within the devnet's 120-block unbonding period. Pass as :attr:`DevnetOptions.deploy_env`."""

DEPLOY_TIMEOUT_S = 900
"""Upper bound for ``forge script``: a first run may compile every contract with solcjs (minutes
on 2 cores); anything longer is a stuck broadcast, reported instead of waited on forever."""


@dataclass(frozen=True)
class DevnetOptions:
    """Knobs of ``devnet up``. Defaults: 4 validators, threshold 3, 6 contributors."""

    home: Path
    port: int | None = None
    validators: int = 4
    threshold: int = 3
    contributors: int = 6
    stake_eth: int = 32
    ritual_timeout_s: int = 3600
    rpc_url: str | None = None
    deployer: LocalAccount | None = None
    deploy_env: dict[str, str] = field(default_factory=dict)

    @property
    def dir(self) -> Path:
        return self.home / "devnet"


@dataclass(frozen=True)
class DevnetStatus:
    deployment: Deployment
    running: bool
    block: int | None
    ritual_state: str | None
    epoch: int | None = None
    """The epoch taking submissions now (None while the devnet is down)."""


def repo_root() -> Path:
    """The checkout this package runs from (the devnet needs contracts/ and forge)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "contracts" / "foundry.toml").is_file():
        raise ConfigError("devnet needs the datadao source checkout (contracts/ not found)")
    return root


def _forge() -> str:
    beside = Path(sys.executable).parent / "forge"
    found = str(beside) if beside.exists() else shutil.which("forge")
    if not found:
        raise ConfigError("forge not found: run scripts/setup")
    return found


def devnet_up(opts: DevnetOptions, progress: Progress = lambda _m: None) -> DevnetStatus:
    """Start (or report) the devnet. See the module docstring."""
    if not 1 <= opts.threshold <= opts.validators:
        raise ConfigError("need 1 <= threshold <= validators")
    path = opts.dir / "deployment.json"
    if path.exists():
        existing = Deployment.load(path)
        if rpc_ready(existing.rpc_url) and _has_code(existing):
            progress(f"devnet already running at {existing.rpc_url}")
            return devnet_status(opts.home)
        pid = existing.extra.get("anvil_pid")
        state = opts.dir / "anvil-state.json"
        if opts.rpc_url is None and state.exists() and not (pid and pid_alive(int(pid))):
            progress("restarting the stopped devnet from its saved state")
            anvil = _start_anvil(opts, port=int(existing.extra.get("anvil_port", 0)) or None)
            resumed = Deployment(
                chain_id=existing.chain_id,
                rpc_url=anvil.url,
                start_block=existing.start_block,
                addresses=existing.addresses,
                dataset_id=existing.dataset_id,
                extra={**existing.extra, "anvil_pid": anvil.pid, "anvil_port": anvil.port},
            )
            if _has_code(resumed):
                resumed.save(path)
                return devnet_status(opts.home)
            anvil.stop()
            progress("saved state did not hold the contracts: deploying afresh")
    return _fresh(opts, progress)


def _fresh(opts: DevnetOptions, progress: Progress) -> DevnetStatus:
    t0 = time.monotonic()
    opts.dir.mkdir(parents=True, exist_ok=True)
    anvil: AnvilProcess | None = None
    if opts.rpc_url is None:
        (opts.dir / "anvil-state.json").unlink(missing_ok=True)
        anvil = _start_anvil(opts, port=opts.port)
        rpc_url = anvil.url
        deployer = devnet_account(0)
        progress(f"anvil started on {rpc_url} (pid {anvil.pid})")
    else:
        if opts.deployer is None:
            raise ConfigError(
                "--rpc needs a funded deployer key: "
                "set DATADAO_KEYSTORE and DATADAO_KEYSTORE_PASSWORD"
            )
        rpc_url = opts.rpc_url
        deployer = opts.deployer
    try:
        chain = ChainClient.connect(rpc_url, deployer)
        if opts.rpc_url is not None and chain.w3.eth.get_balance(deployer.address) == 0:
            raise ConfigError(f"deployer {deployer.address} has no funds on {rpc_url}")
        progress("deploying contracts (forge script Deploy.s.sol)")
        deployment = _deploy(opts, rpc_url, deployer, chain.chain_id)
        progress(f"deployed {len(deployment.addresses)} contracts")

        validators = [
            LocalValidator(
                account=devnet_account(1 + i),
                key_dir=opts.dir / "validators" / devnet_account(1 + i).address,
                share_url=f"http://127.0.0.1:{free_port()}",
            )
            for i in range(opts.validators)
        ]
        contributors = [devnet_account(1 + opts.validators + j) for j in range(opts.contributors)]
        if opts.rpc_url is not None:
            _fund(chain, [v.account.address for v in validators], opts.stake_eth + 1)
            _fund(chain, [c.address for c in contributors], 1)
        passphrase = validator_passphrase()
        progress(f"staking {opts.validators} validators and registering Ferveo keys")
        stake_and_register(
            chain,
            deployment.address("ValidatorStaking"),
            validators,
            stake_wei=Web3.to_wei(opts.stake_eth, "ether"),
            passphrase=passphrase,
        )
        progress(f"running the key ritual (n={opts.validators}, t={opts.threshold})")
        ritual_id, public_key = run_ritual(
            chain,
            deployment.address("DKGCoordinator"),
            deployment.address("ValidatorStaking"),
            validators,
            size=opts.validators,
            threshold=opts.threshold,
            timeout_s=opts.ritual_timeout_s,
            passphrase=passphrase,
            progress=progress,
        )
        progress("sealing and registering the secret validation set and the ValuationSpec")
        validation = register_validation_set(
            chain,
            deployment,
            LocalBlockstore(opts.home / "blocks"),
            dao_key=public_key,
            ritual_id=ritual_id,
            canonical=synthetic_validation_set(),
            plaintext_path=opts.dir / "validation-set.jsonl",
        )
        # The bootstrap is done: from now on only governance may start rituals or change the
        # dataset's configuration.
        timelock = deployment.address("TimelockController")
        DKGCoordinator(chain, deployment.address("DKGCoordinator"))._send(
            "transferOwnership", timelock
        )
        DatasetConfig(chain, deployment.address("DatasetConfig")).transferOwnership(timelock)
        final = Deployment(
            chain_id=deployment.chain_id,
            rpc_url=rpc_url,
            start_block=deployment.start_block,
            addresses=deployment.addresses,
            dataset_id=deployment.dataset_id,
            extra={
                **deployment.extra,
                "anvil_pid": anvil.pid if anvil else None,
                "anvil_port": anvil.port if anvil else None,
                "ritual_id": int(ritual_id),
                "dkg_public_key": public_key.hex(),
                "threshold": opts.threshold,
                "validators": [
                    {
                        "address": v.address,
                        "account_index": 1 + i,
                        "share_url": v.share_url,
                        "key_dir": str(v.key_dir),
                    }
                    for i, v in enumerate(validators)
                ],
                "contributors": [
                    {"address": c.address, "account_index": 1 + opts.validators + j}
                    for j, c in enumerate(contributors)
                ],
                "mnemonic": "anvil default (public; devnet only)" if anvil else None,
                "validation_set": {
                    "cid": validation.cid,
                    "file_id": "0x" + validation.file_id.hex(),
                    "plaintext": str(validation.plaintext_path),
                },
                "blockstore": str(opts.home / "blocks"),
            },
        )
        final.save(opts.dir / "deployment.json")
        progress(f"devnet ready in {time.monotonic() - t0:.1f}s")
        return devnet_status(opts.home)
    except BaseException:
        if anvil is not None:
            anvil.stop()
        raise


def _start_anvil(opts: DevnetOptions, port: int | None) -> AnvilProcess:
    anvil = AnvilProcess(
        port=port or opts.port or free_port(),
        accounts=2 + opts.validators + opts.contributors + 4,
        state_path=opts.dir / "anvil-state.json",
        log_path=opts.dir / "anvil.log",
        detach=True,
    )
    return anvil.start()


def _deploy(opts: DevnetOptions, rpc_url: str, deployer: LocalAccount, chain_id: int) -> Deployment:
    root = repo_root()
    env = {
        **os.environ,
        "RPC_URL": rpc_url,
        "DKG_OWNER": deployer.address,
        "CONFIG_OWNER": deployer.address,
        **opts.deploy_env,
    }
    # --slow: one transaction, one receipt. Broadcasting the batch concurrently to an
    # automining anvil sometimes leaves later nonces "queued" behind a gap that never fills, and
    # forge then polls receipts forever (seen here under load).
    args = [_forge(), "script", "script/Deploy.s.sol", "--rpc-url", rpc_url]
    args += ["--broadcast", "--slow"]
    lock_dir = root / "contracts" / "deployments"
    lock_dir.mkdir(exist_ok=True)
    # Deploy.s.sol writes deployments/<chainId>.json: two devnets deploying at once (same chain
    # id) would race on that file, so a lock spans the script run and the read of its output.
    with (lock_dir / ".lock").open("w") as lock, tempfile.TemporaryDirectory() as tmp:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if opts.rpc_url is None:
            args += ["--unlocked", "--sender", deployer.address]
        else:
            # The key reaches forge as an encrypted keystore plus a password in the environment,
            # never on the command line (visible in `ps`).
            password = secrets.token_hex(16)
            keystore, password_file = Path(tmp) / "deployer.json", Path(tmp) / "password"
            for path, text in (
                (keystore, json.dumps(Account.encrypt(deployer.key, password))),
                (password_file, password),
            ):
                path.touch(mode=0o600)
                path.write_text(text)
            # forge reads ETH_PASSWORD as the path of a file holding the keystore's password
            env |= {"ETH_KEYSTORE": str(keystore), "ETH_PASSWORD": str(password_file)}
            args += ["--sender", deployer.address]
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv
                args,
                cwd=root / "contracts",
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=DEPLOY_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as err:
            out = (err.stdout or b"") + (err.stderr or b"")
            text = out.decode(errors="replace") if isinstance(out, bytes) else str(out)
            (opts.dir / "deploy.log").write_text(text)
            raise ChainError(
                f"forge script Deploy.s.sol did not finish in {DEPLOY_TIMEOUT_S}s "
                f"(log: {opts.dir / 'deploy.log'})"
            ) from None
        (opts.dir / "deploy.log").write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            log_path = opts.dir / "deploy.log"
            raise ChainError(f"forge script Deploy.s.sol failed (log: {log_path}):\n{tail}")
        deployment = Deployment.load(lock_dir / f"{chain_id}.json")
    if deployment.chain_id != chain_id:
        raise ChainError(f"deployed to chain {deployment.chain_id}, expected {chain_id}")
    return deployment


def _fund(chain: ChainClient, addresses: list[str], eth: int) -> None:
    pending = [chain.transfer_nowait(a, Web3.to_wei(eth, "ether")) for a in addresses]
    for p in pending:
        chain.wait(p)


def _has_code(d: Deployment) -> bool:
    try:
        w3 = Web3(Web3.HTTPProvider(d.rpc_url, request_kwargs={"timeout": 2}))
        return len(w3.eth.get_code(d.address("SubmissionRegistry"))) > 0
    except Exception:
        return False


def devnet_status(home: Path) -> DevnetStatus:
    deployment = Deployment.load(home / "devnet" / "deployment.json")
    running = rpc_ready(deployment.rpc_url)
    block = ritual = epoch = None
    if running:
        chain = ChainClient.connect(deployment.rpc_url, timeout_s=3)
        block = chain.block_number()
        config = DatasetConfig(chain, deployment.address("DatasetConfig"))
        epoch = int(config.currentEpoch(DatasetId(deployment.dataset_id)))
        rid = deployment.extra.get("ritual_id")
        if rid:
            dkg = DKGCoordinator(chain, deployment.address("DKGCoordinator"))
            ritual = dkg.getRitualState(RitualId(int(rid))).name
    return DevnetStatus(
        deployment=deployment, running=running, block=block, ritual_state=ritual, epoch=epoch
    )


def devnet_down(home: Path, *, wipe: bool = False, progress: Progress = lambda _m: None) -> None:
    """Stop the validator processes ``up`` started, then the anvil it started (only that pid, and
    only if it is our anvil): the daemons first, so none is left sending to a chain that is gone.
    """
    for problem in stop_validators(home, progress=progress):
        progress(problem)
    path = home / "devnet" / "deployment.json"
    if path.exists():
        deployment = Deployment.load(path)
        pid = deployment.extra.get("anvil_pid")
        port = deployment.extra.get("anvil_port")
        if pid and _is_our_anvil(int(pid), port):
            os.kill(int(pid), signal.SIGINT)  # anvil dumps its state on SIGINT
            deadline = time.monotonic() + 10
            while pid_alive(int(pid)) and time.monotonic() < deadline:
                _reap(int(pid))
                time.sleep(0.05)
            if pid_alive(int(pid)):
                os.kill(int(pid), signal.SIGKILL)
            progress(f"stopped anvil (pid {pid})")
        else:
            progress("no running devnet anvil")
    else:
        progress("no devnet deployment file")
    if wipe:
        shutil.rmtree(home / "devnet", ignore_errors=True)
        progress(f"wiped {home / 'devnet'}")


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _is_our_anvil(pid: int, port: Any) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and cmdline[0].endswith(b"anvil") and str(port).encode() in cmdline
