"""A granted access request over real sealed files, and the 4 validators' share services running
in-process (uvicorn threads) on the loopback URLs registered on chain."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
import uvicorn
from fastapi import FastAPI
from web3 import Web3

from node.chain.escrow import RentalEscrow
from node.custody.session import SessionKey
from node.devnet.bootstrap import validator_passphrase
from node.storage.local import LocalBlockstore
from node.types import DatasetId, Epoch, ReqId
from tests.integration.conftest import Devnet
from tests.integration.helpers import (
    SealedFile,
    chain_now,
    close_and_fix_seed,
    grant_through_governance,
    jsonl,
    open_fresh_epoch,
    score_and_reward,
    seal_and_submit,
)
from validator.shares.serve import ServeConfig, build_app

CONFIRMATIONS = 1


class _Server:
    def __init__(self, app: FastAPI, port: int) -> None:
        self.app, self.port = app, port
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, f"share server on {self.port} did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(10)
        self.server = self.thread = None


@dataclass
class ShareServers:
    """The validators' share services by address; stop/start to make validators unreachable."""

    servers: dict[str, _Server] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def app(self, address: str) -> FastAPI:
        return self.servers[address].app

    def stop(self, address: str) -> None:
        self.servers[address].stop()

    def start(self, address: str) -> None:
        if self.servers[address].server is None:
            self.servers[address].start()

    def stop_all(self) -> None:
        for s in self.servers.values():
            s.stop()


@dataclass
class World:
    """Files in epoch ``epoch`` (in the grant's scope) and ``epoch + 1`` (outside it)."""

    devnet: Devnet
    store: LocalBlockstore
    epoch: Epoch
    in_scope: list[SealedFile]
    outside: SealedFile
    tampered: SealedFile
    req_id: ReqId
    session: SessionKey
    expiry: int
    servers: ShareServers

    @property
    def renter(self):  # type: ignore[no-untyped-def]
        return self.devnet.spare[2]

    def settle(self) -> None:
        """Mine past the services' confirmation depth so they see the latest state."""
        self.devnet.time.mine(CONFIRMATIONS + 1)


@pytest.fixture(scope="module")
def world(devnet: Devnet) -> Iterator[World]:
    snap = devnet.time.snapshot()
    store = LocalBlockstore(devnet.home / "blocks")
    epoch = open_fresh_epoch(devnet)
    files = [
        seal_and_submit(devnet, store, who, epoch, jsonl(20 + 7 * i, tag=f"c{i}"))
        for i, who in enumerate(devnet.contributors[:4])
    ]
    # one multi-segment file (DDF segments are 1 MiB)
    files.append(
        seal_and_submit(devnet, store, devnet.contributors[0], epoch, jsonl(30_000, tag="big"))
    )
    close_and_fix_seed(devnet, epoch)
    nxt = Epoch(epoch + 1)
    outside = seal_and_submit(devnet, store, devnet.contributors[4], nxt, jsonl(5, tag="next"))
    tampered = seal_and_submit(
        devnet,
        store,
        devnet.contributors[5],
        nxt,
        jsonl(5, tag="real"),
        stored_plaintext=jsonl(5, tag="swapped"),
    )
    score_and_reward(devnet, epoch)
    close_and_fix_seed(devnet, nxt)
    renter = devnet.spare[2]
    session = SessionKey.generate()
    expiry = chain_now(devnet) + 30 * 86400
    req_id = RentalEscrow(devnet.client(renter), devnet.address("RentalEscrow")).requestAccess(
        DatasetId(1), session.public_bytes, epoch, epoch, expiry, Web3.to_wei(0.1, "ether")
    )
    grant_through_governance(devnet, req_id, devnet.contributors[:4])
    devnet.time.mine(CONFIRMATIONS + 1)

    servers = ShareServers()
    for v in devnet.deployment.extra["validators"]:
        app = build_app(
            ServeConfig(
                home=devnet.home,
                validator=v["address"],
                passphrase=validator_passphrase(),
                confirmations=CONFIRMATIONS,
            )
        )
        port = urlparse(v["share_url"]).port
        assert port is not None
        servers.servers[v["address"]] = _Server(app, port)
        servers.urls[v["address"]] = v["share_url"]
        servers.servers[v["address"]].start()
    try:
        yield World(
            devnet=devnet,
            store=store,
            epoch=epoch,
            in_scope=files,
            outside=outside,
            tampered=tampered,
            req_id=req_id,
            session=session,
            expiry=expiry,
            servers=servers,
        )
    finally:
        servers.stop_all()
        devnet.revert(snap)
