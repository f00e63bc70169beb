// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IDatasetConfig} from "./interfaces/IDatasetConfig.sol";
import {IDKGCoordinator} from "./interfaces/IDKGCoordinator.sol";
import {ISubmissionRegistry} from "./interfaces/ISubmissionRegistry.sol";

/// @title SubmissionRegistry
/// @notice EIP-712 signed, relayable, bonded registration of sealed data files, per dataset and epoch;
/// the file id is derived from the contributor and the sealed header. See {ISubmissionRegistry}.
contract SubmissionRegistry is ISubmissionRegistry, EIP712 {
    /// @inheritdoc ISubmissionRegistry
    bytes32 public constant SUBMISSION_TYPEHASH = keccak256(
        "Submission(address contributor,uint256 datasetId,string cid,bytes32 headerHash,bytes32 contentCommitment,uint32 ritualId,uint64 epoch,uint256 deadline)"
    );

    IDatasetConfig private immutable _config;
    IDKGCoordinator private immutable _coordinator;
    address private immutable _rewards;

    mapping(bytes32 fileId => SubmissionRecord) private _records;
    /// @dev keccak256(abi.encode(datasetId, contributor, contentCommitment)) => registered
    mapping(bytes32 key => bool) private _content;

    /// @dev `rewardDistributor_` is deployed after this contract (its address is predicted).
    constructor(IDatasetConfig config_, IDKGCoordinator coordinator_, address rewardDistributor_)
        EIP712("DataDAO SubmissionRegistry", "2")
    {
        _config = config_;
        _coordinator = coordinator_;
        _rewards = rewardDistributor_;
    }

    /// @inheritdoc ISubmissionRegistry
    function submit(Submission calldata s, bytes calldata signature)
        external
        payable
        virtual
        returns (bytes32 fileId)
    {
        uint256 bond = _checkSubmission(s);
        address contributor = s.contributor;
        if (!SignatureChecker.isValidSignatureNowCalldata(
                contributor, hashSubmission(s), signature
            )) {
            revert SubmissionRegistryInvalidSignature(contributor);
        }
        fileId = fileIdOf(contributor, s.headerHash);
        _record(s, fileId, bond);
        emit SubmissionRegistered(
            s.datasetId,
            s.epoch,
            fileId,
            contributor,
            s.cid,
            s.headerHash,
            s.contentCommitment,
            s.ritualId,
            bond
        );
    }

    /// @dev Everything about `s` but its signature and novelty; returns the bond it must pay.
    function _checkSubmission(Submission calldata s) private view returns (uint256 bond) {
        uint256 datasetId = s.datasetId;
        // The record keeps the id in 96 bits; DatasetConfig assigns ids sequentially from 1.
        if (datasetId > type(uint96).max || !_config.exists(datasetId)) {
            revert SubmissionRegistryUnknownDataset(datasetId);
        }
        // Signature deadlines are coarse (minutes to hours); a few seconds of proposer skew is harmless.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > s.deadline) {
            revert SubmissionRegistryExpired(s.deadline, block.timestamp);
        }
        if (bytes(s.cid).length == 0) revert SubmissionRegistryEmptyCid();
        uint64 current = _config.currentEpoch(datasetId);
        if (s.epoch != current) revert SubmissionRegistryWrongEpoch(s.epoch, current);
        uint32 active = _coordinator.activeRitualId();
        if (
            s.ritualId != active || active == 0
                || _coordinator.getRitualState(active) != IDKGCoordinator.RitualState.ACTIVE
        ) {
            revert SubmissionRegistryRitualNotActive(s.ritualId, active);
        }
        bond = _config.submissionBond(datasetId);
        if (msg.value != bond) revert SubmissionRegistryWrongBond(bond, msg.value);
    }

    /// @dev Refuses a replay (same derived id) and the contributor's own duplicate content; stores.
    function _record(Submission calldata s, bytes32 fileId, uint256 bond) private {
        if (_records[fileId].contributor != address(0)) {
            revert SubmissionRegistryDuplicateFileId(fileId);
        }
        bytes32 contentKey = keccak256(abi.encode(s.datasetId, s.contributor, s.contentCommitment));
        if (_content[contentKey]) {
            revert SubmissionRegistryDuplicateContent(
                s.datasetId, s.contributor, s.contentCommitment
            );
        }
        _content[contentKey] = true;
        // DatasetConfig assigns dataset ids sequentially from 1 and caps bonds at uint96.
        // forge-lint: disable-next-line(unsafe-typecast)
        _records[fileId] = SubmissionRecord({
            contributor: s.contributor,
            epoch: s.epoch,
            ritualId: s.ritualId,
            datasetId: uint96(s.datasetId),
            bond: uint96(bond),
            registeredAt: uint64(block.number)
        });
    }

    /// @inheritdoc ISubmissionRegistry
    function releaseBond(bytes32 fileId, address to) external virtual {
        if (msg.sender != _rewards) revert SubmissionRegistryNotRewardDistributor(msg.sender);
        SubmissionRecord storage r = _records[fileId];
        if (r.contributor == address(0)) revert SubmissionRegistryUnknownFile(fileId);
        uint256 amount = r.bond;
        if (amount == 0) return;
        r.bond = 0;
        emit BondReleased(fileId, to, amount);
        // The recipient is the file's contributor or the treasury, chosen by the distributor; a
        // contributor contract that refuses ETH only blocks its own claim.
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert SubmissionRegistryBondTransferFailed(fileId, to);
    }

    /// @inheritdoc ISubmissionRegistry
    function fileIdOf(address contributor, bytes32 headerHash) public pure returns (bytes32) {
        return keccak256(abi.encode(contributor, headerHash));
    }

    /// @inheritdoc ISubmissionRegistry
    function submissionOf(bytes32 fileId) external view virtual returns (SubmissionRecord memory) {
        SubmissionRecord storage r = _records[fileId];
        if (r.contributor == address(0)) revert SubmissionRegistryUnknownFile(fileId);
        return r;
    }

    /// @inheritdoc ISubmissionRegistry
    function exists(bytes32 fileId) external view returns (bool) {
        return _records[fileId].contributor != address(0);
    }

    /// @inheritdoc ISubmissionRegistry
    function contentSubmitted(uint256 datasetId, address contributor, bytes32 contentCommitment)
        external
        view
        returns (bool)
    {
        return _content[keccak256(abi.encode(datasetId, contributor, contentCommitment))];
    }

    /// @inheritdoc ISubmissionRegistry
    function hashSubmission(Submission calldata s) public view virtual returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    SUBMISSION_TYPEHASH,
                    s.contributor,
                    s.datasetId,
                    keccak256(bytes(s.cid)),
                    s.headerHash,
                    s.contentCommitment,
                    s.ritualId,
                    s.epoch,
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

    /// @inheritdoc ISubmissionRegistry
    function rewardDistributor() external view returns (address) {
        return _rewards;
    }

    /// @notice The dataset configuration this registry reads epochs and bonds from.
    function config() external view returns (IDatasetConfig) {
        return _config;
    }

    /// @notice The DKG coordinator whose active ritual submissions must be sealed to.
    function coordinator() external view returns (IDKGCoordinator) {
        return _coordinator;
    }
}
