// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAccessRegistry
/// @notice The record of granted dataset rentals. `grant(reqId)` is callable only by the timelock,
/// i.e. only as the result of a successful governance vote; validators read `isGranted` and
/// `inScope` on their own RPC before serving a decryption share to a renter.
/// @dev Constructor: `constructor(address timelock, address escrow, address submissionRegistry)`.
interface IAccessRegistry {
    /// @notice A granted rental.
    struct Access {
        address renter;
        uint64 fromEpoch;
        uint64 toEpoch;
        uint64 expiry; // unix timestamp; access ends after it
        uint64 grantedAtBlock;
        uint256 datasetId;
        bytes renterKey;
    }

    /// @notice Thrown when someone other than the timelock calls `grant`.
    error AccessRegistryNotTimelock(address caller);
    /// @notice Thrown when `access` is asked for a request that was never granted.
    error AccessRegistryNotGranted(uint256 reqId);
    /// @notice Thrown when a constructor address is zero.
    error AccessRegistryZeroAddress();
    /// @notice Thrown when `revoke` names a request that was never granted or is already revoked.
    error AccessRegistryNotRevocable(uint256 reqId);

    /// @notice Emitted after a rental is granted.
    event AccessGranted(
        uint256 indexed reqId,
        address indexed renter,
        uint256 indexed datasetId,
        uint64 fromEpoch,
        uint64 toEpoch,
        uint64 expiry,
        bytes renterKey
    );

    /// @notice Emitted after governance revokes a grant before its expiry.
    event AccessRevoked(uint256 indexed reqId, address indexed renter, uint256 indexed datasetId);

    /// @notice Grants request `reqId` (timelock only): records it and releases its fee in the escrow.
    /// @dev Reverts with the escrow's error if the request is unknown, not open or expired.
    function grant(uint256 reqId) external;

    /// @notice Revokes granted request `reqId` (timelock only, so only by a governance vote): from this
    /// block on `isGranted` and `inScope` answer false, and share services refuse the renter at their next
    /// chain read. For a leaked renter key or a renter who broke the terms; the fee stays with the holders.
    /// @dev Reverts `AccessRegistryNotRevocable` if the request was never granted or is already revoked.
    function revoke(uint256 reqId) external;

    /// @notice Whether `reqId` is granted, not revoked and not yet expired (`block.timestamp <= expiry`).
    function isGranted(uint256 reqId) external view returns (bool);

    /// @notice The block in which `reqId`'s grant was revoked (0: not revoked).
    function revokedAtBlock(uint256 reqId) external view returns (uint64);

    /// @notice The granted rental; reverts if `reqId` was never granted.
    function access(uint256 reqId) external view returns (Access memory);

    /// @notice Whether `fileId` may be decrypted for `reqId` now: the grant is live, the file is registered
    /// in the rented dataset and its epoch lies in `[fromEpoch, toEpoch]`. Unknown files are out of scope.
    function inScope(uint256 reqId, bytes32 fileId) external view returns (bool);

    /// @notice The only caller allowed to grant.
    function timelock() external view returns (address);

    /// @notice The escrow holding the requests.
    function escrow() external view returns (address);

    /// @notice The SubmissionRegistry used to resolve files.
    function submissionRegistry() external view returns (address);
}
