// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IDatasetConfig} from "./interfaces/IDatasetConfig.sol";
import {IDatasetToken} from "./interfaces/IDatasetToken.sol";
import {IRewardDistributor} from "./interfaces/IRewardDistributor.sol";
import {IScoreBoard} from "./interfaces/IScoreBoard.sol";
import {ISubmissionRegistry} from "./interfaces/ISubmissionRegistry.sol";

/// @title RewardDistributor
/// @notice Fixes each epoch's emission at finalization and mints it through pull claims. See {IRewardDistributor}.
/// @dev Every mint of an epoch is `floor(pool * part / whole)` with Σ part <= whole, so contributor claims sum to
/// at most E_c, validator claims to at most E_v, and the dust sweep mints exactly E - minted: the total minted per
/// epoch is bounded by E by construction, not by a runtime check.
contract RewardDistributor is IRewardDistributor {
    uint256 private constant _BPS = 10_000;

    IDatasetConfig private immutable _config;
    ISubmissionRegistry private immutable _registry;
    IScoreBoard private immutable _scoreBoard;
    IDatasetToken private immutable _token;
    address private immutable _treasury;
    uint64 private immutable _claimWindowBlocks;

    mapping(uint256 datasetId => mapping(uint64 epoch => EpochRewards)) private _epochs;
    mapping(uint256 datasetId => mapping(uint64 epoch => mapping(bytes32 fileId => bool))) private
        _claimed;
    mapping(uint256 datasetId => mapping(uint64 epoch => mapping(address validator => bool)))
        private _validatorClaimed;

    constructor(
        address datasetConfig_,
        address registry_,
        address scoreBoard_,
        address token_,
        address treasury_,
        uint64 claimWindowBlocks_
    ) {
        if (
            datasetConfig_ == address(0) || registry_ == address(0) || token_ == address(0)
                || treasury_ == address(0)
        ) revert RewardDistributorZeroAddress();
        if (
            scoreBoard_.code.length == 0
                || IScoreBoard(scoreBoard_).rewardDistributor() != address(this)
        ) {
            revert RewardDistributorScoreBoardMismatch(scoreBoard_);
        }
        _config = IDatasetConfig(datasetConfig_);
        _registry = ISubmissionRegistry(registry_);
        _scoreBoard = IScoreBoard(scoreBoard_);
        _token = IDatasetToken(token_);
        _treasury = treasury_;
        _claimWindowBlocks = claimWindowBlocks_;
    }

    /// @inheritdoc IRewardDistributor
    function onEpochFinalized(uint256 datasetId, uint64 epoch, uint256 totalScore)
        external
        virtual
    {
        if (msg.sender != address(_scoreBoard)) {
            revert RewardDistributorNotScoreBoard(msg.sender);
        }
        EpochRewards storage r = _epochs[datasetId][epoch];
        if (r.finalized) revert RewardDistributorAlreadyFinalized(datasetId, epoch);
        r.finalized = true;
        r.finalizedAtBlock = uint64(block.number);
        r.totalScore = totalScore;

        // No quorum or no positive score: nothing was measurably contributed, so nothing is emitted.
        if (totalScore != 0) {
            IDatasetConfig.Dataset memory d = _config.dataset(datasetId);
            uint256 emission = d.emissionPerEpoch;
            uint256 contributorPool = emission * (_BPS - d.validatorShareBps) / _BPS;
            uint256 totalWeight = _scoreBoard.totalValidatorWeight(datasetId, epoch);
            // Without weighted validators their share stays undistributed and ends up as dust.
            uint256 validatorPool = emission - contributorPool;
            r.emission = emission;
            r.contributorPool = contributorPool;
            r.validatorPool = validatorPool;
            r.totalValidatorWeight = totalWeight;
            if (contributorPool != 0) r.claimsLeft = _scoreBoard.scoredFileCount(datasetId, epoch);
            if (validatorPool != 0) {
                r.claimsLeft += _scoreBoard.weightedValidatorCount(datasetId, epoch);
            }
        }
        emit EpochRewardsSet(
            datasetId, epoch, r.emission, r.contributorPool, r.validatorPool, totalScore
        );
    }

    /// @inheritdoc IRewardDistributor
    function claim(uint256 datasetId, uint64 epoch, bytes32 fileId)
        external
        virtual
        returns (uint256 amount)
    {
        EpochRewards storage r = _claimable(datasetId, epoch);
        ISubmissionRegistry.SubmissionRecord memory rec = _registry.submissionOf(fileId);
        if (rec.datasetId != datasetId || rec.epoch != epoch) {
            revert RewardDistributorWrongEpoch(fileId, datasetId, epoch);
        }
        if (_claimed[datasetId][epoch][fileId]) {
            revert RewardDistributorAlreadyClaimed(datasetId, epoch, fileId);
        }
        amount = _contributorReward(r, datasetId, epoch, fileId);
        if (amount == 0) revert RewardDistributorNothingToClaim(datasetId, epoch);

        _claimed[datasetId][epoch][fileId] = true;
        r.minted += amount;
        --r.claimsLeft;
        emit RewardClaimed(datasetId, epoch, fileId, rec.contributor, amount);
        _token.mint(rec.contributor, amount);
    }

    /// @inheritdoc IRewardDistributor
    function claimValidatorReward(uint256 datasetId, uint64 epoch)
        external
        virtual
        returns (uint256 amount)
    {
        EpochRewards storage r = _claimable(datasetId, epoch);
        if (_validatorClaimed[datasetId][epoch][msg.sender]) {
            revert RewardDistributorValidatorAlreadyClaimed(datasetId, epoch, msg.sender);
        }
        amount = _validatorReward(r, datasetId, epoch, msg.sender);
        if (amount == 0) revert RewardDistributorNothingToClaim(datasetId, epoch);

        _validatorClaimed[datasetId][epoch][msg.sender] = true;
        r.minted += amount;
        --r.claimsLeft;
        emit ValidatorRewardClaimed(datasetId, epoch, msg.sender, amount);
        _token.mint(msg.sender, amount);
    }

    /// @inheritdoc IRewardDistributor
    function sweepDust(uint256 datasetId, uint64 epoch) external virtual returns (uint256 amount) {
        EpochRewards storage r = _epochs[datasetId][epoch];
        if (!r.finalized) revert RewardDistributorNotFinalized(datasetId, epoch);
        if (r.dustSwept) revert RewardDistributorDustAlreadySwept(datasetId, epoch);
        uint256 left = r.claimsLeft;
        if (left != 0 && block.number <= uint256(r.finalizedAtBlock) + _claimWindowBlocks) {
            revert RewardDistributorClaimsOutstanding(datasetId, epoch, left);
        }
        r.dustSwept = true;
        amount = r.emission - r.minted;
        r.minted += amount;
        emit DustSwept(datasetId, epoch, _treasury, amount);
        if (amount != 0) _token.mint(_treasury, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IRewardDistributor
    function contributorReward(uint256 datasetId, uint64 epoch, bytes32 fileId)
        external
        view
        returns (uint256)
    {
        return _contributorReward(_epochs[datasetId][epoch], datasetId, epoch, fileId);
    }

    /// @inheritdoc IRewardDistributor
    function validatorReward(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (uint256)
    {
        return _validatorReward(_epochs[datasetId][epoch], datasetId, epoch, validator);
    }

    /// @inheritdoc IRewardDistributor
    function claimed(uint256 datasetId, uint64 epoch, bytes32 fileId) external view returns (bool) {
        return _claimed[datasetId][epoch][fileId];
    }

    /// @inheritdoc IRewardDistributor
    function validatorClaimed(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (bool)
    {
        return _validatorClaimed[datasetId][epoch][validator];
    }

    /// @inheritdoc IRewardDistributor
    function epochRewards(uint256 datasetId, uint64 epoch)
        external
        view
        returns (EpochRewards memory)
    {
        return _epochs[datasetId][epoch];
    }

    /// @inheritdoc IRewardDistributor
    function claimWindowBlocks() external view returns (uint64) {
        return _claimWindowBlocks;
    }

    /// @inheritdoc IRewardDistributor
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc IRewardDistributor
    function scoreBoard() external view returns (address) {
        return address(_scoreBoard);
    }

    /// @inheritdoc IRewardDistributor
    function token() external view returns (address) {
        return address(_token);
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _claimable(uint256 datasetId, uint64 epoch)
        private
        view
        returns (EpochRewards storage r)
    {
        r = _epochs[datasetId][epoch];
        if (!r.finalized) revert RewardDistributorNotFinalized(datasetId, epoch);
        if (r.dustSwept) revert RewardDistributorClaimsClosed(datasetId, epoch);
    }

    function _contributorReward(
        EpochRewards storage r,
        uint256 datasetId,
        uint64 epoch,
        bytes32 fileId
    ) private view returns (uint256) {
        uint256 total = r.totalScore;
        if (total == 0) return 0;
        return
            Math.mulDiv(r.contributorPool, _scoreBoard.finalScore(datasetId, epoch, fileId), total);
    }

    function _validatorReward(
        EpochRewards storage r,
        uint256 datasetId,
        uint64 epoch,
        address validator
    ) private view returns (uint256) {
        uint256 total = r.totalValidatorWeight;
        if (total == 0) return 0;
        return Math.mulDiv(
            r.validatorPool, _scoreBoard.validatorWeight(datasetId, epoch, validator), total
        );
    }
}
