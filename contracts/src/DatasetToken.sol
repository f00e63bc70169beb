// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IDatasetToken} from "./interfaces/IDatasetToken.sol";

/// @title DatasetToken
/// @notice The Data DAO's reward and governance token. Votes use the block-number clock, so a
/// balance acquired in block N only counts for `getPastVotes(·, N)` if still held at the end of N.
contract DatasetToken is ERC20, ERC20Permit, ERC20Votes, IDatasetToken {
    address private _deployer;
    address private _minter;

    constructor(string memory name_, string memory symbol_)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
    {
        _deployer = msg.sender;
    }

    /// @inheritdoc IDatasetToken
    function setMinter(address minter_) external virtual {
        if (msg.sender != _deployer) {
            if (_minter != address(0)) revert DatasetTokenMinterAlreadySet(_minter);
            revert DatasetTokenNotDeployer(msg.sender);
        }
        if (minter_ == address(0)) revert DatasetTokenZeroMinter();
        _minter = minter_;
        _deployer = address(0);
        emit MinterSet(minter_);
    }

    /// @inheritdoc IDatasetToken
    function mint(address to, uint256 amount) external virtual {
        if (msg.sender != _minter) revert DatasetTokenNotMinter(msg.sender);
        if (to != address(0) && delegates(to) == address(0)) _delegate(to, to);
        _mint(to, amount);
    }

    /// @inheritdoc IDatasetToken
    function minter() external view virtual returns (address) {
        return _minter;
    }

    /// @inheritdoc IDatasetToken
    function deployer() external view virtual returns (address) {
        return _deployer;
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner)
        public
        view
        virtual
        override(ERC20Permit, IERC20Permit, Nonces)
        returns (uint256)
    {
        return super.nonces(owner);
    }

    function _update(address from, address to, uint256 value)
        internal
        virtual
        override(ERC20, ERC20Votes)
    {
        super._update(from, to, value);
    }
}
