// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ValidatorStaking} from "../../src/ValidatorStaking.sol";
import {IValidatorStaking} from "../../src/interfaces/IValidatorStaking.sol";

contract ValidatorStakingFuzzTest is Test {
    ValidatorStaking internal staking;
    address internal module = makeAddr("module");
    address internal alice = makeAddr("alice");
    uint64 internal constant UNBONDING = 1000;

    function setUp() public {
        vm.roll(100);
        staking = new ValidatorStaking(address(this), makeAddr("treasury"), 1 ether, UNBONDING);
        staking.setFaultModule(module, true);
    }

    function _stake(uint256 amount) internal {
        vm.deal(alice, amount);
        vm.prank(alice);
        staking.stake{value: amount}();
    }

    function testFuzz_slash_TakesActiveFirstThenUnbondingAndConserves(
        uint256 total,
        uint256 unbond,
        uint256 amount
    ) public {
        total = bound(total, 1, 1e30);
        unbond = bound(unbond, 0, total);
        amount = bound(amount, 0, 2e30);
        _stake(total);
        if (unbond != 0) {
            vm.prank(alice);
            staking.requestUnstake(unbond);
        }
        uint256 active = total - unbond;
        vm.prank(module);
        staking.slash(alice, amount, "fuzz");

        uint256 fromActive = amount < active ? amount : active;
        uint256 rest = amount - fromActive;
        uint256 fromUnbonding = rest < unbond ? rest : unbond;
        IValidatorStaking.ValidatorInfo memory info = staking.validatorInfo(alice);
        assertEq(info.stake, active - fromActive);
        assertEq(info.unbonding, unbond - fromUnbonding);
        assertEq(staking.pendingSlashed(), fromActive + fromUnbonding);
        assertEq(info.stake + info.unbonding + staking.pendingSlashed(), total);
        assertEq(
            address(staking).balance,
            staking.totalStaked() + info.unbonding + staking.pendingSlashed()
        );
    }

    function testFuzz_withdraw_OnlyFromTheReleaseBlock(uint256 amount, uint256 wait) public {
        amount = bound(amount, 1, 1e30);
        wait = bound(wait, 0, 3 * UNBONDING);
        _stake(amount);
        vm.prank(alice);
        staking.requestUnstake(amount);
        vm.roll(100 + wait);
        if (wait < UNBONDING) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IValidatorStaking.ValidatorStakingStillUnbonding.selector,
                    100 + UNBONDING,
                    100 + wait
                )
            );
            vm.prank(alice);
            staking.withdraw();
        } else {
            vm.prank(alice);
            staking.withdraw();
            assertEq(alice.balance, amount);
            assertEq(address(staking).balance, 0);
        }
    }

    function testFuzz_stakeAt_ReturnsTheLastValueAtOrBefore(
        uint256[5] memory amounts,
        uint256 gapSeed
    ) public {
        uint256[5] memory blocks;
        uint256[5] memory values;
        uint256 running;
        uint256 b = 100;
        for (uint256 i = 0; i < 5; ++i) {
            b += bound(uint256(keccak256(abi.encode(gapSeed, i))), 1, 50);
            vm.roll(b);
            uint256 amount = bound(amounts[i], 1, 1e24);
            _stake(amount);
            running += amount;
            blocks[i] = b;
            values[i] = running;
        }
        vm.roll(b + 1);
        for (uint256 i = 0; i < 5; ++i) {
            assertEq(staking.stakeAt(alice, blocks[i]), values[i]);
            assertEq(staking.totalStakedAt(blocks[i]), values[i]);
            assertEq(staking.stakeAt(alice, blocks[i] - 1), i == 0 ? 0 : values[i - 1]);
        }
    }

    function testFuzz_requestUnstake_RevertWhen_MoreThanActive(uint256 amount, uint256 request)
        public
    {
        amount = bound(amount, 1, 1e30);
        request = bound(request, amount + 1, type(uint256).max);
        _stake(amount);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValidatorStaking.ValidatorStakingInsufficientStake.selector, request, amount
            )
        );
        vm.prank(alice);
        staking.requestUnstake(request);
    }
}
