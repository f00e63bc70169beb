// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixtures} from "./Fixtures.sol";

/// @notice Helpers shared by the escrow, access and governance tests.
abstract contract EscrowFixtures is Fixtures {
    uint256 internal constant FEE = 3 ether;
    bytes internal constant RENTER_KEY = hex"04aabbccdd";

    /// @notice Mints governance tokens as the RewardDistributor would (first mint self-delegates).
    function mintVotes(address holder, uint256 amount) internal {
        vm.prank(address(sys.rewards));
        sys.token.mint(holder, amount);
    }

    function requestAs(address who, uint256 fee, uint64 fromEpoch, uint64 toEpoch, uint64 expiry)
        internal
        returns (uint256 reqId)
    {
        vm.deal(who, who.balance + fee);
        vm.prank(who);
        reqId =
            sys.escrow.requestAccess{value: fee}(datasetId, RENTER_KEY, fromEpoch, toEpoch, expiry);
    }

    function request() internal returns (uint256) {
        return requestAs(renter, FEE, 0, 10, uint64(block.timestamp + 1 days));
    }

    function grantAsTimelock(uint256 reqId) internal {
        vm.prank(address(sys.timelock));
        sys.accessRegistry.grant(reqId);
    }

    function proposeGrant(uint256 reqId) internal returns (uint256 proposalId) {
        proposalId = sys.escrow.proposeGrant(reqId);
    }

    function voters(address a) internal pure returns (address[] memory vs) {
        vs = new address[](1);
        vs[0] = a;
    }

    function runGrant(uint256 reqId, address[] memory vs, uint8 support)
        internal
        returns (uint256)
    {
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) =
            sys.escrow.grantProposal(reqId);
        uint256 proposalId = sys.escrow.proposeGrant(reqId);
        return voteAndExecute(proposalId, t, v, c, d, vs, support);
    }
}
