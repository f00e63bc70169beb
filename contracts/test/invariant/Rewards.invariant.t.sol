// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {Fixtures} from "../utils/Fixtures.sol";
import {ScoringHandler} from "./handlers/ScoringHandler.sol";
import {IRewardDistributor} from "../../src/interfaces/IRewardDistributor.sol";

/// @notice Protocol v2 scoring, reward and bond invariants over random interleavings of bonded submits,
/// commit/reveal of (sometimes dishonest or dissenting) score roots, finalize, Merkle claims, forged claims,
/// forfeits, refunds, validator claims, sweeps and block production on the fully wired system.
contract RewardsInvariantTest is Fixtures {
    ScoringHandler internal handler;

    function setUp() public {
        deployFreshSystem();
        setUpValidatorsAndRitual();
        // a simple majority of stake as quorum, so that short random runs reach paid epochs and dissent
        vm.prank(address(sys.timelock));
        sys.config.setScoringParams(datasetId, 5000, 10);
        handler = new ScoringHandler(sys, validators, contributors, contributorKeys);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](10);
        selectors[0] = ScoringHandler.advance.selector;
        selectors[1] = ScoringHandler.setEmission.selector;
        selectors[2] = ScoringHandler.runEpoch.selector;
        selectors[3] = ScoringHandler.finalize.selector;
        selectors[4] = ScoringHandler.claim.selector;
        selectors[5] = ScoringHandler.forfeit.selector;
        selectors[6] = ScoringHandler.refund.selector;
        selectors[7] = ScoringHandler.forgedClaim.selector;
        selectors[8] = ScoringHandler.claimValidator.selector;
        selectors[9] = ScoringHandler.sweep.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @notice Σ minted for an epoch never exceeds its emission E; E is emissionPerEpoch read at finalization
    /// plus what was carried (0 for an epoch without quorum or with total 0); the distributor's tally agrees.
    function invariant_MintedPerEpochAtMostEmission() public view {
        for (uint64 e; e <= handler.maxEpochTouched() + 1; ++e) {
            IRewardDistributor.EpochRewards memory r = sys.rewards.epochRewards(datasetId, e);
            assertLe(handler.ghostMinted(e), r.emission, "minted > E");
            assertEq(r.emission, handler.ghostExpectedEmission(e), "E not read at finalize");
            assertEq(handler.ghostMinted(e), r.minted, "ghost != distributor tally");
        }
        assertEq(sys.rewards.carriedEmission(datasetId), handler.ghostCarried(), "carry");
    }

    /// @notice Σ contributor claims of an epoch never exceed its contributor pool, dishonest vectors included.
    function invariant_ContributorClaimsWithinPool() public view {
        for (uint64 e; e <= handler.maxEpochTouched() + 1; ++e) {
            IRewardDistributor.EpochRewards memory r = sys.rewards.epochRewards(datasetId, e);
            assertLe(r.contributorMinted, r.contributorPool, "claims > E_c");
            assertEq(r.contributorMinted, handler.ghostContributorMinted(e), "contributor tally");
        }
    }

    /// @notice Every token in existence was minted through a tracked epoch.
    function invariant_SupplyEqualsMintedAcrossEpochs() public view {
        assertEq(sys.token.totalSupply(), handler.ghostTotalMinted());
    }

    /// @notice No claim without a valid proof: no forged claim was ever accepted, and every file the
    /// distributor marks claimed was claimed by the handler with the proof it built from the winning vector.
    function invariant_NoClaimWithoutValidProof() public view {
        assertEq(handler.ghostForgedAccepted(), 0, "a forged claim was accepted");
        uint256 n = handler.fileCount();
        for (uint256 k; k < n; ++k) {
            bytes32 f = handler.allFiles(k);
            if (sys.rewards.claimed(datasetId, handler.fileEpoch(f), f)) {
                assertTrue(handler.ghostClaimedWithProof(f), "claimed without the handler's proof");
            }
        }
    }

    /// @notice Bonds are conserved: the registry holds exactly the outstanding record bonds, and every wei
    /// paid is refunded (to its contributor), forfeited (to the treasury) or still outstanding.
    function invariant_BondsConserved() public view {
        uint256 outstanding = handler.outstandingBonds();
        assertEq(address(sys.registry).balance, outstanding, "registry balance != outstanding");
        assertEq(
            handler.ghostBondsPaid(),
            handler.ghostBondsRefunded() + handler.ghostBondsForfeited() + outstanding,
            "paid != refunded + forfeited + outstanding"
        );
        assertEq(address(sys.timelock).balance, handler.ghostBondsForfeited(), "treasury");
        uint256 refunded;
        for (uint256 i; i < contributors.length; ++i) {
            refunded += contributors[i].balance;
        }
        assertEq(refunded, handler.ghostBondsRefunded(), "refunds reach the contributors");
    }

    /// @notice Each epoch is finalized at most once and its finalized root never changes afterwards.
    function invariant_FinalizedOnceRootFixed() public view {
        for (uint64 e; e <= handler.maxEpochTouched() + 1; ++e) {
            assertLe(handler.ghostFinalizeCount(e), 1, "epoch finalized twice");
            assertEq(
                handler.ghostFinalizeCount(e) == 1,
                sys.scoreBoard.epochStatus(datasetId, e).finalized,
                "flag"
            );
            (bytes32 root,) = sys.scoreBoard.finalizedRoot(datasetId, e);
            assertEq(root, handler.ghostFinalRoot(e), "finalized root changed");
        }
    }

    /// @dev Coverage of the run, for the log (not an assertion: speed and mix are not properties).
    function afterInvariant() external view {
        console.log("files", handler.fileCount(), "quorum epochs", handler.ghostQuorumEpochs());
        console.log(
            "valid claims", handler.ghostValidClaims(), "forged tried", handler.ghostForgedTried()
        );
        console.log(
            "refunded", handler.ghostBondsRefunded(), "forfeited", handler.ghostBondsForfeited()
        );
    }
}
