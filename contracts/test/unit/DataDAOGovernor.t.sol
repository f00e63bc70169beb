// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {EscrowFixtures} from "../utils/EscrowFixtures.sol";

contract DataDAOGovernorTest is EscrowFixtures {
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    function setUp() public {
        deployFreshSystem();
        mintVotes(alice, 100 ether);
        mintVotes(bob, 900 ether);
        rollTo(block.number + 1);
    }

    function test_constructor_AppliesSettings() public view {
        assertEq(sys.governor.name(), "DataDAO Governor");
        assertEq(sys.governor.votingDelay(), params.votingDelay);
        assertEq(sys.governor.votingPeriod(), params.votingPeriod);
        assertEq(sys.governor.proposalThreshold(), params.proposalThreshold);
        assertEq(sys.governor.quorumNumerator(), params.quorumPercent);
        assertEq(address(sys.governor.token()), address(sys.token));
        assertEq(sys.governor.timelock(), address(sys.timelock));
        assertEq(sys.governor.clock(), block.number, "block-number clock");
        assertEq(sys.governor.quorum(block.number - 1), 1000 ether * params.quorumPercent / 100);
    }

    function test_timelock_GovernorIsOnlyProposerAndCanceller() public view {
        assertTrue(sys.timelock.hasRole(sys.timelock.PROPOSER_ROLE(), address(sys.governor)));
        assertTrue(sys.timelock.hasRole(sys.timelock.CANCELLER_ROLE(), address(sys.governor)));
        assertTrue(
            sys.timelock.hasRole(sys.timelock.EXECUTOR_ROLE(), address(0)), "anyone executes"
        );
        assertFalse(
            sys.timelock.hasRole(sys.timelock.DEFAULT_ADMIN_ROLE(), address(this)),
            "deployer renounced"
        );
        assertTrue(sys.timelock.hasRole(sys.timelock.DEFAULT_ADMIN_ROLE(), address(sys.timelock)));
        assertEq(sys.timelock.getMinDelay(), params.timelockDelay);
        assertEq(sys.config.owner(), address(sys.timelock));
        assertEq(sys.staking.owner(), address(sys.timelock));
        assertEq(sys.dkg.owner(), address(sys.timelock));
    }

    function test_timelock_RevertWhen_ScheduledByOthers() public {
        bytes32 role = sys.timelock.PROPOSER_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, alice, role
            )
        );
        vm.prank(alice);
        sys.timelock.schedule(address(sys.accessRegistry), 0, "", bytes32(0), bytes32(0), 60);
    }

    function test_propose_VoteQueueExecuteGrantsAccess() public {
        uint256 reqId = request();
        uint256 pid = runGrant(reqId, voters(bob), 1);
        assertEq(uint8(sys.governor.state(pid)), uint8(IGovernor.ProposalState.Executed));
        assertTrue(sys.accessRegistry.isGranted(reqId));
    }

    function test_propose_DefeatedWithoutQuorum() public {
        // alice alone (10%) reaches the 4% quorum; a holder with less does not
        address carol = makeAddr("carol");
        mintVotes(carol, 1 ether);
        rollTo(block.number + 1);
        uint256 reqId = request();
        uint256 pid = runGrant(reqId, voters(carol), 1);
        assertEq(uint8(sys.governor.state(pid)), uint8(IGovernor.ProposalState.Defeated));
        assertFalse(sys.accessRegistry.isGranted(reqId));
    }
}
