// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {IMockFlashBorrower} from "./MockFlashLender.sol";

/// @notice A flash borrower that self-delegates the borrowed tokens, records the votes it had
/// inside the loan, then repays (test only).
contract MockVotingBorrower is IMockFlashBorrower {
    using SafeERC20 for IERC20;

    uint256 public votesDuringLoan;
    uint256 public balanceDuringLoan;

    function onFlashLoan(IERC20 token, uint256 amount) external {
        IVotes(address(token)).delegate(address(this));
        votesDuringLoan = IVotes(address(token)).getVotes(address(this));
        balanceDuringLoan = token.balanceOf(address(this));
        token.safeTransfer(msg.sender, amount);
    }
}
