// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {DatasetConfig} from "../../src/DatasetConfig.sol";
import {ValidatorStaking} from "../../src/ValidatorStaking.sol";
import {IDatasetConfig} from "../../src/interfaces/IDatasetConfig.sol";

contract DatasetConfigTest is Test {
    DatasetConfig internal config;
    address internal owner = makeAddr("timelock");
    address internal stranger = makeAddr("stranger");

    function setUp() public {
        vm.roll(1000);
        config = new DatasetConfig(
            owner, address(new ValidatorStaking(owner, makeAddr("treasury"), 1 ether, 1000))
        );
    }

    function _dataset() internal pure returns (IDatasetConfig.Dataset memory d) {
        d.name = "chatgpt-exports";
        d.valuationSpecDigest = keccak256("spec");
        d.validationSetCommitment = sha256("validation");
        d.validationSetCid = "bafyvalidation";
        d.validationSetHeaderHash = keccak256("header");
        d.emissionPerEpoch = 1000 ether;
        d.emissionCap = 5000 ether;
        d.genesisBlock = 1100;
        d.submitBlocks = 100;
        d.commitBlocks = 20;
        d.revealBlocks = 30;
        d.quorumBps = 6667;
        d.minScoreBps = 100;
        d.validatorShareBps = 1000;
    }

    function _create() internal returns (uint256 id) {
        IDatasetConfig.Dataset memory d = _dataset(); // built before the prank: sha256 is a precompile call
        vm.prank(owner);
        id = config.createDataset(d);
    }

    // ---------------------------------------------------------------- createDataset

    function test_createDataset_StoresEverythingAndAssignsIdsFromOne() public {
        IDatasetConfig.Dataset memory d = _dataset();
        vm.expectEmit(address(config));
        emit IDatasetConfig.DatasetCreated(1, d.name, 1100, 100, 20, 30, 5000 ether);
        uint256 id = _create();
        assertEq(id, 1);
        assertEq(config.datasetCount(), 1);
        assertTrue(config.exists(1));
        assertFalse(config.exists(0));
        assertFalse(config.exists(2));
        assertEq(keccak256(abi.encode(config.dataset(1))), keccak256(abi.encode(d)));
        assertEq(_create(), 2);
    }

    function test_createDataset_ZeroGenesisMeansCurrentBlock() public {
        IDatasetConfig.Dataset memory d = _dataset();
        d.genesisBlock = 0;
        vm.prank(owner);
        uint256 id = config.createDataset(d);
        assertEq(config.dataset(id).genesisBlock, 1000);
        assertEq(config.currentEpoch(id), 0);
    }

    function test_createDataset_RevertWhen_CallerNotOwner() public {
        IDatasetConfig.Dataset memory d = _dataset();
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger)
        );
        vm.prank(stranger);
        config.createDataset(d);
    }

    function test_createDataset_RevertWhen_EmptyName() public {
        IDatasetConfig.Dataset memory d = _dataset();
        d.name = "";
        vm.expectRevert(abi.encodeWithSelector(IDatasetConfig.DatasetConfigEmptyName.selector));
        vm.prank(owner);
        config.createDataset(d);
    }

    function test_createDataset_RevertWhen_ZeroSubmitWindow() public {
        IDatasetConfig.Dataset memory d = _dataset();
        d.submitBlocks = 0;
        vm.expectRevert(abi.encodeWithSelector(IDatasetConfig.DatasetConfigZeroWindow.selector));
        vm.prank(owner);
        config.createDataset(d);
    }

    function test_createDataset_RevertWhen_ZeroCommitWindow() public {
        IDatasetConfig.Dataset memory d = _dataset();
        d.commitBlocks = 0;
        vm.expectRevert(abi.encodeWithSelector(IDatasetConfig.DatasetConfigZeroWindow.selector));
        vm.prank(owner);
        config.createDataset(d);
    }

    function test_createDataset_RevertWhen_ZeroRevealWindow() public {
        IDatasetConfig.Dataset memory d = _dataset();
        d.revealBlocks = 0;
        vm.expectRevert(abi.encodeWithSelector(IDatasetConfig.DatasetConfigZeroWindow.selector));
        vm.prank(owner);
        config.createDataset(d);
    }

    function test_createDataset_RevertWhen_EmissionAboveCap() public {
        IDatasetConfig.Dataset memory d = _dataset();
        d.emissionPerEpoch = d.emissionCap + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IDatasetConfig.DatasetConfigEmissionAboveCap.selector,
                d.emissionCap + 1,
                d.emissionCap
            )
        );
        vm.prank(owner);
        config.createDataset(d);
    }

    function test_createDataset_RevertWhen_ValidatorShareAboveMaxBps() public {
        IDatasetConfig.Dataset memory d = _dataset();
        d.validatorShareBps = 10_001;
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigBpsOutOfRange.selector, 10_001)
        );
        vm.prank(owner);
        config.createDataset(d);
    }

    function test_createDataset_RevertWhen_QuorumAboveMaxBps() public {
        IDatasetConfig.Dataset memory d = _dataset();
        d.quorumBps = 10_001;
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigBpsOutOfRange.selector, 10_001)
        );
        vm.prank(owner);
        config.createDataset(d);
    }

    function test_createDataset_RevertWhen_MinScoreAboveMaxBps() public {
        IDatasetConfig.Dataset memory d = _dataset();
        d.minScoreBps = 10_001;
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigBpsOutOfRange.selector, 10_001)
        );
        vm.prank(owner);
        config.createDataset(d);
    }

    function test_createDataset_RevertWhen_ZeroQuorum() public {
        IDatasetConfig.Dataset memory d = _dataset();
        d.quorumBps = 0;
        vm.expectRevert(abi.encodeWithSelector(IDatasetConfig.DatasetConfigZeroQuorum.selector));
        vm.prank(owner);
        config.createDataset(d);
    }

    // ---------------------------------------------------------------- setEmission

    function test_setEmission_UpdatesUpToTheCap() public {
        uint256 id = _create();
        vm.expectEmit(address(config));
        emit IDatasetConfig.EmissionUpdated(id, 5000 ether);
        vm.prank(owner);
        config.setEmission(id, 5000 ether);
        assertEq(config.dataset(id).emissionPerEpoch, 5000 ether);
    }

    function test_setEmission_RevertWhen_AboveCap() public {
        uint256 id = _create();
        vm.expectRevert(
            abi.encodeWithSelector(
                IDatasetConfig.DatasetConfigEmissionAboveCap.selector, 5000 ether + 1, 5000 ether
            )
        );
        vm.prank(owner);
        config.setEmission(id, 5000 ether + 1);
    }

    function test_setEmission_RevertWhen_UnknownDataset() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigUnknownDataset.selector, 7)
        );
        vm.prank(owner);
        config.setEmission(7, 1);
    }

    function test_setEmission_RevertWhen_CallerNotOwner() public {
        uint256 id = _create();
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger)
        );
        vm.prank(stranger);
        config.setEmission(id, 1);
    }

    // ---------------------------------------------------------------- setSubmissionBond

    function test_setSubmissionBond_RevertWhen_CallerNotOwner() public {
        uint256 id = _create();
        address[2] memory callers = [stranger, address(this)];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, callers[i])
            );
            vm.prank(callers[i]);
            config.setSubmissionBond(id, 1 ether);
        }
        assertEq(config.submissionBond(id), 0);
    }

    function test_setSubmissionBond_RevertWhen_UnknownDataset() public {
        _create();
        uint256[3] memory ids = [uint256(0), 2, type(uint256).max];
        for (uint256 i; i < ids.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IDatasetConfig.DatasetConfigUnknownDataset.selector, ids[i])
            );
            vm.prank(owner);
            config.setSubmissionBond(ids[i], 1 ether);
        }
    }

    function test_setSubmissionBond_RevertWhen_AboveUint96() public {
        uint256 id = _create();
        uint256[2] memory bonds = [uint256(type(uint96).max) + 1, type(uint256).max];
        for (uint256 i; i < bonds.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IDatasetConfig.DatasetConfigBondTooLarge.selector, bonds[i])
            );
            vm.prank(owner);
            config.setSubmissionBond(id, bonds[i]);
        }
        assertEq(config.submissionBond(id), 0);
    }

    function test_setSubmissionBond_SetsPerDatasetAndEmits() public {
        uint256 a = _create();
        uint256 b = _create();
        assertEq(config.submissionBond(a), 0, "a new dataset has no bond");
        vm.expectEmit(address(config));
        emit IDatasetConfig.SubmissionBondSet(a, 0.01 ether);
        vm.prank(owner);
        config.setSubmissionBond(a, 0.01 ether);
        assertEq(config.submissionBond(a), 0.01 ether);
        assertEq(config.submissionBond(b), 0, "other datasets keep theirs");

        vm.expectEmit(address(config));
        emit IDatasetConfig.SubmissionBondSet(b, type(uint96).max);
        vm.prank(owner);
        config.setSubmissionBond(b, type(uint96).max); // the largest the registry's record holds
        assertEq(config.submissionBond(b), type(uint96).max);

        vm.prank(owner);
        config.setSubmissionBond(a, 0); // governance may drop the bond again
        assertEq(config.submissionBond(a), 0);
    }

    function test_submissionBond_IsZeroForUnknownDataset() public view {
        // a view, not a guard: SubmissionRegistry checks the dataset exists before it reads the bond
        assertEq(config.submissionBond(42), 0);
    }

    // ---------------------------------------------------------------- setValuationSpec

    function test_setValuationSpec_UpdatesDigest() public {
        uint256 id = _create();
        vm.expectEmit(address(config));
        emit IDatasetConfig.ValuationSpecUpdated(id, bytes32(uint256(42)));
        vm.prank(owner);
        config.setValuationSpec(id, bytes32(uint256(42)));
        assertEq(config.dataset(id).valuationSpecDigest, bytes32(uint256(42)));
    }

    function test_setValuationSpec_RevertWhen_UnknownDataset() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigUnknownDataset.selector, 1)
        );
        vm.prank(owner);
        config.setValuationSpec(1, bytes32(0));
    }

    function test_setValuationSpec_RevertWhen_CallerNotOwner() public {
        uint256 id = _create();
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger)
        );
        vm.prank(stranger);
        config.setValuationSpec(id, bytes32(0));
    }

    // ---------------------------------------------------------------- setValidationSet

    function test_setValidationSet_UpdatesAllThreeFields() public {
        uint256 id = _create();
        vm.expectEmit(address(config));
        emit IDatasetConfig.ValidationSetUpdated(
            id, bytes32(uint256(1)), "bafynew", bytes32(uint256(2))
        );
        vm.prank(owner);
        config.setValidationSet(id, bytes32(uint256(1)), "bafynew", bytes32(uint256(2)));
        IDatasetConfig.Dataset memory d = config.dataset(id);
        assertEq(d.validationSetCommitment, bytes32(uint256(1)));
        assertEq(d.validationSetCid, "bafynew");
        assertEq(d.validationSetHeaderHash, bytes32(uint256(2)));
    }

    function test_setValidationSet_RevertWhen_UnknownDataset() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigUnknownDataset.selector, 3)
        );
        vm.prank(owner);
        config.setValidationSet(3, bytes32(0), "", bytes32(0));
    }

    function test_setValidationSet_RevertWhen_CallerNotOwner() public {
        uint256 id = _create();
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger)
        );
        vm.prank(stranger);
        config.setValidationSet(id, bytes32(0), "", bytes32(0));
    }

    // ---------------------------------------------------------------- setScoringParams

    function test_setScoringParams_UpdatesQuorumAndMinScore() public {
        uint256 id = _create();
        vm.expectEmit(address(config));
        emit IDatasetConfig.ScoringParamsUpdated(id, 5000, 0);
        vm.prank(owner);
        config.setScoringParams(id, 5000, 0);
        assertEq(config.dataset(id).quorumBps, 5000);
        assertEq(config.dataset(id).minScoreBps, 0);
    }

    function test_setScoringParams_RevertWhen_ZeroQuorum() public {
        uint256 id = _create();
        vm.expectRevert(abi.encodeWithSelector(IDatasetConfig.DatasetConfigZeroQuorum.selector));
        vm.prank(owner);
        config.setScoringParams(id, 0, 0);
    }

    function test_setScoringParams_RevertWhen_QuorumAboveMaxBps() public {
        uint256 id = _create();
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigBpsOutOfRange.selector, 10_001)
        );
        vm.prank(owner);
        config.setScoringParams(id, 10_001, 0);
    }

    function test_setScoringParams_RevertWhen_MinScoreAboveMaxBps() public {
        uint256 id = _create();
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigBpsOutOfRange.selector, 20_000)
        );
        vm.prank(owner);
        config.setScoringParams(id, 10_000, 20_000);
    }

    function test_setScoringParams_RevertWhen_UnknownDataset() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigUnknownDataset.selector, 1)
        );
        vm.prank(owner);
        config.setScoringParams(1, 5000, 0);
    }

    function test_setScoringParams_RevertWhen_CallerNotOwner() public {
        uint256 id = _create();
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger)
        );
        vm.prank(stranger);
        config.setScoringParams(id, 5000, 0);
    }

    // ---------------------------------------------------------------- views

    function test_dataset_RevertWhen_UnknownDataset() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigUnknownDataset.selector, 0)
        );
        config.dataset(0);
    }

    function test_currentEpoch_FollowsSubmitWindows() public {
        uint256 id = _create(); // genesis 1100, S = 100
        vm.roll(1100);
        assertEq(config.currentEpoch(id), 0);
        vm.roll(1199);
        assertEq(config.currentEpoch(id), 0);
        vm.roll(1200);
        assertEq(config.currentEpoch(id), 1);
        vm.roll(1100 + 100 * 57 + 3);
        assertEq(config.currentEpoch(id), 57);
    }

    function test_currentEpoch_RevertWhen_BeforeGenesis() public {
        uint256 id = _create();
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigBeforeGenesis.selector, id, 1100)
        );
        config.currentEpoch(id);
    }

    function test_currentEpoch_RevertWhen_UnknownDataset() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigUnknownDataset.selector, 1)
        );
        config.currentEpoch(1);
    }

    function test_epochAt_RevertWhen_BeforeGenesis() public {
        uint256 id = _create();
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigBeforeGenesis.selector, id, 1100)
        );
        config.epochAt(id, 1099);
    }

    function test_epochWindows_MatchTheReadme() public {
        uint256 id = _create(); // g 1100, S 100, C 20, R 30
        (uint64 submitStart, uint64 closeBlock, uint64 revealStart, uint64 finalizeFrom) =
            config.epochWindows(id, 3);
        assertEq(submitStart, 1400);
        assertEq(closeBlock, 1500);
        assertEq(revealStart, 1520);
        assertEq(finalizeFrom, 1550);
    }

    function test_epochWindows_RevertWhen_Overflow() public {
        uint256 id = _create();
        vm.expectRevert(
            abi.encodeWithSelector(
                SafeCast.SafeCastOverflowedUintDowncast.selector, 64, _overflowStart()
            )
        );
        config.epochWindows(id, type(uint64).max);
    }

    function _overflowStart() internal pure returns (uint256) {
        return uint256(1100) + uint256(type(uint64).max) * 100;
    }

    function test_epochWindows_RevertWhen_UnknownDataset() public {
        vm.expectRevert(
            abi.encodeWithSelector(IDatasetConfig.DatasetConfigUnknownDataset.selector, 9)
        );
        config.epochWindows(9, 0);
    }

    function test_constructor_RevertWhen_ZeroStaking() public {
        vm.expectRevert(IDatasetConfig.DatasetConfigZeroStaking.selector);
        new DatasetConfig(owner, address(0));
    }

    function test_createDataset_RevertWhen_WindowsExceedUnbonding() public {
        // unbonding is 1000 blocks here; S + C + R = 1001 would let a committed validator unstake after the close
        // and withdraw before a missing reveal is slashed at finalization
        IDatasetConfig.Dataset memory d = _dataset();
        d.submitBlocks = 951;
        d.commitBlocks = 25;
        d.revealBlocks = 25;
        vm.prank(owner);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDatasetConfig.DatasetConfigWindowsExceedUnbonding.selector, 1001, 1000
            )
        );
        config.createDataset(d);
        d.submitBlocks = 950; // exactly the unbonding period is allowed
        vm.prank(owner);
        config.createDataset(d);
    }

    function test_staking_IsTheOneGiven() public {
        assertTrue(config.staking() != address(0));
    }
}
