// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessRegistry} from "./interfaces/IAccessRegistry.sol";
import {IRentalEscrow} from "./interfaces/IRentalEscrow.sol";
import {ISubmissionRegistry} from "./interfaces/ISubmissionRegistry.sol";

/// @title AccessRegistry
/// @notice Records rentals granted by governance. See {IAccessRegistry}.
/// @dev The escrow is the single source of truth for a request's lifecycle: `grant` asks it to mark the
/// request granted (it reverts unless the request is open and unexpired), then copies the request here.
contract AccessRegistry is IAccessRegistry {
    address private immutable _timelock;
    IRentalEscrow private immutable _escrow;
    ISubmissionRegistry private immutable _registry;

    mapping(uint256 reqId => Access) private _access;
    mapping(uint256 reqId => uint64 blockNumber) private _revokedAt;

    constructor(address timelock_, address escrow_, address submissionRegistry_) {
        if (timelock_ == address(0) || escrow_ == address(0) || submissionRegistry_ == address(0)) {
            revert AccessRegistryZeroAddress();
        }
        _timelock = timelock_;
        _escrow = IRentalEscrow(escrow_);
        _registry = ISubmissionRegistry(submissionRegistry_);
    }

    /// @inheritdoc IAccessRegistry
    function grant(uint256 reqId) external virtual {
        if (msg.sender != _timelock) revert AccessRegistryNotTimelock(msg.sender);
        // The escrow is trusted (immutable, ours): it checks the request is open and unexpired and flips it
        // to Granted, so a request can be granted at most once.
        IRentalEscrow.Request memory r = _escrow.onGranted(reqId);
        _access[reqId] = Access({
            renter: r.renter,
            fromEpoch: r.fromEpoch,
            toEpoch: r.toEpoch,
            expiry: r.expiry,
            grantedAtBlock: uint64(block.number),
            datasetId: r.datasetId,
            renterKey: r.renterKey
        });
        emit AccessGranted(
            reqId, r.renter, r.datasetId, r.fromEpoch, r.toEpoch, r.expiry, r.renterKey
        );
    }

    /// @inheritdoc IAccessRegistry
    function revoke(uint256 reqId) external virtual {
        if (msg.sender != _timelock) revert AccessRegistryNotTimelock(msg.sender);
        Access storage a = _access[reqId];
        if (a.grantedAtBlock == 0 || _revokedAt[reqId] != 0) {
            revert AccessRegistryNotRevocable(reqId);
        }
        _revokedAt[reqId] = uint64(block.number);
        emit AccessRevoked(reqId, a.renter, a.datasetId);
    }

    /// @inheritdoc IAccessRegistry
    function isGranted(uint256 reqId) public view virtual returns (bool) {
        Access storage a = _access[reqId];
        // Expiry is a wall-clock rental term; a few seconds of proposer skew are irrelevant.
        // forge-lint: disable-next-line(block-timestamp)
        return a.grantedAtBlock != 0 && _revokedAt[reqId] == 0 && block.timestamp <= a.expiry;
    }

    /// @inheritdoc IAccessRegistry
    function revokedAtBlock(uint256 reqId) external view virtual returns (uint64) {
        return _revokedAt[reqId];
    }

    /// @inheritdoc IAccessRegistry
    function access(uint256 reqId) external view virtual returns (Access memory) {
        Access memory a = _access[reqId];
        // An existence check (never granted), not a balance comparison.
        // slither-disable-next-line incorrect-equality
        if (a.grantedAtBlock == 0) revert AccessRegistryNotGranted(reqId);
        return a;
    }

    /// @inheritdoc IAccessRegistry
    function inScope(uint256 reqId, bytes32 fileId) external view virtual returns (bool) {
        if (!isGranted(reqId)) return false;
        Access storage a = _access[reqId];
        try _registry.submissionOf(fileId) returns (
            ISubmissionRegistry.SubmissionRecord memory rec
        ) {
            return rec.datasetId == a.datasetId && rec.epoch >= a.fromEpoch
                && rec.epoch <= a.toEpoch;
        } catch {
            return false; // unknown file: fail closed
        }
    }

    /// @inheritdoc IAccessRegistry
    function timelock() external view returns (address) {
        return _timelock;
    }

    /// @inheritdoc IAccessRegistry
    function escrow() external view returns (address) {
        return address(_escrow);
    }

    /// @inheritdoc IAccessRegistry
    function submissionRegistry() external view returns (address) {
        return address(_registry);
    }
}
