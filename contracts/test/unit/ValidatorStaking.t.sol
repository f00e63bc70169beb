// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ValidatorStaking} from "../../src/ValidatorStaking.sol";
import {IValidatorStaking} from "../../src/interfaces/IValidatorStaking.sol";
import {MockStakingActor} from "../mocks/MockStakingActor.sol";

contract ValidatorStakingTest is Test {
    ValidatorStaking internal staking;
    address internal owner = makeAddr("timelock");
    address internal treasury = makeAddr("treasury");
    address internal module = makeAddr("scoreBoard");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    uint256 internal constant MIN_STAKE = 1 ether;
    uint64 internal constant UNBONDING = 100;
    bytes internal constant KEY = hex"a1b2c3";

    function setUp() public {
        vm.roll(10);
        staking = new ValidatorStaking(owner, treasury, MIN_STAKE, UNBONDING);
        vm.prank(owner);
        staking.setFaultModule(module, true);
        vm.deal(alice, 100 ether);
        vm.deal(bob, 100 ether);
    }

    function _stake(address who, uint256 amount) internal {
        vm.prank(who);
        staking.stake{value: amount}();
    }

    function _stakeAndRegister(address who, uint256 amount) internal {
        _stake(who, amount);
        vm.prank(who);
        staking.register(KEY, "https://share.example");
    }

    // ---------------------------------------------------------------- constructor

    function test_constructor_SetsParameters() public view {
        assertEq(staking.owner(), owner);
        assertEq(staking.treasury(), treasury);
        assertEq(staking.minStake(), MIN_STAKE);
        assertEq(staking.unbondingBlocks(), UNBONDING);
        assertEq(staking.totalStaked(), 0);
    }

    function test_constructor_RevertWhen_ZeroTreasury() public {
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingZeroAddress.selector)
        );
        new ValidatorStaking(owner, address(0), MIN_STAKE, UNBONDING);
    }

    function test_constructor_RevertWhen_ZeroUnbonding() public {
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingZeroUnbonding.selector)
        );
        new ValidatorStaking(owner, treasury, MIN_STAKE, 0);
    }

    // ---------------------------------------------------------------- stake

    function test_stake_AddsToActiveStakeAndTotal() public {
        vm.expectEmit(address(staking));
        emit IValidatorStaking.Staked(alice, 2 ether, 2 ether);
        _stake(alice, 2 ether);
        _stake(alice, 1 ether);
        _stake(bob, 5 ether);
        assertEq(staking.stakeOf(alice), 3 ether);
        assertEq(staking.totalStaked(), 8 ether);
        assertEq(address(staking).balance, 8 ether);
    }

    function test_stake_RevertWhen_ZeroValue() public {
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingZeroAmount.selector)
        );
        _stake(alice, 0);
    }

    // ---------------------------------------------------------------- register

    function test_register_RecordsKeysOnceInValidatorList() public {
        _stake(alice, MIN_STAKE);
        vm.expectEmit(address(staking));
        emit IValidatorStaking.ValidatorRegistered(alice, KEY, "https://a");
        vm.prank(alice);
        staking.register(KEY, "https://a");
        vm.prank(alice);
        staking.register(hex"ff", "https://b");
        IValidatorStaking.ValidatorInfo memory info = staking.validatorInfo(alice);
        assertTrue(info.registered);
        assertEq(info.ferveoPublicKey, hex"ff");
        assertEq(info.shareServiceUrl, "https://b");
        assertEq(info.stake, MIN_STAKE);
        address[] memory list = staking.validators();
        assertEq(list.length, 1);
        assertEq(list[0], alice);
    }

    function test_register_RevertWhen_BelowMinStake() public {
        _stake(alice, MIN_STAKE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValidatorStaking.ValidatorStakingBelowMinStake.selector, MIN_STAKE - 1, MIN_STAKE
            )
        );
        vm.prank(alice);
        staking.register(KEY, "");
    }

    function test_register_RevertWhen_NoStakeEvenIfMinStakeZero() public {
        vm.prank(owner);
        staking.setMinStake(0);
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingBelowMinStake.selector, 0, 0)
        );
        vm.prank(alice);
        staking.register(KEY, "");
    }

    function test_register_RevertWhen_EmptyPublicKey() public {
        _stake(alice, MIN_STAKE);
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingEmptyPublicKey.selector)
        );
        vm.prank(alice);
        staking.register("", "https://a");
    }

    // ---------------------------------------------------------------- requestUnstake

    function test_requestUnstake_MovesStakeToUnbonding() public {
        _stakeAndRegister(alice, 5 ether);
        vm.expectEmit(address(staking));
        emit IValidatorStaking.UnstakeRequested(alice, 2 ether, 10 + UNBONDING);
        vm.prank(alice);
        staking.requestUnstake(2 ether);
        IValidatorStaking.ValidatorInfo memory info = staking.validatorInfo(alice);
        assertEq(info.stake, 3 ether);
        assertEq(info.unbonding, 2 ether);
        assertEq(info.unbondingReleaseBlock, 10 + UNBONDING);
        assertEq(staking.totalStaked(), 3 ether);
        assertEq(address(staking).balance, 5 ether);
    }

    function test_requestUnstake_SecondRequestResetsReleaseBlock() public {
        _stake(alice, 5 ether);
        vm.prank(alice);
        staking.requestUnstake(1 ether);
        vm.roll(50);
        vm.prank(alice);
        staking.requestUnstake(1 ether);
        IValidatorStaking.ValidatorInfo memory info = staking.validatorInfo(alice);
        assertEq(info.unbonding, 2 ether);
        assertEq(info.unbondingReleaseBlock, 50 + UNBONDING);
    }

    function test_requestUnstake_RevertWhen_ZeroAmount() public {
        _stake(alice, 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingZeroAmount.selector)
        );
        vm.prank(alice);
        staking.requestUnstake(0);
    }

    function test_requestUnstake_RevertWhen_MoreThanStake() public {
        _stake(alice, 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValidatorStaking.ValidatorStakingInsufficientStake.selector, 1 ether + 1, 1 ether
            )
        );
        vm.prank(alice);
        staking.requestUnstake(1 ether + 1);
    }

    // ---------------------------------------------------------------- withdraw

    function test_withdraw_PaysMaturedUnbonding() public {
        _stake(alice, 5 ether);
        vm.prank(alice);
        staking.requestUnstake(2 ether);
        vm.roll(10 + UNBONDING);
        uint256 before = alice.balance;
        vm.expectEmit(address(staking));
        emit IValidatorStaking.Withdrawn(alice, 2 ether);
        vm.prank(alice);
        staking.withdraw();
        assertEq(alice.balance, before + 2 ether);
        assertEq(staking.validatorInfo(alice).unbonding, 0);
        assertEq(staking.validatorInfo(alice).unbondingReleaseBlock, 0);
        assertEq(address(staking).balance, 3 ether);
    }

    function test_withdraw_RevertWhen_NothingUnbonding() public {
        _stake(alice, 5 ether);
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingNothingToWithdraw.selector)
        );
        vm.prank(alice);
        staking.withdraw();
    }

    function test_withdraw_RevertWhen_StillUnbonding() public {
        _stake(alice, 5 ether);
        vm.prank(alice);
        staking.requestUnstake(2 ether);
        vm.roll(10 + UNBONDING - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValidatorStaking.ValidatorStakingStillUnbonding.selector,
                10 + UNBONDING,
                10 + UNBONDING - 1
            )
        );
        vm.prank(alice);
        staking.withdraw();
    }

    function test_withdraw_RevertWhen_TransferFails() public {
        MockStakingActor actor = new MockStakingActor(staking);
        actor.stake{value: 2 ether}();
        actor.requestUnstake(2 ether);
        actor.setMode(MockStakingActor.Mode.REJECT);
        vm.roll(10 + UNBONDING);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValidatorStaking.ValidatorStakingTransferFailed.selector, address(actor), 2 ether
            )
        );
        actor.withdraw();
    }

    function test_withdraw_RevertWhen_Reentered() public {
        MockStakingActor actor = new MockStakingActor(staking);
        actor.stake{value: 2 ether}();
        actor.requestUnstake(2 ether);
        actor.setMode(MockStakingActor.Mode.REENTER_WITHDRAW);
        vm.roll(10 + UNBONDING);
        actor.withdraw();
        assertEq(actor.received(), 2 ether); // paid exactly once
        assertEq(
            actor.reentryRevertData(),
            abi.encodeWithSelector(ReentrancyGuard.ReentrancyGuardReentrantCall.selector)
        );
        assertEq(address(staking).balance, 0);
    }

    // ---------------------------------------------------------------- slash

    function test_slash_TakesActiveStakeFirst() public {
        _stake(alice, 5 ether);
        vm.prank(alice);
        staking.requestUnstake(2 ether);
        vm.expectEmit(address(staking));
        emit IValidatorStaking.Slashed(alice, module, 2 ether, 2 ether, 0, "nonreveal");
        vm.prank(module);
        staking.slash(alice, 2 ether, "nonreveal");
        assertEq(staking.stakeOf(alice), 1 ether);
        assertEq(staking.validatorInfo(alice).unbonding, 2 ether);
        assertEq(staking.totalStaked(), 1 ether);
        assertEq(staking.pendingSlashed(), 2 ether);
    }

    function test_slash_ThenTakesUnbonding() public {
        _stake(alice, 5 ether);
        vm.prank(alice);
        staking.requestUnstake(2 ether);
        vm.expectEmit(address(staking));
        emit IValidatorStaking.Slashed(alice, module, 4 ether, 3 ether, 1 ether, "fault");
        vm.prank(module);
        staking.slash(alice, 4 ether, "fault");
        assertEq(staking.stakeOf(alice), 0);
        assertEq(staking.validatorInfo(alice).unbonding, 1 ether);
        assertEq(staking.pendingSlashed(), 4 ether);
    }

    function test_slash_CapsAtWhatExists() public {
        _stake(alice, 1 ether);
        vm.prank(module);
        staking.slash(alice, 50 ether, "fault");
        assertEq(staking.pendingSlashed(), 1 ether);
        assertEq(staking.stakeOf(alice), 0);
        assertEq(address(staking).balance, 1 ether);
    }

    function test_slash_ZeroAmountIsNoOp() public {
        _stake(alice, 1 ether);
        vm.recordLogs();
        vm.prank(module);
        staking.slash(alice, 0, "fault");
        assertEq(vm.getRecordedLogs().length, 0);
        assertEq(staking.stakeOf(alice), 1 ether);
    }

    function test_slash_RevertWhen_CallerNotFaultModule() public {
        _stake(alice, 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingNotFaultModule.selector, bob)
        );
        vm.prank(bob);
        staking.slash(alice, 1, "fault");
    }

    function test_slash_RevertWhen_ModuleRemoved() public {
        vm.prank(owner);
        staking.setFaultModule(module, false);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValidatorStaking.ValidatorStakingNotFaultModule.selector, module
            )
        );
        vm.prank(module);
        staking.slash(alice, 1, "fault");
    }

    function test_slash_PreventsWithdrawingSlashedUnbonding() public {
        _stake(alice, 2 ether);
        vm.prank(alice);
        staking.requestUnstake(2 ether);
        vm.prank(module);
        staking.slash(alice, 2 ether, "fault");
        vm.roll(10 + UNBONDING);
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingNothingToWithdraw.selector)
        );
        vm.prank(alice);
        staking.withdraw();
    }

    // ---------------------------------------------------------------- releaseSlashed

    function test_releaseSlashed_PaysTreasury() public {
        _stake(alice, 3 ether);
        vm.prank(module);
        staking.slash(alice, 2 ether, "fault");
        vm.expectEmit(address(staking));
        emit IValidatorStaking.SlashedFundsReleased(treasury, 2 ether);
        vm.prank(bob);
        staking.releaseSlashed();
        assertEq(treasury.balance, 2 ether);
        assertEq(staking.pendingSlashed(), 0);
        assertEq(address(staking).balance, 1 ether);
    }

    function test_releaseSlashed_RevertWhen_NothingPending() public {
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingNothingToRelease.selector)
        );
        staking.releaseSlashed();
    }

    function test_releaseSlashed_RevertWhen_TreasuryRejects() public {
        MockStakingActor badTreasury = new MockStakingActor(staking);
        badTreasury.setMode(MockStakingActor.Mode.REJECT);
        vm.prank(owner);
        staking.setTreasury(address(badTreasury));
        _stake(alice, 1 ether);
        vm.prank(module);
        staking.slash(alice, 1 ether, "fault"); // the slash itself never depends on the treasury
        vm.expectRevert(
            abi.encodeWithSelector(
                IValidatorStaking.ValidatorStakingTransferFailed.selector,
                address(badTreasury),
                1 ether
            )
        );
        staking.releaseSlashed();
        assertEq(staking.pendingSlashed(), 1 ether);
    }

    function test_releaseSlashed_RevertWhen_Reentered() public {
        MockStakingActor reentrantTreasury = new MockStakingActor(staking);
        reentrantTreasury.setMode(MockStakingActor.Mode.REENTER_RELEASE);
        vm.prank(owner);
        staking.setTreasury(address(reentrantTreasury));
        _stake(alice, 1 ether);
        vm.prank(module);
        staking.slash(alice, 1 ether, "fault");
        staking.releaseSlashed();
        assertEq(reentrantTreasury.received(), 1 ether);
        assertEq(
            reentrantTreasury.reentryRevertData(),
            abi.encodeWithSelector(ReentrancyGuard.ReentrancyGuardReentrantCall.selector)
        );
    }

    // ---------------------------------------------------------------- owner setters

    function test_setFaultModule_TogglesAndEmits() public {
        vm.expectEmit(address(staking));
        emit IValidatorStaking.FaultModuleUpdated(bob, true);
        vm.prank(owner);
        staking.setFaultModule(bob, true);
        assertTrue(staking.isFaultModule(bob));
        vm.prank(owner);
        staking.setFaultModule(bob, false);
        assertFalse(staking.isFaultModule(bob));
    }

    function test_setFaultModule_RevertWhen_CallerNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, bob));
        vm.prank(bob);
        staking.setFaultModule(bob, true);
    }

    function test_setFaultModule_RevertWhen_ZeroAddress() public {
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingZeroAddress.selector)
        );
        vm.prank(owner);
        staking.setFaultModule(address(0), true);
    }

    function test_setTreasury_Updates() public {
        vm.expectEmit(address(staking));
        emit IValidatorStaking.TreasuryUpdated(bob);
        vm.prank(owner);
        staking.setTreasury(bob);
        assertEq(staking.treasury(), bob);
    }

    function test_setTreasury_RevertWhen_CallerNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, bob));
        vm.prank(bob);
        staking.setTreasury(bob);
    }

    function test_setTreasury_RevertWhen_ZeroAddress() public {
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingZeroAddress.selector)
        );
        vm.prank(owner);
        staking.setTreasury(address(0));
    }

    function test_setMinStake_Updates() public {
        vm.expectEmit(address(staking));
        emit IValidatorStaking.MinStakeUpdated(5 ether);
        vm.prank(owner);
        staking.setMinStake(5 ether);
        assertEq(staking.minStake(), 5 ether);
    }

    function test_setMinStake_RevertWhen_CallerNotOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, bob));
        vm.prank(bob);
        staking.setMinStake(0);
    }

    // ---------------------------------------------------------------- checkpoints

    function test_stakeAt_ReturnsEndOfBlockStake() public {
        _stake(alice, 1 ether); // block 10
        _stake(alice, 1 ether); // block 10 again: one checkpoint, end-of-block value
        vm.roll(20);
        vm.prank(alice);
        staking.requestUnstake(1 ether);
        _stake(bob, 4 ether);
        vm.roll(30);
        vm.prank(module);
        staking.slash(alice, 1 ether, "fault");
        vm.roll(31);
        assertEq(staking.stakeAt(alice, 9), 0);
        assertEq(staking.stakeAt(alice, 10), 2 ether);
        assertEq(staking.stakeAt(alice, 19), 2 ether);
        assertEq(staking.stakeAt(alice, 20), 1 ether);
        assertEq(staking.stakeAt(alice, 30), 0);
        assertEq(staking.totalStakedAt(10), 2 ether);
        assertEq(staking.totalStakedAt(20), 5 ether);
        assertEq(staking.totalStakedAt(30), 4 ether);
    }

    function test_stakeAt_RevertWhen_CurrentBlock() public {
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingFutureLookup.selector, 10, 10)
        );
        staking.stakeAt(alice, 10);
    }

    function test_totalStakedAt_RevertWhen_FutureBlock() public {
        vm.expectRevert(
            abi.encodeWithSelector(IValidatorStaking.ValidatorStakingFutureLookup.selector, 11, 10)
        );
        staking.totalStakedAt(11);
    }

    // ---------------------------------------------------------------- bounded validator set

    function _join(address who, uint256 amount) internal {
        vm.deal(who, who.balance + amount);
        _stake(who, amount);
        vm.prank(who);
        staking.register(KEY, "https://v");
    }

    function _fill() internal {
        uint256 max = staking.MAX_VALIDATORS();
        for (uint256 i; i < max; ++i) {
            _join(address(uint160(0x10000 + i)), MIN_STAKE + i);
        }
        assertEq(staking.validators().length, max);
    }

    function test_register_RevertWhen_SetFullAndNotAboveLowest() public {
        _fill();
        _stake(alice, MIN_STAKE); // equal to the lowest member: cannot evict it
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValidatorStaking.ValidatorStakingSetFull.selector, MIN_STAKE, MIN_STAKE
            )
        );
        staking.register(KEY, "https://a");
        assertFalse(staking.validatorInfo(alice).registered);
    }

    function test_register_FullSetEvictsTheLowest() public {
        _fill();
        address lowest = address(uint160(0x10000));
        _stake(alice, MIN_STAKE + 1000);
        vm.expectEmit(address(staking));
        emit IValidatorStaking.ValidatorRemoved(lowest, MIN_STAKE);
        vm.prank(alice);
        staking.register(KEY, "https://a");
        address[] memory set = staking.validators();
        assertEq(set.length, staking.MAX_VALIDATORS());
        assertFalse(staking.validatorInfo(lowest).registered);
        assertTrue(staking.validatorInfo(alice).registered);
        for (uint256 i; i < set.length; ++i) {
            assertTrue(set[i] != lowest);
        }
        // the evicted validator keeps its stake and can come back with more
        assertEq(staking.stakeOf(lowest), MIN_STAKE);
    }

    function test_requestUnstake_BelowMinLeavesTheSet() public {
        _join(alice, MIN_STAKE);
        _join(bob, MIN_STAKE);
        vm.expectEmit(address(staking));
        emit IValidatorStaking.ValidatorRemoved(alice, MIN_STAKE - 1);
        vm.prank(alice);
        staking.requestUnstake(1);
        address[] memory set = staking.validators();
        assertEq(set.length, 1);
        assertEq(set[0], bob);
        assertFalse(staking.validatorInfo(alice).registered);
        // back above the minimum, it registers again (same slot count)
        _stake(alice, 1);
        vm.prank(alice);
        staking.register(KEY, "https://a");
        assertEq(staking.validators().length, 2);
    }

    function test_cyclingStakeDoesNotGrowTheSet() public {
        _join(bob, MIN_STAKE);
        for (uint256 i; i < 20; ++i) {
            _join(alice, MIN_STAKE);
            vm.prank(alice);
            staking.requestUnstake(MIN_STAKE);
        }
        assertEq(staking.validators().length, 1);
    }

    function test_slash_BelowMinLeavesTheSet() public {
        _join(alice, MIN_STAKE);
        address module = makeAddr("module");
        vm.prank(owner);
        staking.setFaultModule(module, true);
        vm.prank(module);
        staking.slash(alice, 1, "fault");
        assertEq(staking.validators().length, 0);
        assertFalse(staking.validatorInfo(alice).registered);
    }
}
