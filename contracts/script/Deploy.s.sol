// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Script} from "forge-std/Script.sol";
import {console2} from "forge-std/console2.sol";

import {SystemDeployer} from "./SystemDeployer.sol";

/// @title Deploy
/// @notice Deploys one Data DAO (DatasetConfig with dataset 1, DatasetToken, governor + timelock, staking, DKG,
/// submissions, scoring, rewards, escrow, access) and writes every address to `deployments/<chainId>.json`.
/// @dev Usage: `forge script script/Deploy.s.sol --rpc-url $RPC --broadcast --private-key $PK`.
/// Every parameter can be overridden by an environment variable (names below); the defaults are a devnet's.
/// Deterministic: the addresses depend only on the deployer and its starting nonce.
///
/// Bootstrapping: the token starts with zero supply, so governance cannot pass anything until rewards are minted,
/// and rewards need submissions, which need an ACTIVE key ritual. If the DKGCoordinator is handed to the timelock
/// at once (the default, DKG_OWNER unset), the first ritual can never start. A devnet therefore sets
/// DKG_OWNER to an operator account that initiates the first ritual and later calls
/// `transferOwnership(timelock)`; production can do the same with a multisig. CONFIG_OWNER works the same
/// way for DatasetConfig: the validation set must be sealed to the DAO key, which exists only after the
/// first ritual, so an operator registers it (and the ValuationSpec digest) before handing over.
contract Deploy is Script, SystemDeployer {
    function run() external returns (System memory s) {
        SystemParams memory p = _paramsFromEnv();
        require(
            p.unbondingBlocks
                >= uint64(p.dataset.submitBlocks) + p.dataset.commitBlocks + p.dataset.revealBlocks,
            "Deploy: UNBONDING_BLOCKS must be >= SUBMIT_BLOCKS + COMMIT_BLOCKS + REVEAL_BLOCKS"
        );

        vm.startBroadcast();
        (, address deployer,) = vm.readCallers();
        uint256 startBlock = block.number;
        s = _deploySystem(p, deployer);
        vm.stopBroadcast();

        _write(s, deployer, startBlock);
    }

    function _paramsFromEnv() internal view returns (SystemParams memory p) {
        p = _defaultParams();
        p.tokenName = vm.envOr("TOKEN_NAME", p.tokenName);
        p.tokenSymbol = vm.envOr("TOKEN_SYMBOL", p.tokenSymbol);
        p.timelockDelay = vm.envOr("TIMELOCK_DELAY", p.timelockDelay);
        p.votingDelay = uint48(vm.envOr("VOTING_DELAY", uint256(p.votingDelay)));
        p.votingPeriod = uint32(vm.envOr("VOTING_PERIOD", uint256(p.votingPeriod)));
        p.proposalThreshold = vm.envOr("PROPOSAL_THRESHOLD", p.proposalThreshold);
        p.quorumPercent = vm.envOr("QUORUM_PERCENT", p.quorumPercent);
        p.minStake = vm.envOr("MIN_STAKE", p.minStake);
        p.unbondingBlocks = uint64(vm.envOr("UNBONDING_BLOCKS", uint256(p.unbondingBlocks)));
        p.slashBps = uint16(vm.envOr("SLASH_BPS", uint256(p.slashBps)));
        p.claimWindowBlocks = uint64(vm.envOr("CLAIM_WINDOW_BLOCKS", uint256(p.claimWindowBlocks)));
        p.submissionBond = vm.envOr("SUBMISSION_BOND", p.submissionBond);
        p.dkgOwner = vm.envOr("DKG_OWNER", address(0));
        p.configOwner = vm.envOr("CONFIG_OWNER", address(0));

        p.dataset.name = vm.envOr("DATASET_NAME", p.dataset.name);
        p.dataset.valuationSpecDigest =
            vm.envOr("VALUATION_SPEC_DIGEST", p.dataset.valuationSpecDigest);
        p.dataset.validationSetCommitment =
            vm.envOr("VALIDATION_SET_COMMITMENT", p.dataset.validationSetCommitment);
        p.dataset.validationSetCid = vm.envOr("VALIDATION_SET_CID", p.dataset.validationSetCid);
        p.dataset.validationSetHeaderHash =
            vm.envOr("VALIDATION_SET_HEADER_HASH", p.dataset.validationSetHeaderHash);
        p.dataset.emissionPerEpoch = vm.envOr("EMISSION_PER_EPOCH", p.dataset.emissionPerEpoch);
        p.dataset.emissionCap = vm.envOr("EMISSION_CAP", p.dataset.emissionCap);
        p.dataset.genesisBlock = uint64(vm.envOr("GENESIS_BLOCK", uint256(p.dataset.genesisBlock)));
        p.dataset.submitBlocks = uint32(vm.envOr("SUBMIT_BLOCKS", uint256(p.dataset.submitBlocks)));
        p.dataset.commitBlocks = uint32(vm.envOr("COMMIT_BLOCKS", uint256(p.dataset.commitBlocks)));
        p.dataset.revealBlocks = uint32(vm.envOr("REVEAL_BLOCKS", uint256(p.dataset.revealBlocks)));
        p.dataset.quorumBps = uint16(vm.envOr("QUORUM_BPS", uint256(p.dataset.quorumBps)));
        p.dataset.minScoreBps = uint16(vm.envOr("MIN_SCORE_BPS", uint256(p.dataset.minScoreBps)));
        p.dataset.validatorShareBps =
            uint16(vm.envOr("VALIDATOR_SHARE_BPS", uint256(p.dataset.validatorShareBps)));
    }

    /// @dev Same shape as node/chain/deployment.py's Deployment file.
    function _write(System memory s, address deployer, uint256 startBlock) internal {
        string memory a = "addresses";
        vm.serializeAddress(a, "DatasetConfig", address(s.config));
        vm.serializeAddress(a, "DatasetToken", address(s.token));
        vm.serializeAddress(a, "ValidatorStaking", address(s.staking));
        vm.serializeAddress(a, "DKGCoordinator", address(s.dkg));
        vm.serializeAddress(a, "SubmissionRegistry", address(s.registry));
        vm.serializeAddress(a, "ScoreBoard", address(s.scoreBoard));
        vm.serializeAddress(a, "RewardDistributor", address(s.rewards));
        vm.serializeAddress(a, "RentalEscrow", address(s.escrow));
        vm.serializeAddress(a, "AccessRegistry", address(s.accessRegistry));
        vm.serializeAddress(a, "DataDAOGovernor", address(s.governor));
        string memory addresses = vm.serializeAddress(a, "TimelockController", address(s.timelock));

        string memory x = "extra";
        vm.serializeAddress(x, "deployer", deployer);
        vm.serializeAddress(x, "config_owner", s.config.owner());
        string memory extra = vm.serializeAddress(x, "dkg_owner", s.dkg.owner());

        string memory r = "root";
        vm.serializeUint(r, "chain_id", block.chainid);
        vm.serializeString(r, "rpc_url", vm.envOr("RPC_URL", string("http://127.0.0.1:8545")));
        vm.serializeUint(r, "start_block", startBlock);
        vm.serializeUint(r, "dataset_id", s.datasetId);
        vm.serializeString(r, "extra", extra);
        string memory json = vm.serializeString(r, "addresses", addresses);

        string memory path =
            string.concat(vm.projectRoot(), "/deployments/", vm.toString(block.chainid), ".json");
        vm.writeJson(json, path);
        console2.log("deployment written to", path);
    }
}
