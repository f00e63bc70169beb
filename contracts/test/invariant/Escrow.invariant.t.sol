// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EscrowFixtures} from "../utils/EscrowFixtures.sol";
import {EscrowHandler} from "./handlers/EscrowHandler.sol";
import {IAccessRegistry} from "../../src/interfaces/IAccessRegistry.sol";
import {IRentalEscrow} from "../../src/interfaces/IRentalEscrow.sol";

/// @notice Escrow accounting and access-control invariants.
contract EscrowInvariantTest is EscrowFixtures {
    EscrowHandler internal handler;

    function setUp() public {
        deployFreshSystem();
        address[] memory holders = new address[](4);
        for (uint256 i; i < holders.length; ++i) {
            holders[i] = makeAddr(string.concat("inv-holder", vm.toString(i)));
            mintVotes(holders[i], (i + 1) * 100 ether);
        }
        rollTo(block.number + 1);
        handler = new EscrowHandler(sys, holders);
        targetContract(address(handler));
    }

    /// @notice balance == Σ fees of open requests + Σ unclaimed parts of granted fees (from the escrow's own
    /// records and from the ghosts), and no request ever pays out more than its fee.
    function invariant_BalanceEqualsOpenPlusUnclaimedGranted() public view {
        uint256 open;
        uint256 unclaimed;
        uint256 n = sys.escrow.requestCount();
        for (uint256 id = 1; id <= n; ++id) {
            IRentalEscrow.Request memory r = sys.escrow.request(id);
            assertLe(r.claimed, r.fee, "claimed > fee");
            if (r.status == IRentalEscrow.Status.Open) open += r.fee;
            if (r.status == IRentalEscrow.Status.Granted) unclaimed += r.fee - r.claimed;
        }
        assertEq(address(sys.escrow).balance, open + unclaimed, "balance vs records");
        assertEq(open, handler.ghostOpenFees(), "open vs ghost");
        assertEq(unclaimed, handler.ghostGrantedUnclaimed(), "unclaimed vs ghost");
    }

    /// @notice AccessRegistry state changes only through the timelock: every recorded grant was a timelock call,
    /// and a request is Granted in the escrow exactly when the registry holds its access record.
    function invariant_AccessChangesOnlyThroughTimelock() public view {
        assertEq(handler.ghostNonTimelockGrants(), 0, "granted by someone else");
        uint256 n = sys.escrow.requestCount();
        for (uint256 id = 1; id <= n; ++id) {
            bool granted = sys.escrow.request(id).status == IRentalEscrow.Status.Granted;
            assertEq(granted, handler.ghostGrantedByTimelock(id), "escrow vs ghost");
            if (granted) {
                IAccessRegistry.Access memory a = sys.accessRegistry.access(id);
                assertEq(a.renter, sys.escrow.request(id).renter);
                assertEq(a.grantedAtBlock, sys.escrow.request(id).grantBlock);
            }
        }
    }
}
