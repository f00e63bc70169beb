"""The deployment file: chain id, RPC URL and every contract address of one Data DAO.

Written by ``datadao devnet up`` (from ``contracts/script/Deploy.s.sol``'s output) and read by
every command that talks to the chain.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3

from node.chain.errors import DeploymentNotFound
from node.errors import ChainError, ConfigError

__all__ = ["CONTRACTS", "Deployment"]

CONTRACTS = (
    "DatasetConfig",
    "DatasetToken",
    "ValidatorStaking",
    "DKGCoordinator",
    "SubmissionRegistry",
    "ScoreBoard",
    "RewardDistributor",
    "RentalEscrow",
    "AccessRegistry",
    "DataDAOGovernor",
    "TimelockController",
)


@dataclass(frozen=True)
class Deployment:
    """Addresses and metadata of one deployed Data DAO.

    ``extra`` holds devnet facts (accounts, ritual id, anvil pid) that a real deployment lacks.
    """

    chain_id: int
    rpc_url: str
    start_block: int
    addresses: dict[str, ChecksumAddress]
    dataset_id: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def address(self, name: str) -> ChecksumAddress:
        try:
            return self.addresses[name]
        except KeyError:
            raise ChainError(f"deployment has no {name} address") from None

    @classmethod
    def load(cls, path: Path) -> Deployment:
        if not path.is_file():
            raise DeploymentNotFound(str(path))
        try:
            raw = json.loads(path.read_text())
            return cls(
                chain_id=int(raw["chain_id"]),
                rpc_url=str(raw["rpc_url"]),
                start_block=int(raw.get("start_block", 0)),
                addresses={k: Web3.to_checksum_address(v) for k, v in raw["addresses"].items()},
                dataset_id=int(raw.get("dataset_id", 1)),
                extra=dict(raw.get("extra", {})),
            )
        except (ValueError, KeyError, TypeError) as err:
            raise ConfigError(f"malformed deployment file {path}: {err}") from None

    def save(self, path: Path) -> None:
        """Atomic write (tmp + rename) so a crash never leaves half a deployment file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
