// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";

import {EscrowFixtures} from "../utils/EscrowFixtures.sol";
import {EthRejecter} from "../mocks/EthRejecter.sol";
import {RentalEscrow} from "../../src/RentalEscrow.sol";
import {IAccessRegistry} from "../../src/interfaces/IAccessRegistry.sol";
import {IRentalEscrow} from "../../src/interfaces/IRentalEscrow.sol";

contract RentalEscrowTest is EscrowFixtures {
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    function setUp() public {
        deployFreshSystem();
        mintVotes(alice, 300 ether);
        mintVotes(bob, 100 ether);
        rollTo(block.number + 1);
    }

    // ----- constructor -----

    function test_constructor_RevertWhen_RegistryMismatch() public {
        address reg = address(sys.accessRegistry); // points at the deployed escrow, not the new one
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowRegistryMismatch.selector, reg)
        );
        new RentalEscrow(address(sys.governor), address(sys.token), address(sys.config), reg);
    }

    // ----- requestAccess -----

    function test_requestAccess_RecordsRequestAndEscrowsFee() public {
        uint64 expiry = uint64(block.timestamp + 1 days);
        vm.deal(renter, FEE);
        vm.expectEmit(address(sys.escrow));
        emit IRentalEscrow.AccessRequested(1, renter, datasetId, FEE, 2, 5, expiry, RENTER_KEY);
        vm.prank(renter);
        uint256 reqId = sys.escrow.requestAccess{value: FEE}(datasetId, RENTER_KEY, 2, 5, expiry);
        assertEq(reqId, 1);
        assertEq(sys.escrow.requestCount(), 1);
        assertEq(address(sys.escrow).balance, FEE);
        IRentalEscrow.Request memory r = sys.escrow.request(reqId);
        assertEq(r.renter, renter);
        assertEq(uint8(r.status), uint8(IRentalEscrow.Status.Open));
        assertEq(r.fromEpoch, 2);
        assertEq(r.toEpoch, 5);
        assertEq(r.expiry, expiry);
        assertEq(r.fee, FEE);
        assertEq(r.renterKey, RENTER_KEY);
    }

    function test_requestAccess_RevertWhen_UnknownDataset() public {
        vm.deal(renter, FEE);
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowUnknownDataset.selector, uint256(7))
        );
        vm.prank(renter);
        sys.escrow.requestAccess{value: FEE}(7, RENTER_KEY, 0, 1, uint64(block.timestamp + 1));
    }

    function test_requestAccess_RevertWhen_ZeroFee() public {
        vm.expectRevert(IRentalEscrow.RentalEscrowZeroFee.selector);
        sys.escrow.requestAccess(datasetId, RENTER_KEY, 0, 1, uint64(block.timestamp + 1));
    }

    function test_requestAccess_RevertWhen_EmptyRenterKey() public {
        vm.expectRevert(IRentalEscrow.RentalEscrowEmptyRenterKey.selector);
        sys.escrow.requestAccess{value: 1}(datasetId, "", 0, 1, uint64(block.timestamp + 1));
    }

    function test_requestAccess_RevertWhen_InvalidScope() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IRentalEscrow.RentalEscrowInvalidScope.selector, uint64(3), uint64(2)
            )
        );
        sys.escrow.requestAccess{value: 1}(datasetId, RENTER_KEY, 3, 2, uint64(block.timestamp + 1));
    }

    function test_requestAccess_RevertWhen_ExpiryInPast() public {
        uint64 expiry = uint64(block.timestamp);
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowExpiryInPast.selector, expiry)
        );
        sys.escrow.requestAccess{value: 1}(datasetId, RENTER_KEY, 0, 1, expiry);
    }

    // ----- refund -----

    function test_refund_AfterExpiryUngranted() public {
        uint256 reqId = request();
        vm.warp(block.timestamp + 1 days + 1);
        assertTrue(sys.escrow.refundable(reqId));
        vm.expectEmit(address(sys.escrow));
        emit IRentalEscrow.AccessRefunded(reqId, renter, FEE);
        vm.prank(makeAddr("anyone"));
        sys.escrow.refund(reqId);
        assertEq(renter.balance, FEE);
        assertEq(address(sys.escrow).balance, 0);
        assertEq(uint8(sys.escrow.request(reqId).status), uint8(IRentalEscrow.Status.Refunded));
    }

    function test_refund_WhenGrantProposalDefeated() public {
        uint256 reqId = request();
        uint256 pid = runGrant(reqId, voters(alice), 0); // against
        assertEq(uint8(sys.governor.state(pid)), uint8(IGovernor.ProposalState.Defeated));
        assertEq(pid, sys.escrow.grantProposalId(reqId));
        sys.escrow.refund(reqId);
        assertEq(renter.balance, FEE);
    }

    // ----- the canonical grant proposal cannot be griefed -----

    function test_proposeGrant_RevertWhen_StrangerProposesCanonicalProposal() public {
        uint256 reqId = request();
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) =
            sys.escrow.grantProposal(reqId);
        for (uint256 i; i < 2; ++i) {
            address who = i == 0 ? alice : renter; // a stranger, and even the renter itself
            vm.prank(who);
            vm.expectRevert(
                abi.encodeWithSelector(IGovernor.GovernorRestrictedProposer.selector, who)
            );
            sys.governor.propose(t, v, c, d);
        }
    }

    function test_proposeGrant_NobodyCanCancelIt() public {
        uint256 reqId = request();
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) =
            sys.escrow.grantProposal(reqId);
        vm.prank(alice);
        uint256 pid = sys.escrow.proposeGrant(reqId);
        assertEq(pid, sys.escrow.grantProposalId(reqId));
        assertEq(sys.governor.proposalProposer(pid), address(sys.escrow));
        address[3] memory who = [alice, renter, address(this)];
        for (uint256 i; i < who.length; ++i) {
            vm.prank(who[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IGovernor.GovernorUnableToCancel.selector, pid, who[i])
            );
            sys.governor.cancel(t, v, c, keccak256(bytes(d)));
        }
        assertEq(uint8(sys.governor.state(pid)), uint8(IGovernor.ProposalState.Pending));
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowNotRefundable.selector, reqId)
        );
        sys.escrow.refund(reqId);
    }

    function test_proposeGrant_RevertWhen_AlreadyProposed() public {
        uint256 reqId = request();
        uint256 pid = sys.escrow.proposeGrant(reqId);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGovernor.GovernorUnexpectedProposalState.selector,
                pid,
                IGovernor.ProposalState.Pending,
                bytes32(0)
            )
        );
        sys.escrow.proposeGrant(reqId);
    }

    function test_proposeGrant_RevertWhen_NotOpenOrExpired() public {
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowUnknownRequest.selector, uint256(9))
        );
        sys.escrow.proposeGrant(9);
        uint256 reqId = request();
        uint64 expiry = sys.escrow.request(reqId).expiry;
        vm.warp(expiry + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowRequestExpired.selector, reqId, expiry)
        );
        sys.escrow.proposeGrant(reqId);
        sys.escrow.refund(reqId);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRentalEscrow.RentalEscrowNotOpen.selector, reqId, IRentalEscrow.Status.Refunded
            )
        );
        sys.escrow.proposeGrant(reqId);
    }

    function test_proposeGrant_EmitsAndAnyoneCanCallIt() public {
        uint256 reqId = request();
        uint256 expected = sys.escrow.grantProposalId(reqId);
        vm.expectEmit(address(sys.escrow));
        emit IRentalEscrow.GrantProposed(reqId, expected, alice);
        vm.prank(alice);
        sys.escrow.proposeGrant(reqId);
    }

    function test_refund_RevertWhen_UnknownRequest() public {
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowUnknownRequest.selector, uint256(42))
        );
        sys.escrow.refund(42);
    }

    function test_refund_RevertWhen_NotOpen() public {
        uint256 reqId = request();
        grantAsTimelock(reqId);
        vm.warp(block.timestamp + 2 days);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRentalEscrow.RentalEscrowNotOpen.selector, reqId, IRentalEscrow.Status.Granted
            )
        );
        sys.escrow.refund(reqId);
    }

    function test_refund_RevertWhen_NotRefundable() public {
        uint256 reqId = request();
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowNotRefundable.selector, reqId)
        );
        sys.escrow.refund(reqId); // never proposed, not expired
        proposeGrant(reqId);
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowNotRefundable.selector, reqId)
        );
        sys.escrow.refund(reqId); // pending proposal
    }

    function test_refund_RevertWhen_TransferFailed() public {
        address rejecter = address(new EthRejecter());
        uint256 reqId = requestAs(rejecter, FEE, 0, 1, uint64(block.timestamp + 1 days));
        vm.warp(block.timestamp + 2 days);
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowTransferFailed.selector, rejecter, FEE)
        );
        sys.escrow.refund(reqId);
    }

    // ----- claimFee -----

    function test_claimFee_PaysProRataToPastVotes() public {
        uint256 reqId = request();
        grantAsTimelock(reqId);
        uint256 grantBlock = block.number;
        rollTo(block.number + 1);
        // moving tokens after the grant block changes nothing
        vm.prank(alice);
        sys.token.transfer(bob, 300 ether);
        assertEq(sys.escrow.claimableFee(reqId, alice), FEE * 3 / 4);
        vm.expectEmit(address(sys.escrow));
        emit IRentalEscrow.FeeClaimed(reqId, alice, FEE * 3 / 4);
        vm.prank(alice);
        assertEq(sys.escrow.claimFee(reqId), FEE * 3 / 4);
        vm.prank(bob);
        assertEq(sys.escrow.claimFee(reqId), FEE / 4);
        assertEq(alice.balance, FEE * 3 / 4);
        assertEq(address(sys.escrow).balance, 0);
        assertTrue(sys.escrow.feeClaimed(reqId, alice));
        assertEq(sys.escrow.claimableFee(reqId, alice), 0);
        assertEq(sys.escrow.request(reqId).grantBlock, grantBlock);
        assertEq(sys.escrow.request(reqId).claimed, FEE);
    }

    function test_claimFee_RevertWhen_NotGranted() public {
        uint256 reqId = request();
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowNotGranted.selector, reqId)
        );
        sys.escrow.claimFee(reqId);
    }

    function test_claimFee_RevertWhen_ClaimTooEarly() public {
        uint256 reqId = request();
        grantAsTimelock(reqId);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRentalEscrow.RentalEscrowClaimTooEarly.selector, reqId, uint64(block.number)
            )
        );
        vm.prank(alice);
        sys.escrow.claimFee(reqId);
    }

    function test_claimFee_RevertWhen_AlreadyClaimed() public {
        uint256 reqId = request();
        grantAsTimelock(reqId);
        rollTo(block.number + 1);
        vm.startPrank(alice);
        sys.escrow.claimFee(reqId);
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowAlreadyClaimed.selector, reqId, alice)
        );
        sys.escrow.claimFee(reqId);
        vm.stopPrank();
    }

    function test_claimFee_RevertWhen_NothingToClaim() public {
        uint256 reqId = request();
        grantAsTimelock(reqId);
        rollTo(block.number + 1);
        address nobody = makeAddr("nobody");
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowNothingToClaim.selector, reqId, nobody)
        );
        vm.prank(nobody);
        sys.escrow.claimFee(reqId);
    }

    function test_claimFee_RevertWhen_TransferFailed() public {
        address rejecter = address(new EthRejecter());
        mintVotes(rejecter, 100 ether);
        uint256 reqId = request();
        grantAsTimelock(reqId);
        rollTo(block.number + 1);
        uint256 share = FEE * 100 / 500;
        vm.expectRevert(
            abi.encodeWithSelector(
                IRentalEscrow.RentalEscrowTransferFailed.selector, rejecter, share
            )
        );
        vm.prank(rejecter);
        sys.escrow.claimFee(reqId);
    }

    // ----- onGranted (through AccessRegistry.grant) -----

    function test_onGranted_MarksGranted() public {
        uint256 reqId = request();
        vm.expectEmit(address(sys.escrow));
        emit IRentalEscrow.AccessFeeReleased(reqId, uint64(block.number), FEE);
        grantAsTimelock(reqId);
        assertEq(uint8(sys.escrow.request(reqId).status), uint8(IRentalEscrow.Status.Granted));
        assertFalse(sys.escrow.refundable(reqId));
    }

    function test_onGranted_RevertWhen_NotAccessRegistry() public {
        uint256 reqId = request();
        vm.expectRevert(
            abi.encodeWithSelector(
                IRentalEscrow.RentalEscrowNotAccessRegistry.selector, address(this)
            )
        );
        sys.escrow.onGranted(reqId);
    }

    function test_onGranted_RevertWhen_UnknownRequest() public {
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowUnknownRequest.selector, uint256(5))
        );
        grantAsTimelock(5);
    }

    function test_onGranted_RevertWhen_NotOpen() public {
        uint256 reqId = request();
        vm.warp(block.timestamp + 2 days);
        sys.escrow.refund(reqId);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRentalEscrow.RentalEscrowNotOpen.selector, reqId, IRentalEscrow.Status.Refunded
            )
        );
        grantAsTimelock(reqId);
    }

    function test_onGranted_RevertWhen_RequestExpired() public {
        uint256 reqId = request();
        uint64 expiry = sys.escrow.request(reqId).expiry;
        vm.warp(expiry + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowRequestExpired.selector, reqId, expiry)
        );
        grantAsTimelock(reqId);
    }

    // ----- views -----

    function test_grantProposal_IsCanonical() public {
        uint256 reqId = request();
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) =
            sys.escrow.grantProposal(reqId);
        assertEq(t.length, 1);
        assertEq(t[0], address(sys.accessRegistry));
        assertEq(v[0], 0);
        assertEq(c[0], abi.encodeCall(IAccessRegistry.grant, (reqId)));
        assertEq(
            d,
            string.concat(
                "Grant access request #1#proposer=", Strings.toHexString(address(sys.escrow))
            )
        );
        assertEq(
            sys.escrow.grantProposalId(reqId),
            sys.governor.hashProposal(t, v, c, keccak256(bytes(d)))
        );
    }

    function test_request_RevertWhen_UnknownRequest() public {
        vm.expectRevert(
            abi.encodeWithSelector(IRentalEscrow.RentalEscrowUnknownRequest.selector, uint256(1))
        );
        sys.escrow.request(1);
    }

    function test_views_Wiring() public view {
        assertEq(sys.escrow.governor(), address(sys.governor));
        assertEq(sys.escrow.token(), address(sys.token));
        assertEq(sys.escrow.accessRegistry(), address(sys.accessRegistry));
        assertEq(sys.escrow.datasetConfig(), address(sys.config));
        assertEq(sys.escrow.claimableFee(1, alice), 0);
    }
}
