// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";

import {SystemDeployer} from "../../../script/SystemDeployer.sol";
import {IRentalEscrow} from "../../../src/interfaces/IRentalEscrow.sol";

/// @notice Random requests, grants (by the timelock and by anyone else), refunds, fee claims, token moves and the
/// passage of time against the real escrow, access registry and token. Ghosts: fees open, granted fees not yet
/// claimed, and who granted what.
contract EscrowHandler is Test {
    SystemDeployer.System internal sys;
    uint256 internal immutable datasetId;
    address[] internal holders;
    address[] internal renters;

    uint256 public ghostOpenFees;
    uint256 public ghostGrantedUnclaimed;
    uint256 public ghostNonTimelockGrants;
    mapping(uint256 reqId => bool) public ghostGrantedByTimelock;
    uint256 public ghostRequests;

    constructor(SystemDeployer.System memory sys_, address[] memory holders_) {
        sys = sys_;
        datasetId = sys_.datasetId;
        holders = holders_;
        for (uint256 i; i < 3; ++i) {
            renters.push(makeAddr(string.concat("inv-renter", vm.toString(i))));
        }
    }

    function requestAccess(uint256 who, uint256 fee, uint256 ttl, uint64 fromEpoch, uint64 span)
        external
    {
        address r = renters[bound(who, 0, renters.length - 1)];
        fee = bound(fee, 1, 10 ether);
        ttl = bound(ttl, 1, 3 days);
        fromEpoch = uint64(bound(fromEpoch, 0, 100));
        span = uint64(bound(span, 0, 10));
        vm.deal(r, r.balance + fee);
        vm.prank(r);
        sys.escrow.requestAccess{value: fee}(
            datasetId, hex"04", fromEpoch, fromEpoch + span, uint64(block.timestamp + ttl)
        );
        ghostOpenFees += fee;
        ++ghostRequests;
    }

    /// @dev Half the time as the timelock (a passed proposal), otherwise as an arbitrary account.
    function grant(uint256 req, uint256 callerSeed) external {
        if (ghostRequests == 0) return;
        uint256 reqId = bound(req, 1, ghostRequests);
        address caller = callerSeed % 2 == 0 ? address(sys.timelock) : _other(callerSeed);
        uint256 fee = sys.escrow.request(reqId).fee;
        vm.prank(caller);
        try sys.accessRegistry.grant(reqId) {
            if (caller != address(sys.timelock)) ++ghostNonTimelockGrants;
            ghostGrantedByTimelock[reqId] = true;
            ghostOpenFees -= fee;
            ghostGrantedUnclaimed += fee;
        } catch {}
    }

    /// @dev Someone other than the AccessRegistry reports a grant straight to the escrow.
    function onGrantedDirect(uint256 req, uint256 callerSeed) external {
        if (ghostRequests == 0) return;
        uint256 reqId = bound(req, 1, ghostRequests);
        vm.prank(_other(callerSeed));
        try sys.escrow.onGranted(reqId) {
            ++ghostNonTimelockGrants;
        } catch {}
    }

    function refund(uint256 req) external {
        if (ghostRequests == 0) return;
        uint256 reqId = bound(req, 1, ghostRequests);
        uint256 fee = sys.escrow.request(reqId).fee;
        try sys.escrow.refund(reqId) {
            ghostOpenFees -= fee;
        } catch {}
    }

    function claimFee(uint256 req, uint256 who) external {
        if (ghostRequests == 0) return;
        uint256 reqId = bound(req, 1, ghostRequests);
        address h = holders[bound(who, 0, holders.length - 1)];
        vm.prank(h);
        try sys.escrow.claimFee(reqId) returns (uint256 amount) {
            ghostGrantedUnclaimed -= amount;
        } catch {}
    }

    function moveTokens(uint256 from, uint256 to, uint256 amount) external {
        address a = holders[bound(from, 0, holders.length - 1)];
        address b = holders[bound(to, 0, holders.length - 1)];
        amount = bound(amount, 0, sys.token.balanceOf(a));
        vm.prank(a);
        sys.token.transfer(b, amount);
    }

    function delegateVotes(uint256 from, uint256 to) external {
        address a = holders[bound(from, 0, holders.length - 1)];
        address b = holders[bound(to, 0, holders.length - 1)];
        vm.prank(a);
        sys.token.delegate(b);
    }

    function passTime(uint256 blocks) external {
        blocks = bound(blocks, 1, 2000);
        vm.roll(block.number + blocks);
        vm.warp(block.timestamp + blocks * 12);
    }

    function _other(uint256 seed) internal view returns (address a) {
        a = address(uint160(uint256(keccak256(abi.encode(seed)))));
        if (seed % 3 == 1) a = holders[seed % holders.length];
        if (seed % 5 == 1) a = address(sys.governor);
    }

    function statusOf(uint256 reqId) external view returns (IRentalEscrow.Status) {
        return sys.escrow.request(reqId).status;
    }
}
