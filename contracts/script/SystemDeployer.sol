// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {AccessRegistry} from "../src/AccessRegistry.sol";
import {DKGCoordinator} from "../src/DKGCoordinator.sol";
import {DataDAOGovernor} from "../src/DataDAOGovernor.sol";
import {DatasetConfig} from "../src/DatasetConfig.sol";
import {DatasetToken} from "../src/DatasetToken.sol";
import {RentalEscrow} from "../src/RentalEscrow.sol";
import {RewardDistributor} from "../src/RewardDistributor.sol";
import {ScoreBoard} from "../src/ScoreBoard.sol";
import {SubmissionRegistry} from "../src/SubmissionRegistry.sol";
import {ValidatorStaking} from "../src/ValidatorStaking.sol";
import {IDatasetConfig} from "../src/interfaces/IDatasetConfig.sol";
import {IValidatorStaking} from "../src/interfaces/IValidatorStaking.sol";

/// @title SystemDeployer
/// @notice Deploys and wires one whole Data DAO. Shared by `Deploy.s.sol` (broadcast) and the tests'
/// `Fixtures.sol`, so the system the tests exercise is wired exactly as the one that is deployed.
/// @dev Plain CREATE from one deployer: the same deployer and nonce give the same addresses on every chain.
/// Two cycles are closed by predicting a CREATE address (each constructor checks the back-pointer):
/// ScoreBoard <-> RewardDistributor and AccessRegistry <-> RentalEscrow.
abstract contract SystemDeployer is CommonBase {
    /// @notice Everything a deployment is parameterised by.
    struct SystemParams {
        string tokenName;
        string tokenSymbol;
        uint256 timelockDelay; // seconds
        uint48 votingDelay; // blocks
        uint32 votingPeriod; // blocks
        uint256 proposalThreshold;
        uint256 quorumPercent;
        uint256 minStake; // wei
        uint64 unbondingBlocks;
        uint16 slashBps;
        uint64 claimWindowBlocks;
        uint256 submissionBond; // wei per submission to dataset 1
        address dkgOwner; // address(0): the timelock (see Deploy.s.sol on bootstrapping the first ritual)
        address configOwner; // address(0): the timelock (an operator registers the validation set first)
        IDatasetConfig.Dataset dataset; // dataset 1
    }

    /// @notice The deployed contracts.
    struct System {
        DatasetConfig config;
        DatasetToken token;
        TimelockController timelock;
        DataDAOGovernor governor;
        ValidatorStaking staking;
        DKGCoordinator dkg;
        SubmissionRegistry registry;
        ScoreBoard scoreBoard;
        RewardDistributor rewards;
        AccessRegistry accessRegistry;
        RentalEscrow escrow;
        uint256 datasetId;
    }

    /// @notice Deploys and wires the system from `deployer` (the account whose CREATE nonce is consumed: the
    /// broadcaster in a script, the test contract in a test), creates dataset 1 and hands ownership to the timelock.
    function _deploySystem(SystemParams memory p, address deployer)
        internal
        returns (System memory s)
    {
        s.token = new DatasetToken(p.tokenName, p.tokenSymbol);

        address[] memory none = new address[](0);
        address[] memory anyone = new address[](1); // address(0) as executor: anyone may execute
        s.timelock = new TimelockController(p.timelockDelay, none, anyone, deployer);
        s.governor = new DataDAOGovernor(
            s.token, s.timelock, p.votingDelay, p.votingPeriod, p.proposalThreshold, p.quorumPercent
        );
        s.timelock.grantRole(s.timelock.PROPOSER_ROLE(), address(s.governor));
        s.timelock.grantRole(s.timelock.CANCELLER_ROLE(), address(s.governor));
        s.timelock.renounceRole(s.timelock.DEFAULT_ADMIN_ROLE(), deployer);

        s.staking =
            new ValidatorStaking(deployer, address(s.timelock), p.minStake, p.unbondingBlocks);
        s.config = new DatasetConfig(deployer, address(s.staking));
        s.dkg = new DKGCoordinator(deployer, IValidatorStaking(address(s.staking)));
        // registry, score board, distributor: the first two learn the third's address in advance
        address predictedRewards = vm.computeCreateAddress(deployer, vm.getNonce(deployer) + 2);
        s.registry = new SubmissionRegistry(s.config, s.dkg, predictedRewards);
        s.scoreBoard = new ScoreBoard(
            address(s.config),
            address(s.staking),
            address(s.dkg),
            address(s.registry),
            predictedRewards,
            p.slashBps
        );
        s.rewards = new RewardDistributor(
            address(s.config),
            address(s.registry),
            address(s.scoreBoard),
            address(s.token),
            address(s.timelock),
            p.claimWindowBlocks
        );
        s.token.setMinter(address(s.rewards));
        s.staking.setFaultModule(address(s.scoreBoard), true);

        address predictedEscrow = vm.computeCreateAddress(deployer, vm.getNonce(deployer) + 1);
        s.accessRegistry =
            new AccessRegistry(address(s.timelock), predictedEscrow, address(s.registry));
        s.escrow = new RentalEscrow(
            address(s.governor), address(s.token), address(s.config), address(s.accessRegistry)
        );

        s.datasetId = s.config.createDataset(p.dataset);
        s.config.setSubmissionBond(s.datasetId, p.submissionBond);

        s.config
            .transferOwnership(p.configOwner == address(0) ? address(s.timelock) : p.configOwner);
        s.staking.transferOwnership(address(s.timelock));
        s.dkg.transferOwnership(p.dkgOwner == address(0) ? address(s.timelock) : p.dkgOwner);
    }

    /// @notice The devnet defaults (DESIGN.md: S=20, C=10, R=10 blocks; 60 s timelock; 4% quorum).
    function _defaultParams() internal pure returns (SystemParams memory p) {
        p.tokenName = "DataDAO Dataset Token";
        p.tokenSymbol = "DDT";
        p.timelockDelay = 60;
        p.votingDelay = 1;
        p.votingPeriod = 20;
        p.proposalThreshold = 0;
        p.quorumPercent = 4;
        p.minStake = 1 ether;
        p.unbondingBlocks = 120; // >= S + C + R: a committed validator stays slashable until finalization
        p.slashBps = 1000;
        p.claimWindowBlocks = 7200;
        p.submissionBond = 0.01 ether; // spam costs the spammer; honest bonds come back with the claim
        p.dataset = IDatasetConfig.Dataset({
            name: "devnet",
            valuationSpecDigest: bytes32(0),
            validationSetCommitment: bytes32(0),
            validationSetCid: "",
            validationSetHeaderHash: bytes32(0),
            emissionPerEpoch: 1000 ether,
            emissionCap: 10_000 ether,
            genesisBlock: 0,
            submitBlocks: 20,
            commitBlocks: 10,
            revealBlocks: 10,
            quorumBps: 6667,
            minScoreBps: 10,
            validatorShareBps: 1000
        });
    }
}
