// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixtures} from "../utils/Fixtures.sol";

/// @notice Fuzzed properties of ScoreBoard v2's finalization: with random stakes, random (root, total) choices
/// and random non-revealers, the finalized key is the one with the most revealed stake (ties: the earliest
/// committee member's), quorum is exactly `winningStake * 10000 >= quorumBps * committeeStake`, and only the
/// winners get a reward weight.
contract ScoreBoardFuzzTest is Fixtures {
    uint64 internal constant EPOCH = 0;
    uint256 internal constant N = 5;
    uint256 internal constant KEYS = 3;

    bytes32[KEYS] internal roots;
    uint256[KEYS] internal totals;

    function setUp() public {
        deployFreshSystem();
        validators.push(makeAddr("validator3"));
        validators.push(makeAddr("validator4"));
        roots = [keccak256("root-a"), keccak256("root-b"), keccak256("root-a")];
        totals = [uint256(1e9), 1e9, 0]; // key 2 shares key 0's root: (root, total) is the key
    }

    /// @param choice per validator: 0..2 reveal that key, 3 commit but do not reveal, 4 do not commit.
    function testFuzz_finalize_WinnerIsMaxStakeKeyAndQuorumIsExact(
        uint256[N] memory stakes,
        uint8[N] memory choice,
        uint16 quorumBps
    ) public {
        quorumBps = uint16(bound(quorumBps, 1, 10_000));
        for (uint256 i; i < N; ++i) {
            stakes[i] = bound(stakes[i], 1 ether, 1000 ether);
            choice[i] = uint8(bound(choice[i], 0, 4));
            stakeAndRegister(validators[i], stakes[i]);
        }
        activateRitual(uint16(N), 3);
        vm.prank(address(sys.timelock));
        sys.config.setScoringParams(datasetId, quorumBps, 0);

        rollToCommit(EPOCH);
        sys.scoreBoard.fixSeed(datasetId, EPOCH);
        for (uint256 i; i < N; ++i) {
            if (choice[i] == 4) continue;
            uint256 k = choice[i] % KEYS;
            commitRoot(validators[i], EPOCH, roots[k], totals[k]);
        }
        rollToReveal(EPOCH);
        for (uint256 i; i < N; ++i) {
            if (choice[i] < KEYS) {
                revealRoot(validators[i], EPOCH, roots[choice[i]], totals[choice[i]]);
            }
        }
        rollToFinalize(EPOCH);
        sys.scoreBoard.finalize(datasetId, EPOCH);

        (uint256 best, uint256 winKey, uint256 committeeStake) = _expectedWinner(stakes, choice);
        assertEq(sys.scoreBoard.committeeStake(datasetId, EPOCH), committeeStake);
        assertEq(sys.scoreBoard.epochStatus(datasetId, EPOCH).winningStake, best, "winning stake");
        bool quorum = best != 0 && best * 10_000 >= uint256(quorumBps) * committeeStake;
        assertEq(sys.scoreBoard.epochStatus(datasetId, EPOCH).quorumMet, quorum, "quorum rule");
        (bytes32 r, uint256 t) = sys.scoreBoard.finalizedRoot(datasetId, EPOCH);
        assertEq(r, quorum ? roots[winKey] : bytes32(0), "finalized root");
        assertEq(t, quorum ? totals[winKey] : 0, "finalized total");

        uint256 weights;
        for (uint256 i; i < N; ++i) {
            uint256 w = sys.scoreBoard.validatorWeight(datasetId, EPOCH, validators[i]);
            bool winner = quorum && choice[i] == winKey;
            if (winner) {
                assertEq(w, stakes[i] * sys.scoreBoard.agreementEma(validators[i]), "winner weight");
                assertEq(sys.scoreBoard.agreementEma(validators[i]), 10_000);
            } else {
                assertEq(w, 0, "only winners are weighted");
            }
            if (quorum && choice[i] < KEYS && choice[i] != winKey) {
                assertEq(sys.scoreBoard.agreementEma(validators[i]), 8750, "dissenter falls");
            }
            weights += w;
        }
        assertEq(sys.scoreBoard.totalValidatorWeight(datasetId, EPOCH), weights);
    }

    /// @dev The reference rule, in committee order: the revealers' key stakes, the first strict maximum.
    function _expectedWinner(uint256[N] memory stakes, uint8[N] memory choice)
        internal
        view
        returns (uint256 best, uint256 winKey, uint256 committeeStake)
    {
        uint256[KEYS] memory keyStake;
        for (uint256 i; i < N; ++i) {
            committeeStake += stakes[i];
            if (choice[i] < KEYS) keyStake[choice[i]] += stakes[i];
        }
        address[] memory c = sys.scoreBoard.committee(datasetId, EPOCH);
        assertEq(c.length, N);
        for (uint256 m; m < c.length; ++m) {
            uint256 i = _indexOf(c[m]);
            if (choice[i] >= KEYS) continue;
            if (keyStake[choice[i]] > best) {
                best = keyStake[choice[i]];
                winKey = choice[i];
            }
        }
    }

    function _indexOf(address v) internal view returns (uint256) {
        for (uint256 i; i < N; ++i) {
            if (validators[i] == v) return i;
        }
        revert("not a validator");
    }
}
