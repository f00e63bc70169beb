// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IDKGCoordinator} from "./interfaces/IDKGCoordinator.sol";
import {IValidatorStaking} from "./interfaces/IValidatorStaking.sol";

/// @title DKGCoordinator
/// @notice Ferveo DKG rituals among the top staked validators (modelled on TACo's Coordinator).
/// @dev Transcripts are only hashed and emitted (the bytes live in calldata and logs); the chain
/// never verifies Ferveo cryptography, it only checks that every member agrees on the aggregate.
contract DKGCoordinator is IDKGCoordinator, Ownable {
    /// @inheritdoc IDKGCoordinator
    uint16 public constant MAX_RITUAL_SIZE = 64;

    struct Ritual {
        uint16 size;
        uint16 threshold;
        uint16 transcriptCount;
        uint16 aggregationCount;
        uint64 initTimestamp;
        uint64 deadline;
        bool invalid;
        bool active;
        bytes32 aggregatedTranscriptDigest;
        bytes32 publicKeyHash;
        bytes publicKey;
        address[] participants;
    }

    struct Member {
        bool isMember;
        bool aggregated;
        bytes32 transcriptDigest;
    }

    IValidatorStaking private immutable _staking;

    uint32 private _ritualCount;
    uint32 private _activeRitualId;
    mapping(uint32 ritualId => Ritual) private _rituals;
    mapping(uint32 ritualId => mapping(address member => Member)) private _members;

    constructor(address initialOwner, IValidatorStaking staking_) Ownable(initialOwner) {
        _staking = staking_;
    }

    /// @inheritdoc IDKGCoordinator
    function initiateRitual(uint16 size, uint16 threshold, uint32 timeoutSeconds)
        external
        virtual
        onlyOwner
        returns (uint32 ritualId)
    {
        if (size == 0 || size > MAX_RITUAL_SIZE) revert DKGCoordinatorInvalidSize(size);
        if (threshold == 0 || threshold > size) {
            revert DKGCoordinatorInvalidThreshold(threshold, size);
        }
        if (timeoutSeconds == 0) revert DKGCoordinatorZeroTimeout();
        address[] memory committee = _selectCommittee(size);

        ritualId = ++_ritualCount;
        Ritual storage r = _rituals[ritualId];
        uint64 deadline = uint64(block.timestamp) + timeoutSeconds;
        r.size = size;
        r.threshold = threshold;
        r.initTimestamp = uint64(block.timestamp);
        r.deadline = deadline;
        r.participants = committee;
        mapping(address => Member) storage members = _members[ritualId];
        for (uint256 i = 0; i < committee.length; ++i) {
            members[committee[i]].isMember = true;
        }
        emit RitualInitiated(ritualId, committee, threshold, deadline);
    }

    /// @inheritdoc IDKGCoordinator
    function postTranscript(uint32 ritualId, bytes calldata transcript) external virtual {
        Ritual storage r = _rituals[ritualId];
        RitualState state = _state(r);
        if (state != RitualState.AWAITING_TRANSCRIPTS) {
            revert DKGCoordinatorInvalidState(ritualId, state);
        }
        Member storage m = _members[ritualId][msg.sender];
        if (!m.isMember) revert DKGCoordinatorNotParticipant(ritualId, msg.sender);
        if (m.transcriptDigest != bytes32(0)) {
            revert DKGCoordinatorTranscriptAlreadyPosted(ritualId, msg.sender);
        }
        if (transcript.length == 0) revert DKGCoordinatorEmptyTranscript();

        bytes32 digest = keccak256(transcript);
        m.transcriptDigest = digest;
        ++r.transcriptCount;
        emit TranscriptPosted(ritualId, msg.sender, digest, transcript);
    }

    /// @inheritdoc IDKGCoordinator
    function postAggregation(
        uint32 ritualId,
        bytes32 aggregatedTranscriptDigest,
        bytes calldata dkgPublicKey
    ) external virtual {
        Ritual storage r = _rituals[ritualId];
        RitualState state = _state(r);
        if (state != RitualState.AWAITING_AGGREGATIONS) {
            revert DKGCoordinatorInvalidState(ritualId, state);
        }
        Member storage m = _members[ritualId][msg.sender];
        if (!m.isMember) revert DKGCoordinatorNotParticipant(ritualId, msg.sender);
        if (m.aggregated) revert DKGCoordinatorAggregationAlreadyPosted(ritualId, msg.sender);
        if (dkgPublicKey.length == 0) revert DKGCoordinatorEmptyPublicKey();

        m.aggregated = true;
        bytes32 keyHash = keccak256(dkgPublicKey);
        if (r.aggregationCount == 0) {
            r.aggregatedTranscriptDigest = aggregatedTranscriptDigest;
            r.publicKeyHash = keyHash;
        }
        ++r.aggregationCount;
        if (
            aggregatedTranscriptDigest != r.aggregatedTranscriptDigest || keyHash != r.publicKeyHash
        ) {
            r.invalid = true;
            emit AggregationPosted(ritualId, msg.sender, aggregatedTranscriptDigest, dkgPublicKey);
            emit RitualInvalidated(ritualId, msg.sender);
            return;
        }
        if (r.aggregationCount == r.size) {
            r.active = true;
            r.publicKey = dkgPublicKey;
            if (ritualId > _activeRitualId) _activeRitualId = ritualId;
            emit AggregationPosted(ritualId, msg.sender, aggregatedTranscriptDigest, dkgPublicKey);
            emit RitualActivated(ritualId, dkgPublicKey);
            return;
        }
        emit AggregationPosted(ritualId, msg.sender, aggregatedTranscriptDigest, dkgPublicKey);
    }

    /// @inheritdoc IDKGCoordinator
    function getRitualState(uint32 ritualId) external view virtual returns (RitualState) {
        return _state(_rituals[ritualId]);
    }

    /// @inheritdoc IDKGCoordinator
    function getRitual(uint32 ritualId) external view virtual returns (RitualInfo memory) {
        Ritual storage r = _rituals[ritualId];
        return RitualInfo({
            state: _state(r),
            size: r.size,
            threshold: r.threshold,
            transcriptCount: r.transcriptCount,
            aggregationCount: r.aggregationCount,
            initTimestamp: r.initTimestamp,
            deadline: r.deadline,
            aggregatedTranscriptDigest: r.aggregatedTranscriptDigest
        });
    }

    /// @inheritdoc IDKGCoordinator
    function getParticipants(uint32 ritualId) external view virtual returns (address[] memory) {
        return _rituals[ritualId].participants;
    }

    /// @inheritdoc IDKGCoordinator
    function isParticipant(uint32 ritualId, address who) external view virtual returns (bool) {
        return _members[ritualId][who].isMember;
    }

    /// @inheritdoc IDKGCoordinator
    function getThreshold(uint32 ritualId) external view virtual returns (uint16) {
        return _rituals[ritualId].threshold;
    }

    /// @inheritdoc IDKGCoordinator
    function getPublicKey(uint32 ritualId) external view virtual returns (bytes memory) {
        Ritual storage r = _rituals[ritualId];
        RitualState state = _state(r);
        if (state != RitualState.ACTIVE) revert DKGCoordinatorRitualNotActive(ritualId, state);
        return r.publicKey;
    }

    /// @inheritdoc IDKGCoordinator
    function activeRitualId() external view virtual returns (uint32) {
        return _activeRitualId;
    }

    /// @inheritdoc IDKGCoordinator
    function ritualCount() external view virtual returns (uint32) {
        return _ritualCount;
    }

    /// @inheritdoc IDKGCoordinator
    function transcriptDigest(uint32 ritualId, address member)
        external
        view
        virtual
        returns (bytes32)
    {
        return _members[ritualId][member].transcriptDigest;
    }

    /// @notice The staking contract committees are drawn from.
    function staking() external view returns (IValidatorStaking) {
        return _staking;
    }

    function _state(Ritual storage r) internal view returns (RitualState) {
        if (r.size == 0) return RitualState.NONE;
        if (r.invalid) return RitualState.INVALID;
        if (r.active) return RitualState.ACTIVE;
        // A validator can skew the timestamp by seconds; ritual timeouts are hours (README: timeout by timestamp).
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > r.deadline) return RitualState.TIMEOUT;
        if (r.transcriptCount < r.size) return RitualState.AWAITING_TRANSCRIPTS;
        return RitualState.AWAITING_AGGREGATIONS;
    }

    /// @dev The `size` eligible validators with the largest stake (ties: lower address), sorted by address.
    /// O(n * size) with n registered validators; committees and validator sets are small.
    function _selectCommittee(uint16 size) internal view returns (address[] memory top) {
        address[] memory candidates = _staking.validators();
        uint256 minStake = _staking.minStake();
        top = new address[](size);
        uint256[] memory topStake = new uint256[](size);
        uint256 count = 0;
        for (uint256 i = 0; i < candidates.length; ++i) {
            address c = candidates[i];
            uint256 s = _staking.stakeOf(c);
            if (s == 0 || s < minStake) continue;
            uint256 pos;
            if (count < size) {
                pos = count++;
            } else if (_ranksBefore(s, c, topStake[size - 1], top[size - 1])) {
                pos = size - 1;
            } else {
                continue;
            }
            // insertion step: move better candidates' slots down until c's place is found
            while (pos > 0 && _ranksBefore(s, c, topStake[pos - 1], top[pos - 1])) {
                top[pos] = top[pos - 1];
                topStake[pos] = topStake[pos - 1];
                --pos;
            }
            top[pos] = c;
            topStake[pos] = s;
        }
        if (count < size) revert DKGCoordinatorNotEnoughValidators(count, size);
        // insertion sort by address ascending (the Ferveo share order)
        for (uint256 i = 1; i < size; ++i) {
            address a = top[i];
            uint256 j = i;
            while (j > 0 && top[j - 1] > a) {
                top[j] = top[j - 1];
                --j;
            }
            top[j] = a;
        }
    }

    function _ranksBefore(uint256 stakeA, address a, uint256 stakeB, address b)
        private
        pure
        returns (bool)
    {
        return stakeA > stakeB || (stakeA == stakeB && a < b);
    }
}
