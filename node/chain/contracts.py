"""Every contract of one deployment as typed wrappers, built from the deployment file once.

Commands, the pipeline, custody, the share service and the scoring daemon each need several
wrappers over the same client. Building them here, from the one list of names in
:data:`node.chain.deployment.CONTRACTS`, keeps a contract's address coming from exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.chain.access import AccessRegistry
from node.chain.client import ChainClient
from node.chain.dataset_config import DatasetConfig
from node.chain.deployment import Deployment
from node.chain.dkg import DKGCoordinator
from node.chain.escrow import RentalEscrow
from node.chain.governor import DataDAOGovernor, TimelockController
from node.chain.registry import SubmissionRegistry
from node.chain.rewards import RewardDistributor
from node.chain.scoreboard import ScoreBoard
from node.chain.staking import ValidatorStaking
from node.chain.token import DatasetToken

__all__ = ["Contracts"]


@dataclass(frozen=True)
class Contracts:
    """The deployment's wrappers, all acting through one :class:`ChainClient`."""

    config: DatasetConfig
    token: DatasetToken
    staking: ValidatorStaking
    dkg: DKGCoordinator
    registry: SubmissionRegistry
    board: ScoreBoard
    rewards: RewardDistributor
    escrow: RentalEscrow
    access: AccessRegistry
    governor: DataDAOGovernor
    timelock: TimelockController

    @classmethod
    def of(cls, chain: ChainClient, deployment: Deployment) -> Contracts:
        """Wrap every address of ``deployment`` for ``chain`` (web3 objects only, no RPC)."""
        a = deployment.address
        return cls(
            config=DatasetConfig(chain, a("DatasetConfig")),
            token=DatasetToken(chain, a("DatasetToken")),
            staking=ValidatorStaking(chain, a("ValidatorStaking")),
            dkg=DKGCoordinator(chain, a("DKGCoordinator")),
            registry=SubmissionRegistry(chain, a("SubmissionRegistry")),
            board=ScoreBoard(chain, a("ScoreBoard")),
            rewards=RewardDistributor(chain, a("RewardDistributor")),
            escrow=RentalEscrow(chain, a("RentalEscrow")),
            access=AccessRegistry(chain, a("AccessRegistry")),
            governor=DataDAOGovernor(chain, a("DataDAOGovernor")),
            timelock=TimelockController(chain, a("TimelockController")),
        )
