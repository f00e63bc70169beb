// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EscrowFixtures} from "../utils/EscrowFixtures.sol";
import {AccessRegistry} from "../../src/AccessRegistry.sol";
import {IAccessRegistry} from "../../src/interfaces/IAccessRegistry.sol";

contract AccessRegistryTest is EscrowFixtures {
    bytes32 internal file0; // epoch 0
    bytes32 internal file1; // epoch 1

    function setUp() public {
        deployFreshSystem();
        setUpValidatorsAndRitual();
        file0 = submitFile(0);
        (, uint64 closeBlock,,) = windows(0);
        rollTo(closeBlock);
        file1 = submitFile(1);
    }

    function test_constructor_RevertWhen_ZeroAddress() public {
        vm.expectRevert(IAccessRegistry.AccessRegistryZeroAddress.selector);
        new AccessRegistry(address(0), address(1), address(1));
    }

    function test_grant_RecordsAccess() public {
        uint256 reqId = requestAs(renter, FEE, 1, 3, uint64(block.timestamp + 1 days));
        vm.expectEmit(address(sys.accessRegistry));
        emit IAccessRegistry.AccessGranted(
            reqId, renter, datasetId, 1, 3, uint64(block.timestamp + 1 days), RENTER_KEY
        );
        grantAsTimelock(reqId);
        IAccessRegistry.Access memory a = sys.accessRegistry.access(reqId);
        assertEq(a.renter, renter);
        assertEq(a.renterKey, RENTER_KEY);
        assertEq(a.datasetId, datasetId);
        assertEq(a.fromEpoch, 1);
        assertEq(a.toEpoch, 3);
        assertEq(a.grantedAtBlock, block.number);
        assertTrue(sys.accessRegistry.isGranted(reqId));
    }

    function test_grant_RevertWhen_NotTimelock() public {
        uint256 reqId = request();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessRegistry.AccessRegistryNotTimelock.selector, address(this)
            )
        );
        sys.accessRegistry.grant(reqId);
    }

    function test_access_RevertWhen_NotGranted() public {
        uint256 reqId = request();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessRegistry.AccessRegistryNotGranted.selector, reqId)
        );
        sys.accessRegistry.access(reqId);
    }

    function test_isGranted_FalseAfterExpiry() public {
        uint256 reqId = request();
        grantAsTimelock(reqId);
        uint64 expiry = sys.accessRegistry.access(reqId).expiry;
        vm.warp(expiry);
        assertTrue(sys.accessRegistry.isGranted(reqId));
        vm.warp(expiry + 1);
        assertFalse(sys.accessRegistry.isGranted(reqId));
        assertFalse(sys.accessRegistry.inScope(reqId, file1));
    }

    function test_inScope_ChecksEpochRangeDatasetAndFile() public {
        uint256 reqId = requestAs(renter, FEE, 1, 1, uint64(block.timestamp + 1 days));
        assertFalse(sys.accessRegistry.inScope(reqId, file1), "not granted yet");
        grantAsTimelock(reqId);
        assertTrue(sys.accessRegistry.inScope(reqId, file1));
        assertFalse(sys.accessRegistry.inScope(reqId, file0), "epoch 0 outside [1, 1]");
        assertFalse(sys.accessRegistry.inScope(reqId, keccak256("unknown")), "unknown file");
    }

    function test_inScope_FalseForOtherDataset() public {
        vm.prank(address(sys.timelock));
        uint256 other = sys.config.createDataset(params.dataset);
        vm.deal(renter, FEE);
        vm.prank(renter);
        uint256 reqId = sys.escrow.requestAccess{value: FEE}(
            other, RENTER_KEY, 0, 10, uint64(block.timestamp + 1 days)
        );
        grantAsTimelock(reqId);
        assertFalse(sys.accessRegistry.inScope(reqId, file0));
    }

    function test_views_Wiring() public view {
        assertEq(sys.accessRegistry.timelock(), address(sys.timelock));
        assertEq(sys.accessRegistry.escrow(), address(sys.escrow));
        assertEq(sys.accessRegistry.submissionRegistry(), address(sys.registry));
    }

    // -- revoke: governance ends a grant before its expiry --------------------------------------

    function test_revoke_RevertWhen_NotTimelock() public {
        uint256 reqId = request();
        grantAsTimelock(reqId);
        vm.prank(renter); // not even the renter can revoke (or un-revoke) on its own
        vm.expectRevert(
            abi.encodeWithSelector(IAccessRegistry.AccessRegistryNotTimelock.selector, renter)
        );
        sys.accessRegistry.revoke(reqId);
        assertTrue(sys.accessRegistry.isGranted(reqId));
    }

    function test_revoke_RevertWhen_NeverGranted() public {
        uint256 reqId = request();
        vm.prank(address(sys.timelock));
        vm.expectRevert(
            abi.encodeWithSelector(IAccessRegistry.AccessRegistryNotRevocable.selector, reqId)
        );
        sys.accessRegistry.revoke(reqId);
    }

    function test_revoke_RevertWhen_AlreadyRevoked() public {
        uint256 reqId = request();
        grantAsTimelock(reqId);
        vm.startPrank(address(sys.timelock));
        sys.accessRegistry.revoke(reqId);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessRegistry.AccessRegistryNotRevocable.selector, reqId)
        );
        sys.accessRegistry.revoke(reqId);
        vm.stopPrank();
    }

    function test_revoke_EndsGrantAndScopeBeforeExpiry() public {
        uint256 reqId = requestAs(renter, FEE, 1, 1, uint64(block.timestamp + 1 days));
        grantAsTimelock(reqId);
        assertTrue(sys.accessRegistry.inScope(reqId, file1));
        vm.roll(block.number + 5);
        vm.expectEmit(address(sys.accessRegistry));
        emit IAccessRegistry.AccessRevoked(reqId, renter, datasetId);
        vm.prank(address(sys.timelock));
        sys.accessRegistry.revoke(reqId);
        assertFalse(sys.accessRegistry.isGranted(reqId));
        assertFalse(sys.accessRegistry.inScope(reqId, file1));
        assertEq(sys.accessRegistry.revokedAtBlock(reqId), block.number);
        // the record of what was granted stays readable (audits, the renter's own status)
        assertEq(sys.accessRegistry.access(reqId).renter, renter);
    }

    function test_revoke_ThroughGovernance() public {
        uint256 reqId = request();
        grantAsTimelock(reqId);
        address[] memory t = new address[](1);
        t[0] = address(sys.accessRegistry);
        uint256[] memory v = new uint256[](1);
        bytes[] memory c = new bytes[](1);
        c[0] = abi.encodeCall(IAccessRegistry.revoke, (reqId));
        address holder = makeAddr("holder");
        mintVotes(holder, 1000 ether);
        vm.roll(block.number + 1);
        runProposal(t, v, c, "revoke a leaked renter key", voters(holder), 1);
        assertFalse(sys.accessRegistry.isGranted(reqId));
        assertEq(sys.accessRegistry.revokedAtBlock(reqId), block.number);
    }
}
