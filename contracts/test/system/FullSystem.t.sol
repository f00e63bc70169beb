// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";

import {EscrowFixtures} from "../utils/EscrowFixtures.sol";
import {IRentalEscrow} from "../../src/interfaces/IRentalEscrow.sol";

/// @notice The happy path of DESIGN.md §3 steps 4-8 on the system exactly as Deploy.s.sol wires it:
/// stake -> ritual -> submit -> commit/reveal -> finalize -> claim -> request access -> delegate/propose/vote/
/// queue/execute -> claim fee; and a second request that governance defeats and the renter gets refunded.
contract FullSystemTest is EscrowFixtures {
    uint64 internal constant EPOCH = 0;

    function setUp() public {
        deployFreshSystem();
    }

    function test_fullLifecycle() public {
        // --- validators stake, register and run the key ritual
        uint32 ritualId = setUpValidatorsAndRitual();
        assertEq(sys.dkg.activeRitualId(), ritualId);

        // --- contributors submit sealed files in epoch 0
        bytes32[] memory files = new bytes32[](3);
        for (uint256 i; i < 3; ++i) {
            files[i] = submitFile(i);
        }
        assertEq(sys.registry.epochFileCount(datasetId, EPOCH), 3);

        // --- committee commits, reveals (one dissenter), anyone finalizes
        uint16[][] memory s = new uint16[][](3);
        s[0] = _s(6000, 3000, 1000);
        s[1] = _s(6200, 2900, 1000);
        s[2] = _s(100, 9000, 5000); // minority outlier: cannot move the medians
        scoreEpoch(EPOCH, s);
        uint256 s0 = sys.scoreBoard.finalScore(datasetId, EPOCH, files[0]);
        uint256 s1 = sys.scoreBoard.finalScore(datasetId, EPOCH, files[1]);
        uint256 s2 = sys.scoreBoard.finalScore(datasetId, EPOCH, files[2]);
        assertEq(s0, 6000);
        assertEq(s1, 3000);
        assertEq(s2, 1000);
        uint256 total = s0 + s1 + s2;

        // --- contributors' claims mint exactly floor(E_c * s_j / sum s)
        uint256 e = params.dataset.emissionPerEpoch;
        uint256 ec = e * (10_000 - params.dataset.validatorShareBps) / 10_000;
        uint256[] memory sc = new uint256[](3);
        sc[0] = s0;
        sc[1] = s1;
        sc[2] = s2;
        for (uint256 i; i < 3; ++i) {
            uint256 got = sys.rewards.claim(datasetId, EPOCH, files[i]);
            assertEq(got, ec * sc[i] / total);
            assertEq(sys.token.balanceOf(contributors[i]), ec * sc[i] / total);
        }
        for (uint256 i; i < 3; ++i) {
            vm.prank(validators[i]);
            sys.rewards.claimValidatorReward(datasetId, EPOCH);
        }
        assertGt(
            sys.token.balanceOf(validators[0]),
            sys.token.balanceOf(validators[2]),
            "agreement weights rewards"
        );
        sys.rewards.sweepDust(datasetId, EPOCH);
        assertEq(sys.token.totalSupply(), e, "sum minted == E");

        // --- a renter requests access to epoch 0
        uint256 reqId = requestAs(renter, FEE, 0, 0, uint64(block.timestamp + 7 days));

        // --- holders delegate, propose, vote, queue, execute the canonical grant proposal
        vm.prank(contributors[2]);
        sys.token.delegate(contributors[0]); // contributor 2 lends its votes to contributor 0
        rollTo(block.number + 1);
        address[] memory vs = new address[](2);
        vs[0] = contributors[0];
        vs[1] = contributors[1];
        uint256 pid = runGrant(reqId, vs, 1);
        assertEq(uint8(sys.governor.state(pid)), uint8(IGovernor.ProposalState.Executed));
        assertTrue(sys.accessRegistry.isGranted(reqId));
        assertTrue(sys.accessRegistry.inScope(reqId, files[0]));

        // --- holders claim the fee pro rata to their votes at the grant block
        uint64 grantBlock = sys.escrow.request(reqId).grantBlock;
        rollTo(block.number + 1);
        uint256 supply = sys.token.getPastTotalSupply(grantBlock);
        uint256 paid;
        for (uint256 i; i < 2; ++i) {
            uint256 expected = FEE * sys.token.getPastVotes(contributors[i], grantBlock) / supply;
            vm.prank(contributors[i]);
            assertEq(sys.escrow.claimFee(reqId), expected);
            assertEq(contributors[i].balance, expected);
            paid += expected;
        }
        assertEq(address(sys.escrow).balance, FEE - paid);

        // --- a second request is voted down and refunded
        address renter2 = makeAddr("renter2");
        uint256 req2 = requestAs(renter2, 2 ether, 0, 0, uint64(block.timestamp + 7 days));
        uint256 pid2 = runGrant(req2, vs, 0);
        assertEq(uint8(sys.governor.state(pid2)), uint8(IGovernor.ProposalState.Defeated));
        assertFalse(sys.accessRegistry.isGranted(req2));
        sys.escrow.refund(req2);
        assertEq(renter2.balance, 2 ether);
        assertEq(uint8(sys.escrow.request(req2).status), uint8(IRentalEscrow.Status.Refunded));
        assertEq(address(sys.escrow).balance, FEE - paid);
    }

    function _s(uint16 a, uint16 b, uint16 c) internal pure returns (uint16[] memory r) {
        r = new uint16[](3);
        r[0] = a;
        r[1] = b;
        r[2] = c;
    }
}
