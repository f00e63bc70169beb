// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixtures} from "../utils/Fixtures.sol";
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

contract ScoreBoardTest is Fixtures {
    uint64 internal constant EPOCH = 0;
    bytes32[] internal files;

    function setUp() public {
        deployFreshSystem();
        setUpValidatorsAndRitual();
        files.push(submitFile(0));
        files.push(submitFile(1));
    }

    function _scores(uint16 a, uint16 b) internal pure returns (uint16[] memory s) {
        s = new uint16[](2);
        s[0] = a;
        s[1] = b;
    }

    function _all(uint16[] memory s) internal pure returns (uint16[][] memory all) {
        all = new uint16[][](3);
        all[0] = s;
        all[1] = s;
        all[2] = s;
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

    function test_fixSeed_StoresSeedRitualAndCommittee() public {
        (, uint64 closeBlock,,) = windows(EPOCH);
        rollTo(closeBlock + 3);
        bytes32 seed = sys.scoreBoard.fixSeed(datasetId, EPOCH);
        assertEq(seed, keccak256(abi.encode(blockhash(closeBlock - 1), datasetId, EPOCH)));
        assertEq(sys.scoreBoard.epochSeed(datasetId, EPOCH), seed);
        assertEq(sys.scoreBoard.epochRitual(datasetId, EPOCH), sys.dkg.activeRitualId());
        assertEq(sys.scoreBoard.committee(datasetId, EPOCH).length, 3);
        assertEq(sys.scoreBoard.committeeStake(datasetId, EPOCH), 3 * VALIDATOR_STAKE);
        assertTrue(sys.scoreBoard.epochStatus(datasetId, EPOCH).seedFixed);
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
        address[] memory c = sys.scoreBoard.committee(datasetId, EPOCH);
        assertEq(c.length, 2);
        assertEq(sys.scoreBoard.committeeStakeOf(datasetId, EPOCH, validators[2]), 0);
        assertEq(sys.scoreBoard.committeeStake(datasetId, EPOCH), 2 * VALIDATOR_STAKE);
    }

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

    function test_fixSeed_RevertWhen_SeedUnavailable() public {
        (, uint64 closeBlock,,) = windows(EPOCH);
        rollTo(closeBlock + 256);
        vm.expectRevert(
            abi.encodeWithSelector(IScoreBoard.ScoreBoardSeedUnavailable.selector, datasetId, EPOCH)
        );
        sys.scoreBoard.fixSeed(datasetId, EPOCH);
    }

    function test_fixSeed_RevertWhen_NoActiveRitual() public {
        deployFreshSystem(); // no ritual this time
        rollToCommit(EPOCH);
        vm.expectRevert(IScoreBoard.ScoreBoardNoActiveRitual.selector);
        sys.scoreBoard.fixSeed(datasetId, EPOCH);
    }

    // ----- commit -----

    function test_commit_RecordsCommitmentAndFixesSeed() public {
        rollToCommit(EPOCH);
        bytes32 c = scoreCommitment(validators[0], EPOCH, _scores(1, 2), saltOf(validators[0]));
        vm.expectEmit(address(sys.scoreBoard));
        emit IScoreBoard.ScoresCommitted(datasetId, EPOCH, validators[0], c);
        vm.prank(validators[0]);
        sys.scoreBoard.commit(datasetId, EPOCH, c);
        assertEq(sys.scoreBoard.commitmentOf(datasetId, EPOCH, validators[0]), c);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertTrue(st.seedFixed);
        assertEq(st.committedStake, VALIDATOR_STAKE);
    }

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
        commitScores(validators[0], EPOCH, _scores(1, 2));
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardAlreadyCommitted.selector, datasetId, EPOCH, validators[0]
            )
        );
        vm.prank(validators[0]);
        sys.scoreBoard.commit(datasetId, EPOCH, bytes32(uint256(1)));
    }

    // ----- reveal -----

    function test_reveal_RecordsScores() public {
        rollToCommit(EPOCH);
        commitScores(validators[0], EPOCH, _scores(4000, 6000));
        rollToReveal(EPOCH);
        vm.expectEmit(address(sys.scoreBoard));
        emit IScoreBoard.ScoresRevealed(datasetId, EPOCH, validators[0], _scores(4000, 6000));
        revealScores(validators[0], EPOCH, _scores(4000, 6000));
        assertTrue(sys.scoreBoard.revealed(datasetId, EPOCH, validators[0]));
        uint16[] memory got = sys.scoreBoard.revealedScores(datasetId, EPOCH, validators[0]);
        assertEq(got.length, 2);
        assertEq(got[1], 6000);
        assertEq(sys.scoreBoard.revealers(datasetId, EPOCH)[0], validators[0]);
        assertEq(sys.scoreBoard.epochStatus(datasetId, EPOCH).revealedStake, VALIDATOR_STAKE);
        assertEq(sys.scoreBoard.revealedScores(datasetId, EPOCH, validators[1]).length, 0);
    }

    function test_reveal_RevertWhen_NotInRevealWindow() public {
        rollToCommit(EPOCH);
        commitScores(validators[0], EPOCH, _scores(1, 2));
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardNotInRevealWindow.selector, datasetId, EPOCH
            )
        );
        revealScores(validators[0], EPOCH, _scores(1, 2));
        rollToFinalize(EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardNotInRevealWindow.selector, datasetId, EPOCH
            )
        );
        revealScores(validators[0], EPOCH, _scores(1, 2));
    }

    function test_reveal_RevertWhen_NotCommitted() public {
        rollToReveal(EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardNotCommitted.selector, datasetId, EPOCH, validators[0]
            )
        );
        revealScores(validators[0], EPOCH, _scores(1, 2));
    }

    function test_reveal_RevertWhen_AlreadyRevealed() public {
        rollToCommit(EPOCH);
        commitScores(validators[0], EPOCH, _scores(1, 2));
        rollToReveal(EPOCH);
        revealScores(validators[0], EPOCH, _scores(1, 2));
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardAlreadyRevealed.selector, datasetId, EPOCH, validators[0]
            )
        );
        revealScores(validators[0], EPOCH, _scores(1, 2));
    }

    function test_reveal_RevertWhen_LengthMismatch() public {
        rollToCommit(EPOCH);
        commitScores(validators[0], EPOCH, _scores(1, 2));
        rollToReveal(EPOCH);
        uint16[] memory one = new uint16[](1);
        vm.expectRevert(abi.encodeWithSelector(IScoreBoard.ScoreBoardLengthMismatch.selector, 2, 1));
        revealScores(validators[0], EPOCH, one);
    }

    function test_reveal_RevertWhen_ScoreOutOfRange() public {
        rollToCommit(EPOCH);
        commitScores(validators[0], EPOCH, _scores(1, 10_001));
        rollToReveal(EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardScoreOutOfRange.selector, 1, uint16(10_001)
            )
        );
        revealScores(validators[0], EPOCH, _scores(1, 10_001));
    }

    function test_reveal_RevertWhen_CommitmentMismatch() public {
        rollToCommit(EPOCH);
        commitScores(validators[0], EPOCH, _scores(1, 2));
        rollToReveal(EPOCH);
        bytes32 expected = sys.scoreBoard.commitmentOf(datasetId, EPOCH, validators[0]);
        bytes32 actual = scoreCommitment(validators[0], EPOCH, _scores(1, 3), saltOf(validators[0]));
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardCommitmentMismatch.selector, expected, actual
            )
        );
        revealScores(validators[0], EPOCH, _scores(1, 3));
    }

    // ----- finalize -----

    function test_finalize_TakesStakeWeightedMedianPerFile() public {
        uint16[][] memory s = new uint16[][](3);
        s[0] = _scores(1000, 9000);
        s[1] = _scores(2000, 100);
        s[2] = _scores(8000, 5000);
        scoreEpoch(EPOCH, s);
        assertEq(sys.scoreBoard.finalScore(datasetId, EPOCH, files[0]), 2000);
        assertEq(sys.scoreBoard.finalScore(datasetId, EPOCH, files[1]), 5000);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertTrue(st.finalized);
        assertTrue(st.quorumMet);
        assertEq(st.totalScore, 7000);
        assertEq(sys.scoreBoard.scoredFileCount(datasetId, EPOCH), 2);
        assertTrue(sys.rewards.epochRewards(datasetId, EPOCH).finalized);
    }

    function test_finalize_HeavyStakeDominatesMedian() public {
        // validator 2 holds more than half the stake: its scores are the median
        vm.deal(validators[2], 100 ether);
        vm.prank(validators[2]);
        sys.staking.stake{value: 30 ether}();
        uint16[][] memory s = new uint16[][](3);
        s[0] = _scores(1000, 1000);
        s[1] = _scores(1000, 1000);
        s[2] = _scores(7000, 3000);
        scoreEpoch(EPOCH, s);
        assertEq(sys.scoreBoard.finalScore(datasetId, EPOCH, files[0]), 7000);
        assertEq(sys.scoreBoard.finalScore(datasetId, EPOCH, files[1]), 3000);
    }

    function test_finalize_EvenSplitAveragesBothMedians() public {
        // two revealers with equal stake: lo and hi medians differ, the result is their midpoint
        rollToCommit(EPOCH);
        commitScores(validators[0], EPOCH, _scores(1000, 0));
        commitScores(validators[1], EPOCH, _scores(3000, 0));
        rollToReveal(EPOCH);
        revealScores(validators[0], EPOCH, _scores(1000, 0));
        revealScores(validators[1], EPOCH, _scores(3000, 0));
        rollToFinalize(EPOCH);
        // quorum: 2/3 of committee stake revealed >= 6667 bps? 20/30 = 6666.6 bps < 6667: lower the bar
        vm.prank(address(sys.timelock));
        sys.config.setScoringParams(datasetId, 6000, 10);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        assertEq(sys.scoreBoard.finalScore(datasetId, EPOCH, files[0]), 2000);
        assertEq(sys.scoreBoard.finalScore(datasetId, EPOCH, files[1]), 0);
    }

    function test_finalize_ZeroesScoresBelowMinimum() public {
        scoreEpoch(EPOCH, _all(_scores(9, 10)));
        assertEq(sys.scoreBoard.finalScore(datasetId, EPOCH, files[0]), 0);
        assertEq(sys.scoreBoard.finalScore(datasetId, EPOCH, files[1]), 10);
        assertEq(sys.scoreBoard.epochStatus(datasetId, EPOCH).totalScore, 10);
    }

    function test_finalize_WithoutQuorumScoresNothing() public {
        rollToCommit(EPOCH);
        commitScores(validators[0], EPOCH, _scores(5000, 5000));
        commitScores(validators[1], EPOCH, _scores(5000, 5000));
        rollToReveal(EPOCH);
        revealScores(validators[0], EPOCH, _scores(5000, 5000)); // 1/3 of the stake
        rollToFinalize(EPOCH);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertFalse(st.quorumMet);
        assertEq(st.totalScore, 0);
        assertEq(sys.scoreBoard.finalScore(datasetId, EPOCH, files[0]), 0);
        assertEq(sys.rewards.epochRewards(datasetId, EPOCH).emission, 0);
    }

    function test_finalize_WithoutSeedFinalizesEmpty() public {
        rollToFinalize(EPOCH);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, EPOCH);
        assertTrue(st.finalized);
        assertFalse(st.seedFixed);
        assertFalse(st.quorumMet);
    }

    function test_finalize_SlashesCommittedButUnrevealed() public {
        rollToCommit(EPOCH);
        for (uint256 i; i < 3; ++i) {
            commitScores(validators[i], EPOCH, _scores(5000, 5000));
        }
        rollToReveal(EPOCH);
        revealScores(validators[0], EPOCH, _scores(5000, 5000));
        revealScores(validators[1], EPOCH, _scores(5000, 5000));
        rollToFinalize(EPOCH);
        uint256 amount = VALIDATOR_STAKE * params.slashBps / 10_000;
        vm.expectEmit(address(sys.scoreBoard));
        emit IScoreBoard.NonRevealSlashed(datasetId, EPOCH, validators[2], amount, true);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        assertEq(sys.staking.stakeOf(validators[2]), VALIDATOR_STAKE - amount);
        assertEq(sys.staking.stakeOf(validators[1]), VALIDATOR_STAKE);
    }

    function test_finalize_NonRevealSlashCannotBeEscapedByUnstaking() public {
        rollToCommit(EPOCH);
        for (uint256 i; i < 3; ++i) {
            commitScores(validators[i], EPOCH, _scores(5000, 5000));
        }
        // validator 2 committed, then unstakes everything at once to dodge the non-reveal slash
        address dodger = validators[2];
        vm.prank(dodger);
        sys.staking.requestUnstake(VALIDATOR_STAKE);
        rollToReveal(EPOCH);
        revealScores(validators[0], EPOCH, _scores(5000, 5000));
        revealScores(validators[1], EPOCH, _scores(5000, 5000));
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
        sys.scoreBoard.finalize(datasetId, EPOCH);
        assertEq(sys.staking.validatorInfo(dodger).unbonding, VALIDATOR_STAKE - amount);
    }

    function test_finalize_FailedSlashDoesNotBlock() public {
        rollToCommit(EPOCH);
        commitScores(validators[0], EPOCH, _scores(5000, 5000));
        rollToFinalize(EPOCH);
        vm.prank(address(sys.timelock));
        sys.staking.setFaultModule(address(sys.scoreBoard), false);
        uint256 amount = VALIDATOR_STAKE * params.slashBps / 10_000;
        vm.expectEmit(address(sys.scoreBoard));
        emit IScoreBoard.NonRevealSlashed(datasetId, EPOCH, validators[0], amount, false);
        sys.scoreBoard.finalize(datasetId, EPOCH);
        assertTrue(sys.scoreBoard.epochStatus(datasetId, EPOCH).finalized);
    }

    function test_finalize_UpdatesAgreementEmaAndWeights() public {
        uint16[][] memory s = new uint16[][](3);
        s[0] = _scores(5000, 5000);
        s[1] = _scores(5000, 5000);
        s[2] = _scores(9000, 1000); // |9000-5000| + |1000-5000| = 8000 over 2 files: agreement 6000
        scoreEpoch(EPOCH, s);
        assertEq(sys.scoreBoard.agreementEma(validators[0]), 10_000);
        assertEq(sys.scoreBoard.agreementEma(validators[2]), (10_000 * 7 + 6000) / 8);
        assertEq(
            sys.scoreBoard.validatorWeight(datasetId, EPOCH, validators[2]), VALIDATOR_STAKE * 9500
        );
        assertEq(
            sys.scoreBoard.totalValidatorWeight(datasetId, EPOCH),
            VALIDATOR_STAKE * (10_000 * 2 + 9500)
        );
        assertEq(sys.scoreBoard.weightedValidatorCount(datasetId, EPOCH), 3);
    }

    function test_finalize_RevertWhen_TooEarly() public {
        (,,, uint64 finalizeFrom) = windows(EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IScoreBoard.ScoreBoardFinalizeTooEarly.selector, datasetId, EPOCH, finalizeFrom
            )
        );
        sys.scoreBoard.finalize(datasetId, EPOCH);
    }

    function test_finalize_RevertWhen_AlreadyFinalized() public {
        rollToFinalize(EPOCH);
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
        commitScores(validators[0], EPOCH, _scores(5000, 5000));
        rollToFinalize(EPOCH);
        vm.etch(address(sys.staking), address(new GasBurner()).code);
        vm.expectRevert(IScoreBoard.ScoreBoardInsufficientGas.selector);
        sys.scoreBoard.finalize{gas: 1_000_000}(datasetId, EPOCH);
    }

    function test_views_DefaultsBeforeAnything() public {
        assertEq(sys.scoreBoard.agreementEma(makeAddr("nobody")), 10_000);
        assertEq(sys.scoreBoard.epochSeed(datasetId, 5), bytes32(0));
        assertEq(sys.scoreBoard.slashBps(), params.slashBps);
        assertEq(sys.scoreBoard.rewardDistributor(), address(sys.rewards));
        IRewardDistributor.EpochRewards memory r = sys.rewards.epochRewards(datasetId, EPOCH);
        assertFalse(r.finalized);
    }
}
