// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";

import {EscrowFixtures} from "../utils/EscrowFixtures.sol";
import {SortedVectors} from "../utils/SortedVectors.sol";
import {IRentalEscrow} from "../../src/interfaces/IRentalEscrow.sol";
import {IRewardDistributor} from "../../src/interfaces/IRewardDistributor.sol";
import {ISubmissionRegistry} from "../../src/interfaces/ISubmissionRegistry.sol";

/// @notice Protocol v2 end to end (DESIGN.md §3 steps 4-8) on the system exactly as Deploy.s.sol wires it:
/// stake -> ritual -> bonded submit -> commit/reveal one score root -> finalize -> Merkle claims (bonds back)
/// -> request access -> delegate/propose/vote/queue/execute -> claim fee; a second request governance defeats
/// is refunded. Then the issue's two attacks: spam forfeits its bonds while honest bonds come back, and a
/// copied submission either reverts or pays only the original contributor.
contract FullSystemTest is EscrowFixtures {
    uint64 internal constant EPOCH = 0;
    uint256 internal constant UNITS = 1e9;

    function setUp() public {
        deployFreshSystem();
    }

    // ----- helpers -----

    /// @dev Sorts (ids, vals) into leaf order and has every validator reveal it; returns the sorted arrays.
    function _scoreAgreed(uint64 epoch, bytes32[] memory ids, uint256[] memory vals)
        internal
        returns (bytes32[] memory, uint256[] memory)
    {
        SortedVectors.sortByFileId(ids, vals);
        scoreEpochAgreed(epoch, ids, vals);
        return (ids, vals);
    }

    function _claim(uint64 epoch, bytes32[] memory ids, uint256[] memory vals, bytes32 f)
        internal
        returns (uint256)
    {
        uint256 j = SortedVectors.indexOf(ids, f);
        return sys.rewards.claim(datasetId, epoch, f, vals[j], merkleProof(ids, vals, j));
    }

    function _forfeit(uint64 epoch, bytes32[] memory ids, uint256[] memory vals, bytes32 f)
        internal
    {
        uint256 j = SortedVectors.indexOf(ids, f);
        sys.rewards.forfeitBond(datasetId, epoch, f, merkleProof(ids, vals, j));
    }

    // ----- the lifecycle -----

    /// @dev Steps 4-6: stake, ritual, bonded submissions, one root by quorum, claims with bonds back, sweep.
    function _epochZero() internal returns (bytes32[] memory files) {
        // --- validators stake, register and run the key ritual
        uint32 ritualId = setUpValidatorsAndRitual();
        assertEq(sys.dkg.activeRitualId(), ritualId);
        assertEq(sys.config.submissionBond(datasetId), 0.01 ether);

        // --- contributors submit sealed files in epoch 0, each paying the bond
        files = new bytes32[](3);
        for (uint256 i; i < 3; ++i) {
            files[i] = submitFile(i);
            assertEq(sys.registry.submissionOf(files[i]).contributor, contributors[i]);
        }
        assertEq(address(sys.registry).balance, 3 * 0.01 ether);

        // --- the committee commits/reveals one root (one dissenter), anyone finalizes
        bytes32[] memory ids = new bytes32[](3);
        uint256[] memory vals = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (files[0], files[1], files[2]);
        (vals[0], vals[1], vals[2]) = (6e8, 3e8, 1e8);
        SortedVectors.sortByFileId(ids, vals);
        _scoreWithDissent(merkleRoot(ids, vals));

        // --- contributors' claims mint exactly floor(E_c * v / total) and return the bonds
        uint256 ec =
            params.dataset.emissionPerEpoch * (10_000 - params.dataset.validatorShareBps) / 10_000;
        for (uint256 i; i < 3; ++i) {
            uint256 ethBefore = contributors[i].balance;
            uint256 v = vals[SortedVectors.indexOf(ids, files[i])];
            assertEq(_claim(EPOCH, ids, vals, files[i]), ec * v / UNITS);
            assertEq(sys.token.balanceOf(contributors[i]), ec * v / UNITS);
            assertEq(contributors[i].balance, ethBefore + 0.01 ether);
        }
        assertEq(address(sys.registry).balance, 0, "every honest bond came back");
        for (uint256 i; i < 2; ++i) {
            vm.prank(validators[i]);
            sys.rewards.claimValidatorReward(datasetId, EPOCH);
        }
        assertEq(sys.token.balanceOf(validators[0]), sys.token.balanceOf(validators[1]));
        assertEq(sys.rewards.validatorReward(datasetId, EPOCH, validators[2]), 0, "dissenter");
        rollTo(block.number + params.claimWindowBlocks + 1);
        sys.rewards.sweepDust(datasetId, EPOCH);
        assertEq(sys.token.totalSupply(), params.dataset.emissionPerEpoch, "sum minted == E");
    }

    /// @dev Validators 0 and 1 reveal `root`, validator 2 another; quorum lowered to 6000 so 2/3 wins.
    function _scoreWithDissent(bytes32 root) internal {
        bytes32[] memory roots = new bytes32[](3);
        uint256[] memory totals = new uint256[](3);
        (roots[0], roots[1], roots[2]) = (root, root, keccak256("dissent"));
        (totals[0], totals[1], totals[2]) = (UNITS, UNITS, UNITS);
        vm.prank(address(sys.timelock));
        sys.config.setScoringParams(datasetId, 6000, params.dataset.minScoreBps);
        scoreEpoch(EPOCH, roots, totals);
        (bytes32 fr, uint256 ft) = sys.scoreBoard.finalizedRoot(datasetId, EPOCH);
        assertEq(fr, root);
        assertEq(ft, UNITS);
    }

    function test_fullLifecycle() public {
        bytes32[] memory files = _epochZero();

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
            uint256 before = contributors[i].balance;
            vm.prank(contributors[i]);
            assertEq(sys.escrow.claimFee(reqId), expected);
            assertEq(contributors[i].balance, before + expected);
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

    // ----- issue #16: spam forfeits its bonds and honest bonds come back -----

    function test_spamForfeitsItsBondsAndHonestBondsComeBack() public {
        setUpValidatorsAndRitual();
        uint256 bond = sys.config.submissionBond(datasetId);
        (address spammer, uint256 spamKey) = makeAddrAndKey("spammer");
        uint256 nJunk = 6;
        vm.deal(spammer, nJunk * bond);

        bytes32[] memory ids = new bytes32[](2 + nJunk);
        uint256[] memory vals = new uint256[](2 + nJunk);
        bytes32[2] memory honest = [submitFile(0), submitFile(1)];
        (ids[0], ids[1]) = (honest[0], honest[1]);
        (vals[0], vals[1]) = (7e8, 3e8);
        for (uint256 k; k < nJunk; ++k) {
            ISubmissionRegistry.Submission memory s = newSubmission(0);
            s.contributor = spammer; // junk the spammer signs and pays for itself
            bytes memory sig = signSubmission(spamKey, s);
            vm.prank(spammer);
            ids[2 + k] = sys.registry.submit{value: bond}(s, sig);
        }
        assertEq(spammer.balance, 0, "spam cost the spammer its bonds");
        assertEq(address(sys.registry).balance, (2 + nJunk) * bond);

        (ids, vals) = _scoreAgreed(EPOCH, ids, vals); // junk is valued 0 by the committee

        // anyone forfeits the junk bonds with zero proofs; the junk cannot be claimed
        address treasury = sys.rewards.treasury();
        uint256 treasuryBefore = treasury.balance;
        uint256 forfeited;
        for (uint256 j; j < ids.length; ++j) {
            if (vals[j] != 0) continue;
            bytes32[] memory p = merkleProof(ids, vals, j);
            vm.expectRevert(
                abi.encodeWithSelector(
                    IRewardDistributor.RewardDistributorNothingToClaim.selector, datasetId, EPOCH
                )
            );
            sys.rewards.claim(datasetId, EPOCH, ids[j], 0, p);
            vm.prank(makeAddr("watcher"));
            sys.rewards.forfeitBond(datasetId, EPOCH, ids[j], p);
            ++forfeited;
        }
        assertEq(forfeited, nJunk);
        assertEq(treasury.balance, treasuryBefore + nJunk * bond, "junk bonds to the treasury");
        assertEq(spammer.balance, 0);
        assertEq(sys.token.balanceOf(spammer), 0);

        // honest claims mint and refund
        for (uint256 i; i < 2; ++i) {
            uint256 eth = contributors[i].balance;
            assertGt(_claim(EPOCH, ids, vals, honest[i]), 0);
            assertEq(contributors[i].balance, eth + bond, "honest bond came back");
        }
        assertEq(address(sys.registry).balance, 0, "no bond left behind");
    }

    // ----- issue #16: a copied submission reverts or pays only the original contributor -----

    address internal mallory;
    uint256 internal malloryKey;

    /// @dev Alice signs a submission; Mallory races it three ways. Returns Alice's file and Mallory's copy.
    function _raceAlice(uint256 bond) internal returns (bytes32 aliceFile, bytes32 copy) {
        address alice = contributors[0];
        (mallory, malloryKey) = makeAddrAndKey("mallory");
        vm.deal(mallory, 10 * bond);
        ISubmissionRegistry.Submission memory s = newSubmission(0);
        bytes memory aliceSig = signSubmission(contributorKeys[0], s);

        // (1) Mallory relays Alice's exact submission first: it registers as Alice's, Alice's own
        //     transaction is then a duplicate, and the bond Mallory paid belongs to Alice's file
        vm.prank(mallory);
        aliceFile = sys.registry.submit{value: bond}(s, aliceSig);
        assertEq(aliceFile, sys.registry.fileIdOf(alice, s.headerHash));
        assertEq(sys.registry.submissionOf(aliceFile).contributor, alice);
        vm.deal(alice, bond);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryDuplicateFileId.selector, aliceFile
            )
        );
        vm.prank(alice);
        sys.registry.submit{value: bond}(s, aliceSig);

        // (2) Mallory names herself with Alice's signature: refused
        s.contributor = mallory;
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, mallory
            )
        );
        vm.prank(mallory);
        sys.registry.submit{value: bond}(s, aliceSig);

        // (3) Mallory signs a copy of Alice's content as her own: it registers under another file id (the id
        //     binds the contributor), and the committee will value it 0 (the sealed header names Alice)
        bytes memory mallorySig = signSubmission(malloryKey, s);
        vm.prank(mallory);
        copy = sys.registry.submit{value: bond}(s, mallorySig);
        assertTrue(copy != aliceFile);
        assertEq(sys.registry.submissionOf(copy).contributor, mallory);
    }

    function test_copiedSubmissionRevertsOrPaysOnlyTheOriginal() public {
        setUpValidatorsAndRitual();
        uint256 bond = sys.config.submissionBond(datasetId);
        address alice = contributors[0];
        (bytes32 aliceFile, bytes32 copy) = _raceAlice(bond);

        bytes32[] memory ids = new bytes32[](2);
        uint256[] memory vals = new uint256[](2);
        (ids[0], ids[1]) = (aliceFile, copy);
        (vals[0], vals[1]) = (UNITS, 0);
        (ids, vals) = _scoreAgreed(EPOCH, ids, vals);

        // Mallory cannot claim the copy with its own (zero) proof nor with Alice's leaf
        uint256 jc = SortedVectors.indexOf(ids, copy);
        uint256 ja = SortedVectors.indexOf(ids, aliceFile);
        vm.startPrank(mallory);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNothingToClaim.selector, datasetId, EPOCH
            )
        );
        sys.rewards.claim(datasetId, EPOCH, copy, 0, merkleProof(ids, vals, jc));
        bytes32[] memory aliceProof = merkleProof(ids, vals, ja);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorInvalidProof.selector, datasetId, EPOCH, copy
            )
        );
        sys.rewards.claim(datasetId, EPOCH, copy, UNITS, aliceProof);
        // Mallory claiming Alice's file pays Alice, not Mallory
        uint256 amount = sys.rewards.claim(datasetId, EPOCH, aliceFile, UNITS, aliceProof);
        vm.stopPrank();

        uint256 ec =
            params.dataset.emissionPerEpoch * (10_000 - params.dataset.validatorShareBps) / 10_000;
        assertEq(amount, ec);
        assertEq(sys.token.balanceOf(alice), ec, "Alice is paid");
        assertEq(sys.token.balanceOf(mallory), 0, "Mallory is not");
        assertEq(alice.balance, 2 * bond, "her unused bond and the one paid for her file");

        // the copy's bond is forfeited to the treasury
        address treasury = sys.rewards.treasury();
        uint256 t0 = treasury.balance;
        sys.rewards.forfeitBond(datasetId, EPOCH, copy, merkleProof(ids, vals, jc));
        assertEq(treasury.balance, t0 + bond);
        assertEq(mallory.balance, 10 * bond - 2 * bond, "Mallory lost both bonds");
        assertEq(address(sys.registry).balance, 0);
    }
}
