// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {Votes} from "@openzeppelin/contracts/governance/utils/Votes.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {DatasetToken} from "../../src/DatasetToken.sol";
import {IDatasetToken} from "../../src/interfaces/IDatasetToken.sol";
import {MockFlashLender} from "../mocks/MockFlashLender.sol";
import {MockVotingBorrower} from "../mocks/MockVotingBorrower.sol";

contract DatasetTokenTest is Test {
    DatasetToken internal token;
    address internal deployerAccount = makeAddr("deployer");
    address internal minterAccount = makeAddr("rewardDistributor");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    function setUp() public {
        vm.roll(100);
        vm.prank(deployerAccount);
        token = new DatasetToken("Chat Data", "CHAT");
        vm.prank(deployerAccount);
        token.setMinter(minterAccount);
    }

    function _mint(address to, uint256 amount) internal {
        vm.prank(minterAccount);
        token.mint(to, amount);
    }

    // ---------------------------------------------------------------- metadata / clock

    function test_constructor_SetsMetadataAndBlockClock() public view {
        assertEq(token.name(), "Chat Data");
        assertEq(token.symbol(), "CHAT");
        assertEq(token.decimals(), 18);
        assertEq(token.clock(), 100);
        assertEq(token.CLOCK_MODE(), "mode=blocknumber&from=default");
    }

    // ---------------------------------------------------------------- setMinter

    function test_setMinter_SetsOnceAndForgetsDeployer() public {
        vm.prank(deployerAccount);
        DatasetToken fresh = new DatasetToken("T", "T");
        assertEq(fresh.deployer(), deployerAccount);
        vm.expectEmit(address(fresh));
        emit IDatasetToken.MinterSet(minterAccount);
        vm.prank(deployerAccount);
        fresh.setMinter(minterAccount);
        assertEq(fresh.minter(), minterAccount);
        assertEq(fresh.deployer(), address(0));
    }

    function test_setMinter_RevertWhen_AlreadySet() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IDatasetToken.DatasetTokenMinterAlreadySet.selector, minterAccount
            )
        );
        vm.prank(deployerAccount);
        token.setMinter(alice);
    }

    function test_setMinter_RevertWhen_CallerNotDeployer() public {
        vm.prank(deployerAccount);
        DatasetToken fresh = new DatasetToken("T", "T");
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetToken.DatasetTokenNotDeployer.selector, alice)
        );
        vm.prank(alice);
        fresh.setMinter(alice);
    }

    function test_setMinter_RevertWhen_ZeroMinter() public {
        vm.prank(deployerAccount);
        DatasetToken fresh = new DatasetToken("T", "T");
        vm.expectRevert(abi.encodeWithSelector(IDatasetToken.DatasetTokenZeroMinter.selector));
        vm.prank(deployerAccount);
        fresh.setMinter(address(0));
    }

    // ---------------------------------------------------------------- mint

    function test_mint_SelfDelegatesOnFirstMint() public {
        vm.expectEmit(address(token));
        emit IVotes.DelegateChanged(alice, address(0), alice);
        _mint(alice, 10 ether);
        assertEq(token.balanceOf(alice), 10 ether);
        assertEq(token.delegates(alice), alice);
        assertEq(token.getVotes(alice), 10 ether);
        assertEq(token.totalSupply(), 10 ether);
    }

    function test_mint_KeepsAnExistingDelegate() public {
        vm.prank(alice);
        token.delegate(bob);
        _mint(alice, 3 ether);
        assertEq(token.delegates(alice), bob);
        assertEq(token.getVotes(bob), 3 ether);
        assertEq(token.getVotes(alice), 0);
    }

    function test_mint_SecondMintAddsVotes() public {
        _mint(alice, 1 ether);
        _mint(alice, 2 ether);
        assertEq(token.getVotes(alice), 3 ether);
    }

    function test_mint_RevertWhen_CallerNotMinter() public {
        vm.expectRevert(abi.encodeWithSelector(IDatasetToken.DatasetTokenNotMinter.selector, alice));
        vm.prank(alice);
        token.mint(alice, 1);
    }

    function test_mint_RevertWhen_DeployerMints() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetToken.DatasetTokenNotMinter.selector, deployerAccount)
        );
        vm.prank(deployerAccount);
        token.mint(deployerAccount, 1);
    }

    function test_mint_RevertWhen_SupplyExceedsVotesCap() public {
        _mint(alice, type(uint208).max);
        vm.expectRevert(
            abi.encodeWithSelector(
                ERC20Votes.ERC20ExceededSafeSupply.selector,
                uint256(type(uint208).max) + 1,
                uint256(type(uint208).max)
            )
        );
        vm.prank(minterAccount);
        token.mint(bob, 1);
    }

    // ---------------------------------------------------------------- votes and transfers

    function test_transfer_MovesVotesBetweenDelegates() public {
        _mint(alice, 10 ether);
        _mint(bob, 1);
        vm.prank(alice);
        assertTrue(token.transfer(bob, 4 ether));
        assertEq(token.getVotes(alice), 6 ether);
        assertEq(token.getVotes(bob), 4 ether + 1);
    }

    function test_getPastVotes_UsesBlockCheckpoints() public {
        _mint(alice, 5 ether);
        vm.roll(101);
        _mint(alice, 5 ether);
        vm.roll(102);
        assertEq(token.getPastVotes(alice, 99), 0);
        assertEq(token.getPastVotes(alice, 100), 5 ether);
        assertEq(token.getPastVotes(alice, 101), 10 ether);
        assertEq(token.getPastTotalSupply(101), 10 ether);
    }

    function test_getPastVotes_RevertWhen_FutureLookup() public {
        vm.expectRevert(abi.encodeWithSelector(Votes.ERC5805FutureLookup.selector, 100, 100));
        token.getPastVotes(alice, 100);
    }

    /// A flash loan received, delegated and repaid inside block N carries no votes at N: the
    /// checkpoint for N holds the end-of-block balance.
    function test_getPastVotes_FlashLoanInBlockNCarriesNoVotes() public {
        MockFlashLender lender = new MockFlashLender(token);
        MockVotingBorrower borrower = new MockVotingBorrower();
        _mint(address(lender), 1_000 ether);
        _mint(alice, 1 ether);

        vm.roll(200);
        lender.flashLoan(borrower, 1_000 ether);
        assertEq(borrower.balanceDuringLoan(), 1_000 ether);
        assertEq(borrower.votesDuringLoan(), 1_000 ether); // it really held and delegated the tokens
        assertEq(token.balanceOf(address(borrower)), 0);

        vm.roll(201);
        assertEq(token.getPastVotes(address(borrower), 200), 0);
        assertEq(token.getPastVotes(address(borrower), 199), 0);
        assertEq(token.getPastVotes(address(lender), 200), 1_000 ether);
        assertEq(token.getPastTotalSupply(200), 1_001 ether);
    }

    /// Tokens bought (transferred in) and delegated in block N carry no votes for a snapshot at N-1.
    function test_getPastVotes_TokensAcquiredAfterSnapshotCarryNoVotes() public {
        _mint(alice, 10 ether);
        vm.roll(300);
        vm.prank(alice);
        assertTrue(token.transfer(bob, 10 ether));
        vm.prank(bob);
        token.delegate(bob);
        vm.roll(301);
        assertEq(token.getPastVotes(bob, 299), 0);
        assertEq(token.getPastVotes(alice, 299), 10 ether);
        assertEq(token.getPastVotes(bob, 300), 10 ether);
    }

    // ---------------------------------------------------------------- permit

    function test_permit_SetsAllowanceFromSignature() public {
        (address holder, uint256 pk) = makeAddrAndKey("holder");
        _mint(holder, 1 ether);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
                ),
                holder,
                bob,
                1 ether,
                0,
                deadline
            )
        );
        bytes32 digest =
            keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        token.permit(holder, bob, 1 ether, deadline, v, r, s);
        assertEq(token.allowance(holder, bob), 1 ether);
        assertEq(token.nonces(holder), 1);
    }

    function test_permit_RevertWhen_Expired() public {
        (address holder, uint256 pk) = makeAddrAndKey("holder");
        vm.warp(1000);
        bytes32 digest =
            keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), bytes32(0)));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, 999));
        token.permit(holder, bob, 1, 999, v, r, s);
    }
}
