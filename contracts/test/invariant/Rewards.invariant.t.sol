// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixtures} from "../utils/Fixtures.sol";
import {ScoringHandler} from "./handlers/ScoringHandler.sol";
import {IRewardDistributor} from "../../src/interfaces/IRewardDistributor.sol";

/// @notice Scoring and reward invariants over random interleavings of submit / commit / reveal / finalize /
/// claim / sweep and block production on the fully wired system.
contract RewardsInvariantTest is Fixtures {
    ScoringHandler internal handler;

    function setUp() public {
        deployFreshSystem();
        setUpValidatorsAndRitual();
        // a simple majority of stake as quorum, so that short random runs reach finalization with mints
        vm.prank(address(sys.timelock));
        sys.config.setScoringParams(datasetId, 5000, 10);
        handler = new ScoringHandler(sys, validators, contributors, contributorKeys);
        targetContract(address(handler));
    }

    /// @notice Σ minted for an epoch never exceeds its emission E, E is the configured emission read at
    /// finalization (or 0 without quorum/score), and the distributor's own tally agrees with the ghost tally.
    function invariant_MintedPerEpochAtMostEmission() public view {
        for (uint64 e; e <= handler.maxEpochTouched() + 1; ++e) {
            IRewardDistributor.EpochRewards memory r = sys.rewards.epochRewards(datasetId, e);
            assertLe(handler.ghostMinted(e), r.emission, "minted > E");
            assertTrue(
                r.emission == 0 || r.emission == handler.ghostEmissionAtFinalize(e),
                "E not read at finalize"
            );
            assertLe(r.emission, params.dataset.emissionCap, "E above cap");
            assertEq(handler.ghostMinted(e), r.minted, "ghost != distributor tally");
        }
    }

    /// @notice Every token in existence was minted through a tracked epoch.
    function invariant_SupplyEqualsMintedAcrossEpochs() public view {
        assertEq(sys.token.totalSupply(), handler.ghostTotalMinted());
    }

    /// @notice Each epoch is finalized at most once, and each file's reward claimed at most once.
    function invariant_FinalizedAndClaimedAtMostOnce() public view {
        for (uint64 e; e <= handler.maxEpochTouched() + 1; ++e) {
            assertLe(handler.ghostFinalizeCount(e), 1, "epoch finalized twice");
            assertEq(
                handler.ghostFinalizeCount(e) == 1,
                sys.scoreBoard.epochStatus(datasetId, e).finalized,
                "flag"
            );
        }
        assertLe(handler.ghostMaxClaimCount(), 1, "file claimed twice");
    }

    /// @notice A file's score is set once, when its epoch is finalized, and never changes afterwards.
    function invariant_FinalScoresNeverChange() public view {
        uint256 n = handler.finalizedFileCount();
        for (uint256 i; i < n; ++i) {
            bytes32 f = handler.ghostFinalizedFiles(i);
            assertEq(
                sys.scoreBoard.finalScore(datasetId, handler.ghostFileEpoch(f), f),
                handler.ghostFinalScore(f),
                "changed"
            );
        }
    }
}
