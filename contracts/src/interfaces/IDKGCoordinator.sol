// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IDKGCoordinator
/// @notice Coordinates Ferveo DKG rituals among staked validators (modelled on TACo's Coordinator).
/// A ritual's committee is the `size` eligible validators with the largest stake (ties: lower
/// address wins), then sorted ascending by address; a member's index in `getParticipants` is its
/// Ferveo share index. Eligible = registered in ValidatorStaking with `stakeOf >= minStake`.
/// Every member posts its transcript (bytes in calldata and in the event, keccak256 stored), then
/// every member posts the digest of the aggregated transcript and the DKG public key; if all agree
/// the ritual is ACTIVE and its public key is the DAO key, otherwise it is INVALID at the first
/// disagreement. A ritual not ACTIVE/INVALID after `deadline` (a timestamp) reads as TIMEOUT.
/// @dev Constructor: `constructor(address initialOwner, IValidatorStaking staking)`.
interface IDKGCoordinator {
    /// @notice The lifecycle of a ritual. TIMEOUT is computed lazily from the deadline.
    enum RitualState {
        NONE,
        AWAITING_TRANSCRIPTS,
        AWAITING_AGGREGATIONS,
        ACTIVE,
        TIMEOUT,
        INVALID
    }

    /// @notice A summary of a ritual.
    struct RitualInfo {
        RitualState state;
        uint16 size;
        uint16 threshold;
        uint16 transcriptCount;
        uint16 aggregationCount;
        uint64 initTimestamp;
        uint64 deadline; // last timestamp at which posts are accepted
        bytes32 aggregatedTranscriptDigest; // the first posted aggregation digest (0 before)
    }

    /// @notice Thrown when a committee size of zero or above `MAX_RITUAL_SIZE` is requested.
    error DKGCoordinatorInvalidSize(uint16 size);
    /// @notice Thrown when the threshold is zero or larger than the committee.
    error DKGCoordinatorInvalidThreshold(uint16 threshold, uint16 size);
    /// @notice Thrown when a timeout of zero seconds is requested.
    error DKGCoordinatorZeroTimeout();
    /// @notice Thrown when fewer eligible validators exist than the committee size.
    error DKGCoordinatorNotEnoughValidators(uint256 eligible, uint16 size);
    /// @notice Thrown when an action is not allowed in the ritual's current state.
    error DKGCoordinatorInvalidState(uint32 ritualId, RitualState state);
    /// @notice Thrown when someone outside the ritual's committee posts.
    error DKGCoordinatorNotParticipant(uint32 ritualId, address who);
    /// @notice Thrown when a member posts a second transcript.
    error DKGCoordinatorTranscriptAlreadyPosted(uint32 ritualId, address member);
    /// @notice Thrown when a member posts a second aggregation.
    error DKGCoordinatorAggregationAlreadyPosted(uint32 ritualId, address member);
    /// @notice Thrown when an empty transcript is posted.
    error DKGCoordinatorEmptyTranscript();
    /// @notice Thrown when an aggregation is posted with an empty DKG public key.
    error DKGCoordinatorEmptyPublicKey();
    /// @notice Thrown when a ritual's public key is read while it is not ACTIVE.
    error DKGCoordinatorRitualNotActive(uint32 ritualId, RitualState state);

    /// @notice Emitted after a ritual is created with its sorted committee.
    event RitualInitiated(
        uint32 indexed ritualId, address[] participants, uint16 threshold, uint64 deadline
    );
    /// @notice Emitted after a member's transcript is recorded; `digest = keccak256(transcript)`.
    event TranscriptPosted(
        uint32 indexed ritualId, address indexed member, bytes32 digest, bytes transcript
    );
    /// @notice Emitted after a member's aggregation (digest of the aggregated transcript + DKG public key) is recorded.
    event AggregationPosted(
        uint32 indexed ritualId, address indexed member, bytes32 digest, bytes dkgPublicKey
    );
    /// @notice Emitted after every member posted the same aggregation; `dkgPublicKey` is now the DAO key.
    event RitualActivated(uint32 indexed ritualId, bytes dkgPublicKey);
    /// @notice Emitted after an aggregation disagreed with the first one; the ritual is INVALID.
    event RitualInvalidated(uint32 indexed ritualId, address indexed member);

    /// @notice The largest committee a ritual may have. Every member posts a transcript that every other member
    /// verifies and aggregates (quadratic work off chain, linear calldata on chain), and the scoring committee is
    /// iterated on chain when an epoch's seed is fixed; 64 keeps both bounded.
    // solhint-disable-next-line func-name-mixedcase
    function MAX_RITUAL_SIZE() external view returns (uint16);

    /// @notice Starts a ritual (owner only). Ids start at 1. `size` is 1..MAX_RITUAL_SIZE.
    function initiateRitual(uint16 size, uint16 threshold, uint32 timeoutSeconds)
        external
        returns (uint32 ritualId);

    /// @notice Records the caller's transcript (member, once, AWAITING_TRANSCRIPTS).
    function postTranscript(uint32 ritualId, bytes calldata transcript) external;

    /// @notice Records the caller's aggregation (member, once, AWAITING_AGGREGATIONS).
    function postAggregation(
        uint32 ritualId,
        bytes32 aggregatedTranscriptDigest,
        bytes calldata dkgPublicKey
    ) external;

    /// @notice The ritual's state (TIMEOUT once past its deadline without reaching ACTIVE/INVALID).
    function getRitualState(uint32 ritualId) external view returns (RitualState);

    /// @notice A summary of the ritual (state as in `getRitualState`).
    function getRitual(uint32 ritualId) external view returns (RitualInfo memory);

    /// @notice The committee, sorted ascending by address (empty for an unknown ritual).
    function getParticipants(uint32 ritualId) external view returns (address[] memory);

    /// @notice Whether `who` is in the ritual's committee.
    function isParticipant(uint32 ritualId, address who) external view returns (bool);

    /// @notice The ritual's decryption threshold (0 for an unknown ritual).
    function getThreshold(uint32 ritualId) external view returns (uint16);

    /// @notice The ritual's DKG public key; reverts unless ACTIVE.
    function getPublicKey(uint32 ritualId) external view returns (bytes memory);

    /// @notice The highest-numbered ACTIVE ritual (0 = none yet).
    function activeRitualId() external view returns (uint32);

    /// @notice The number of rituals initiated (also the highest id).
    function ritualCount() external view returns (uint32);

    /// @notice keccak256 of the member's transcript (0 if not posted).
    function transcriptDigest(uint32 ritualId, address member) external view returns (bytes32);
}
