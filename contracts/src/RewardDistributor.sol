// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IDatasetConfig} from "./interfaces/IDatasetConfig.sol";
import {IDatasetToken} from "./interfaces/IDatasetToken.sol";
import {IRewardDistributor} from "./interfaces/IRewardDistributor.sol";
import {IScoreBoard} from "./interfaces/IScoreBoard.sol";
import {ISubmissionRegistry} from "./interfaces/ISubmissionRegistry.sol";

/// @title RewardDistributor
/// @notice Fixes each epoch's emission at finalization, mints it through Merkle-proof claims and settles
/// submission bonds. See {IRewardDistributor}.
/// @dev Contributor claims are `floor(E_c * value / total)` and are also capped at run time
/// (`contributorMinted <= E_c`), because the contract cannot see that the vector's values sum to
/// `total`; validator claims are `floor(E_v * weight / Σweight)`; the dust sweep mints exactly E - minted.
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
    mapping(uint256 datasetId => uint256) private _carried;

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
    function onEpochFinalized(
        uint256 datasetId,
        uint64 epoch,
        bytes32 root,
        uint256 total,
        bool quorumMet
    ) external virtual {
        if (msg.sender != address(_scoreBoard)) {
            revert RewardDistributorNotScoreBoard(msg.sender);
        }
        EpochRewards storage r = _epochs[datasetId][epoch];
        if (r.finalized) revert RewardDistributorAlreadyFinalized(datasetId, epoch);
        r.finalized = true;
        r.quorumMet = quorumMet;
        r.finalizedAtBlock = uint64(block.number);
        r.root = root;
        r.total = total;

        (uint256 emissionPerEpoch, uint16 validatorShareBps,) =
            _config.finalizationParams(datasetId);
        if (!quorumMet || total == 0) {
            // Nothing was measurably contributed (or nobody agreed on what): the epoch pays nobody
            // and its emission waits for the next paid epoch.
            uint256 carried = _carried[datasetId] + emissionPerEpoch;
            _carried[datasetId] = carried;
            emit EmissionRolledOver(datasetId, epoch, carried);
            return;
        }
        uint256 emission = emissionPerEpoch + _carried[datasetId];
        _carried[datasetId] = 0;
        uint256 contributorPool = emission * (_BPS - validatorShareBps) / _BPS;
        r.emission = emission;
        r.contributorPool = contributorPool;
        // Without weighted validators their share stays undistributed and ends up as dust.
        r.validatorPool = emission - contributorPool;
        r.totalValidatorWeight = _scoreBoard.totalValidatorWeight(datasetId, epoch);
        emit EpochRewardsSet(
            datasetId, epoch, emission, contributorPool, r.validatorPool, root, total
        );
    }

    /// @inheritdoc IRewardDistributor
    function claim(
        uint256 datasetId,
        uint64 epoch,
        bytes32 fileId,
        uint256 value,
        bytes32[] calldata proof
    ) external virtual returns (uint256 amount) {
        EpochRewards storage r = _epochs[datasetId][epoch];
        if (!r.finalized) revert RewardDistributorNotFinalized(datasetId, epoch);
        if (value == 0 || r.total == 0) revert RewardDistributorNothingToClaim(datasetId, epoch);
        ISubmissionRegistry.SubmissionRecord memory rec = _recordOf(datasetId, epoch, fileId);
        if (_claimed[datasetId][epoch][fileId]) {
            revert RewardDistributorAlreadyClaimed(datasetId, epoch, fileId);
        }
        _verify(r.root, datasetId, epoch, fileId, value, proof);

        // After the dust sweep the tokens are gone to the treasury, but the bond still comes back.
        amount = r.dustSwept ? 0 : Math.mulDiv(r.contributorPool, value, r.total);
        uint256 minted = r.contributorMinted + amount;
        if (minted > r.contributorPool) revert RewardDistributorPoolExceeded(datasetId, epoch);
        _claimed[datasetId][epoch][fileId] = true;
        r.contributorMinted = minted;
        r.minted += amount;
        uint256 bond = rec.bond;
        emit RewardClaimed(datasetId, epoch, fileId, rec.contributor, amount, bond);
        if (amount != 0) _token.mint(rec.contributor, amount);
        if (bond != 0) _registry.releaseBond(fileId, rec.contributor);
    }

    /// @inheritdoc IRewardDistributor
    function forfeitBond(uint256 datasetId, uint64 epoch, bytes32 fileId, bytes32[] calldata proof)
        external
        virtual
    {
        EpochRewards storage r = _epochs[datasetId][epoch];
        ISubmissionRegistry.SubmissionRecord memory rec = _recordOf(datasetId, epoch, fileId);
        if (!r.finalized) revert RewardDistributorNotFinalized(datasetId, epoch);
        if (!r.quorumMet || rec.bond == 0) {
            revert RewardDistributorBondNotSettleable(datasetId, epoch, fileId);
        }
        _verify(r.root, datasetId, epoch, fileId, 0, proof);
        emit BondForfeited(datasetId, epoch, fileId, rec.bond);
        _registry.releaseBond(fileId, _treasury);
    }

    /// @inheritdoc IRewardDistributor
    function refundBond(uint256 datasetId, uint64 epoch, bytes32 fileId) external virtual {
        EpochRewards storage r = _epochs[datasetId][epoch];
        ISubmissionRegistry.SubmissionRecord memory rec = _recordOf(datasetId, epoch, fileId);
        if (!r.finalized) revert RewardDistributorNotFinalized(datasetId, epoch);
        // Only where nobody judged the files: with a quorum, a bond is returned by a paid claim or
        // forfeited by a proof of 0.
        if (r.quorumMet || rec.bond == 0) {
            revert RewardDistributorBondNotSettleable(datasetId, epoch, fileId);
        }
        emit BondRefunded(datasetId, epoch, fileId, rec.bond);
        _registry.releaseBond(fileId, rec.contributor);
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
        emit ValidatorRewardClaimed(datasetId, epoch, msg.sender, amount);
        _token.mint(msg.sender, amount);
    }

    /// @inheritdoc IRewardDistributor
    function sweepDust(uint256 datasetId, uint64 epoch) external virtual returns (uint256 amount) {
        EpochRewards storage r = _epochs[datasetId][epoch];
        if (!r.finalized) revert RewardDistributorNotFinalized(datasetId, epoch);
        if (r.dustSwept) revert RewardDistributorDustAlreadySwept(datasetId, epoch);
        uint64 openUntil = r.finalizedAtBlock + _claimWindowBlocks;
        if (block.number <= openUntil) {
            revert RewardDistributorClaimsOutstanding(datasetId, epoch, openUntil);
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
    function carriedEmission(uint256 datasetId) external view returns (uint256) {
        return _carried[datasetId];
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

    function _recordOf(uint256 datasetId, uint64 epoch, bytes32 fileId)
        private
        view
        returns (ISubmissionRegistry.SubmissionRecord memory rec)
    {
        rec = _registry.submissionOf(fileId);
        if (rec.datasetId != datasetId || rec.epoch != epoch) {
            revert RewardDistributorWrongEpoch(fileId, datasetId, epoch);
        }
    }

    /// @dev OpenZeppelin StandardMerkleTree leaf: keccak256(bytes.concat(keccak256(abi.encode(fileId, value)))).
    function _verify(
        bytes32 root,
        uint256 datasetId,
        uint64 epoch,
        bytes32 fileId,
        uint256 value,
        bytes32[] calldata proof
    ) private pure {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(fileId, value))));
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) {
            revert RewardDistributorInvalidProof(datasetId, epoch, fileId);
        }
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
