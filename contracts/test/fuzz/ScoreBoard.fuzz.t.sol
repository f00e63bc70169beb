// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixtures} from "../utils/Fixtures.sol";

/// @notice Fuzzed properties of the stake-weighted median.
contract ScoreBoardFuzzTest is Fixtures {
    uint64 internal constant EPOCH = 0;
    uint256 internal constant FILES = 2;

    function setUp() public {
        deployFreshSystem();
        // five validators: three honest, two malicious
        validators.push(makeAddr("validator3"));
        validators.push(makeAddr("validator4"));
        vm.prank(address(sys.timelock));
        sys.config.setScoringParams(datasetId, 10_000, 0); // everyone must reveal; keep raw medians
    }

    /// @notice A coalition holding less than half of the revealed stake, whatever it reveals, cannot move any
    /// finalized score outside the range of the honest validators' scores.
    function testFuzz_finalize_MinorityCannotLeaveHonestRange(
        uint256[3] memory honestStake,
        uint256[2] memory evilStake,
        uint16[3][FILES] memory honestScores,
        uint16[2][FILES] memory evilScores
    ) public {
        uint256 h;
        for (uint256 i; i < 3; ++i) {
            honestStake[i] = bound(honestStake[i], 1 ether, 1000 ether);
            h += honestStake[i];
        }
        // each evil stake <= (H - 1) / 2, so together they hold < H, i.e. < half of all revealed stake
        for (uint256 i; i < 2; ++i) {
            evilStake[i] = bound(evilStake[i], 1 ether, (h - 1) / 2);
        }
        for (uint256 i; i < 3; ++i) {
            stakeAndRegister(validators[i], honestStake[i]);
        }
        for (uint256 i; i < 2; ++i) {
            stakeAndRegister(validators[3 + i], evilStake[i]);
        }
        activateRitual(5, 3);
        bytes32[] memory files = new bytes32[](FILES);
        for (uint256 j; j < FILES; ++j) {
            files[j] = submitFile(j);
        }

        uint16[][] memory s = new uint16[][](5);
        for (uint256 i; i < 5; ++i) {
            s[i] = new uint16[](FILES);
            for (uint256 j; j < FILES; ++j) {
                s[i][j] = i < 3
                    ? uint16(bound(honestScores[j][i], 0, 10_000))
                    : uint16(bound(evilScores[j][i - 3], 0, 10_000));
            }
        }
        scoreEpoch(EPOCH, s);

        for (uint256 j; j < FILES; ++j) {
            uint256 lo = 10_000;
            uint256 hi;
            for (uint256 i; i < 3; ++i) {
                if (s[i][j] < lo) lo = s[i][j];
                if (s[i][j] > hi) hi = s[i][j];
            }
            uint256 fin = sys.scoreBoard.finalScore(datasetId, EPOCH, files[j]);
            assertGe(fin, lo, "below honest range");
            assertLe(fin, hi, "above honest range");
        }
    }

    /// @notice With equal stakes and identical reveals the median is the common score (minus the min-score rule).
    function testFuzz_finalize_UnanimousScoreIsFinal(uint16 a, uint16 b) public {
        a = uint16(bound(a, 0, 10_000));
        b = uint16(bound(b, 0, 10_000));
        validators.pop();
        validators.pop();
        setUpValidatorsAndRitual();
        bytes32 f0 = submitFile(0);
        bytes32 f1 = submitFile(1);
        uint16[] memory one = new uint16[](2);
        one[0] = a;
        one[1] = b;
        uint16[][] memory s = new uint16[][](3);
        s[0] = one;
        s[1] = one;
        s[2] = one;
        scoreEpoch(EPOCH, s);
        assertEq(sys.scoreBoard.finalScore(datasetId, EPOCH, f0), a);
        assertEq(sys.scoreBoard.finalScore(datasetId, EPOCH, f1), b);
        assertEq(sys.scoreBoard.agreementEma(validators[0]), 10_000);
    }
}
