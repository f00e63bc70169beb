// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/// @title IDatasetToken
/// @notice The Data DAO's ERC20 + ERC20Permit + ERC20Votes token (block-number clock).
/// Only the minter (the RewardDistributor) mints; it is set once by the deployer.
/// @dev Constructor: `constructor(string memory name, string memory symbol)`; the deploying
/// account (msg.sender of the constructor) is the only one allowed to call `setMinter`, once.
interface IDatasetToken is IERC20, IERC20Metadata, IERC20Permit, IVotes {
    /// @notice Thrown when someone other than the minter mints.
    error DatasetTokenNotMinter(address caller);
    /// @notice Thrown when someone other than the deployer sets the minter.
    error DatasetTokenNotDeployer(address caller);
    /// @notice Thrown when the minter has already been set.
    error DatasetTokenMinterAlreadySet(address minter);
    /// @notice Thrown when the zero address is given as minter.
    error DatasetTokenZeroMinter();

    /// @notice Emitted after the minter is set (once).
    event MinterSet(address indexed minter);

    /// @notice Mints `amount` to `to` (minter only). If `to` has no delegate, it is first
    /// self-delegated so the minted tokens carry votes.
    function mint(address to, uint256 amount) external;

    /// @notice Sets the minter (deployer only, once, non-zero).
    function setMinter(address minter_) external;

    /// @notice The minter (address(0) until set).
    function minter() external view returns (address);

    /// @notice The account allowed to call `setMinter` (address(0) once it has been called).
    function deployer() external view returns (address);
}
