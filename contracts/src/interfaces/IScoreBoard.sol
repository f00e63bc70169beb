// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IScoreBoard
/// @notice Per-epoch commit/reveal of one Merkle root of the validators' score vector (protocol v2)
/// and its permissionless finalization. On-chain cost is O(validators), independent of the files.
/// @dev Constructor: `constructor(address datasetConfig, address staking, address dkg, address registry,
/// address rewardDistributor, uint16 slashBps)`. The ScoreBoard must be a fault module of ValidatorStaking.
///
/// Timing per epoch (DatasetConfig.epochWindows): commits in `[closeBlock, revealStart)`, reveals in
/// `[revealStart, finalizeFrom)`, `finalize` from `finalizeFrom` on.
///
/// The seed, the ritual and the committee are fixed together by the first `fixSeed` (or `commit`) at or after
/// `closeBlock`: `seed = keccak256(abi.encode(blockhash(closeBlock - 1), datasetId, epoch))` while that
/// blockhash is available (256 blocks); after that, the hash of the most recent block replaces it
/// (so an epoch nobody seeded in time can still be scored; the committee is still the stake at closeBlock).
/// committee = the active ritual's participants whose stake at closeBlock is non-zero.
///
/// The score vector: every file of the epoch with its value in nano units (1e-9) of the contributor pool,
/// summing to `total` (1e9, or 0 when nothing is paid); leaves
/// `keccak256(bytes.concat(keccak256(abi.encode(fileId, value))))`, sorted-pair (commutative) inner nodes,
/// leaves in fileId order (node/protocol/scorevector.py). The vector itself is published content-addressed; its
/// CID is in the reveal's event.
///
/// Commitment: `Commitments.scoreCommitment(block.chainid, address(this), datasetId, epoch, validator, root,
/// total, salt)`.
///
/// Finalization: the (root, total) revealed by the most committee stake wins (ties: the earliest committee
/// member's); quorum iff its stake * 10000 >= quorumBps * committeeStake. With quorum it is the epoch's result,
/// its revealers' agreement EMA rises (agreement 10000) and every other revealer's falls (agreement 0),
/// `ema = (ema * 7 + agreement) / 8`, and each winning revealer's reward weight is `stake * ema`. Without
/// quorum nobody is paid (the emission rolls over). Committed-but-unrevealed validators are slashed
/// `slashBps` of their closeBlock stake either way. Finally
/// `RewardDistributor.onEpochFinalized(datasetId, epoch, root, total, quorumMet)` is called.
interface IScoreBoard {
    /// @notice Summary of an epoch's scoring.
    struct EpochStatus {
        bool seedFixed;
        bool finalized;
        bool quorumMet;
        uint256 committedStake;
        uint256 revealedStake;
        uint256 winningStake;
    }

    /// @notice Thrown when the dataset does not exist.
    error ScoreBoardUnknownDataset(uint256 datasetId);
    /// @notice Thrown when fixing the seed before the epoch closed.
    error ScoreBoardEpochNotClosed(uint256 datasetId, uint64 epoch, uint64 closeBlock);
    /// @notice Thrown when there is no active key ritual to score with.
    error ScoreBoardNoActiveRitual();
    /// @notice Thrown when committing outside the commit window.
    error ScoreBoardNotInCommitWindow(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when the caller is not on the epoch's committee.
    error ScoreBoardNotCommitteeMember(uint256 datasetId, uint64 epoch, address validator);
    /// @notice Thrown on a second commit.
    error ScoreBoardAlreadyCommitted(uint256 datasetId, uint64 epoch, address validator);
    /// @notice Thrown on a zero commitment.
    error ScoreBoardZeroCommitment();
    /// @notice Thrown when revealing outside the reveal window.
    error ScoreBoardNotInRevealWindow(uint256 datasetId, uint64 epoch);
    /// @notice Thrown when revealing without a commitment.
    error ScoreBoardNotCommitted(uint256 datasetId, uint64 epoch, address validator);
    /// @notice Thrown on a second reveal.
    error ScoreBoardAlreadyRevealed(uint256 datasetId, uint64 epoch, address validator);
    /// @notice Thrown when the reveal does not match the commitment.
    error ScoreBoardCommitmentMismatch(bytes32 expected, bytes32 actual);
    /// @notice Thrown when a revealed total does not fit 96 bits (an honest total is 1e9 or 0).
    error ScoreBoardTotalTooLarge(uint256 total);
    /// @notice Thrown when finalizing before the reveal window ended.
    error ScoreBoardFinalizeTooEarly(uint256 datasetId, uint64 epoch, uint64 finalizeFrom);
    /// @notice Thrown on a second finalization.
    error ScoreBoardAlreadyFinalized(uint256 datasetId, uint64 epoch);
    /// @notice Thrown by the constructor for a slash above 100%.
    error ScoreBoardSlashBpsOutOfRange(uint16 slashBps);
    /// @notice Thrown when a slash ran out of gas because the caller starved finalize.
    error ScoreBoardInsufficientGas();

    /// @notice The seed, ritual and committee of an epoch were fixed.
    event SeedFixed(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        bytes32 seed,
        uint32 ritualId,
        address[] committee,
        uint256 committeeStake
    );
    /// @notice A validator committed.
    event ScoresCommitted(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        address indexed validator,
        bytes32 commitment
    );
    /// @notice A validator revealed the root and total of its score vector, published at `vectorCid`.
    event ScoresRevealed(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        address indexed validator,
        bytes32 root,
        uint256 total,
        string vectorCid
    );
    /// @notice A committed-but-unrevealed validator was slashed (`success` false if the slash call failed).
    event NonRevealSlashed(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        address indexed validator,
        uint256 amount,
        bool success
    );
    /// @notice A revealer's agreement EMA moved.
    event AgreementUpdated(
        address indexed validator,
        uint256 indexed datasetId,
        uint64 indexed epoch,
        uint16 agreementBps,
        uint16 emaBps
    );
    /// @notice The epoch was finalized with (root, total) revealed by `winningStake`.
    event EpochFinalized(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        bool quorumMet,
        bytes32 root,
        uint256 total,
        uint256 winningStake
    );

    /// @notice Fixes the epoch's seed, ritual and committee (permissionless, once).
    function fixSeed(uint256 datasetId, uint64 epoch) external returns (bytes32 seed);

    /// @notice Commits to (root, total) in the commit window.
    function commit(uint256 datasetId, uint64 epoch, bytes32 commitment) external;

    /// @notice Reveals (root, total) and the CID of the published vector in the reveal window.
    function reveal(
        uint256 datasetId,
        uint64 epoch,
        bytes32 root,
        uint256 total,
        string calldata vectorCid,
        bytes32 salt
    ) external;

    /// @notice Finalizes the epoch (permissionless, once).
    function finalize(uint256 datasetId, uint64 epoch) external;

    /// @notice The epoch's seed (zero until fixed).
    function epochSeed(uint256 datasetId, uint64 epoch) external view returns (bytes32);

    /// @notice The ritual the epoch is scored under.
    function epochRitual(uint256 datasetId, uint64 epoch) external view returns (uint32);

    /// @notice The epoch's committee.
    function committee(uint256 datasetId, uint64 epoch) external view returns (address[] memory);

    /// @notice A member's stake at closeBlock (0 for non-members).
    function committeeStakeOf(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (uint256);

    /// @notice The committee's total stake.
    function committeeStake(uint256 datasetId, uint64 epoch) external view returns (uint256);

    /// @notice The finalized (root, total); zero until finalized with quorum.
    function finalizedRoot(uint256 datasetId, uint64 epoch)
        external
        view
        returns (bytes32 root, uint256 total);

    /// @notice What a validator revealed (zero if it did not).
    function revealedRoot(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (bytes32 root, uint256 total);

    /// @notice The epoch's status.
    function epochStatus(uint256 datasetId, uint64 epoch) external view returns (EpochStatus memory);

    /// @notice A validator's agreement EMA in basis points (10000 to start).
    function agreementEma(address validator) external view returns (uint16 bps);

    /// @notice A validator's commitment (zero if none).
    function commitmentOf(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (bytes32);

    /// @notice Whether a validator revealed.
    function revealed(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (bool);

    /// @notice A validator's reward weight for the epoch (set at finalization).
    function validatorWeight(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (uint256);

    /// @notice Sum of the epoch's reward weights.
    function totalValidatorWeight(uint256 datasetId, uint64 epoch) external view returns (uint256);

    /// @notice Number of validators with a non-zero weight.
    function weightedValidatorCount(uint256 datasetId, uint64 epoch) external view returns (uint256);

    /// @notice The slash for not revealing, in basis points of stake.
    function slashBps() external view returns (uint16);

    /// @notice The RewardDistributor fed at finalization.
    function rewardDistributor() external view returns (address);
}
