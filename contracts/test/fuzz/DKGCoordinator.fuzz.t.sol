// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ValidatorStaking} from "../../src/ValidatorStaking.sol";
import {DKGCoordinator} from "../../src/DKGCoordinator.sol";
import {IDKGCoordinator} from "../../src/interfaces/IDKGCoordinator.sol";

contract DKGCoordinatorFuzzTest is Test {
    ValidatorStaking internal staking;
    DKGCoordinator internal coordinator;
    uint256 internal constant MIN_STAKE = 1 ether;

    function setUp() public {
        vm.roll(10);
        vm.warp(1_000_000);
        staking = new ValidatorStaking(address(this), makeAddr("treasury"), MIN_STAKE, 10);
        coordinator = new DKGCoordinator(address(this), staking);
    }

    /// Stakes are drawn from a small set so that ties are common.
    function _populate(uint256 seed, uint256 n)
        internal
        returns (address[] memory vs, uint256[] memory stakes)
    {
        vs = new address[](n);
        stakes = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            vs[i] = address(uint160(uint256(keccak256(abi.encode(seed, "validator", i)))));
            stakes[i] = bound(uint256(keccak256(abi.encode(seed, "stake", i))), 1, 6) * 0.5 ether;
            vm.deal(vs[i], stakes[i]);
            vm.startPrank(vs[i]);
            staking.stake{value: stakes[i]}();
            if (stakes[i] >= MIN_STAKE) staking.register(hex"01", "");
            vm.stopPrank();
        }
    }

    function _before(uint256 sa, address a, uint256 sb, address b) internal pure returns (bool) {
        return sa > sb || (sa == sb && a < b);
    }

    function testFuzz_initiateRitual_CommitteeIsTopStakersSortedByAddress(
        uint256 seed,
        uint256 n,
        uint256 size
    ) public {
        n = bound(n, 1, 16);
        (address[] memory vs, uint256[] memory stakes) = _populate(seed, n);
        uint256 eligible;
        for (uint256 i = 0; i < n; ++i) {
            if (stakes[i] >= MIN_STAKE) ++eligible;
        }
        size = bound(size, 1, n);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint16 size16 = uint16(size); // safe: bounded to n <= 16 above
        if (size > eligible) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IDKGCoordinator.DKGCoordinatorNotEnoughValidators.selector, eligible, size
                )
            );
            coordinator.initiateRitual(size16, 1, 60);
            return;
        }
        uint32 id = coordinator.initiateRitual(size16, size16, 60);
        address[] memory got = coordinator.getParticipants(id);
        assertEq(got.length, size);
        for (uint256 i = 1; i < size; ++i) {
            assertLt(uint160(got[i - 1]), uint160(got[i]), "sorted, no duplicates");
        }
        // reference: a member is chosen iff fewer than `size` eligible validators rank before it
        for (uint256 i = 0; i < n; ++i) {
            bool shouldBeIn;
            if (stakes[i] >= MIN_STAKE) {
                uint256 better;
                for (uint256 j = 0; j < n; ++j) {
                    if (stakes[j] >= MIN_STAKE && _before(stakes[j], vs[j], stakes[i], vs[i])) {
                        ++better;
                    }
                }
                shouldBeIn = better < size;
            }
            assertEq(coordinator.isParticipant(id, vs[i]), shouldBeIn);
        }
    }

    function testFuzz_postAggregation_AnyDisagreementInvalidates(
        uint256 seed,
        uint8 disagreeAt,
        bytes32 digest,
        bytes32 otherDigest
    ) public {
        otherDigest = digest == otherDigest ? ~digest : otherDigest;
        (address[] memory vs,) = _populate(seed, 4);
        for (uint256 i = 0; i < 4; ++i) {
            if (staking.stakeOf(vs[i]) < MIN_STAKE) {
                vm.deal(vs[i], MIN_STAKE);
                vm.startPrank(vs[i]);
                staking.stake{value: MIN_STAKE}();
                staking.register(hex"01", "");
                vm.stopPrank();
            }
        }
        uint32 id = coordinator.initiateRitual(4, 3, 60);
        address[] memory members = coordinator.getParticipants(id);
        for (uint256 i = 0; i < 4; ++i) {
            vm.prank(members[i]);
            coordinator.postTranscript(id, abi.encode(seed, i));
        }
        uint256 bad = bound(disagreeAt, 1, 3);
        for (uint256 i = 0; i <= bad; ++i) {
            vm.prank(members[i]);
            coordinator.postAggregation(id, i == bad ? otherDigest : digest, hex"aa");
        }
        assertEq(uint8(coordinator.getRitualState(id)), uint8(IDKGCoordinator.RitualState.INVALID));
        assertEq(coordinator.activeRitualId(), 0);
    }

    function testFuzz_getRitualState_TimeoutIsLazyAndExact(uint32 timeout, uint256 elapsed) public {
        timeout = uint32(bound(timeout, 1, type(uint32).max));
        elapsed = bound(elapsed, 0, uint256(type(uint32).max) * 2);
        _populate(1, 1);
        address v =
            address(uint160(uint256(keccak256(abi.encode(uint256(1), "validator", uint256(0))))));
        if (staking.stakeOf(v) < MIN_STAKE) {
            vm.deal(v, MIN_STAKE);
            vm.startPrank(v);
            staking.stake{value: MIN_STAKE}();
            staking.register(hex"01", "");
            vm.stopPrank();
        }
        uint32 id = coordinator.initiateRitual(1, 1, timeout);
        vm.warp(block.timestamp + elapsed);
        IDKGCoordinator.RitualState expected = elapsed > timeout
            ? IDKGCoordinator.RitualState.TIMEOUT
            : IDKGCoordinator.RitualState.AWAITING_TRANSCRIPTS;
        assertEq(uint8(coordinator.getRitualState(id)), uint8(expected));
    }
}
