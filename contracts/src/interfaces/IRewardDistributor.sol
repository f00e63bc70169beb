// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRewardDistributor
/// @notice The DatasetToken's only minter, and the judge of submission bonds (protocol v2). On each epoch's
/// finalization with quorum and a positive total it fixes the epoch's emission
/// `E = DatasetConfig.emissionPerEpoch + carriedEmission` and splits it: contributors share
/// `E_c = E * (10000 - validatorShareBps) / 10000`, a file proving `value` against the finalized score root
/// getting `floor(E_c * value / total)`; the winning validators share `E_v = E - E_c` pro rata their reward
/// weight (from the ScoreBoard). An epoch finalized without quorum, or with total 0, pays nobody and adds
/// `emissionPerEpoch` to `carriedEmission` (it rolls over).
/// Bonds: a paid claim returns the file's bond to its contributor; `forfeitBond` with a proof that the file's
/// value is 0 sends it to the treasury; `refundBond` returns it in an epoch finalized without quorum.
/// Claims are pull-based, permissionless (everything goes to the record's contributor) and once each;
/// `sweepDust` mints what is left to the treasury once the claim window has passed; a paid file claimed after
/// that gets no tokens but still its bond back (a bond is never stranded by a late claim).
/// Invariants: the contributor claims of an epoch never exceed `E_c` (checked at every claim, so even a
/// dishonest quorum's vector cannot mint more), and the total minted for an epoch never exceeds its `E`.
/// @dev Constructor: `constructor(address datasetConfig, address registry, address scoreBoard, address token,
/// address treasury, uint64 claimWindowBlocks)`.
interface IRewardDistributor {
    /// @notice The reward bookkeeping of one finalized epoch.
    struct EpochRewards {
        bool finalized;
        bool quorumMet;
        bool dustSwept;
        uint64 finalizedAtBlock;
        bytes32 root; // the finalized score root
        uint256 total; // its sum of values
        uint256 emission; // E (0 when the epoch pays nobody)
        uint256 contributorPool; // E_c
        uint256 validatorPool; // E_v
        uint256 totalValidatorWeight;
        uint256 contributorMinted; // Σ contributor claims so far (<= E_c)
        uint256 minted; // Σ minted for this epoch (claims + dust)
    }

    /// @notice Thrown when someone other than the ScoreBoard reports a finalization.
    error RewardDistributorNotScoreBoard(address caller);
    /// @notice Thrown when an epoch is reported twice.
    error RewardDistributorAlreadyFinalized(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when claiming in an epoch not finalized.
    error RewardDistributorNotFinalized(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when the file is not of this dataset and epoch.
    error RewardDistributorWrongEpoch(bytes32 fileId, uint256 datasetId, uint64 epoch);
    /// @notice Thrown on a second claim of a file.
    error RewardDistributorAlreadyClaimed(uint256 datasetId, uint64 epoch, bytes32 fileId);
    /// @notice Thrown on a second validator claim.
    error RewardDistributorValidatorAlreadyClaimed(
        uint256 datasetId, uint64 epoch, address validator
    );
    /// @notice Thrown when there is nothing to claim (value 0, no quorum, no weight).
    error RewardDistributorNothingToClaim(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when (fileId, value) is not in the finalized root.
    error RewardDistributorInvalidProof(uint256 datasetId, uint64 epoch, bytes32 fileId);
    /// @notice Thrown when a claim would take the epoch's contributor claims past its pool.
    error RewardDistributorPoolExceeded(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when a bond cannot be refunded or forfeited in this state.
    error RewardDistributorBondNotSettleable(uint256 datasetId, uint64 epoch, bytes32 fileId);
    /// @notice Thrown after the dust sweep.
    error RewardDistributorClaimsClosed(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when sweeping inside the claim window.
    error RewardDistributorClaimsOutstanding(uint256 datasetId, uint64 epoch, uint64 openUntil);
    /// @notice Thrown on a second sweep.
    error RewardDistributorDustAlreadySwept(uint256 datasetId, uint64 epoch);
    /// @notice Thrown by the constructor when the ScoreBoard does not point back here.
    error RewardDistributorScoreBoardMismatch(address scoreBoard);
    /// @notice Thrown by the constructor for a zero address.
    error RewardDistributorZeroAddress();

    /// @notice An epoch's rewards were fixed.
    event EpochRewardsSet(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        uint256 emission,
        uint256 contributorPool,
        uint256 validatorPool,
        bytes32 root,
        uint256 total
    );
    /// @notice An epoch paid nobody; its emission was carried over.
    event EmissionRolledOver(uint256 indexed datasetId, uint64 indexed epoch, uint256 carried);
    /// @notice A file's reward was claimed, its bond returned.
    event RewardClaimed(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        bytes32 indexed fileId,
        address contributor,
        uint256 amount,
        uint256 bondRefund
    );
    /// @notice A 0-valued file's bond went to the treasury.
    event BondForfeited(
        uint256 indexed datasetId, uint64 indexed epoch, bytes32 indexed fileId, uint256 bond
    );
    /// @notice A bond of a no-quorum epoch went back to its contributor.
    event BondRefunded(
        uint256 indexed datasetId, uint64 indexed epoch, bytes32 indexed fileId, uint256 bond
    );
    /// @notice A validator claimed its share.
    event ValidatorRewardClaimed(
        uint256 indexed datasetId, uint64 indexed epoch, address indexed validator, uint256 amount
    );
    /// @notice What was left was minted to the treasury.
    event DustSwept(
        uint256 indexed datasetId, uint64 indexed epoch, address indexed treasury, uint256 amount
    );

    /// @notice Called by the ScoreBoard once per epoch.
    function onEpochFinalized(
        uint256 datasetId,
        uint64 epoch,
        bytes32 root,
        uint256 total,
        bool quorumMet
    ) external;

    /// @notice Mints a file's reward to its contributor and returns its bond, given a proof of
    /// (fileId, value) against the finalized root. Anyone may call it.
    function claim(
        uint256 datasetId,
        uint64 epoch,
        bytes32 fileId,
        uint256 value,
        bytes32[] calldata proof
    ) external returns (uint256 amount);

    /// @notice Sends a file's bond to the treasury, given a proof that its value is 0.
    function forfeitBond(uint256 datasetId, uint64 epoch, bytes32 fileId, bytes32[] calldata proof)
        external;

    /// @notice Returns a file's bond to its contributor in an epoch finalized without quorum.
    function refundBond(uint256 datasetId, uint64 epoch, bytes32 fileId) external;

    /// @notice Mints the caller's validator reward.
    function claimValidatorReward(uint256 datasetId, uint64 epoch) external returns (uint256 amount);

    /// @notice Mints what is left of the epoch to the treasury after the claim window.
    function sweepDust(uint256 datasetId, uint64 epoch) external returns (uint256 amount);

    /// @notice Emission waiting for the next paid epoch of the dataset.
    function carriedEmission(uint256 datasetId) external view returns (uint256);

    /// @notice A validator's reward.
    function validatorReward(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (uint256);

    /// @notice Whether a file's reward was claimed.
    function claimed(uint256 datasetId, uint64 epoch, bytes32 fileId) external view returns (bool);

    /// @notice Whether a validator claimed.
    function validatorClaimed(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (bool);

    /// @notice The epoch's bookkeeping.
    function epochRewards(uint256 datasetId, uint64 epoch)
        external
        view
        returns (EpochRewards memory);

    /// @notice Blocks after finalization during which claims are guaranteed open.
    function claimWindowBlocks() external view returns (uint64);

    /// @notice Where dust and forfeited bonds go.
    function treasury() external view returns (address);

    /// @notice The ScoreBoard that reports finalizations.
    function scoreBoard() external view returns (address);

    /// @notice The token minted.
    function token() external view returns (address);
}
