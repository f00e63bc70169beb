// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @notice Receives a flash loan and must give the tokens back before `flashLoan` returns.
interface IMockFlashBorrower {
    function onFlashLoan(IERC20 token, uint256 amount) external;
}

/// @notice A minimal same-transaction lender of an ERC20 balance it holds (test only).
contract MockFlashLender {
    using SafeERC20 for IERC20;

    /// @notice Thrown when the borrower did not return the full amount.
    error MockFlashLenderNotRepaid(uint256 expected, uint256 actual);

    IERC20 public immutable token;

    constructor(IERC20 token_) {
        token = token_;
    }

    function flashLoan(IMockFlashBorrower borrower, uint256 amount) external {
        uint256 before = token.balanceOf(address(this));
        token.safeTransfer(address(borrower), amount);
        borrower.onFlashLoan(token, amount);
        uint256 afterBalance = token.balanceOf(address(this));
        if (afterBalance < before) revert MockFlashLenderNotRepaid(before, afterBalance);
    }
}
