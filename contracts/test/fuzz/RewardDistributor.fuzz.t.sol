// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixtures} from "../utils/Fixtures.sol";

/// @notice Fuzzed emission accounting.
contract RewardDistributorFuzzTest is Fixtures {
    uint64 internal constant EPOCH = 0;

    function setUp() public {
        deployFreshSystem();
        setUpValidatorsAndRitual();
    }

    /// @notice Whatever the scores and E: each claim is floor(pool * part / whole), all claims together
    /// never exceed E, and after the dust sweep exactly E exists.
    function testFuzz_claims_SumToAtMostEmission(
        uint16[3] memory scores,
        uint256 emission,
        uint16[3] memory dissent
    ) public {
        emission = bound(emission, 0, params.dataset.emissionCap);
        vm.prank(address(sys.timelock));
        sys.config.setEmission(datasetId, emission);
        uint256 shareBps = params.dataset.validatorShareBps;

        bytes32[] memory files = new bytes32[](3);
        for (uint256 j; j < 3; ++j) {
            files[j] = submitFile(j);
        }
        uint16[][] memory s = new uint16[][](3);
        for (uint256 i; i < 3; ++i) {
            s[i] = new uint16[](3);
            for (uint256 j; j < 3; ++j) {
                uint256 base = bound(scores[j], 0, 10_000);
                // validators disagree a little (validator i shifts file j by up to dissent[i] bps)
                uint256 d = i == 0 ? 0 : bound(dissent[i], 0, 2000) * (j + 1) / 3;
                s[i][j] = uint16(base + d > 10_000 ? 10_000 : base + d);
            }
        }
        scoreEpoch(EPOCH, s);

        uint256 total = sys.scoreBoard.epochStatus(datasetId, EPOCH).totalScore;
        uint256 ec = total == 0 ? 0 : emission * (10_000 - shareBps) / 10_000;
        uint256 minted;
        for (uint256 j; j < 3; ++j) {
            uint256 sj = sys.scoreBoard.finalScore(datasetId, EPOCH, files[j]);
            if (sj == 0 || ec * sj / total == 0) continue;
            uint256 got = sys.rewards.claim(datasetId, EPOCH, files[j]);
            assertEq(got, ec * sj / total, "floor(E_c * s_j / sum s)");
            minted += got;
        }
        for (uint256 i; i < 3; ++i) {
            if (sys.rewards.validatorReward(datasetId, EPOCH, validators[i]) == 0) continue;
            vm.prank(validators[i]);
            minted += sys.rewards.claimValidatorReward(datasetId, EPOCH);
        }
        assertLe(minted, emission, "claims exceed E");
        assertEq(sys.token.totalSupply(), minted);
        rollTo(block.number + params.claimWindowBlocks + 1);
        sys.rewards.sweepDust(datasetId, EPOCH);
        assertEq(sys.token.totalSupply(), total == 0 ? 0 : emission, "exactly E after the sweep");
    }
}
