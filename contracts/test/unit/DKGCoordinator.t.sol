// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ValidatorStaking} from "../../src/ValidatorStaking.sol";
import {DKGCoordinator} from "../../src/DKGCoordinator.sol";
import {IDKGCoordinator} from "../../src/interfaces/IDKGCoordinator.sol";

contract DKGCoordinatorTest is Test {
    ValidatorStaking internal staking;
    DKGCoordinator internal coordinator;
    address internal owner = makeAddr("timelock");
    address internal stranger = makeAddr("stranger");
    uint256 internal constant MIN_STAKE = 1 ether;
    uint32 internal constant TIMEOUT = 1 hours;
    bytes32 internal constant AGG = keccak256("aggregated transcript");
    bytes internal constant DKG_KEY = hex"b0b0cafe";

    address[] internal vals; // ascending by address

    function setUp() public {
        vm.warp(1_700_000_000);
        vm.roll(50);
        staking = new ValidatorStaking(owner, makeAddr("treasury"), MIN_STAKE, 100);
        coordinator = new DKGCoordinator(owner, staking);
        for (uint256 i = 0; i < 4; ++i) {
            vals.push(_newValidator(string.concat("validator", vm.toString(i)), (i + 1) * 1 ether));
        }
        _sort(vals);
    }

    function _newValidator(string memory name, uint256 amount) internal returns (address v) {
        v = makeAddr(name);
        vm.deal(v, amount);
        vm.startPrank(v);
        staking.stake{value: amount}();
        staking.register(abi.encodePacked("ferveo-", name), "https://share");
        vm.stopPrank();
    }

    function _sort(address[] storage a) internal {
        for (uint256 i = 1; i < a.length; ++i) {
            for (uint256 j = i; j > 0 && a[j - 1] > a[j]; --j) {
                (a[j - 1], a[j]) = (a[j], a[j - 1]);
            }
        }
    }

    function _initiate() internal returns (uint32 id) {
        vm.prank(owner);
        id = coordinator.initiateRitual(4, 3, TIMEOUT);
    }

    function _transcript(address member) internal pure returns (bytes memory) {
        return abi.encodePacked("transcript of ", member);
    }

    function _postAllTranscripts(uint32 id) internal {
        for (uint256 i = 0; i < vals.length; ++i) {
            vm.prank(vals[i]);
            coordinator.postTranscript(id, _transcript(vals[i]));
        }
    }

    function _postAllAggregations(uint32 id) internal {
        for (uint256 i = 0; i < vals.length; ++i) {
            vm.prank(vals[i]);
            coordinator.postAggregation(id, AGG, DKG_KEY);
        }
    }

    // ---------------------------------------------------------------- initiateRitual

    function test_initiateRitual_PicksCommitteeSortedByAddress() public {
        uint64 deadline = uint64(block.timestamp) + TIMEOUT;
        vm.expectEmit(address(coordinator));
        emit IDKGCoordinator.RitualInitiated(1, vals, 3, deadline);
        uint32 id = _initiate();
        assertEq(id, 1);
        assertEq(coordinator.ritualCount(), 1);
        assertEq(coordinator.getParticipants(id), vals);
        assertEq(coordinator.getThreshold(id), 3);
        for (uint256 i = 0; i < vals.length; ++i) {
            assertTrue(coordinator.isParticipant(id, vals[i]));
        }
        assertFalse(coordinator.isParticipant(id, stranger));
        assertEq(
            uint8(coordinator.getRitualState(id)),
            uint8(IDKGCoordinator.RitualState.AWAITING_TRANSCRIPTS)
        );
        IDKGCoordinator.RitualInfo memory info = coordinator.getRitual(id);
        assertEq(info.size, 4);
        assertEq(info.initTimestamp, block.timestamp);
        assertEq(info.deadline, deadline);
        vm.prank(owner);
        assertEq(coordinator.initiateRitual(1, 1, TIMEOUT), 2);
    }

    function test_initiateRitual_PicksLargestStakesWithLowerAddressOnTies() public {
        // stakes: validator0..3 = 1..4 ether. Add two 4-ether validators and one 10-ether one.
        address big = _newValidator("big", 10 ether);
        address tieA = _newValidator("tieA", 4 ether);
        address tieB = _newValidator("tieB", 4 ether);
        address validator3 = makeAddr("validator3"); // 4 ether too
        address[] memory fours = new address[](3);
        fours[0] = tieA;
        fours[1] = tieB;
        fours[2] = validator3;
        // expected: big + the two lowest addresses among the three 4-ether validators
        for (uint256 i = 1; i < 3; ++i) {
            for (uint256 j = i; j > 0 && fours[j - 1] > fours[j]; --j) {
                (fours[j - 1], fours[j]) = (fours[j], fours[j - 1]);
            }
        }
        vm.prank(owner);
        uint32 id = coordinator.initiateRitual(3, 2, TIMEOUT);
        address[] memory got = coordinator.getParticipants(id);
        assertEq(got.length, 3);
        assertTrue(coordinator.isParticipant(id, big));
        assertTrue(coordinator.isParticipant(id, fours[0]));
        assertTrue(coordinator.isParticipant(id, fours[1]));
        assertFalse(coordinator.isParticipant(id, fours[2]));
        assertLt(uint160(got[0]), uint160(got[1]));
        assertLt(uint160(got[1]), uint160(got[2]));
    }

    function test_initiateRitual_SkipsValidatorsBelowMinStake() public {
        vm.prank(owner);
        staking.setMinStake(2 ether); // validator0 (1 ether) becomes ineligible
        vm.prank(owner);
        uint32 id = coordinator.initiateRitual(3, 2, TIMEOUT);
        assertFalse(coordinator.isParticipant(id, makeAddr("validator0")));
        assertTrue(coordinator.isParticipant(id, makeAddr("validator1")));
    }

    function test_initiateRitual_SkipsUnstakedAndUnregistered() public {
        address v0 = makeAddr("validator0");
        vm.prank(v0);
        staking.requestUnstake(1 ether); // registered, no active stake
        address staker = makeAddr("unregistered");
        vm.deal(staker, 50 ether);
        vm.prank(staker);
        staking.stake{value: 50 ether}();
        vm.expectRevert(
            abi.encodeWithSelector(IDKGCoordinator.DKGCoordinatorNotEnoughValidators.selector, 3, 4)
        );
        vm.prank(owner);
        coordinator.initiateRitual(4, 3, TIMEOUT);
    }

    function test_initiateRitual_RevertWhen_CallerNotOwner() public {
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger)
        );
        vm.prank(stranger);
        coordinator.initiateRitual(4, 3, TIMEOUT);
    }

    function test_initiateRitual_RevertWhen_ZeroSize() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDKGCoordinator.DKGCoordinatorInvalidSize.selector, 0)
        );
        vm.prank(owner);
        coordinator.initiateRitual(0, 0, TIMEOUT);
    }

    function test_initiateRitual_RevertWhen_SizeAboveCap() public {
        uint16 size = coordinator.MAX_RITUAL_SIZE() + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IDKGCoordinator.DKGCoordinatorInvalidSize.selector, size)
        );
        vm.prank(owner);
        coordinator.initiateRitual(size, 3, TIMEOUT);
    }

    function test_initiateRitual_RevertWhen_ZeroThreshold() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDKGCoordinator.DKGCoordinatorInvalidThreshold.selector, 0, 4)
        );
        vm.prank(owner);
        coordinator.initiateRitual(4, 0, TIMEOUT);
    }

    function test_initiateRitual_RevertWhen_ThresholdAboveSize() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDKGCoordinator.DKGCoordinatorInvalidThreshold.selector, 5, 4)
        );
        vm.prank(owner);
        coordinator.initiateRitual(4, 5, TIMEOUT);
    }

    function test_initiateRitual_RevertWhen_ZeroTimeout() public {
        vm.expectRevert(abi.encodeWithSelector(IDKGCoordinator.DKGCoordinatorZeroTimeout.selector));
        vm.prank(owner);
        coordinator.initiateRitual(4, 3, 0);
    }

    function test_initiateRitual_RevertWhen_NotEnoughValidators() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDKGCoordinator.DKGCoordinatorNotEnoughValidators.selector, 4, 5)
        );
        vm.prank(owner);
        coordinator.initiateRitual(5, 3, TIMEOUT);
    }

    // ---------------------------------------------------------------- full ritual

    function test_postAggregation_FullRitualOfFourBecomesActive() public {
        uint32 id = _initiate();
        for (uint256 i = 0; i < vals.length; ++i) {
            bytes memory t = _transcript(vals[i]);
            vm.expectEmit(address(coordinator));
            emit IDKGCoordinator.TranscriptPosted(id, vals[i], keccak256(t), t);
            vm.prank(vals[i]);
            coordinator.postTranscript(id, t);
            assertEq(coordinator.transcriptDigest(id, vals[i]), keccak256(t));
        }
        assertEq(
            uint8(coordinator.getRitualState(id)),
            uint8(IDKGCoordinator.RitualState.AWAITING_AGGREGATIONS)
        );
        for (uint256 i = 0; i < vals.length; ++i) {
            vm.expectEmit(address(coordinator));
            emit IDKGCoordinator.AggregationPosted(id, vals[i], AGG, DKG_KEY);
            if (i == vals.length - 1) {
                vm.expectEmit(address(coordinator));
                emit IDKGCoordinator.RitualActivated(id, DKG_KEY);
            }
            vm.prank(vals[i]);
            coordinator.postAggregation(id, AGG, DKG_KEY);
            if (i < vals.length - 1) assertEq(coordinator.activeRitualId(), 0);
        }
        assertEq(uint8(coordinator.getRitualState(id)), uint8(IDKGCoordinator.RitualState.ACTIVE));
        assertEq(coordinator.getPublicKey(id), DKG_KEY);
        assertEq(coordinator.activeRitualId(), id);
        assertEq(coordinator.getRitual(id).aggregatedTranscriptDigest, AGG);
        // ACTIVE is final: no timeout afterwards
        vm.warp(block.timestamp + 365 days);
        assertEq(uint8(coordinator.getRitualState(id)), uint8(IDKGCoordinator.RitualState.ACTIVE));
    }

    function test_postAggregation_OlderRitualActivatingLaterKeepsNewestActive() public {
        uint32 first = _initiate();
        uint32 second = _initiate();
        _postAllTranscripts(second);
        _postAllAggregations(second);
        assertEq(coordinator.activeRitualId(), second);
        _postAllTranscripts(first);
        _postAllAggregations(first);
        assertEq(
            uint8(coordinator.getRitualState(first)), uint8(IDKGCoordinator.RitualState.ACTIVE)
        );
        assertEq(coordinator.activeRitualId(), second);
    }

    function test_postAggregation_MismatchingDigestInvalidatesRitual() public {
        uint32 id = _initiate();
        _postAllTranscripts(id);
        vm.prank(vals[0]);
        coordinator.postAggregation(id, AGG, DKG_KEY);
        vm.expectEmit(address(coordinator));
        emit IDKGCoordinator.AggregationPosted(id, vals[1], bytes32(uint256(1)), DKG_KEY);
        vm.expectEmit(address(coordinator));
        emit IDKGCoordinator.RitualInvalidated(id, vals[1]);
        vm.prank(vals[1]);
        coordinator.postAggregation(id, bytes32(uint256(1)), DKG_KEY);
        assertEq(uint8(coordinator.getRitualState(id)), uint8(IDKGCoordinator.RitualState.INVALID));
        assertEq(coordinator.activeRitualId(), 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorInvalidState.selector,
                id,
                IDKGCoordinator.RitualState.INVALID
            )
        );
        vm.prank(vals[2]);
        coordinator.postAggregation(id, AGG, DKG_KEY);
    }

    function test_postAggregation_MismatchingPublicKeyInvalidatesRitual() public {
        uint32 id = _initiate();
        _postAllTranscripts(id);
        vm.prank(vals[0]);
        coordinator.postAggregation(id, AGG, DKG_KEY);
        vm.prank(vals[1]);
        coordinator.postAggregation(id, AGG, DKG_KEY);
        vm.prank(vals[2]);
        coordinator.postAggregation(id, AGG, hex"0bad");
        assertEq(uint8(coordinator.getRitualState(id)), uint8(IDKGCoordinator.RitualState.INVALID));
        // INVALID is final: no timeout afterwards
        vm.warp(block.timestamp + TIMEOUT + 1);
        assertEq(uint8(coordinator.getRitualState(id)), uint8(IDKGCoordinator.RitualState.INVALID));
    }

    // ---------------------------------------------------------------- timeout

    function test_getRitualState_TimesOutLazily() public {
        uint32 id = _initiate();
        vm.prank(vals[0]);
        coordinator.postTranscript(id, "t");
        vm.warp(block.timestamp + TIMEOUT);
        assertEq(
            uint8(coordinator.getRitualState(id)),
            uint8(IDKGCoordinator.RitualState.AWAITING_TRANSCRIPTS)
        );
        vm.prank(vals[1]);
        coordinator.postTranscript(id, "t"); // still accepted at the deadline itself
        vm.warp(block.timestamp + 1);
        assertEq(uint8(coordinator.getRitualState(id)), uint8(IDKGCoordinator.RitualState.TIMEOUT));
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorInvalidState.selector,
                id,
                IDKGCoordinator.RitualState.TIMEOUT
            )
        );
        vm.prank(vals[2]);
        coordinator.postTranscript(id, "t");
    }

    function test_getRitualState_TimesOutDuringAggregation() public {
        uint32 id = _initiate();
        _postAllTranscripts(id);
        vm.prank(vals[0]);
        coordinator.postAggregation(id, AGG, DKG_KEY);
        vm.warp(block.timestamp + TIMEOUT + 1);
        assertEq(uint8(coordinator.getRitualState(id)), uint8(IDKGCoordinator.RitualState.TIMEOUT));
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorInvalidState.selector,
                id,
                IDKGCoordinator.RitualState.TIMEOUT
            )
        );
        vm.prank(vals[1]);
        coordinator.postAggregation(id, AGG, DKG_KEY);
    }

    function test_getRitualState_UnknownIsNone() public view {
        assertEq(uint8(coordinator.getRitualState(7)), uint8(IDKGCoordinator.RitualState.NONE));
        assertEq(coordinator.getParticipants(7).length, 0);
        assertEq(coordinator.getThreshold(7), 0);
    }

    // ---------------------------------------------------------------- postTranscript reverts

    function test_postTranscript_RevertWhen_NotParticipant() public {
        uint32 id = _initiate();
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorNotParticipant.selector, id, stranger
            )
        );
        vm.prank(stranger);
        coordinator.postTranscript(id, "t");
    }

    function test_postTranscript_RevertWhen_AlreadyPosted() public {
        uint32 id = _initiate();
        vm.prank(vals[0]);
        coordinator.postTranscript(id, "t");
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorTranscriptAlreadyPosted.selector, id, vals[0]
            )
        );
        vm.prank(vals[0]);
        coordinator.postTranscript(id, "u");
    }

    function test_postTranscript_RevertWhen_EmptyTranscript() public {
        uint32 id = _initiate();
        vm.expectRevert(
            abi.encodeWithSelector(IDKGCoordinator.DKGCoordinatorEmptyTranscript.selector)
        );
        vm.prank(vals[0]);
        coordinator.postTranscript(id, "");
    }

    function test_postTranscript_RevertWhen_UnknownRitual() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorInvalidState.selector,
                9,
                IDKGCoordinator.RitualState.NONE
            )
        );
        vm.prank(vals[0]);
        coordinator.postTranscript(9, "t");
    }

    function test_postTranscript_RevertWhen_AllTranscriptsIn() public {
        uint32 id = _initiate();
        _postAllTranscripts(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorInvalidState.selector,
                id,
                IDKGCoordinator.RitualState.AWAITING_AGGREGATIONS
            )
        );
        vm.prank(vals[0]);
        coordinator.postTranscript(id, "again");
    }

    // ---------------------------------------------------------------- postAggregation reverts

    function test_postAggregation_RevertWhen_TranscriptsMissing() public {
        uint32 id = _initiate();
        vm.prank(vals[0]);
        coordinator.postTranscript(id, "t");
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorInvalidState.selector,
                id,
                IDKGCoordinator.RitualState.AWAITING_TRANSCRIPTS
            )
        );
        vm.prank(vals[0]);
        coordinator.postAggregation(id, AGG, DKG_KEY);
    }

    function test_postAggregation_RevertWhen_NotParticipant() public {
        uint32 id = _initiate();
        _postAllTranscripts(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorNotParticipant.selector, id, stranger
            )
        );
        vm.prank(stranger);
        coordinator.postAggregation(id, AGG, DKG_KEY);
    }

    function test_postAggregation_RevertWhen_AlreadyPosted() public {
        uint32 id = _initiate();
        _postAllTranscripts(id);
        vm.prank(vals[0]);
        coordinator.postAggregation(id, AGG, DKG_KEY);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorAggregationAlreadyPosted.selector, id, vals[0]
            )
        );
        vm.prank(vals[0]);
        coordinator.postAggregation(id, AGG, DKG_KEY);
    }

    function test_postAggregation_RevertWhen_EmptyPublicKey() public {
        uint32 id = _initiate();
        _postAllTranscripts(id);
        vm.expectRevert(
            abi.encodeWithSelector(IDKGCoordinator.DKGCoordinatorEmptyPublicKey.selector)
        );
        vm.prank(vals[0]);
        coordinator.postAggregation(id, AGG, "");
    }

    function test_postAggregation_RevertWhen_AlreadyActive() public {
        uint32 id = _initiate();
        _postAllTranscripts(id);
        _postAllAggregations(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorInvalidState.selector,
                id,
                IDKGCoordinator.RitualState.ACTIVE
            )
        );
        vm.prank(vals[0]);
        coordinator.postAggregation(id, AGG, DKG_KEY);
    }

    // ---------------------------------------------------------------- getPublicKey

    function test_getPublicKey_RevertWhen_NotActive() public {
        uint32 id = _initiate();
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorRitualNotActive.selector,
                id,
                IDKGCoordinator.RitualState.AWAITING_TRANSCRIPTS
            )
        );
        coordinator.getPublicKey(id);
    }

    function test_getPublicKey_RevertWhen_TimedOut() public {
        uint32 id = _initiate();
        vm.warp(block.timestamp + TIMEOUT + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDKGCoordinator.DKGCoordinatorRitualNotActive.selector,
                id,
                IDKGCoordinator.RitualState.TIMEOUT
            )
        );
        coordinator.getPublicKey(id);
    }
}
