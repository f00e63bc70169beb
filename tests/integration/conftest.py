"""A real devnet (anvil + every contract + staked validators + ACTIVE Ferveo ritual) per worker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from node.chain.anvil import devnet_account
from node.chain.client import ChainClient
from node.chain.deployment import Deployment
from node.chain.timetravel import TimeTravel
from node.devnet.manager import DevnetOptions, devnet_down, devnet_up


@dataclass
class Devnet:
    home: Path
    deployment: Deployment
    chain: ChainClient
    deployer: LocalAccount
    validators: list[LocalAccount]
    contributors: list[LocalAccount]
    spare: list[LocalAccount]

    def client(self, account: LocalAccount) -> ChainClient:
        return self.chain.with_account(account)

    @property
    def time(self) -> TimeTravel:
        return TimeTravel(self.chain.w3)

    def address(self, name: str) -> ChecksumAddress:
        return self.deployment.address(name)

    def revert(self, snap: str) -> None:
        """Roll the chain back to ``snap``; the shared client's cached nonce is then stale."""
        self.time.revert(snap)
        self.chain._next_nonce = None


@pytest.fixture(scope="session")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    home = tmp_path_factory.mktemp("datadao-home")
    status = devnet_up(DevnetOptions(home=home, validators=4, threshold=3, contributors=6))
    d = status.deployment
    extra = d.extra
    try:
        yield Devnet(
            home=home,
            deployment=d,
            chain=ChainClient.connect(d.rpc_url, devnet_account(0)),
            deployer=devnet_account(0),
            validators=[devnet_account(v["account_index"]) for v in extra["validators"]],
            contributors=[devnet_account(c["account_index"]) for c in extra["contributors"]],
            spare=[devnet_account(11 + i) for i in range(4)],
        )
    finally:
        devnet_down(home)


@pytest.fixture
def snapshot(devnet: Devnet) -> Iterator[None]:
    """Run a test against the devnet and roll the chain back afterwards."""
    snap = devnet.time.snapshot()
    try:
        yield
    finally:
        devnet.revert(snap)
