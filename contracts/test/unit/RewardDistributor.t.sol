// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixtures} from "../utils/Fixtures.sol";
import {RewardDistributor} from "../../src/RewardDistributor.sol";
import {IRewardDistributor} from "../../src/interfaces/IRewardDistributor.sol";

contract RewardDistributorTest is Fixtures {
    uint64 internal constant EPOCH = 0;
    bytes32[] internal files;
    uint256 internal emission;
    uint256 internal contributorPool;
    uint256 internal validatorPool;

    function setUp() public {
        deployFreshSystem();
        setUpValidatorsAndRitual();
        for (uint256 i; i < 3; ++i) {
            files.push(submitFile(i));
        }
        emission = params.dataset.emissionPerEpoch;
        contributorPool = emission * (10_000 - params.dataset.validatorShareBps) / 10_000;
        validatorPool = emission - contributorPool;
    }

    function _finalizeWith(uint16 a, uint16 b, uint16 c) internal {
        uint16[] memory s = new uint16[](3);
        s[0] = a;
        s[1] = b;
        s[2] = c;
        uint16[][] memory all = new uint16[][](3);
        all[0] = s;
        all[1] = s;
        all[2] = s;
        scoreEpoch(EPOCH, all);
    }

    // ----- constructor -----

    function test_constructor_RevertWhen_ZeroAddress() public {
        vm.expectRevert(IRewardDistributor.RewardDistributorZeroAddress.selector);
        new RewardDistributor(
            address(0), address(1), address(sys.scoreBoard), address(1), address(1), 1
        );
    }

    function test_constructor_RevertWhen_ScoreBoardMismatch() public {
        address sb = address(sys.scoreBoard); // points at the deployed distributor, not at the new one
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorScoreBoardMismatch.selector, sb
            )
        );
        new RewardDistributor(address(1), address(1), sb, address(1), address(1), 1);
    }

    // ----- onEpochFinalized -----

    function test_onEpochFinalized_SetsPools() public {
        _finalizeWith(3000, 1000, 0);
        IRewardDistributor.EpochRewards memory r = sys.rewards.epochRewards(datasetId, EPOCH);
        assertTrue(r.finalized);
        assertEq(r.emission, emission);
        assertEq(r.contributorPool, contributorPool);
        assertEq(r.validatorPool, validatorPool);
        assertEq(r.totalScore, 4000);
        assertEq(r.claimsLeft, 2 + 3);
        assertEq(r.finalizedAtBlock, block.number);
    }

    function test_onEpochFinalized_NoScoreNoEmission() public {
        _finalizeWith(0, 0, 0);
        IRewardDistributor.EpochRewards memory r = sys.rewards.epochRewards(datasetId, EPOCH);
        assertTrue(r.finalized);
        assertEq(r.emission, 0);
        assertEq(r.claimsLeft, 0);
        assertEq(sys.rewards.sweepDust(datasetId, EPOCH), 0);
        assertEq(sys.token.totalSupply(), 0);
    }

    function test_onEpochFinalized_RevertWhen_NotScoreBoard() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNotScoreBoard.selector, address(this)
            )
        );
        sys.rewards.onEpochFinalized(datasetId, EPOCH, 1);
    }

    function test_onEpochFinalized_RevertWhen_AlreadyFinalized() public {
        _finalizeWith(3000, 1000, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorAlreadyFinalized.selector, datasetId, EPOCH
            )
        );
        vm.prank(address(sys.scoreBoard));
        sys.rewards.onEpochFinalized(datasetId, EPOCH, 1);
    }

    // ----- claim -----

    function test_claim_MintsFloorShareToContributor() public {
        _finalizeWith(3000, 1000, 0);
        uint256 expected = contributorPool * 3000 / 4000;
        assertEq(sys.rewards.contributorReward(datasetId, EPOCH, files[0]), expected);
        vm.expectEmit(address(sys.rewards));
        emit IRewardDistributor.RewardClaimed(datasetId, EPOCH, files[0], contributors[0], expected);
        vm.prank(makeAddr("anyone")); // pull, but anyone may trigger it; tokens go to the contributor
        uint256 got = sys.rewards.claim(datasetId, EPOCH, files[0]);
        assertEq(got, expected);
        assertEq(sys.token.balanceOf(contributors[0]), expected);
        assertEq(sys.token.getVotes(contributors[0]), expected, "self-delegated on first mint");
        assertTrue(sys.rewards.claimed(datasetId, EPOCH, files[0]));
        assertEq(sys.rewards.epochRewards(datasetId, EPOCH).minted, expected);
    }

    function test_claim_RevertWhen_NotFinalized() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNotFinalized.selector, datasetId, EPOCH
            )
        );
        sys.rewards.claim(datasetId, EPOCH, files[0]);
    }

    function test_claim_RevertWhen_WrongEpoch() public {
        _finalizeWith(3000, 1000, 0);
        bytes32 later = submitFile(0); // registered in a later epoch
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorWrongEpoch.selector, later, datasetId, EPOCH
            )
        );
        sys.rewards.claim(datasetId, EPOCH, later);
    }

    function test_claim_RevertWhen_AlreadyClaimed() public {
        _finalizeWith(3000, 1000, 0);
        sys.rewards.claim(datasetId, EPOCH, files[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorAlreadyClaimed.selector,
                datasetId,
                EPOCH,
                files[0]
            )
        );
        sys.rewards.claim(datasetId, EPOCH, files[0]);
    }

    function test_claim_RevertWhen_NothingToClaim() public {
        _finalizeWith(3000, 1000, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNothingToClaim.selector, datasetId, EPOCH
            )
        );
        sys.rewards.claim(datasetId, EPOCH, files[2]);
    }

    function test_claim_RevertWhen_ClaimsClosed() public {
        _finalizeWith(3000, 1000, 0);
        rollTo(block.number + params.claimWindowBlocks + 1);
        sys.rewards.sweepDust(datasetId, EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorClaimsClosed.selector, datasetId, EPOCH
            )
        );
        sys.rewards.claim(datasetId, EPOCH, files[0]);
    }

    // ----- claimValidatorReward -----

    function test_claimValidatorReward_MintsProRataStakeTimesEma() public {
        _finalizeWith(3000, 1000, 0);
        uint256 expected = validatorPool / 3; // equal stake, equal EMA
        assertEq(sys.rewards.validatorReward(datasetId, EPOCH, validators[1]), expected);
        vm.expectEmit(address(sys.rewards));
        emit IRewardDistributor.ValidatorRewardClaimed(datasetId, EPOCH, validators[1], expected);
        vm.prank(validators[1]);
        assertEq(sys.rewards.claimValidatorReward(datasetId, EPOCH), expected);
        assertEq(sys.token.balanceOf(validators[1]), expected);
        assertTrue(sys.rewards.validatorClaimed(datasetId, EPOCH, validators[1]));
    }

    function test_claimValidatorReward_RevertWhen_AlreadyClaimed() public {
        _finalizeWith(3000, 1000, 0);
        vm.startPrank(validators[0]);
        sys.rewards.claimValidatorReward(datasetId, EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorValidatorAlreadyClaimed.selector,
                datasetId,
                EPOCH,
                validators[0]
            )
        );
        sys.rewards.claimValidatorReward(datasetId, EPOCH);
        vm.stopPrank();
    }

    function test_claimValidatorReward_RevertWhen_NothingToClaim() public {
        _finalizeWith(3000, 1000, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNothingToClaim.selector, datasetId, EPOCH
            )
        );
        vm.prank(makeAddr("outsider"));
        sys.rewards.claimValidatorReward(datasetId, EPOCH);
    }

    // ----- sweepDust -----

    function test_sweepDust_MintsRemainderOnceAllClaimed() public {
        _finalizeWith(3000, 1000, 0);
        sys.rewards.claim(datasetId, EPOCH, files[0]);
        sys.rewards.claim(datasetId, EPOCH, files[1]);
        for (uint256 i; i < 3; ++i) {
            vm.prank(validators[i]);
            sys.rewards.claimValidatorReward(datasetId, EPOCH);
        }
        uint256 before = sys.token.totalSupply();
        uint256 dust = sys.rewards.sweepDust(datasetId, EPOCH);
        assertEq(dust, emission - before);
        assertEq(sys.token.balanceOf(address(sys.timelock)), dust);
        assertEq(sys.token.totalSupply(), emission, "exactly E minted");
    }

    function test_sweepDust_AfterClaimWindowWithClaimsLeft() public {
        _finalizeWith(3000, 1000, 0);
        sys.rewards.claim(datasetId, EPOCH, files[0]);
        rollTo(block.number + params.claimWindowBlocks + 1);
        uint256 dust = sys.rewards.sweepDust(datasetId, EPOCH);
        assertEq(dust, emission - contributorPool * 3000 / 4000);
        assertTrue(sys.rewards.epochRewards(datasetId, EPOCH).dustSwept);
    }

    function test_sweepDust_RevertWhen_NotFinalized() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNotFinalized.selector, datasetId, EPOCH
            )
        );
        sys.rewards.sweepDust(datasetId, EPOCH);
    }

    function test_sweepDust_RevertWhen_ClaimsOutstanding() public {
        _finalizeWith(3000, 1000, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorClaimsOutstanding.selector,
                datasetId,
                EPOCH,
                uint256(5)
            )
        );
        sys.rewards.sweepDust(datasetId, EPOCH);
    }

    function test_sweepDust_RevertWhen_DustAlreadySwept() public {
        _finalizeWith(0, 0, 0);
        sys.rewards.sweepDust(datasetId, EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorDustAlreadySwept.selector, datasetId, EPOCH
            )
        );
        sys.rewards.sweepDust(datasetId, EPOCH);
    }

    function test_views_Wiring() public view {
        assertEq(sys.rewards.treasury(), address(sys.timelock));
        assertEq(sys.rewards.scoreBoard(), address(sys.scoreBoard));
        assertEq(sys.rewards.token(), address(sys.token));
        assertEq(sys.rewards.claimWindowBlocks(), params.claimWindowBlocks);
        assertEq(sys.token.minter(), address(sys.rewards));
    }
}
