// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EscrowFixtures} from "../utils/EscrowFixtures.sol";

/// @notice Fuzzed fee splitting.
contract RentalEscrowFuzzTest is EscrowFixtures {
    function setUp() public {
        deployFreshSystem();
    }

    /// @notice Holders' fee claims are their past-vote share of the fee, and together never exceed it.
    function testFuzz_claimFee_ProRataAndBounded(
        uint256[4] memory balances,
        uint256 fee,
        uint256 later
    ) public {
        address[] memory holders = new address[](4);
        for (uint256 i; i < 4; ++i) {
            holders[i] = makeAddr(string.concat("holder", vm.toString(i)));
            balances[i] = bound(balances[i], 1, 1e30);
            mintVotes(holders[i], balances[i]);
        }
        fee = bound(fee, 1, 1000 ether);
        rollTo(block.number + 1);
        uint256 reqId = requestAs(renter, fee, 0, 1, uint64(block.timestamp + 1 days));
        grantAsTimelock(reqId);
        uint256 grantBlock = block.number;
        rollTo(block.number + bound(later, 1, 1000));
        // moving tokens after the grant changes nobody's share
        vm.prank(holders[0]);
        sys.token.transfer(holders[1], balances[0]);

        uint256 supply = balances[0] + balances[1] + balances[2] + balances[3];
        uint256 paid;
        for (uint256 i; i < 4; ++i) {
            uint256 expected = fee * balances[i] / supply;
            assertEq(sys.token.getPastVotes(holders[i], grantBlock), balances[i]);
            if (expected == 0) continue;
            vm.prank(holders[i]);
            assertEq(sys.escrow.claimFee(reqId), expected);
            paid += expected;
        }
        assertLe(paid, fee);
        assertEq(address(sys.escrow).balance, fee - paid);
    }
}
