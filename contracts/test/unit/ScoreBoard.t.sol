// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixtures} from "../utils/Fixtures.sol";
import {SortedVectors} from "../utils/SortedVectors.sol";
import {ScoreBoard} from "../../src/ScoreBoard.sol";
import {IValidatorStaking} from "../../src/interfaces/IValidatorStaking.sol";
import {IScoreBoard} from "../../src/interfaces/IScoreBoard.sol";
import {IRewardDistributor} from "../../src/interfaces/IRewardDistributor.sol";

/// @dev Replaces ValidatorStaking's code in one test: every call burns all the gas it is given.
contract GasBurner {
    fallback() external {
        while (true) {}
    }
}

/// @notice ScoreBoard v2: one (root, total) per validator, committed then revealed; the key with the most
/// revealed stake wins if it reaches quorumBps of the committee's stake. Hostile cases first per entry point.
contract ScoreBoardTest is Fixtures {
    uint64 internal constant EPOCH = 0;
    uint256 internal constant UNITS = 1e9;
    bytes32[] internal files; // sorted ascending: the Python leaf order
    bytes32 internal rootA;
    bytes32 internal rootB;

    function setUp() public {
        deployFreshSystem();
        setUpValidatorsAndRitual();
        files.push(submitFile(0));
        files.push(submitFile(1));
        rootA = _root(6e8, 4e8);
        rootB = _root(UNITS, 0);
    }

    /// @dev The root of the vector (files[0] -> a, files[1] -> b) in fileId order.
    function _root(uint256 a, uint256 b) internal view returns (bytes32) {
        bytes32[] memory ids = new bytes32[](2);
        uint256[] memory vals = new uint256[](2);
        (ids[0], ids[1]) = (files[0], files[1]);
        (vals[0], vals[1]) = (a, b);
        SortedVectors.sortByFileId(ids, vals);
        return merkleRoot(ids, vals);
    }

    function _setQuorum(uint16 bps) internal {
        vm.prank(address(sys.timelock));
        sys.config.setScoringParams(datasetId, bps, params.dataset.minScoreBps);
    }

    /// @dev Validators whose bit is set in `committers` commit (roots[i], totals[i]); those in `revealers`
    /// reveal; the clock is left at finalizeFrom (not finalized).
    function _play(
        uint64 epoch,
        bytes32[3] memory roots,
        uint256[3] memory totals,
        uint256 committers,
        uint256 revealers
    ) internal {
        rollToCommit(epoch);
        for (uint256 i; i < 3; ++i) {
            if (committers & (1 << i) != 0) commitRoot(validators[i], epoch, roots[i], totals[i]);
        }
        rollToReveal(epoch);
        for (uint256 i; i < 3; ++i) {
            if (revealers & (1 << i) != 0) revealRoot(validators[i], epoch, roots[i], totals[i]);
        }
        rollToFinalize(epoch);
    }

    function _same(bytes32 r) internal pure returns (bytes32[3] memory) {
        return [r, r, r];
    }

    function _units() internal pure returns (uint256[3] memory) {
        return [UNITS, UNITS, UNITS];
    }

    // ----- constructor -----

    function test_constructor_RevertWhen_SlashBpsOutOfRange() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardSlashBpsOutOfRange.selector, uint16(10_001)
            )
        );
        new ScoreBoard(address(1), address(1), address(1), address(1), address(1), 10_001);
    }

    // ----- fixSeed -----

    function test_fixSeed_RevertWhen_UnknownDataset() public {
        vm.expectRevert(
            abi.encodeWithSelector(IScoreBoard.ScoreBoardUnknownDataset.selector, uint256(9))
        );
        sys.scoreBoard.fixSeed(9, EPOCH);
    }

    function test_fixSeed_RevertWhen_EpochNotClosed() public {
        (, uint64 closeBlock,,) = windows(EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardEpochNotClosed.selector, datasetId, EPOCH, closeBlock
            )
        );
        sys.scoreBoard.fixSeed(datasetId, EPOCH);
    }

    function test_fixSeed_RevertWhen_NoActiveRitual() public {
        deployFreshSystem(); // no ritual this time
        rollToCommit(EPOCH);
        vm.expectRevert(IScoreBoard.ScoreBoardNoActiveRitual.selector);
        sys.scoreBoard.fixSeed(datasetId, EPOCH);
    }

    function test_fixSeed_StoresSeedRitualAndCommittee() public {
        (, uint64 closeBlock,,) = windows(EPOCH);
        rollTo(closeBlock + 3);
        vm.setBlockhash(closeBlock - 1, keccak256("close-1"));
        bytes32 seed = sys.scoreBoard.fixSeed(datasetId, EPOCH);
        assertEq(seed, keccak256(abi.encode(keccak256("close-1"), datasetId, EPOCH)));
        assertEq(sys.scoreBoard.epochSeed(datasetId, EPOCH), seed);
        assertEq(sys.scoreBoard.epochRitual(datasetId, EPOCH), sys.dkg.activeRitualId());
        address[] memory c = sys.scoreBoard.committee(datasetId, EPOCH);
        assertEq(c.length, 3);
        for (uint256 i; i < 3; ++i) {
            assertEq(
                sys.scoreBoard.committeeStakeOf(datasetId, EPOCH, validators[i]), VALIDATOR_STAKE
            );
        }
        assertEq(sys.scoreBoard.committeeStake(datasetId, EPOCH), 3 * VALIDATOR_STAKE);
        assertTrue(sys.scoreBoard.epochStatus(datasetId, EPOCH).seedFixed);
    }

    /// @notice New in v2: nobody fixed the seed within 256 blocks of closeBlock; instead of an epoch that can
    /// never be scored, the latest block's hash stands in and the committee is still the stake at closeBlock.
    function test_fixSeed_FallsBackPast256Blocks() public {
        (, uint64 closeBlock,,) = windows(EPOCH);
        rollTo(closeBlock + 300);
        assertEq(blockhash(closeBlock - 1), bytes32(0), "out of the blockhash horizon");
        vm.setBlockhash(block.number - 1, keccak256("latest"));
        bytes32 seed = sys.scoreBoard.fixSeed(datasetId, EPOCH);
        assertTrue(seed != bytes32(0));
        assertEq(seed, keccak256(abi.encode(keccak256("latest"), datasetId, EPOCH)));
        assertEq(sys.scoreBoard.committeeStake(datasetId, EPOCH), 3 * VALIDATOR_STAKE);
        // and the epoch can still finalize (nobody could commit: no quorum, emission rolls over)
        sys.scoreBoard.finalize(datasetId, EPOCH);
        assertTrue(sys.scoreBoard.epochStatus(datasetId, EPOCH).finalized);
    }

    function test_fixSeed_IsIdempotent() public {
        rollToCommit(EPOCH);
        bytes32 seed = sys.scoreBoard.fixSeed(datasetId, EPOCH);
        rollTo(block.number + 5);
        assertEq(sys.scoreBoard.fixSeed(datasetId, EPOCH), seed);
    }

    function test_fixSeed_AtCloseBlockUsesCurrentStake() public {
        (, uint64 closeBlock,,) = windows(EPOCH);
        rollTo(closeBlock);
        sys.scoreBoard.fixSeed(datasetId, EPOCH);
        assertEq(sys.scoreBoard.committeeStakeOf(datasetId, EPOCH, validators[0]), VALIDATOR_STAKE);
    }

    function test_fixSeed_ExcludesMembersWithoutStakeAtClose() public {
        vm.prank(validators[2]);
        sys.staking.requestUnstake(VALIDATOR_STAKE);
        rollToCommit(EPOCH);
        sys.scoreBoard.fixSeed(datasetId, EPOCH);
        assertEq(sys.scoreBoard.committee(datasetId, EPOCH).length, 2);
        assertEq(sys.scoreBoard.committeeStakeOf(datasetId, EPOCH, validators[2]), 0);
        assertEq(sys.scoreBoard.committeeStake(datasetId, EPOCH), 2 * VALIDATOR_STAKE);
    }

    // ----- commit -----

    function test_commit_RevertWhen_ZeroCommitment() public {
        rollToCommit(EPOCH);
        vm.expectRevert(IScoreBoard.ScoreBoardZeroCommitment.selector);
        vm.prank(validators[0]);
        sys.scoreBoard.commit(datasetId, EPOCH, bytes32(0));
    }

    function test_commit_RevertWhen_BeforeCommitWindow() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardNotInCommitWindow.selector, datasetId, EPOCH
            )
        );
        vm.prank(validators[0]);
        sys.scoreBoard.commit(datasetId, EPOCH, bytes32(uint256(1)));
    }

    function test_commit_RevertWhen_AfterCommitWindow() public {
        rollToReveal(EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardNotInCommitWindow.selector, datasetId, EPOCH
            )
        );
        vm.prank(validators[0]);
        sys.scoreBoard.commit(datasetId, EPOCH, bytes32(uint256(1)));
    }

    function test_commit_RevertWhen_NotCommitteeMember() public {
        rollToCommit(EPOCH);
        address outsider = makeAddr("outsider");
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardNotCommitteeMember.selector, datasetId, EPOCH, outsider
            )
        );
        vm.prank(outsider);
        sys.scoreBoard.commit(datasetId, EPOCH, bytes32(uint256(1)));
    }

    function test_commit_RevertWhen_AlreadyCommitted() public {
        rollToCommit(EPOCH);
        commitRoot(validators[0], EPOCH, rootA, UNITS);
        bytes32 first = sys.scoreBoard.commitmentOf(datasetId, EPOCH, validators[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardAlreadyCommitted.selector, datasetId, EPOCH, validators[0]
            )
        );
        vm.prank(validators[0]);
        sys.scoreBoard.commit(datasetId, EPOCH, bytes32(uint256(1)));
        assertEq(sys.scoreBoard.commitmentOf(datasetId, EPOCH, validators[0]), first);
    }

    function test_commit_RecordsCommitmentAndFixesSeed() public {
        rollToCommit(EPOCH);
        bytes32 c = scoreCommitment(validators[0], EPOCH, rootA, UNITS, saltOf(validators[0]));
        vm.expectEmit(address(sys.scoreBoard));
        emit IScoreBoard.ScoresCommitted(datasetId, EPOCH, validators[0], c);
        vm.prank(validators[0]);
        sys.scoreBoard.commit(datasetId, EPOCH, c);
        assertEq(sys.scoreBoard.commitmentOf(datasetId, EPOCH, validators[0]), c);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertTrue(st.seedFixed);
        assertEq(st.committedStake, VALIDATOR_STAKE);
        assertEq(st.revealedStake, 0);
    }

    // ----- reveal -----

    function test_reveal_RevertWhen_BeforeRevealWindow() public {
        rollToCommit(EPOCH);
        commitRoot(validators[0], EPOCH, rootA, UNITS);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardNotInRevealWindow.selector, datasetId, EPOCH
            )
        );
        revealRoot(validators[0], EPOCH, rootA, UNITS);
    }

    function test_reveal_RevertWhen_AfterRevealWindow() public {
        rollToCommit(EPOCH);
        commitRoot(validators[0], EPOCH, rootA, UNITS);
        rollToFinalize(EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardNotInRevealWindow.selector, datasetId, EPOCH
            )
        );
        revealRoot(validators[0], EPOCH, rootA, UNITS);
    }

    function test_reveal_RevertWhen_NotCommitted() public {
        rollToReveal(EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardNotCommitted.selector, datasetId, EPOCH, validators[0]
            )
        );
        revealRoot(validators[0], EPOCH, rootA, UNITS);
    }

    function test_reveal_RevertWhen_AlreadyRevealed() public {
        rollToCommit(EPOCH);
        commitRoot(validators[0], EPOCH, rootA, UNITS);
        rollToReveal(EPOCH);
        revealRoot(validators[0], EPOCH, rootA, UNITS);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardAlreadyRevealed.selector, datasetId, EPOCH, validators[0]
            )
        );
        revealRoot(validators[0], EPOCH, rootA, UNITS);
        assertEq(sys.scoreBoard.epochStatus(datasetId, EPOCH).revealedStake, VALIDATOR_STAKE);
    }

    /// @notice Another root, another total or another salt than committed is refused.
    function test_reveal_RevertWhen_CommitmentMismatch() public {
        rollToCommit(EPOCH);
        commitRoot(validators[0], EPOCH, rootA, UNITS);
        rollToReveal(EPOCH);
        address v = validators[0];
        bytes32 expected = sys.scoreBoard.commitmentOf(datasetId, EPOCH, v);
        bytes32[3] memory roots = [rootB, rootA, rootA];
        uint256[3] memory totals = [UNITS, UNITS + 1, UNITS];
        bytes32[3] memory salts = [saltOf(v), saltOf(v), keccak256("other salt")];
        for (uint256 k; k < 3; ++k) {
            bytes32 actual = scoreCommitment(v, EPOCH, roots[k], totals[k], salts[k]);
            vm.expectRevert(
                abi.encodeWithSelector(
                    IScoreBoard.ScoreBoardCommitmentMismatch.selector, expected, actual
                )
            );
            vm.prank(v);
            sys.scoreBoard.reveal(datasetId, EPOCH, roots[k], totals[k], "bafy", salts[k]);
        }
        assertFalse(sys.scoreBoard.revealed(datasetId, EPOCH, v));
    }

    /// @notice A total past 96 bits is refused even when committed (an honest total is 1e9 or 0).
    function test_reveal_RevertWhen_TotalTooLarge() public {
        uint256 huge = uint256(type(uint96).max) + 1;
        rollToCommit(EPOCH);
        commitRoot(validators[0], EPOCH, rootA, huge);
        rollToReveal(EPOCH);
        vm.expectRevert(abi.encodeWithSelector(IScoreBoard.ScoreBoardTotalTooLarge.selector, huge));
        revealRoot(validators[0], EPOCH, rootA, huge);
    }

    /// @notice A lazy validator cannot commit to an honest one's commitment and reveal its root: the
    /// commitment binds the validator's address.
    function test_reveal_RevertWhen_CopiedCommitment() public {
        rollToCommit(EPOCH);
        commitRoot(validators[0], EPOCH, rootA, UNITS);
        bytes32 copied = sys.scoreBoard.commitmentOf(datasetId, EPOCH, validators[0]);
        vm.prank(validators[1]);
        sys.scoreBoard.commit(datasetId, EPOCH, copied);
        rollToReveal(EPOCH);
        revealRoot(validators[0], EPOCH, rootA, UNITS); // the root is now public
        bytes32 actual = scoreCommitment(validators[1], EPOCH, rootA, UNITS, saltOf(validators[0]));
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardCommitmentMismatch.selector, copied, actual
            )
        );
        vm.prank(validators[1]);
        sys.scoreBoard.reveal(datasetId, EPOCH, rootA, UNITS, "bafy", saltOf(validators[0]));
    }

    function test_reveal_RecordsRootAndEmitsCid() public {
        rollToCommit(EPOCH);
        commitRoot(validators[0], EPOCH, rootA, UNITS);
        rollToReveal(EPOCH);
        vm.expectEmit(address(sys.scoreBoard));
        emit IScoreBoard.ScoresRevealed(
            datasetId, EPOCH, validators[0], rootA, UNITS, "bafy-vector"
        );
        revealRoot(validators[0], EPOCH, rootA, UNITS);
        assertTrue(sys.scoreBoard.revealed(datasetId, EPOCH, validators[0]));
        (bytes32 r, uint256 t) = sys.scoreBoard.revealedRoot(datasetId, EPOCH, validators[0]);
        assertEq(r, rootA);
        assertEq(t, UNITS);
        (r, t) = sys.scoreBoard.revealedRoot(datasetId, EPOCH, validators[1]);
        assertEq(r, bytes32(0));
        assertEq(t, 0);
        assertEq(sys.scoreBoard.epochStatus(datasetId, EPOCH).revealedStake, VALIDATOR_STAKE);
        (r, t) = sys.scoreBoard.finalizedRoot(datasetId, EPOCH);
        assertEq(r, bytes32(0), "nothing final before finalize");
    }

    // ----- finalize: hostile / timing -----

    function test_finalize_RevertWhen_TooEarly() public {
        (,,, uint64 finalizeFrom) = windows(EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardFinalizeTooEarly.selector, datasetId, EPOCH, finalizeFrom
            )
        );
        sys.scoreBoard.finalize(datasetId, EPOCH);
        // still too early on the last block of the reveal window
        rollTo(finalizeFrom - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardFinalizeTooEarly.selector, datasetId, EPOCH, finalizeFrom
            )
        );
        sys.scoreBoard.finalize(datasetId, EPOCH);
    }

    function test_finalize_RevertWhen_AlreadyFinalized() public {
        _play(EPOCH, _same(rootA), _units(), 7, 7);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardAlreadyFinalized.selector, datasetId, EPOCH
            )
        );
        sys.scoreBoard.finalize(datasetId, EPOCH);
    }

    function test_finalize_RevertWhen_SlashStarvedOfGas() public {
        rollToCommit(EPOCH);
        commitRoot(validators[0], EPOCH, rootA, UNITS);
        rollToFinalize(EPOCH);
        vm.etch(address(sys.staking), address(new GasBurner()).code);
        vm.expectRevert(IScoreBoard.ScoreBoardInsufficientGas.selector);
        sys.scoreBoard.finalize{gas: 1_000_000}(datasetId, EPOCH);
    }

    function test_finalize_FailedSlashDoesNotBlock() public {
        rollToCommit(EPOCH);
        commitRoot(validators[0], EPOCH, rootA, UNITS);
        rollToFinalize(EPOCH);
        vm.prank(address(sys.timelock));
        sys.staking.setFaultModule(address(sys.scoreBoard), false);
        uint256 amount = VALIDATOR_STAKE * params.slashBps / 10_000;
        vm.expectEmit(address(sys.scoreBoard));
        emit IScoreBoard.NonRevealSlashed(datasetId, EPOCH, validators[0], amount, false);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        assertTrue(sys.scoreBoard.epochStatus(datasetId, EPOCH).finalized);
    }

    // ----- finalize: quorum -----

    function test_finalize_UnanimousRootIsFinal() public {
        _play(EPOCH, _same(rootA), _units(), 7, 7);
        vm.expectEmit(address(sys.scoreBoard));
        emit IScoreBoard.EpochFinalized(datasetId, EPOCH, true, rootA, UNITS, 3 * VALIDATOR_STAKE);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        (bytes32 r, uint256 t) = sys.scoreBoard.finalizedRoot(datasetId, EPOCH);
        assertEq(r, rootA);
        assertEq(t, UNITS);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertTrue(st.finalized);
        assertTrue(st.quorumMet);
        assertEq(st.committedStake, 3 * VALIDATOR_STAKE);
        assertEq(st.revealedStake, 3 * VALIDATOR_STAKE);
        assertEq(st.winningStake, 3 * VALIDATOR_STAKE);
        IRewardDistributor.EpochRewards memory rw = sys.rewards.epochRewards(datasetId, EPOCH);
        assertTrue(rw.finalized);
        assertTrue(rw.quorumMet);
        assertEq(rw.root, rootA);
        assertEq(rw.total, UNITS);
    }

    /// @notice 3 equal validators, 2 reveal the same root: 2/3 = 6666.67 bps of the committee. At the
    /// devnet's quorumBps 6667 that is NOT a quorum (20 * 10000 < 6667 * 30) ...
    function test_finalize_TwoOfThreeMissQuorumAt6667() public {
        assertEq(sys.config.dataset(datasetId).quorumBps, 6667);
        _play(EPOCH, _same(rootA), _units(), 3, 3);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertTrue(st.finalized);
        assertFalse(st.quorumMet);
        assertEq(st.winningStake, 2 * VALIDATOR_STAKE, "the leader is reported all the same");
        (bytes32 r, uint256 t) = sys.scoreBoard.finalizedRoot(datasetId, EPOCH);
        assertEq(r, bytes32(0));
        assertEq(t, 0);
        assertEq(sys.scoreBoard.totalValidatorWeight(datasetId, EPOCH), 0, "nobody paid");
        assertEq(sys.scoreBoard.validatorWeight(datasetId, EPOCH, validators[0]), 0);
        assertEq(sys.scoreBoard.agreementEma(validators[0]), 10_000, "EMA untouched");
        assertFalse(sys.rewards.epochRewards(datasetId, EPOCH).quorumMet);
        assertEq(sys.rewards.carriedEmission(datasetId), params.dataset.emissionPerEpoch);
    }

    /// @notice ... and at quorumBps 6666 it is (20 * 10000 >= 6666 * 30).
    function test_finalize_TwoOfThreeMeetQuorumAt6666() public {
        _setQuorum(6666);
        _play(EPOCH, _same(rootA), _units(), 3, 3);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertTrue(st.quorumMet);
        assertEq(st.winningStake, 2 * VALIDATOR_STAKE);
        (bytes32 r,) = sys.scoreBoard.finalizedRoot(datasetId, EPOCH);
        assertEq(r, rootA);
    }

    /// @notice Two roots split the stake; neither reaches quorum, however much was revealed.
    function test_finalize_SplitRevealsMissQuorum() public {
        _play(EPOCH, [rootA, rootA, rootB], _units(), 7, 7);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertEq(st.revealedStake, 3 * VALIDATOR_STAKE);
        assertEq(st.winningStake, 2 * VALIDATOR_STAKE);
        assertFalse(st.quorumMet);
    }

    /// @notice The same root with another total is another key: stake does not pool across totals.
    function test_finalize_RootAndTotalTogetherAreTheKey() public {
        _setQuorum(5000);
        _play(EPOCH, _same(rootA), [UNITS, UNITS, 2 * UNITS], 7, 7);
        // validators 0 and 1 hold 2/3 of (rootA, UNITS); validator 2 alone is (rootA, 2 * UNITS)
        sys.scoreBoard.finalize(datasetId, EPOCH);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertEq(st.winningStake, 2 * VALIDATOR_STAKE);
        (, uint256 t) = sys.scoreBoard.finalizedRoot(datasetId, EPOCH);
        assertEq(t, UNITS);
        assertEq(sys.scoreBoard.validatorWeight(datasetId, EPOCH, validators[2]), 0);
    }

    /// @notice The root with the most stake wins even against more revealers.
    function test_finalize_MostStakeWins() public {
        vm.deal(validators[2], 15 ether);
        vm.prank(validators[2]);
        sys.staking.stake{value: 15 ether}(); // 25 vs 10 + 10
        _setQuorum(5000);
        _play(EPOCH, [rootA, rootA, rootB], _units(), 7, 7);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        (bytes32 r,) = sys.scoreBoard.finalizedRoot(datasetId, EPOCH);
        assertEq(r, rootB);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertEq(st.winningStake, 25 ether);
        assertTrue(st.quorumMet); // 25/45 = 5555 bps >= 5000
        assertEq(sys.scoreBoard.validatorWeight(datasetId, EPOCH, validators[0]), 0);
        assertEq(sys.scoreBoard.validatorWeight(datasetId, EPOCH, validators[2]), 25 ether * 10_000);
    }

    /// @notice Equal stake behind two roots: the earliest committee member's root wins, whatever order they
    /// revealed in.
    function test_finalize_TieGoesToEarliestCommitteeMember() public {
        _setQuorum(3000);
        rollToCommit(EPOCH);
        sys.scoreBoard.fixSeed(datasetId, EPOCH);
        address[] memory c = sys.scoreBoard.committee(datasetId, EPOCH);
        (address first, address second) = (c[0], c[1]);
        commitRoot(first, EPOCH, rootB, UNITS);
        commitRoot(second, EPOCH, rootA, UNITS);
        rollToReveal(EPOCH);
        revealRoot(second, EPOCH, rootA, UNITS); // the later member reveals first
        revealRoot(first, EPOCH, rootB, UNITS);
        rollToFinalize(EPOCH);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        (bytes32 r,) = sys.scoreBoard.finalizedRoot(datasetId, EPOCH);
        assertEq(r, rootB);
        assertEq(sys.scoreBoard.epochStatus(datasetId, EPOCH).winningStake, VALIDATOR_STAKE);
        assertTrue(sys.scoreBoard.epochStatus(datasetId, EPOCH).quorumMet);
        assertEq(sys.scoreBoard.validatorWeight(datasetId, EPOCH, second), 0);
        assertEq(sys.scoreBoard.validatorWeight(datasetId, EPOCH, first), VALIDATOR_STAKE * 10_000);
    }

    function test_finalize_WithoutSeedFinalizesEmpty() public {
        rollToFinalize(EPOCH);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertTrue(st.finalized);
        assertFalse(st.seedFixed);
        assertFalse(st.quorumMet);
        assertEq(st.winningStake, 0);
        assertTrue(sys.rewards.epochRewards(datasetId, EPOCH).finalized);
    }

    // ----- finalize: EMA and weights -----

    function test_finalize_DissenterEmaFallsWinnersWeighted() public {
        _play(EPOCH, [rootA, rootA, rootB], _units(), 7, 7);
        _setQuorum(6666);
        vm.expectEmit(address(sys.scoreBoard));
        emit IScoreBoard.AgreementUpdated(validators[2], datasetId, EPOCH, 0, 8750);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        assertEq(sys.scoreBoard.agreementEma(validators[0]), 10_000);
        assertEq(sys.scoreBoard.agreementEma(validators[1]), 10_000);
        assertEq(sys.scoreBoard.agreementEma(validators[2]), (10_000 * 7 + 0) / 8);
        assertEq(
            sys.scoreBoard.validatorWeight(datasetId, EPOCH, validators[0]),
            VALIDATOR_STAKE * 10_000
        );
        assertEq(sys.scoreBoard.validatorWeight(datasetId, EPOCH, validators[2]), 0);
        assertEq(
            sys.scoreBoard.totalValidatorWeight(datasetId, EPOCH), 2 * VALIDATOR_STAKE * 10_000
        );
        assertEq(sys.scoreBoard.weightedValidatorCount(datasetId, EPOCH), 2);
    }

    /// @notice A validator that dissented once and then agrees recovers: its EMA rises, and its weight is
    /// stake x the risen EMA.
    function test_finalize_AgreeingAfterDissentRaisesEma() public {
        _setQuorum(6666);
        _play(EPOCH, [rootA, rootA, rootB], _units(), 7, 7);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        uint256 low = sys.scoreBoard.agreementEma(validators[2]);
        assertEq(low, 8750);

        bytes32 r1 = keccak256("epoch-1-root");
        _play(1, _same(r1), _units(), 7, 7);
        sys.scoreBoard.finalize(datasetId, 1);
        uint256 risen = (low * 7 + 10_000) / 8;
        assertEq(sys.scoreBoard.agreementEma(validators[2]), risen);
        assertGt(risen, low);
        assertEq(
            sys.scoreBoard.validatorWeight(datasetId, 1, validators[2]), VALIDATOR_STAKE * risen
        );
        assertEq(sys.scoreBoard.agreementEma(validators[0]), 10_000);
    }

    // ----- finalize: non-reveal slashing -----

    function test_finalize_SlashesCommittedButUnrevealed() public {
        _setQuorum(6666);
        _play(EPOCH, _same(rootA), _units(), 7, 3);
        uint256 amount = VALIDATOR_STAKE * params.slashBps / 10_000;
        vm.expectEmit(address(sys.scoreBoard));
        emit IScoreBoard.NonRevealSlashed(datasetId, EPOCH, validators[2], amount, true);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        assertEq(sys.staking.stakeOf(validators[2]), VALIDATOR_STAKE - amount);
        assertEq(sys.staking.stakeOf(validators[1]), VALIDATOR_STAKE);
        assertEq(sys.scoreBoard.validatorWeight(datasetId, EPOCH, validators[2]), 0);
        assertTrue(sys.scoreBoard.epochStatus(datasetId, EPOCH).quorumMet);
    }

    /// @notice Slashing does not depend on quorum: a non-revealer is slashed in an epoch nobody wins.
    function test_finalize_SlashesWithoutQuorumToo() public {
        _play(EPOCH, _same(rootA), _units(), 7, 1);
        uint256 amount = VALIDATOR_STAKE * params.slashBps / 10_000;
        sys.scoreBoard.finalize(datasetId, EPOCH);
        assertFalse(sys.scoreBoard.epochStatus(datasetId, EPOCH).quorumMet);
        assertEq(sys.staking.stakeOf(validators[1]), VALIDATOR_STAKE - amount);
        assertEq(sys.staking.stakeOf(validators[2]), VALIDATOR_STAKE - amount);
        assertEq(sys.staking.stakeOf(validators[0]), VALIDATOR_STAKE);
    }

    function test_finalize_NonRevealSlashCannotBeEscapedByUnstaking() public {
        rollToCommit(EPOCH);
        for (uint256 i; i < 3; ++i) {
            commitRoot(validators[i], EPOCH, rootA, UNITS);
        }
        // validator 2 committed, then unstakes everything during the reveal window to dodge the slash
        address dodger = validators[2];
        rollToReveal(EPOCH);
        vm.prank(dodger);
        sys.staking.requestUnstake(VALIDATOR_STAKE);
        revealRoot(validators[0], EPOCH, rootA, UNITS);
        revealRoot(validators[1], EPOCH, rootA, UNITS);
        rollToFinalize(EPOCH);
        // unbonding >= submit + commit + reveal (DatasetConfig enforces it): still locked at finalization
        uint64 release = sys.staking.validatorInfo(dodger).unbondingReleaseBlock;
        assertGt(release, block.number);
        vm.prank(dodger);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValidatorStaking.ValidatorStakingStillUnbonding.selector, release, block.number
            )
        );
        sys.staking.withdraw();
        uint256 amount = VALIDATOR_STAKE * params.slashBps / 10_000;
        vm.expectEmit(address(sys.scoreBoard));
        emit IScoreBoard.NonRevealSlashed(datasetId, EPOCH, dodger, amount, true);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        assertEq(sys.staking.validatorInfo(dodger).unbonding, VALIDATOR_STAKE - amount);
    }

    // ----- views -----

    function test_views_DefaultsBeforeAnything() public view {
        assertEq(sys.scoreBoard.agreementEma(address(0xBEEF)), 10_000);
        assertEq(sys.scoreBoard.epochSeed(datasetId, 5), bytes32(0));
        assertEq(sys.scoreBoard.slashBps(), params.slashBps);
        assertEq(sys.scoreBoard.rewardDistributor(), address(sys.rewards));
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertFalse(st.seedFixed || st.finalized || st.quorumMet);
        assertEq(st.committedStake + st.revealedStake + st.winningStake, 0);
        (bytes32 r, uint256 t) = sys.scoreBoard.finalizedRoot(datasetId, EPOCH);
        assertEq(r, bytes32(0));
        assertEq(t, 0);
        assertFalse(sys.rewards.epochRewards(datasetId, EPOCH).finalized);
    }
}
