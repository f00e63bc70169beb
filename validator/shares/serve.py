"""Run one validator's share service from a data dir (devnet layout) with uvicorn.

``python -m validator.shares --home H --validator ADDR --port N`` and
``datadao validator serve-shares`` both land here. The service reads the chain through its own
read-only client, headers from the blockstore the contributors used (``<home>/blocks``, or Kubo
when ``DATADAO_KUBO_API_URL`` is set), and its Ferveo seed from the encrypted keystore
``<home>/devnet/validators/<address>/ferveo.json``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from web3 import Web3

from node.chain.client import ChainClient
from node.chain.deployment import Deployment
from node.errors import ConfigError
from node.protocol.keystore import load_secret
from node.storage.base import BlobStore
from node.storage.local import LocalBlockstore
from validator.dkg_watcher import FERVEO_KIND
from validator.shares.app import ShareContracts, ShareServiceSettings, create_app
from validator.shares.material import load_served_rituals

__all__ = ["ServeConfig", "build_app", "serve"]


@dataclass(frozen=True)
class ServeConfig:
    """Where a validator's share service finds its chain, keys and storage."""

    home: Path
    validator: str
    passphrase: str
    host: str = "127.0.0.1"
    port: int = 0
    confirmations: int = 2
    deployment_file: Path | None = None
    rpc_url: str | None = None
    kubo_api_url: str | None = None
    requester_rate: float = 50.0
    log_level: str = "info"

    def __repr__(self) -> str:
        return f"ServeConfig(home={self.home}, validator={self.validator}, passphrase=<redacted>)"


def open_store(home: Path, kubo_api_url: str | None) -> BlobStore:
    """The blockstore the contributors used: Kubo if configured, else ``<home>/blocks``."""
    if kubo_api_url:
        from node.storage.kubo import KuboStore

        return KuboStore(kubo_api_url)
    return LocalBlockstore(home / "blocks")


def build_app(cfg: ServeConfig) -> FastAPI:
    """Load everything a share service needs and build its app (no server started)."""
    deployment = Deployment.load(cfg.deployment_file or cfg.home / "devnet" / "deployment.json")
    me = Web3.to_checksum_address(cfg.validator)
    key_dir = cfg.home / "devnet" / "validators" / me
    for v in deployment.extra.get("validators", []):
        if str(v.get("address", "")).lower() == me.lower() and v.get("key_dir"):
            key_dir = Path(v["key_dir"])
    if not (key_dir / "ferveo.json").is_file():
        raise ConfigError(f"no Ferveo keystore for {me} at {key_dir / 'ferveo.json'}")
    chain = ChainClient.connect(cfg.rpc_url or deployment.rpc_url)
    seed = load_secret(key_dir / "ferveo.json", passphrase=cfg.passphrase, kind=FERVEO_KIND)
    rituals = load_served_rituals(
        chain, deployment.address("DKGCoordinator"), me=me, key_dir=key_dir, seed=seed
    )
    return create_app(
        chain=chain,
        contracts=ShareContracts.from_deployment(deployment),
        store=open_store(cfg.home, cfg.kubo_api_url or os.environ.get("DATADAO_KUBO_API_URL")),
        rituals=rituals,
        me=me,
        settings=ShareServiceSettings(
            confirmations=cfg.confirmations,
            requester_rate=cfg.requester_rate,
            requester_burst=2 * cfg.requester_rate,
            client_rate=4 * cfg.requester_rate,
            client_burst=8 * cfg.requester_rate,
        ),
    )


def serve(cfg: ServeConfig) -> None:
    """Build the app and serve it until interrupted."""
    app = build_app(cfg)
    uvicorn.run(app, host=cfg.host, port=cfg.port, log_level=cfg.log_level, access_log=False)
