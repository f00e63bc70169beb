// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IDatasetConfig} from "./interfaces/IDatasetConfig.sol";
import {IValidatorStaking} from "./interfaces/IValidatorStaking.sol";
import {EpochMath} from "./libraries/EpochMath.sol";

/// @title DatasetConfig
/// @notice Owner-governed (timelock) configuration of the Data DAO's datasets.
contract DatasetConfig is IDatasetConfig, Ownable {
    uint16 private constant _MAX_BPS = 10_000;

    IValidatorStaking private immutable _staking;
    mapping(uint256 datasetId => Dataset) private _datasets;
    uint256 private _datasetCount;
    mapping(uint256 datasetId => uint256) private _submissionBond;

    /// @dev `staking_`'s unbonding period (immutable there) bounds the windows of every dataset created here.
    constructor(address initialOwner, address staking_) Ownable(initialOwner) {
        if (staking_ == address(0)) revert DatasetConfigZeroStaking();
        _staking = IValidatorStaking(staking_);
    }

    /// @inheritdoc IDatasetConfig
    function createDataset(Dataset calldata d)
        external
        virtual
        onlyOwner
        returns (uint256 datasetId)
    {
        if (bytes(d.name).length == 0) revert DatasetConfigEmptyName();
        if (d.submitBlocks == 0 || d.commitBlocks == 0 || d.revealBlocks == 0) {
            revert DatasetConfigZeroWindow();
        }
        // A committed validator must stay slashable until the epoch can be finalized: unstaking right after the
        // close must not let it withdraw before the reveal window ends.
        uint256 windowBlocks = uint256(d.submitBlocks) + d.commitBlocks + d.revealBlocks;
        uint64 unbonding = _staking.unbondingBlocks();
        if (windowBlocks > unbonding) {
            revert DatasetConfigWindowsExceedUnbonding(windowBlocks, unbonding);
        }
        if (d.emissionPerEpoch > d.emissionCap) {
            revert DatasetConfigEmissionAboveCap(d.emissionPerEpoch, d.emissionCap);
        }
        if (d.validatorShareBps > _MAX_BPS) revert DatasetConfigBpsOutOfRange(d.validatorShareBps);
        _checkScoringParams(d.quorumBps, d.minScoreBps);

        datasetId = ++_datasetCount;
        Dataset storage stored = _datasets[datasetId];
        stored.name = d.name;
        stored.valuationSpecDigest = d.valuationSpecDigest;
        stored.validationSetCommitment = d.validationSetCommitment;
        stored.validationSetCid = d.validationSetCid;
        stored.validationSetHeaderHash = d.validationSetHeaderHash;
        stored.emissionPerEpoch = d.emissionPerEpoch;
        stored.emissionCap = d.emissionCap;
        stored.genesisBlock = d.genesisBlock == 0 ? uint64(block.number) : d.genesisBlock;
        stored.submitBlocks = d.submitBlocks;
        stored.commitBlocks = d.commitBlocks;
        stored.revealBlocks = d.revealBlocks;
        stored.quorumBps = d.quorumBps;
        stored.minScoreBps = d.minScoreBps;
        stored.validatorShareBps = d.validatorShareBps;

        emit DatasetCreated(
            datasetId,
            d.name,
            stored.genesisBlock,
            d.submitBlocks,
            d.commitBlocks,
            d.revealBlocks,
            d.emissionCap
        );
    }

    /// @inheritdoc IDatasetConfig
    function setEmission(uint256 datasetId, uint256 emissionPerEpoch) external virtual onlyOwner {
        Dataset storage d = _getDataset(datasetId);
        if (emissionPerEpoch > d.emissionCap) {
            revert DatasetConfigEmissionAboveCap(emissionPerEpoch, d.emissionCap);
        }
        d.emissionPerEpoch = emissionPerEpoch;
        emit EmissionUpdated(datasetId, emissionPerEpoch);
    }

    /// @inheritdoc IDatasetConfig
    function setSubmissionBond(uint256 datasetId, uint256 bond) external virtual onlyOwner {
        _getDataset(datasetId);
        if (bond > type(uint96).max) revert DatasetConfigBondTooLarge(bond);
        _submissionBond[datasetId] = bond;
        emit SubmissionBondSet(datasetId, bond);
    }

    /// @inheritdoc IDatasetConfig
    function finalizationParams(uint256 datasetId)
        external
        view
        virtual
        returns (uint256 emissionPerEpoch, uint16 validatorShareBps, uint16 quorumBps)
    {
        Dataset storage d = _getDataset(datasetId);
        return (d.emissionPerEpoch, d.validatorShareBps, d.quorumBps);
    }

    /// @inheritdoc IDatasetConfig
    function submissionBond(uint256 datasetId) external view virtual returns (uint256) {
        return _submissionBond[datasetId];
    }

    /// @inheritdoc IDatasetConfig
    function setValuationSpec(uint256 datasetId, bytes32 digest) external virtual onlyOwner {
        _getDataset(datasetId).valuationSpecDigest = digest;
        emit ValuationSpecUpdated(datasetId, digest);
    }

    /// @inheritdoc IDatasetConfig
    function setValidationSet(
        uint256 datasetId,
        bytes32 commitment,
        string calldata cid,
        bytes32 headerHash
    ) external virtual onlyOwner {
        Dataset storage d = _getDataset(datasetId);
        d.validationSetCommitment = commitment;
        d.validationSetCid = cid;
        d.validationSetHeaderHash = headerHash;
        emit ValidationSetUpdated(datasetId, commitment, cid, headerHash);
    }

    /// @inheritdoc IDatasetConfig
    function setScoringParams(uint256 datasetId, uint16 quorumBps, uint16 minScoreBps)
        external
        virtual
        onlyOwner
    {
        Dataset storage d = _getDataset(datasetId);
        _checkScoringParams(quorumBps, minScoreBps);
        d.quorumBps = quorumBps;
        d.minScoreBps = minScoreBps;
        emit ScoringParamsUpdated(datasetId, quorumBps, minScoreBps);
    }

    /// @inheritdoc IDatasetConfig
    function dataset(uint256 datasetId) external view virtual returns (Dataset memory) {
        return _getDataset(datasetId);
    }

    /// @inheritdoc IDatasetConfig
    function exists(uint256 datasetId) public view virtual returns (bool) {
        return datasetId != 0 && datasetId <= _datasetCount;
    }

    /// @inheritdoc IDatasetConfig
    function staking() external view virtual returns (address) {
        return address(_staking);
    }

    /// @inheritdoc IDatasetConfig
    function datasetCount() external view virtual returns (uint256) {
        return _datasetCount;
    }

    /// @inheritdoc IDatasetConfig
    function currentEpoch(uint256 datasetId) external view virtual returns (uint64) {
        return epochAt(datasetId, block.number);
    }

    /// @inheritdoc IDatasetConfig
    function epochAt(uint256 datasetId, uint256 blockNumber) public view virtual returns (uint64) {
        Dataset storage d = _getDataset(datasetId);
        uint64 genesis = d.genesisBlock;
        if (blockNumber < genesis) revert DatasetConfigBeforeGenesis(datasetId, genesis);
        return EpochMath.epochAt(genesis, d.submitBlocks, blockNumber);
    }

    /// @inheritdoc IDatasetConfig
    function epochWindows(uint256 datasetId, uint64 epoch)
        external
        view
        virtual
        returns (uint64 submitStart, uint64 closeBlock, uint64 revealStart, uint64 finalizeFrom)
    {
        Dataset storage d = _getDataset(datasetId);
        return
            EpochMath.windows(d.genesisBlock, d.submitBlocks, d.commitBlocks, d.revealBlocks, epoch);
    }

    function _getDataset(uint256 datasetId) internal view returns (Dataset storage) {
        if (!exists(datasetId)) revert DatasetConfigUnknownDataset(datasetId);
        return _datasets[datasetId];
    }

    function _checkScoringParams(uint16 quorumBps, uint16 minScoreBps) internal pure {
        if (quorumBps == 0) revert DatasetConfigZeroQuorum();
        if (quorumBps > _MAX_BPS) revert DatasetConfigBpsOutOfRange(quorumBps);
        if (minScoreBps > _MAX_BPS) revert DatasetConfigBpsOutOfRange(minScoreBps);
    }
}
