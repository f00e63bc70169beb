// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixtures} from "../utils/Fixtures.sol";
import {SortedVectors} from "../utils/SortedVectors.sol";
import {RewardDistributor} from "../../src/RewardDistributor.sol";
import {IRewardDistributor} from "../../src/interfaces/IRewardDistributor.sol";
import {ISubmissionRegistry} from "../../src/interfaces/ISubmissionRegistry.sol";

/// @notice RewardDistributor v2: Merkle-proof claims against the finalized score root, bonds returned with a
/// paid claim, forfeited to the treasury by a proof of 0, refunded without quorum, emission rolled over.
contract RewardDistributorTest is Fixtures {
    uint64 internal constant EPOCH = 0;
    uint256 internal constant UNITS = 1e9;

    /// @dev A score vector in leaf order (fileId ascending).
    struct Vec {
        bytes32[] ids;
        uint256[] vals;
        bytes32 root;
        uint256 total;
    }

    bytes32[] internal files; // files[i] is contributor i's
    uint256 internal emission;
    uint256 internal contributorPool;
    uint256 internal validatorPool;
    uint256 internal bond;
    address internal treasury;

    function setUp() public {
        deployFreshSystem();
        setUpValidatorsAndRitual();
        for (uint256 i; i < 3; ++i) {
            files.push(submitFile(i));
        }
        emission = params.dataset.emissionPerEpoch;
        contributorPool = emission * (10_000 - params.dataset.validatorShareBps) / 10_000;
        validatorPool = emission - contributorPool;
        bond = params.submissionBond;
        treasury = address(sys.timelock);
        assertGt(bond, 0);
    }

    // ----- helpers -----

    /// @dev The vector giving `values[i]` to `ids[i]`, sorted into leaf order.
    function _vec(bytes32[] memory ids, uint256[] memory values)
        internal
        pure
        returns (Vec memory v)
    {
        v.ids = new bytes32[](ids.length);
        v.vals = new uint256[](ids.length);
        for (uint256 j; j < ids.length; ++j) {
            (v.ids[j], v.vals[j]) = (ids[j], values[j]);
        }
        SortedVectors.sortByFileId(v.ids, v.vals);
        v.root = merkleRoot(v.ids, v.vals);
        v.total = sum(v.vals);
    }

    function _vec3(uint256 a, uint256 b, uint256 c) internal view returns (Vec memory) {
        uint256[] memory values = new uint256[](3);
        (values[0], values[1], values[2]) = (a, b, c);
        return _vec(files, values);
    }

    function _proof(Vec memory v, bytes32 fileId) internal pure returns (bytes32[] memory) {
        return merkleProof(v.ids, v.vals, SortedVectors.indexOf(v.ids, fileId));
    }

    function _value(Vec memory v, bytes32 fileId) internal pure returns (uint256) {
        return v.vals[SortedVectors.indexOf(v.ids, fileId)];
    }

    /// @dev All three validators reveal `v` (with its own total) for `epoch`; finalized.
    function _finalize(uint64 epoch, Vec memory v) internal {
        bytes32[] memory roots = new bytes32[](3);
        uint256[] memory totals = new uint256[](3);
        for (uint256 i; i < 3; ++i) {
            (roots[i], totals[i]) = (v.root, v.total);
        }
        scoreEpoch(epoch, roots, totals);
    }

    /// @dev Only validator 0 reveals: 1/3 of the stake, no quorum.
    function _finalizeNoQuorum(uint64 epoch, Vec memory v) internal {
        rollToCommit(epoch);
        commitRoot(validators[0], epoch, v.root, v.total);
        rollToReveal(epoch);
        revealRoot(validators[0], epoch, v.root, v.total);
        rollToFinalize(epoch);
        sys.scoreBoard.finalize(datasetId, epoch);
    }

    function _claim(uint64 epoch, Vec memory v, bytes32 fileId) internal returns (uint256) {
        return sys.rewards.claim(datasetId, epoch, fileId, _value(v, fileId), _proof(v, fileId));
    }

    function _bondOf(bytes32 fileId) internal view returns (uint256) {
        return sys.registry.submissionOf(fileId).bond;
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

    function test_onEpochFinalized_RevertWhen_NotScoreBoard() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNotScoreBoard.selector, address(this)
            )
        );
        sys.rewards.onEpochFinalized(datasetId, EPOCH, bytes32(uint256(1)), UNITS, true);
    }

    function test_onEpochFinalized_RevertWhen_AlreadyFinalized() public {
        _finalize(EPOCH, _vec3(6e8, 4e8, 0));
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorAlreadyFinalized.selector, datasetId, EPOCH
            )
        );
        vm.prank(address(sys.scoreBoard));
        sys.rewards.onEpochFinalized(datasetId, EPOCH, bytes32(uint256(1)), UNITS, true);
    }

    function test_onEpochFinalized_SetsPools() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalize(EPOCH, v);
        IRewardDistributor.EpochRewards memory r = sys.rewards.epochRewards(datasetId, EPOCH);
        assertTrue(r.finalized);
        assertTrue(r.quorumMet);
        assertEq(r.root, v.root);
        assertEq(r.total, UNITS);
        assertEq(r.emission, emission);
        assertEq(r.contributorPool, contributorPool);
        assertEq(r.validatorPool, validatorPool);
        assertEq(r.totalValidatorWeight, sys.scoreBoard.totalValidatorWeight(datasetId, EPOCH));
        assertEq(r.finalizedAtBlock, block.number);
        assertEq(r.minted, 0);
        assertEq(sys.rewards.carriedEmission(datasetId), 0);
    }

    // ----- claim: hostile -----

    function test_claim_RevertWhen_NotFinalized() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNotFinalized.selector, datasetId, EPOCH
            )
        );
        _claim(EPOCH, v, files[0]);
    }

    /// @notice A proof of another leaf, an empty proof and a garbage proof are all refused.
    function test_claim_RevertWhen_InvalidProof() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalize(EPOCH, v);
        bytes32[][] memory bad = new bytes32[][](3);
        bad[0] = _proof(v, files[1]);
        bad[1] = new bytes32[](0);
        bad[2] = new bytes32[](2);
        bad[2][0] = keccak256("junk");
        for (uint256 k; k < bad.length; ++k) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IRewardDistributor.RewardDistributorInvalidProof.selector,
                    datasetId,
                    EPOCH,
                    files[0]
                )
            );
            sys.rewards.claim(datasetId, EPOCH, files[0], 6e8, bad[k]);
        }
        assertFalse(sys.rewards.claimed(datasetId, EPOCH, files[0]));
        assertEq(sys.token.totalSupply(), 0);
    }

    /// @notice A valid proof does not let the claimant name a bigger value, nor another file's value.
    function test_claim_RevertWhen_WrongValue() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalize(EPOCH, v);
        bytes32[] memory p = _proof(v, files[1]);
        uint256[2] memory wrong = [uint256(4e8 + 1), 6e8];
        for (uint256 k; k < 2; ++k) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IRewardDistributor.RewardDistributorInvalidProof.selector,
                    datasetId,
                    EPOCH,
                    files[1]
                )
            );
            sys.rewards.claim(datasetId, EPOCH, files[1], wrong[k], p);
        }
    }

    /// @notice A leaf of this epoch's root cannot be claimed for a file of another epoch (the record names
    /// its epoch), nor for an epoch the file was not submitted in.
    function test_claim_RevertWhen_WrongEpoch() public {
        bytes32 later = submitFileAt(0, 1);
        bytes32[] memory ids = new bytes32[](4);
        uint256[] memory vals = new uint256[](4);
        (ids[0], ids[1], ids[2], ids[3]) = (files[0], files[1], files[2], later);
        (vals[0], vals[1], vals[2], vals[3]) = (5e8, 2e8, 0, 3e8);
        Vec memory v = _vec(ids, vals); // a root that (wrongly) lists the later file
        _finalize(EPOCH, v);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorWrongEpoch.selector, later, datasetId, EPOCH
            )
        );
        _claim(EPOCH, v, later);
    }

    function test_claim_RevertWhen_UnknownFile() public {
        bytes32 ghost = keccak256("never submitted");
        bytes32[] memory ids = new bytes32[](2);
        uint256[] memory vals = new uint256[](2);
        (ids[0], ids[1]) = (files[0], ghost);
        (vals[0], vals[1]) = (5e8, 5e8);
        Vec memory v = _vec(ids, vals);
        _finalize(EPOCH, v);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryUnknownFile.selector, ghost
            )
        );
        _claim(EPOCH, v, ghost);
    }

    function test_claim_RevertWhen_AlreadyClaimed() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalize(EPOCH, v);
        _claim(EPOCH, v, files[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorAlreadyClaimed.selector,
                datasetId,
                EPOCH,
                files[0]
            )
        );
        _claim(EPOCH, v, files[0]);
    }

    /// @notice Value 0 is not a claim (even with a valid proof): the bond of a 0 is forfeited, not refunded.
    function test_claim_RevertWhen_ValueZero() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalize(EPOCH, v);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNothingToClaim.selector, datasetId, EPOCH
            )
        );
        _claim(EPOCH, v, files[2]);
        assertEq(_bondOf(files[2]), bond);
    }

    function test_claim_RevertWhen_NoQuorum() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalizeNoQuorum(EPOCH, v);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNothingToClaim.selector, datasetId, EPOCH
            )
        );
        _claim(EPOCH, v, files[0]);
    }

    /// @notice After the dust sweep a paid file's claim mints nothing (the rest went to the treasury) but
    /// still returns its bond: a late claim never strands a bond. Validator claims are closed.
    function test_claim_AfterSweepReturnsBondOnly() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalize(EPOCH, v);
        rollTo(block.number + params.claimWindowBlocks + 1);
        uint256 dust = sys.rewards.sweepDust(datasetId, EPOCH);
        assertEq(dust, emission);
        uint256 eth = contributors[0].balance;
        vm.expectEmit(address(sys.rewards));
        emit IRewardDistributor.RewardClaimed(datasetId, EPOCH, files[0], contributors[0], 0, bond);
        assertEq(_claim(EPOCH, v, files[0]), 0);
        assertEq(sys.token.balanceOf(contributors[0]), 0);
        assertEq(contributors[0].balance, eth + bond);
        assertEq(sys.token.totalSupply(), emission, "still exactly E");
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorClaimsClosed.selector, datasetId, EPOCH
            )
        );
        vm.prank(validators[0]);
        sys.rewards.claimValidatorReward(datasetId, EPOCH);
    }

    /// @notice A dishonest quorum's vector whose values sum past its total cannot mint past E_c: the claim
    /// that would cross the pool reverts and the pool stays whole.
    function test_claim_RevertWhen_PoolExceeded() public {
        bytes32[] memory ids = new bytes32[](3);
        uint256[] memory vals = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (files[0], files[1], files[2]);
        (vals[0], vals[1], vals[2]) = (9e8, 9e8, 0);
        Vec memory v = _vec(ids, vals);
        v.total = UNITS; // the quorum reveals total 1e9 for values summing to 1.8e9
        _finalize(EPOCH, v);
        uint256 first = _claim(EPOCH, v, files[0]);
        assertEq(first, contributorPool * 9e8 / UNITS);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorPoolExceeded.selector, datasetId, EPOCH
            )
        );
        _claim(EPOCH, v, files[1]);
        assertLe(sys.rewards.epochRewards(datasetId, EPOCH).contributorMinted, contributorPool);
        assertEq(sys.token.totalSupply(), first);
        assertEq(_bondOf(files[1]), bond, "the refused claim kept its bond");
    }

    // ----- claim: happy -----

    function test_claim_MintsFloorShareAndReturnsBond() public {
        Vec memory v = _vec3(6e8, 4e8 - 1, 1);
        _finalize(EPOCH, v);
        uint256 expected = contributorPool * 6e8 / UNITS;
        uint256 ethBefore = contributors[0].balance;
        uint256 registryBefore = address(sys.registry).balance;
        assertEq(registryBefore, 3 * bond);
        bytes32[] memory p = _proof(v, files[0]);
        vm.expectEmit(address(sys.rewards));
        emit IRewardDistributor.RewardClaimed(
            datasetId, EPOCH, files[0], contributors[0], expected, bond
        );
        vm.prank(makeAddr("anyone")); // anyone may trigger it; tokens and bond go to the contributor
        uint256 got = sys.rewards.claim(datasetId, EPOCH, files[0], 6e8, p);
        assertEq(got, expected);
        assertEq(sys.token.balanceOf(contributors[0]), expected);
        assertEq(sys.token.balanceOf(makeAddr("anyone")), 0);
        assertEq(contributors[0].balance, ethBefore + bond, "bond returned");
        assertEq(address(sys.registry).balance, registryBefore - bond);
        assertEq(_bondOf(files[0]), 0);
        assertTrue(sys.rewards.claimed(datasetId, EPOCH, files[0]));
        IRewardDistributor.EpochRewards memory r = sys.rewards.epochRewards(datasetId, EPOCH);
        assertEq(r.minted, expected);
        assertEq(r.contributorMinted, expected);
        // a 1-unit value claims its floor share, and its bond comes back
        uint256 e2 = contributors[2].balance;
        assertEq(_claim(EPOCH, v, files[2]), contributorPool / UNITS);
        assertEq(contributors[2].balance, e2 + bond);
    }

    function test_claim_AllClaimsStayWithinPool() public {
        Vec memory v = _vec3(333_333_333, 333_333_333, 333_333_334);
        _finalize(EPOCH, v);
        uint256 minted;
        for (uint256 i; i < 3; ++i) {
            minted += _claim(EPOCH, v, files[i]);
        }
        assertLe(minted, contributorPool);
        assertGe(minted, contributorPool - 3, "only floor dust is left");
        assertEq(address(sys.registry).balance, 0, "every bond returned");
    }

    // ----- forfeitBond -----

    function test_forfeitBond_RevertWhen_NotFinalized() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        bytes32[] memory p = _proof(v, files[2]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNotFinalized.selector, datasetId, EPOCH
            )
        );
        sys.rewards.forfeitBond(datasetId, EPOCH, files[2], p);
    }

    /// @notice The proof of a valued file (proving a non-zero value) cannot forfeit its bond.
    function test_forfeitBond_RevertWhen_ValueNotZero() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalize(EPOCH, v);
        bytes32[] memory p = _proof(v, files[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorInvalidProof.selector,
                datasetId,
                EPOCH,
                files[0]
            )
        );
        sys.rewards.forfeitBond(datasetId, EPOCH, files[0], p);
        assertEq(_bondOf(files[0]), bond);
        // nor can a zero file's proof be replayed against a valued file
        p = _proof(v, files[2]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorInvalidProof.selector,
                datasetId,
                EPOCH,
                files[0]
            )
        );
        sys.rewards.forfeitBond(datasetId, EPOCH, files[0], p);
    }

    function test_forfeitBond_RevertWhen_Twice() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalize(EPOCH, v);
        bytes32[] memory p = _proof(v, files[2]);
        sys.rewards.forfeitBond(datasetId, EPOCH, files[2], p);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorBondNotSettleable.selector,
                datasetId,
                EPOCH,
                files[2]
            )
        );
        sys.rewards.forfeitBond(datasetId, EPOCH, files[2], p);
        assertEq(treasury.balance, bond, "paid once");
    }

    function test_forfeitBond_RevertWhen_NoQuorum() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalizeNoQuorum(EPOCH, v);
        bytes32[] memory p = _proof(v, files[2]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorBondNotSettleable.selector,
                datasetId,
                EPOCH,
                files[2]
            )
        );
        sys.rewards.forfeitBond(datasetId, EPOCH, files[2], p);
    }

    function test_forfeitBond_SendsBondToTreasury() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalize(EPOCH, v);
        bytes32[] memory p = _proof(v, files[2]);
        uint256 contributorEth = contributors[2].balance;
        vm.expectEmit(address(sys.rewards));
        emit IRewardDistributor.BondForfeited(datasetId, EPOCH, files[2], bond);
        vm.prank(makeAddr("anyone"));
        sys.rewards.forfeitBond(datasetId, EPOCH, files[2], p);
        assertEq(treasury.balance, bond);
        assertEq(contributors[2].balance, contributorEth);
        assertEq(_bondOf(files[2]), 0);
        assertEq(sys.token.totalSupply(), 0, "a forfeit mints nothing");
    }

    // ----- refundBond -----

    function test_refundBond_RevertWhen_NotFinalized() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNotFinalized.selector, datasetId, EPOCH
            )
        );
        sys.rewards.refundBond(datasetId, EPOCH, files[0]);
    }

    /// @notice With a quorum the files were judged: no refund, of a valued file or of a zero.
    function test_refundBond_RevertWhen_QuorumMet() public {
        _finalize(EPOCH, _vec3(6e8, 4e8, 0));
        for (uint256 i; i < 3; i += 2) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IRewardDistributor.RewardDistributorBondNotSettleable.selector,
                    datasetId,
                    EPOCH,
                    files[i]
                )
            );
            sys.rewards.refundBond(datasetId, EPOCH, files[i]);
        }
    }

    function test_refundBond_ReturnsBondWithoutQuorumOnce() public {
        _finalizeNoQuorum(EPOCH, _vec3(6e8, 4e8, 0));
        uint256 before = contributors[1].balance;
        vm.expectEmit(address(sys.rewards));
        emit IRewardDistributor.BondRefunded(datasetId, EPOCH, files[1], bond);
        vm.prank(makeAddr("anyone"));
        sys.rewards.refundBond(datasetId, EPOCH, files[1]);
        assertEq(contributors[1].balance, before + bond);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorBondNotSettleable.selector,
                datasetId,
                EPOCH,
                files[1]
            )
        );
        sys.rewards.refundBond(datasetId, EPOCH, files[1]);
        assertEq(contributors[1].balance, before + bond);
    }

    function test_refundBond_RevertWhen_WrongEpoch() public {
        _finalizeNoQuorum(EPOCH, _vec3(6e8, 4e8, 0));
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorWrongEpoch.selector,
                files[0],
                datasetId,
                uint64(1)
            )
        );
        sys.rewards.refundBond(datasetId, 1, files[0]);
    }

    // ----- roll-over -----

    /// @notice No quorum (epoch 0) and a quorum on total 0 (epoch 1) each carry E; the next paid epoch gets
    /// E + 2E and the carry resets.
    function test_rollOver_NoQuorumAndZeroTotalCarryToNextPaidEpoch() public {
        _finalizeNoQuorum(EPOCH, _vec3(6e8, 4e8, 0));
        assertEq(sys.rewards.carriedEmission(datasetId), emission);
        assertEq(sys.rewards.epochRewards(datasetId, EPOCH).emission, 0);

        Vec memory empty; // epoch 1 had no files: root 0, total 0
        _finalize(1, empty);
        assertTrue(sys.rewards.epochRewards(datasetId, 1).quorumMet);
        assertEq(sys.rewards.epochRewards(datasetId, 1).emission, 0);
        assertEq(sys.rewards.carriedEmission(datasetId), 2 * emission);

        uint64 paid = sys.config.currentEpoch(datasetId);
        bytes32 f = submitFile(0);
        bytes32[] memory ids = new bytes32[](1);
        uint256[] memory vals = new uint256[](1);
        (ids[0], vals[0]) = (f, UNITS);
        Vec memory v = _vec(ids, vals);
        assertEq(v.root, leafOf(f, UNITS), "one leaf: root = leaf");
        _finalize(paid, v);
        IRewardDistributor.EpochRewards memory r = sys.rewards.epochRewards(datasetId, paid);
        assertEq(r.emission, 3 * emission);
        assertEq(
            r.contributorPool, 3 * emission * (10_000 - params.dataset.validatorShareBps) / 10_000
        );
        assertEq(sys.rewards.carriedEmission(datasetId), 0);
        uint256 got = sys.rewards.claim(datasetId, paid, f, UNITS, new bytes32[](0));
        assertEq(got, r.contributorPool);
    }

    /// @notice A quorum on total 0 still judges: its files' zero proofs forfeit their bonds.
    function test_rollOver_ZeroTotalEpochForfeitsBonds() public {
        Vec memory v = _vec3(0, 0, 0);
        _finalize(EPOCH, v);
        assertEq(sys.rewards.carriedEmission(datasetId), emission);
        for (uint256 i; i < 3; ++i) {
            sys.rewards.forfeitBond(datasetId, EPOCH, files[i], _proof(v, files[i]));
        }
        assertEq(treasury.balance, 3 * bond);
        assertEq(address(sys.registry).balance, 0);
    }

    // ----- claimValidatorReward -----

    function test_claimValidatorReward_RevertWhen_Dissenter() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        vm.prank(address(sys.timelock));
        sys.config.setScoringParams(datasetId, 6666, params.dataset.minScoreBps);
        bytes32[] memory roots = new bytes32[](3);
        uint256[] memory totals = new uint256[](3);
        (roots[0], roots[1], roots[2]) = (v.root, v.root, keccak256("dissent"));
        (totals[0], totals[1], totals[2]) = (UNITS, UNITS, UNITS);
        scoreEpoch(EPOCH, roots, totals);
        assertEq(sys.rewards.validatorReward(datasetId, EPOCH, validators[0]), validatorPool / 2);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNothingToClaim.selector, datasetId, EPOCH
            )
        );
        vm.prank(validators[2]);
        sys.rewards.claimValidatorReward(datasetId, EPOCH);
    }

    function test_claimValidatorReward_RevertWhen_AlreadyClaimed() public {
        _finalize(EPOCH, _vec3(6e8, 4e8, 0));
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

    function test_claimValidatorReward_RevertWhen_Outsider() public {
        _finalize(EPOCH, _vec3(6e8, 4e8, 0));
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNothingToClaim.selector, datasetId, EPOCH
            )
        );
        vm.prank(makeAddr("outsider"));
        sys.rewards.claimValidatorReward(datasetId, EPOCH);
    }

    function test_claimValidatorReward_MintsByWeight() public {
        vm.deal(validators[2], 10 ether);
        vm.prank(validators[2]);
        sys.staking.stake{value: 10 ether}(); // 20 of 40
        _finalize(EPOCH, _vec3(6e8, 4e8, 0));
        uint256 w2 = sys.scoreBoard.validatorWeight(datasetId, EPOCH, validators[2]);
        assertEq(w2, 20 ether * 10_000);
        uint256 expected = validatorPool / 2;
        assertEq(sys.rewards.validatorReward(datasetId, EPOCH, validators[2]), expected);
        vm.expectEmit(address(sys.rewards));
        emit IRewardDistributor.ValidatorRewardClaimed(datasetId, EPOCH, validators[2], expected);
        vm.prank(validators[2]);
        assertEq(sys.rewards.claimValidatorReward(datasetId, EPOCH), expected);
        vm.prank(validators[0]);
        assertEq(sys.rewards.claimValidatorReward(datasetId, EPOCH), validatorPool / 4);
        assertTrue(sys.rewards.validatorClaimed(datasetId, EPOCH, validators[2]));
    }

    // ----- sweepDust -----

    function test_sweepDust_RevertWhen_NotFinalized() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorNotFinalized.selector, datasetId, EPOCH
            )
        );
        sys.rewards.sweepDust(datasetId, EPOCH);
    }

    function test_sweepDust_RevertWhen_ClaimsOutstanding() public {
        _finalize(EPOCH, _vec3(6e8, 4e8, 0));
        uint64 openUntil = uint64(block.number) + params.claimWindowBlocks;
        rollTo(openUntil); // the last block of the window is still inside
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorClaimsOutstanding.selector,
                datasetId,
                EPOCH,
                openUntil
            )
        );
        sys.rewards.sweepDust(datasetId, EPOCH);
    }

    function test_sweepDust_RevertWhen_Twice() public {
        _finalize(EPOCH, _vec3(6e8, 4e8, 0));
        rollTo(block.number + params.claimWindowBlocks + 1);
        sys.rewards.sweepDust(datasetId, EPOCH);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRewardDistributor.RewardDistributorDustAlreadySwept.selector, datasetId, EPOCH
            )
        );
        sys.rewards.sweepDust(datasetId, EPOCH);
    }

    function test_sweepDust_MintsExactlyTheRestAfterTheWindow() public {
        Vec memory v = _vec3(6e8, 4e8, 0);
        _finalize(EPOCH, v);
        uint256 claimedAmount = _claim(EPOCH, v, files[0]);
        vm.prank(validators[1]);
        claimedAmount += sys.rewards.claimValidatorReward(datasetId, EPOCH);
        rollTo(block.number + params.claimWindowBlocks + 1);
        uint256 dust = sys.rewards.sweepDust(datasetId, EPOCH);
        assertEq(dust, emission - claimedAmount);
        assertEq(sys.token.balanceOf(treasury), dust);
        assertEq(sys.token.totalSupply(), emission, "exactly E minted");
        assertTrue(sys.rewards.epochRewards(datasetId, EPOCH).dustSwept);
    }

    /// @notice An epoch that paid nobody sweeps nothing (its emission was carried, not lost).
    function test_sweepDust_NoQuorumEpochSweepsNothing() public {
        _finalizeNoQuorum(EPOCH, _vec3(6e8, 4e8, 0));
        rollTo(block.number + params.claimWindowBlocks + 1);
        assertEq(sys.rewards.sweepDust(datasetId, EPOCH), 0);
        assertEq(sys.token.totalSupply(), 0);
        assertEq(sys.rewards.carriedEmission(datasetId), emission);
    }

    function test_views_Wiring() public view {
        assertEq(sys.rewards.treasury(), address(sys.timelock));
        assertEq(sys.rewards.scoreBoard(), address(sys.scoreBoard));
        assertEq(sys.rewards.token(), address(sys.token));
        assertEq(sys.rewards.claimWindowBlocks(), params.claimWindowBlocks);
        assertEq(sys.token.minter(), address(sys.rewards));
    }

    /// @dev Contributor `i`'s file in `epoch` (rolls the clock into its submit window first).
    function submitFileAt(uint256 i, uint64 epoch) internal returns (bytes32) {
        (uint64 submitStart,,,) = windows(epoch);
        rollTo(submitStart);
        return submitFile(i);
    }
}
