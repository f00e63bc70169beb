// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISubmissionRegistry
/// @notice Registers sealed data files for a dataset's current epoch (protocol v2). Submissions are EIP-712
/// signed by the contributor (ECDSA or ERC-1271), may be relayed by anyone, and pay the dataset's bond.
/// The file id is derived, not chosen: `fileId = keccak256(abi.encode(contributor, headerHash))`, and the
/// sealed header (whose keccak256 is `headerHash`) names the contributor, so copying someone's pending
/// submission under another address registers a different file whose header names the original
/// contributor: validators value it 0 and it can only ever pay the original contributor.
/// EIP-712 domain: name "DataDAO SubmissionRegistry", version "2", chainId, verifyingContract = this.
/// Struct hash: keccak256(abi.encode(SUBMISSION_TYPEHASH, contributor, datasetId, keccak256(bytes(cid)),
/// headerHash, contentCommitment, ritualId, epoch, deadline)). There is no nonce: replaying a signature
/// derives the same file id, which is refused.
/// Duplicate content is refused per contributor (the same contributor cannot register the same content
/// commitment twice in a dataset); across contributors the validators judge it (the first registered keeps
/// contested records), so nobody can lock someone else's content out by claiming its commitment first.
/// Storage keeps two slots per file; cid, headerHash and contentCommitment are in the event, which is also
/// how an epoch's files are listed (no per-epoch array, no file cap).
/// Bonds: held here, released only by the RewardDistributor (to the contributor on a paid claim or a
/// no-quorum refund, to the treasury on a proof of a 0 value).
/// @dev Constructor: `constructor(IDatasetConfig config, IDKGCoordinator coordinator, address rewardDistributor)`.
/// Vectors: tests/vectors/submission_eip712_v2.json.
interface ISubmissionRegistry {
    /// @notice What a contributor signs.
    struct Submission {
        address contributor;
        uint256 datasetId;
        string cid;
        bytes32 headerHash;
        bytes32 contentCommitment;
        uint32 ritualId;
        uint64 epoch;
        uint256 deadline;
    }

    /// @notice What the registry stores per file (two slots).
    struct SubmissionRecord {
        address contributor;
        uint64 epoch;
        uint32 ritualId;
        uint96 datasetId;
        uint96 bond; // wei still held for this file (0 once released)
        uint64 registeredAt; // block number
    }

    /// @notice Thrown when the dataset does not exist.
    error SubmissionRegistryUnknownDataset(uint256 datasetId);
    /// @notice Thrown when the signature's deadline has passed (block.timestamp > deadline).
    error SubmissionRegistryExpired(uint256 deadline, uint256 nowTimestamp);
    /// @notice Thrown when the signature is not the contributor's.
    error SubmissionRegistryInvalidSignature(address contributor);
    /// @notice Thrown when the contributor already registered this content commitment in the dataset.
    error SubmissionRegistryDuplicateContent(
        uint256 datasetId, address contributor, bytes32 contentCommitment
    );
    /// @notice Thrown when the (derived) file id is already registered: a replay.
    error SubmissionRegistryDuplicateFileId(bytes32 fileId);
    /// @notice Thrown when the submission's epoch is not the dataset's current epoch.
    error SubmissionRegistryWrongEpoch(uint64 epoch, uint64 current);
    /// @notice Thrown when the submission's ritual is not the coordinator's active ACTIVE ritual.
    error SubmissionRegistryRitualNotActive(uint32 ritualId, uint32 active);
    /// @notice Thrown when the cid is empty.
    error SubmissionRegistryEmptyCid();
    /// @notice Thrown when the value sent is not the dataset's bond.
    error SubmissionRegistryWrongBond(uint256 expected, uint256 sent);
    /// @notice Thrown when an unknown file id is looked up.
    error SubmissionRegistryUnknownFile(bytes32 fileId);
    /// @notice Thrown when someone other than the RewardDistributor releases a bond.
    error SubmissionRegistryNotRewardDistributor(address caller);
    /// @notice Thrown when a released bond cannot be sent.
    error SubmissionRegistryBondTransferFailed(bytes32 fileId, address to);

    /// @notice Emitted after a submission is recorded.
    event SubmissionRegistered(
        uint256 indexed datasetId,
        uint64 indexed epoch,
        bytes32 indexed fileId,
        address contributor,
        string cid,
        bytes32 headerHash,
        bytes32 contentCommitment,
        uint32 ritualId,
        uint256 bond
    );
    /// @notice Emitted when a file's bond leaves the registry.
    event BondReleased(bytes32 indexed fileId, address indexed to, uint256 amount);

    /// @notice Registers a signed submission, paying the dataset's bond; anyone may relay it.
    /// @dev Checks, in order: dataset exists, not expired, non-empty cid, epoch is current, ritual is the
    /// active ACTIVE ritual, bond, signature, fileId new, content new for this contributor.
    function submit(Submission calldata s, bytes calldata signature)
        external
        payable
        returns (bytes32 fileId);

    /// @notice Sends a file's bond to `to`; only the RewardDistributor.
    function releaseBond(bytes32 fileId, address to) external;

    /// @notice keccak256(abi.encode(contributor, headerHash)).
    function fileIdOf(address contributor, bytes32 headerHash) external pure returns (bytes32);

    /// @notice The record of a file; reverts if unknown.
    function submissionOf(bytes32 fileId) external view returns (SubmissionRecord memory);

    /// @notice Whether a file is registered.
    function exists(bytes32 fileId) external view returns (bool);

    /// @notice Whether `contributor` registered this content in the dataset.
    function contentSubmitted(uint256 datasetId, address contributor, bytes32 contentCommitment)
        external
        view
        returns (bool);

    /// @notice The full EIP-712 digest a contributor signs for `s`.
    function hashSubmission(Submission calldata s) external view returns (bytes32);

    /// @notice The EIP-712 type hash of `Submission`.
    function SUBMISSION_TYPEHASH() external view returns (bytes32);

    /// @notice The EIP-712 domain separator of this registry on this chain.
    function DOMAIN_SEPARATOR() external view returns (bytes32);

    /// @notice The RewardDistributor allowed to release bonds.
    function rewardDistributor() external view returns (address);
}
