// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console} from "forge-std/console.sol";

import {Fixtures} from "../utils/Fixtures.sol";
import {SortedVectors} from "../utils/SortedVectors.sol";
import {IScoreBoard} from "../../src/interfaces/IScoreBoard.sol";

/// @notice Issue #16's scale claim: no file cap, and finalize is O(validators), not O(files). An epoch of
/// 10,000 files finalizes for the same gas as an epoch of 10, and a file of the 10,000 claims with a
/// 14-hash proof. The figures are logged (speed is measured, not asserted; the equality is the property).
/// @dev Setup work (10,000 signed submissions, the Merkle tree in Solidity) runs with gas metering paused so
/// it does not count against the per-test gas limit; only finalize and the claim are metered.
contract FinalizeScaleTest is Fixtures {
    uint256 internal constant UNITS = 1e9;
    uint256 internal constant BIG = 10_000;

    struct Run {
        bytes32[] ids; // sorted: leaf order
        uint256[] vals;
        uint256 finalizeGas;
        uint64 epoch;
    }

    /// @dev A fresh system (cold contracts, so every run's finalize sees the same storage temperature),
    /// `f` files in the current epoch valued equally in nano units, all validators reveal the root; finalize is metered.
    function _run(uint256 f) internal returns (Run memory r) {
        vm.pauseGasMetering();
        deployFreshSystem();
        setUpValidatorsAndRitual();
        uint64 epoch = sys.config.currentEpoch(datasetId);
        r.epoch = epoch;
        r.ids = new bytes32[](f);
        r.vals = new uint256[](f);
        for (uint256 j; j < f; ++j) {
            r.ids[j] = submitFile(j % N_CONTRIBUTORS);
            r.vals[j] = UNITS / f;
        }
        r.vals[0] += UNITS - (UNITS / f) * f; // sum to exactly UNITS
        SortedVectors.sortByFileId(r.ids, r.vals);
        bytes32 root = merkleRoot(r.ids, r.vals);
        rollToCommit(epoch);
        for (uint256 i; i < validators.length; ++i) {
            commitRoot(validators[i], epoch, root, UNITS);
        }
        rollToReveal(epoch);
        for (uint256 i; i < validators.length; ++i) {
            revealRoot(validators[i], epoch, root, UNITS);
        }
        rollToFinalize(epoch);
        vm.resumeGasMetering();
        sys.scoreBoard.finalize(datasetId, epoch);
        r.finalizeGas = vm.lastCallGas().gasTotalUsed;
        vm.pauseGasMetering();
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, epoch);
        assertTrue(st.finalized && st.quorumMet, "finalized with quorum");
        (bytes32 fr, uint256 ft) = sys.scoreBoard.finalizedRoot(datasetId, epoch);
        assertEq(fr, root);
        assertEq(ft, UNITS);
        vm.resumeGasMetering();
    }

    function test_finalizeGasIndependentOfFileCount() public {
        uint256 small = _run(10).finalizeGas;
        Run memory big = _run(BIG);
        console.log("finalize gas, F = 10:     ", small);
        console.log("finalize gas, F = 10,000: ", big.finalizeGas);
        uint256 diff = small > big.finalizeGas ? small - big.finalizeGas : big.finalizeGas - small;
        assertLe(diff * 100, small * 5, "finalize gas depends on F");
        assertLe(big.finalizeGas, 300_000 + 100_000 * N_VALIDATORS, "finalize <= 300k + O(N)");

        // a file deep in the 10,000-leaf tree claims with its proof, and its bond comes back
        vm.pauseGasMetering();
        uint256 j = BIG / 2 + 1;
        bytes32 f = big.ids[j];
        bytes32[] memory proof = merkleProof(big.ids, big.vals, j);
        address contributor = sys.registry.submissionOf(f).contributor;
        uint256 eth = contributor.balance;
        uint256 tokens = sys.token.balanceOf(contributor);
        vm.resumeGasMetering();
        uint256 amount = sys.rewards.claim(datasetId, big.epoch, f, big.vals[j], proof);
        uint256 claimGas = vm.lastCallGas().gasTotalUsed;
        console.log("claim gas, 10,000 leaves (proof length): ", claimGas, proof.length);
        assertEq(proof.length, 14, "ceil(log2(10000))");
        uint256 ec =
            params.dataset.emissionPerEpoch * (10_000 - params.dataset.validatorShareBps) / 10_000;
        assertEq(amount, ec * big.vals[j] / UNITS);
        assertEq(sys.token.balanceOf(contributor), tokens + amount);
        assertEq(contributor.balance, eth + params.submissionBond);
        assertEq(address(sys.registry).balance, (BIG - 1) * params.submissionBond);
    }
}
