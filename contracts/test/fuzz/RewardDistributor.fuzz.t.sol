// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixtures} from "../utils/Fixtures.sol";
import {SortedVectors} from "../utils/SortedVectors.sol";
import {IRewardDistributor} from "../../src/interfaces/IRewardDistributor.sol";

/// @notice Fuzzed emission accounting of Merkle claims: whatever vector a quorum finalizes (honest, or values
/// summing past the revealed total), each claim mints floor(E_c * v / total), the claims together never exceed
/// E_c, a claim is refused only for crossing the pool, and after validators and the sweep exactly E exists.
contract RewardDistributorFuzzTest is Fixtures {
    uint64 internal constant EPOCH = 0;
    uint256 internal constant MAX_FILES = 8;

    function setUp() public {
        deployFreshSystem();
        setUpValidatorsAndRitual();
    }

    function testFuzz_claims_NeverExceedContributorPool(
        uint256 nFiles,
        uint64[MAX_FILES] memory rawValues,
        uint256 emission,
        uint256 dishonestTotal,
        bool honest,
        uint256 order
    ) public {
        nFiles = bound(nFiles, 1, MAX_FILES);
        emission = bound(emission, 0, params.dataset.emissionCap);
        vm.prank(address(sys.timelock));
        sys.config.setEmission(datasetId, emission);

        (bytes32[] memory ids, uint256[] memory vals, uint256 total) =
            _finalizeVector(nFiles, rawValues, honest, dishonestTotal);

        uint256 ec =
            total == 0 ? 0 : emission * (10_000 - params.dataset.validatorShareBps) / 10_000;
        assertEq(sys.rewards.epochRewards(datasetId, EPOCH).contributorPool, ec);
        uint256 minted;
        for (uint256 k; k < nFiles; ++k) {
            uint256 j = (k + order % nFiles) % nFiles; // claims in a fuzzed rotation
            minted += _claimOrExplain(ids, vals, j, ec, total, minted);
        }
        assertLe(minted, ec, "contributor claims exceed E_c");
        assertEq(sys.rewards.epochRewards(datasetId, EPOCH).contributorMinted, minted);
        if (honest && total != 0) assertGe(minted + nFiles, ec, "honest: only floor dust is left");

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

    /// @dev nFiles files valued rawValues, in leaf order; every validator reveals their root with the true
    /// sum (honest) or an arbitrary total; the epoch is finalized.
    function _finalizeVector(
        uint256 nFiles,
        uint64[MAX_FILES] memory rawValues,
        bool honest,
        uint256 dishonestTotal
    ) internal returns (bytes32[] memory ids, uint256[] memory vals, uint256 total) {
        ids = new bytes32[](nFiles);
        vals = new uint256[](nFiles);
        for (uint256 j; j < nFiles; ++j) {
            ids[j] = submitFile(j % N_CONTRIBUTORS);
            vals[j] = rawValues[j];
        }
        SortedVectors.sortByFileId(ids, vals);
        total = honest ? sum(vals) : bound(dishonestTotal, 1, type(uint64).max);
        bytes32 root = merkleRoot(ids, vals);
        bytes32[] memory roots = new bytes32[](3);
        uint256[] memory totals = new uint256[](3);
        for (uint256 i; i < 3; ++i) {
            (roots[i], totals[i]) = (root, total);
        }
        scoreEpoch(EPOCH, roots, totals);
    }

    /// @dev Claims file j; a claim may fail only as NothingToClaim (value 0) or PoolExceeded (and then only
    /// if it really would cross the pool). Returns what it minted.
    function _claimOrExplain(
        bytes32[] memory ids,
        uint256[] memory vals,
        uint256 j,
        uint256 ec,
        uint256 total,
        uint256 mintedSoFar
    ) internal returns (uint256) {
        uint256 expected = total == 0 ? 0 : ec * vals[j] / total;
        bytes32[] memory proof = merkleProof(ids, vals, j);
        try sys.rewards.claim(datasetId, EPOCH, ids[j], vals[j], proof) returns (uint256 got) {
            assertGt(vals[j], 0);
            assertEq(got, expected, "floor(E_c * v / total)");
            return got;
        } catch (bytes memory err) {
            if (vals[j] == 0 || total == 0) {
                assertEq(
                    err,
                    abi.encodeWithSelector(
                        IRewardDistributor.RewardDistributorNothingToClaim.selector,
                        datasetId,
                        EPOCH
                    )
                );
            } else {
                assertGt(mintedSoFar + expected, ec, "refused a claim within the pool");
                assertEq(
                    err,
                    abi.encodeWithSelector(
                        IRewardDistributor.RewardDistributorPoolExceeded.selector, datasetId, EPOCH
                    )
                );
            }
            return 0;
        }
    }
}
