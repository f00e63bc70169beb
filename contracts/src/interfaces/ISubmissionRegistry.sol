// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISubmissionRegistry
/// @notice Registers sealed data files for a dataset's current epoch. Submissions are EIP-712
/// signed by the contributor (ECDSA or ERC-1271) and may be relayed by anyone.
/// EIP-712 domain: name "DataDAO SubmissionRegistry", version "1", chainId, verifyingContract = this.
/// Struct hash: keccak256(abi.encode(SUBMISSION_TYPEHASH, contributor, datasetId, fileId,
/// keccak256(bytes(cid)), headerHash, contentCommitment, ritualId, epoch, nonce, deadline)).
/// @dev Constructor: `constructor(IDatasetConfig config, IDKGCoordinator coordinator)`.
/// Vectors: tests/vectors/submission_eip712_v1.json.
interface ISubmissionRegistry {
    /// @notice What a contributor signs.
    struct Submission {
        address contributor;
        uint256 datasetId;
        bytes32 fileId;
        string cid;
        bytes32 headerHash;
        bytes32 contentCommitment;
        uint32 ritualId;
        uint64 epoch;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice What the registry stores per file.
    struct SubmissionRecord {
        address contributor;
        uint256 datasetId;
        uint64 epoch;
        uint32 ritualId;
        uint64 registeredAt; // block number
        bytes32 headerHash;
        bytes32 contentCommitment;
        string cid;
    }

    /// @notice Thrown when the dataset does not exist.
    error SubmissionRegistryUnknownDataset(uint256 datasetId);
    /// @notice Thrown when the signature's deadline has passed (block.timestamp > deadline).
    error SubmissionRegistryExpired(uint256 deadline, uint256 timestamp);
    /// @notice Thrown when the signature is not the contributor's.
    error SubmissionRegistryInvalidSignature(address contributor);
    /// @notice Thrown when the contributor's nonce was already used or invalidated.
    error SubmissionRegistryNonceUsed(address contributor, uint256 nonce);
    /// @notice Thrown when the content commitment is already registered in the dataset.
    error SubmissionRegistryDuplicateContent(
        uint256 datasetId, bytes32 contentCommitment, bytes32 existingFileId
    );
    /// @notice Thrown when the file id is already registered.
    error SubmissionRegistryDuplicateFileId(bytes32 fileId);
    /// @notice Thrown when the file id is zero.
    error SubmissionRegistryZeroFileId();
    /// @notice Thrown when the epoch already holds `limit` files: finalization loops over an epoch's
    /// files, so an unbounded epoch could be flooded until finalize no longer fits in a block.
    error SubmissionRegistryEpochFull(uint256 datasetId, uint64 epoch, uint256 limit);
    /// @notice Thrown when the submission's epoch is not the dataset's current epoch.
    error SubmissionRegistryWrongEpoch(uint64 epoch, uint64 currentEpoch);
    /// @notice Thrown when the submission's ritual is not the coordinator's active ACTIVE ritual.
    error SubmissionRegistryRitualNotActive(uint32 ritualId, uint32 activeRitualId);
    /// @notice Thrown when the cid is empty.
    error SubmissionRegistryEmptyCid();
    /// @notice Thrown when an unknown file id is looked up.
    error SubmissionRegistryUnknownFile(bytes32 fileId);

    /// @notice Emitted after a submission is recorded.
    event SubmissionRegistered(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        bytes32 indexed fileId,
        address contributor,
        string cid,
        bytes32 headerHash,
        bytes32 contentCommitment,
        uint32 ritualId
    );
    /// @notice Emitted after a contributor invalidates one of its unused nonces.
    event NonceInvalidated(address indexed contributor, uint256 nonce);

    /// @notice Registers a signed submission; anyone may relay it.
    /// @dev Checks, in order: dataset exists, not expired, non-empty cid, non-zero fileId, epoch is
    /// current, ritual is the active ACTIVE ritual, signature, nonce unused, fileId new, content new.
    function submit(Submission calldata s, bytes calldata signature) external;

    /// @notice Burns one of the caller's nonces so a signed but unsubmitted submission can never land.
    function invalidateNonce(uint256 nonce) external;

    /// @notice The record of a file; reverts if unknown.
    function submissionOf(bytes32 fileId) external view returns (SubmissionRecord memory);

    /// @notice The files of an epoch, in submission order.
    function epochFiles(uint256 datasetId, uint64 epoch) external view returns (bytes32[] memory);

    /// @notice The number of files in an epoch.
    function epochFileCount(uint256 datasetId, uint64 epoch) external view returns (uint256);

    /// @notice Whether a contributor's nonce is used (or invalidated).
    function nonceUsed(address contributor, uint256 nonce) external view returns (bool);

    /// @notice The file registered with this content commitment in the dataset (0 if none).
    function fileIdByCommitment(uint256 datasetId, bytes32 contentCommitment)
        external
        view
        returns (bytes32);

    /// @notice The full EIP-712 digest a contributor signs for `s`.
    function hashSubmission(Submission calldata s) external view returns (bytes32);

    /// @notice The EIP-712 type hash of `Submission`.
    function SUBMISSION_TYPEHASH() external view returns (bytes32);

    /// @notice The most files one dataset epoch accepts (bounds ScoreBoard.finalize's gas).
    function MAX_FILES_PER_EPOCH() external view returns (uint256);

    /// @notice The EIP-712 domain separator of this registry on this chain.
    function DOMAIN_SEPARATOR() external view returns (bytes32);
}
