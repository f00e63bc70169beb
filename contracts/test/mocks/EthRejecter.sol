// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev Test-only: an account that refuses ETH, to exercise failed-transfer paths.
contract EthRejecter {
    receive() external payable {
        revert("no ETH");
    }
}
