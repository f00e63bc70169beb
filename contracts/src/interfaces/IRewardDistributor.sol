// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRewardDistributor
/// @notice The DatasetToken's only minter. On each epoch's finalization it fixes the epoch's emission `E`
/// (`DatasetConfig.emissionPerEpoch` at that moment, or 0 when the epoch has no quorum or no positive score)
/// and splits it: contributors share `E_c = E * (10000 - validatorShareBps) / 10000`, file `j` getting
/// `floor(E_c * s_j / sum(s))`; revealing validators share `E_v = E - E_c` pro rata their reward weight
/// (`stake * agreementEma`, from the ScoreBoard). Claims are pull-based and once each; `sweepDust` mints what
/// is left to the treasury once every claim is made or the claim window has passed, after which claims close.
/// Invariant: the total minted for an epoch never exceeds its `E`.
/// @dev Constructor: `constructor(address datasetConfig, address registry, address scoreBoard, address token,
/// address treasury, uint64 claimWindowBlocks)`.
interface IRewardDistributor {
    /// @notice The reward bookkeeping of one finalized epoch.
    struct EpochRewards {
        bool finalized;
        bool dustSwept;
        uint64 finalizedAtBlock;
        uint256 emission; // E
        uint256 contributorPool; // E_c
        uint256 validatorPool; // E_v
        uint256 totalScore;
        uint256 totalValidatorWeight;
        uint256 minted; // sum minted for this epoch so far (claims + dust)
        uint256 claimsLeft; // claims with a non-zero entitlement not yet made
    }

    /// @notice Thrown when someone other than the ScoreBoard reports a finalization.
    error RewardDistributorNotScoreBoard(address caller);
    /// @notice Thrown when an epoch is reported finalized twice.
    error RewardDistributorAlreadyFinalized(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when a claim concerns an epoch not finalized yet.
    error RewardDistributorNotFinalized(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when a file does not belong to the claimed dataset and epoch.
    error RewardDistributorWrongEpoch(bytes32 fileId, uint256 datasetId, uint64 epoch);
    /// @notice Thrown when a file's reward is claimed a second time.
    error RewardDistributorAlreadyClaimed(uint256 datasetId, uint64 epoch, bytes32 fileId);
    /// @notice Thrown when a validator claims a second time.
    error RewardDistributorValidatorAlreadyClaimed(
        uint256 datasetId, uint64 epoch, address validator
    );
    /// @notice Thrown when a claim has no entitlement (zero score or zero weight).
    error RewardDistributorNothingToClaim(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when a claim arrives after the dust was swept (the claim window closed).
    error RewardDistributorClaimsClosed(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when dust is swept while claims are outstanding and the claim window is open.
    error RewardDistributorClaimsOutstanding(uint256 datasetId, uint64 epoch, uint256 claimsLeft);
    /// @notice Thrown when the dust of an epoch is swept twice.
    error RewardDistributorDustAlreadySwept(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when the ScoreBoard given at construction does not point back at this distributor.
    error RewardDistributorScoreBoardMismatch(address scoreBoard);
    /// @notice Thrown when a constructor address is zero.
    error RewardDistributorZeroAddress();

    /// @notice Emitted after an epoch's emission is fixed and split.
    event EpochRewardsSet(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        uint256 emission,
        uint256 contributorPool,
        uint256 validatorPool,
        uint256 totalScore
    );
    /// @notice Emitted after a file's contributor reward is minted.
    event RewardClaimed(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        bytes32 indexed fileId,
        address contributor,
        uint256 amount
    );
    /// @notice Emitted after a validator's reward is minted.
    event ValidatorRewardClaimed(
        uint256 indexed datasetId, uint64 indexed epoch, address indexed validator, uint256 amount
    );
    /// @notice Emitted after an epoch's undistributed remainder is minted to the treasury.
    event DustSwept(
        uint256 indexed datasetId, uint64 indexed epoch, address indexed treasury, uint256 amount
    );

    /// @notice Fixes and splits the epoch's emission (ScoreBoard only, once per epoch).
    function onEpochFinalized(uint256 datasetId, uint64 epoch, uint256 totalScore) external;

    /// @notice Mints file `fileId`'s reward to its contributor (anyone may call; once).
    /// @return amount The amount minted.
    function claim(uint256 datasetId, uint64 epoch, bytes32 fileId)
        external
        returns (uint256 amount);

    /// @notice Mints the caller's validator reward for the epoch (once).
    /// @return amount The amount minted.
    function claimValidatorReward(uint256 datasetId, uint64 epoch) external returns (uint256 amount);

    /// @notice Mints the epoch's remainder to the treasury once all claims are made or the claim window passed.
    /// @return amount The amount minted.
    function sweepDust(uint256 datasetId, uint64 epoch) external returns (uint256 amount);

    /// @notice A file's contributor entitlement (whether claimed or not; 0 before finalization).
    function contributorReward(uint256 datasetId, uint64 epoch, bytes32 fileId)
        external
        view
        returns (uint256);

    /// @notice A validator's entitlement (whether claimed or not; 0 before finalization).
    function validatorReward(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (uint256);

    /// @notice Whether a file's reward was claimed.
    function claimed(uint256 datasetId, uint64 epoch, bytes32 fileId) external view returns (bool);

    /// @notice Whether a validator's reward was claimed.
    function validatorClaimed(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (bool);

    /// @notice The reward bookkeeping of an epoch.
    function epochRewards(uint256 datasetId, uint64 epoch)
        external
        view
        returns (EpochRewards memory);

    /// @notice Blocks after finalization during which claims stay open regardless of dust sweeping.
    function claimWindowBlocks() external view returns (uint64);

    /// @notice Where dust is minted.
    function treasury() external view returns (address);

    /// @notice The ScoreBoard allowed to report finalizations.
    function scoreBoard() external view returns (address);

    /// @notice The token minted.
    function token() external view returns (address);
}
