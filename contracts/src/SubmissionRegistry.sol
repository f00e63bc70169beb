// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IDatasetConfig} from "./interfaces/IDatasetConfig.sol";
import {IDKGCoordinator} from "./interfaces/IDKGCoordinator.sol";
import {ISubmissionRegistry} from "./interfaces/ISubmissionRegistry.sol";

/// @title SubmissionRegistry
/// @notice EIP-712 signed, relayable registration of sealed data files, per dataset and epoch.
contract SubmissionRegistry is ISubmissionRegistry, EIP712 {
    /// @inheritdoc ISubmissionRegistry
    bytes32 public constant SUBMISSION_TYPEHASH = keccak256(
        "Submission(address contributor,uint256 datasetId,bytes32 fileId,string cid,bytes32 headerHash,bytes32 contentCommitment,uint32 ritualId,uint64 epoch,uint256 nonce,uint256 deadline)"
    );

    /// @inheritdoc ISubmissionRegistry
    /// @dev 256 files keeps ScoreBoard.finalize (~228k + 26.2k·F + 74.6k·N + 1.7k·F·N gas, see
    /// contracts/README.md) near 23M gas with 32 validators, inside a 30M block.
    uint256 public constant MAX_FILES_PER_EPOCH = 256;

    IDatasetConfig private immutable _config;
    IDKGCoordinator private immutable _coordinator;

    mapping(bytes32 fileId => SubmissionRecord) private _records;
    mapping(uint256 datasetId => mapping(uint64 epoch => bytes32[])) private _epochFiles;
    mapping(uint256 datasetId => mapping(bytes32 contentCommitment => bytes32 fileId)) private
        _byCommitment;
    mapping(address contributor => mapping(uint256 nonce => bool)) private _nonceUsed;

    constructor(IDatasetConfig config_, IDKGCoordinator coordinator_)
        EIP712("DataDAO SubmissionRegistry", "1")
    {
        _config = config_;
        _coordinator = coordinator_;
    }

    /// @inheritdoc ISubmissionRegistry
    function submit(Submission calldata s, bytes calldata signature) external virtual {
        if (!_config.exists(s.datasetId)) revert SubmissionRegistryUnknownDataset(s.datasetId);
        // Signature deadlines are coarse (minutes to hours); a few seconds of proposer skew is harmless.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > s.deadline) {
            revert SubmissionRegistryExpired(s.deadline, block.timestamp);
        }
        if (bytes(s.cid).length == 0) revert SubmissionRegistryEmptyCid();
        if (s.fileId == bytes32(0)) revert SubmissionRegistryZeroFileId();
        uint64 current = _config.currentEpoch(s.datasetId);
        if (s.epoch != current) revert SubmissionRegistryWrongEpoch(s.epoch, current);
        uint32 active = _coordinator.activeRitualId();
        if (
            s.ritualId != active || active == 0
                || _coordinator.getRitualState(active) != IDKGCoordinator.RitualState.ACTIVE
        ) {
            revert SubmissionRegistryRitualNotActive(s.ritualId, active);
        }
        if (!SignatureChecker.isValidSignatureNowCalldata(
                s.contributor, hashSubmission(s), signature
            )) {
            revert SubmissionRegistryInvalidSignature(s.contributor);
        }
        if (_nonceUsed[s.contributor][s.nonce]) {
            revert SubmissionRegistryNonceUsed(s.contributor, s.nonce);
        }
        if (_records[s.fileId].contributor != address(0)) {
            revert SubmissionRegistryDuplicateFileId(s.fileId);
        }
        uint256 filed = _epochFiles[s.datasetId][s.epoch].length;
        if (filed >= MAX_FILES_PER_EPOCH) {
            revert SubmissionRegistryEpochFull(s.datasetId, s.epoch, MAX_FILES_PER_EPOCH);
        }
        bytes32 existing = _byCommitment[s.datasetId][s.contentCommitment];
        if (existing != bytes32(0)) {
            revert SubmissionRegistryDuplicateContent(s.datasetId, s.contentCommitment, existing);
        }

        _nonceUsed[s.contributor][s.nonce] = true;
        _byCommitment[s.datasetId][s.contentCommitment] = s.fileId;
        _epochFiles[s.datasetId][s.epoch].push(s.fileId);
        _records[s.fileId] = SubmissionRecord({
            contributor: s.contributor,
            datasetId: s.datasetId,
            epoch: s.epoch,
            ritualId: s.ritualId,
            registeredAt: uint64(block.number),
            headerHash: s.headerHash,
            contentCommitment: s.contentCommitment,
            cid: s.cid
        });
        emit SubmissionRegistered(
            s.datasetId,
            s.epoch,
            s.fileId,
            s.contributor,
            s.cid,
            s.headerHash,
            s.contentCommitment,
            s.ritualId
        );
    }

    /// @inheritdoc ISubmissionRegistry
    function invalidateNonce(uint256 nonce) external virtual {
        if (_nonceUsed[msg.sender][nonce]) revert SubmissionRegistryNonceUsed(msg.sender, nonce);
        _nonceUsed[msg.sender][nonce] = true;
        emit NonceInvalidated(msg.sender, nonce);
    }

    /// @inheritdoc ISubmissionRegistry
    function submissionOf(bytes32 fileId) external view virtual returns (SubmissionRecord memory) {
        SubmissionRecord storage r = _records[fileId];
        if (r.contributor == address(0)) revert SubmissionRegistryUnknownFile(fileId);
        return r;
    }

    /// @inheritdoc ISubmissionRegistry
    function epochFiles(uint256 datasetId, uint64 epoch)
        external
        view
        virtual
        returns (bytes32[] memory)
    {
        return _epochFiles[datasetId][epoch];
    }

    /// @inheritdoc ISubmissionRegistry
    function epochFileCount(uint256 datasetId, uint64 epoch)
        external
        view
        virtual
        returns (uint256)
    {
        return _epochFiles[datasetId][epoch].length;
    }

    /// @inheritdoc ISubmissionRegistry
    function nonceUsed(address contributor, uint256 nonce) external view virtual returns (bool) {
        return _nonceUsed[contributor][nonce];
    }

    /// @inheritdoc ISubmissionRegistry
    function fileIdByCommitment(uint256 datasetId, bytes32 contentCommitment)
        external
        view
        virtual
        returns (bytes32)
    {
        return _byCommitment[datasetId][contentCommitment];
    }

    /// @inheritdoc ISubmissionRegistry
    function hashSubmission(Submission calldata s) public view virtual returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    SUBMISSION_TYPEHASH,
                    s.contributor,
                    s.datasetId,
                    s.fileId,
                    keccak256(bytes(s.cid)),
                    s.headerHash,
                    s.contentCommitment,
                    s.ritualId,
                    s.epoch,
                    s.nonce,
                    s.deadline
                )
            )
        );
    }

    /// @inheritdoc ISubmissionRegistry
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view virtual returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice The dataset configuration this registry reads epochs from.
    function config() external view returns (IDatasetConfig) {
        return _config;
    }

    /// @notice The DKG coordinator whose active ritual submissions must be sealed to.
    function coordinator() external view returns (IDKGCoordinator) {
        return _coordinator;
    }
}
