// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IScoreBoard
/// @notice Per-epoch commit/reveal of validators' file scores and their permissionless finalization.
/// @dev Constructor: `constructor(address datasetConfig, address staking, address dkg, address registry,
/// address rewardDistributor, uint16 slashBps)`. The ScoreBoard must be a fault module of ValidatorStaking.
///
/// Timing per epoch (DatasetConfig.epochWindows): commits in `[closeBlock, revealStart)`, reveals in
/// `[revealStart, finalizeFrom)`, `finalize` from `finalizeFrom` on.
///
/// The seed, the ritual and the committee are fixed together by the first `fixSeed` (or `commit`) at or after
/// `closeBlock` and within 256 blocks of it: `seed = keccak256(abi.encode(blockhash(closeBlock - 1), datasetId,
/// epoch))`; committee = the active ritual's participants whose stake at closeBlock is non-zero (the stake is
/// read with `stakeAt(v, closeBlock)`, or `stakeOf(v)` when the seed is fixed in block `closeBlock` itself).
///
/// Commitment: `Commitments.scoreCommitment(block.chainid, address(this), datasetId, epoch, validator,
/// keccak256(abi.encode(fileIds, scoresBps)), salt)` with `fileIds = SubmissionRegistry.epochFiles(datasetId, epoch)`.
///
/// Finalization, per file: the two-sided stake-weighted median (kappa = 1/2) of revealed scores,
/// `floor((lo + hi) / 2)` where `lo` is the smallest score with at least half the revealed stake at or below it
/// and `hi` the largest with at least half at or above it; so a coalition holding less than half the revealed
/// stake cannot move it outside the range of the others' scores. Quorum: revealed stake > 0 and
/// `revealedStake * 10000 >= quorumBps * committeeStake`; without quorum every score is 0. Scores below
/// `minScoreBps` become 0. Committed-but-unrevealed validators are slashed `slashBps` of their closeBlock stake.
/// With quorum, each revealer's agreement `10000 - mean|score - median|` updates its EMA
/// `ema = (ema * 7 + agreement) / 8`, and its reward weight for the epoch is `stake * ema`.
/// Finally `RewardDistributor.onEpochFinalized(datasetId, epoch, totalScore)` is called.
interface IScoreBoard {
    /// @notice Summary of an epoch's scoring.
    struct EpochStatus {
        bool seedFixed;
        bool finalized;
        bool quorumMet;
        uint256 committedStake;
        uint256 revealedStake;
        uint256 totalScore;
    }

    /// @notice Thrown when the dataset does not exist.
    error ScoreBoardUnknownDataset(uint256 datasetId);
    /// @notice Thrown when the seed is asked for before the epoch's closeBlock.
    error ScoreBoardEpochNotClosed(uint256 datasetId, uint64 epoch, uint64 closeBlock);
    /// @notice Thrown when the seed can no longer be fixed (more than 256 blocks after closeBlock).
    error ScoreBoardSeedUnavailable(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when the seed would be fixed while no key ritual is active.
    error ScoreBoardNoActiveRitual();
    /// @notice Thrown when a commit arrives outside the commit window.
    error ScoreBoardNotInCommitWindow(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when a caller outside the epoch's committee commits.
    error ScoreBoardNotCommitteeMember(uint256 datasetId, uint64 epoch, address validator);
    /// @notice Thrown when a validator commits a second time.
    error ScoreBoardAlreadyCommitted(uint256 datasetId, uint64 epoch, address validator);
    /// @notice Thrown when the zero commitment is submitted.
    error ScoreBoardZeroCommitment();
    /// @notice Thrown when a reveal arrives outside the reveal window.
    error ScoreBoardNotInRevealWindow(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when a validator reveals without having committed.
    error ScoreBoardNotCommitted(uint256 datasetId, uint64 epoch, address validator);
    /// @notice Thrown when a validator reveals a second time.
    error ScoreBoardAlreadyRevealed(uint256 datasetId, uint64 epoch, address validator);
    /// @notice Thrown when the number of revealed scores differs from the epoch's file count.
    error ScoreBoardLengthMismatch(uint256 expected, uint256 actual);
    /// @notice Thrown when a revealed score exceeds 10000 bps.
    error ScoreBoardScoreOutOfRange(uint256 index, uint16 score);
    /// @notice Thrown when the revealed scores and salt do not hash to the commitment.
    error ScoreBoardCommitmentMismatch(bytes32 expected, bytes32 actual);
    /// @notice Thrown when finalize is called before the epoch's finalizeFrom block.
    error ScoreBoardFinalizeTooEarly(uint256 datasetId, uint64 epoch, uint64 finalizeFrom);
    /// @notice Thrown when an epoch is finalized a second time.
    error ScoreBoardAlreadyFinalized(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when the slash fraction exceeds 10000 bps.
    error ScoreBoardSlashBpsOutOfRange(uint16 slashBps);
    /// @notice Thrown when finalize ran out of gas inside a slash call (so it cannot be skipped by starving it).
    error ScoreBoardInsufficientGas();

    /// @notice Emitted after an epoch's seed, ritual and committee are fixed.
    event SeedFixed(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        bytes32 seed,
        uint32 ritualId,
        address[] committee,
        uint256 committeeStake
    );
    /// @notice Emitted after a validator's commitment is recorded.
    event ScoresCommitted(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        address indexed validator,
        bytes32 commitment
    );
    /// @notice Emitted after a validator's scores are revealed.
    event ScoresRevealed(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        address indexed validator,
        uint16[] scoresBps
    );
    /// @notice Emitted after a validator that committed but did not reveal is slashed (or the slash failed).
    event NonRevealSlashed(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        address indexed validator,
        uint256 amount,
        bool success
    );
    /// @notice Emitted after a revealer's agreement EMA is updated.
    event AgreementUpdated(
        address indexed validator,
        uint256 indexed datasetId,
        uint64 indexed epoch,
        uint16 agreementBps,
        uint16 emaBps
    );
    /// @notice Emitted after an epoch is finalized.
    event EpochFinalized(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        bool quorumMet,
        uint256 revealedStake,
        uint256 totalScore
    );

    /// @notice Fixes the epoch's seed, ritual and committee (idempotent; returns the stored seed once fixed).
    function fixSeed(uint256 datasetId, uint64 epoch) external returns (bytes32 seed);

    /// @notice Records the caller's score commitment (commit window; committee member; once). Fixes the seed first.
    function commit(uint256 datasetId, uint64 epoch, bytes32 commitment) external;

    /// @notice Reveals the caller's scores, one per `epochFiles` entry in order, each <= 10000 (reveal window).
    function reveal(uint256 datasetId, uint64 epoch, uint16[] calldata scoresBps, bytes32 salt)
        external;

    /// @notice Finalizes the epoch (permissionless, once, from finalizeFrom on).
    function finalize(uint256 datasetId, uint64 epoch) external;

    /// @notice The epoch seed (0 until fixed).
    function epochSeed(uint256 datasetId, uint64 epoch) external view returns (bytes32);

    /// @notice The ritual fixed with the seed (0 until fixed).
    function epochRitual(uint256 datasetId, uint64 epoch) external view returns (uint32);

    /// @notice The epoch's committee (empty until the seed is fixed).
    function committee(uint256 datasetId, uint64 epoch) external view returns (address[] memory);

    /// @notice A committee member's stake at closeBlock as recorded with the committee (0 for non-members).
    function committeeStakeOf(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (uint256);

    /// @notice Total stake of the epoch's committee.
    function committeeStake(uint256 datasetId, uint64 epoch) external view returns (uint256);

    /// @notice The finalized score of a file (0 until finalized).
    function finalScore(uint256 datasetId, uint64 epoch, bytes32 fileId)
        external
        view
        returns (uint16);

    /// @notice The scoring summary of an epoch.
    function epochStatus(uint256 datasetId, uint64 epoch) external view returns (EpochStatus memory);

    /// @notice A validator's agreement EMA in bps (starts at 10000).
    function agreementEma(address validator) external view returns (uint16 bps);

    /// @notice A validator's commitment (0 if none).
    function commitmentOf(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (bytes32);

    /// @notice Whether a validator revealed.
    function revealed(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (bool);

    /// @notice The scores a validator revealed (empty if none).
    function revealedScores(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (uint16[] memory);

    /// @notice The validators that revealed, in reveal order.
    function revealers(uint256 datasetId, uint64 epoch) external view returns (address[] memory);

    /// @notice A revealer's reward weight for a finalized epoch (`stake * ema`; 0 without quorum).
    function validatorWeight(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (uint256);

    /// @notice The sum of the revealers' reward weights for a finalized epoch.
    function totalValidatorWeight(uint256 datasetId, uint64 epoch) external view returns (uint256);

    /// @notice The number of files with a non-zero finalized score.
    function scoredFileCount(uint256 datasetId, uint64 epoch) external view returns (uint256);

    /// @notice The number of revealers with a non-zero reward weight.
    function weightedValidatorCount(uint256 datasetId, uint64 epoch) external view returns (uint256);

    /// @notice The slash applied to committed-but-unrevealed validators, in bps of their closeBlock stake.
    function slashBps() external view returns (uint16);

    /// @notice The RewardDistributor notified on finalization.
    function rewardDistributor() external view returns (address);
}
