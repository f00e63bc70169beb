// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {DatasetToken} from "../../src/DatasetToken.sol";
import {MockFlashLender} from "../mocks/MockFlashLender.sol";
import {MockVotingBorrower} from "../mocks/MockVotingBorrower.sol";

contract DatasetTokenFuzzTest is Test {
    DatasetToken internal token;
    address internal minterAccount = makeAddr("rewardDistributor");

    function setUp() public {
        vm.roll(10);
        token = new DatasetToken("Data", "DATA");
        token.setMinter(minterAccount);
    }

    function testFuzz_mint_FirstMintCarriesVotes(address to, uint256 amount) public {
        to = address(uint160(bound(uint160(to), 1, type(uint160).max))); // ERC20 rejects address(0)
        amount = bound(amount, 1, type(uint208).max);
        vm.prank(minterAccount);
        token.mint(to, amount);
        assertEq(token.delegates(to), to);
        assertEq(token.getVotes(to), amount);
        vm.roll(11);
        assertEq(token.getPastVotes(to, 10), amount);
        assertEq(token.getPastTotalSupply(10), amount);
    }

    function testFuzz_transfer_VotesFollowBalancesOfSelfDelegates(
        uint256 a,
        uint256 b,
        uint256 moved
    ) public {
        address alice = makeAddr("alice");
        address bob = makeAddr("bob");
        a = bound(a, 1, type(uint128).max);
        b = bound(b, 1, type(uint128).max);
        moved = bound(moved, 0, a);
        vm.startPrank(minterAccount);
        token.mint(alice, a);
        token.mint(bob, b);
        vm.stopPrank();
        vm.prank(alice);
        assertTrue(token.transfer(bob, moved));
        assertEq(token.getVotes(alice), token.balanceOf(alice));
        assertEq(token.getVotes(bob), token.balanceOf(bob));
        assertEq(token.getVotes(alice) + token.getVotes(bob), a + b);
    }

    function testFuzz_getPastVotes_FlashLoanNeverCounts(
        uint256 supply,
        uint256 loan,
        uint256 blockNumber
    ) public {
        supply = bound(supply, 1, type(uint208).max);
        loan = bound(loan, 1, supply);
        blockNumber = bound(blockNumber, 11, type(uint32).max);
        MockFlashLender lender = new MockFlashLender(token);
        MockVotingBorrower borrower = new MockVotingBorrower();
        vm.prank(minterAccount);
        token.mint(address(lender), supply);
        vm.roll(blockNumber);
        lender.flashLoan(borrower, loan);
        assertEq(borrower.votesDuringLoan(), loan);
        vm.roll(blockNumber + 1);
        assertEq(token.getPastVotes(address(borrower), blockNumber), 0);
        assertEq(token.getPastVotes(address(lender), blockNumber), supply);
    }
}
