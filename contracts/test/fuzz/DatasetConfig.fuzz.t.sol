// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {DatasetConfig} from "../../src/DatasetConfig.sol";
import {ValidatorStaking} from "../../src/ValidatorStaking.sol";
import {IDatasetConfig} from "../../src/interfaces/IDatasetConfig.sol";

contract DatasetConfigFuzzTest is Test {
    DatasetConfig internal config;
    address internal owner = makeAddr("timelock");

    function setUp() public {
        config = new DatasetConfig(
            owner,
            address(new ValidatorStaking(owner, makeAddr("treasury"), 1 ether, type(uint64).max))
        );
    }

    function _create(uint64 genesis, uint32 s, uint32 c, uint32 r, uint256 cap)
        internal
        returns (uint256 id)
    {
        IDatasetConfig.Dataset memory d;
        d.name = "fuzz";
        d.genesisBlock = genesis;
        d.submitBlocks = s;
        d.commitBlocks = c;
        d.revealBlocks = r;
        d.quorumBps = 1;
        d.emissionCap = cap;
        vm.prank(owner);
        id = config.createDataset(d);
    }

    function testFuzz_epochAt_BlockLiesInItsEpochsSubmitWindow(
        uint64 genesis,
        uint32 s,
        uint32 c,
        uint32 r,
        uint256 blockNumber
    ) public {
        genesis = uint64(bound(genesis, 1, type(uint48).max));
        s = uint32(bound(s, 1, type(uint32).max));
        c = uint32(bound(c, 1, type(uint32).max));
        r = uint32(bound(r, 1, type(uint32).max));
        blockNumber = bound(blockNumber, genesis, type(uint56).max);
        uint256 id = _create(genesis, s, c, r, 0);

        uint64 e = config.epochAt(id, blockNumber);
        (uint64 submitStart, uint64 closeBlock, uint64 revealStart, uint64 finalizeFrom) =
            config.epochWindows(id, e);
        assertLe(submitStart, blockNumber);
        assertLt(blockNumber, closeBlock);
        assertEq(closeBlock - submitStart, s);
        assertEq(revealStart - closeBlock, c);
        assertEq(finalizeFrom - revealStart, r);
        assertEq(submitStart, uint256(genesis) + uint256(e) * s);
        // the next epoch starts where this one closes (pipelining)
        (uint64 nextStart,,,) = config.epochWindows(id, e + 1);
        assertEq(nextStart, closeBlock);
    }

    function testFuzz_currentEpoch_MatchesEpochAtBlockNumber(
        uint64 genesis,
        uint32 s,
        uint256 blockNumber
    ) public {
        genesis = uint64(bound(genesis, 1, type(uint40).max));
        s = uint32(bound(s, 1, 100_000));
        blockNumber = bound(blockNumber, genesis, type(uint48).max);
        uint256 id = _create(genesis, s, 1, 1, 0);
        vm.roll(blockNumber);
        assertEq(config.currentEpoch(id), (blockNumber - genesis) / s);
    }

    function testFuzz_setEmission_NeverExceedsCap(uint256 cap, uint256 emission) public {
        uint256 id = _create(1, 1, 1, 1, cap);
        vm.prank(owner);
        if (emission > cap) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IDatasetConfig.DatasetConfigEmissionAboveCap.selector, emission, cap
                )
            );
            config.setEmission(id, emission);
        } else {
            config.setEmission(id, emission);
            assertEq(config.dataset(id).emissionPerEpoch, emission);
        }
        assertLe(config.dataset(id).emissionPerEpoch, config.dataset(id).emissionCap);
    }

    function testFuzz_setScoringParams_AcceptsExactlyTheValidRange(uint16 quorum, uint16 minScore)
        public
    {
        uint256 id = _create(1, 1, 1, 1, 0);
        bool valid = quorum != 0 && quorum <= 10_000 && minScore <= 10_000;
        if (quorum == 0) {
            vm.expectRevert(abi.encodeWithSelector(IDatasetConfig.DatasetConfigZeroQuorum.selector));
        } else if (quorum > 10_000) {
            vm.expectRevert(
                abi.encodeWithSelector(IDatasetConfig.DatasetConfigBpsOutOfRange.selector, quorum)
            );
        } else if (minScore > 10_000) {
            vm.expectRevert(
                abi.encodeWithSelector(IDatasetConfig.DatasetConfigBpsOutOfRange.selector, minScore)
            );
        }
        vm.prank(owner);
        config.setScoringParams(id, quorum, minScore);
        if (valid) assertEq(config.dataset(id).quorumBps, quorum);
    }

    function testFuzz_setSubmissionBond_StoresAnyUint96AndRefusesWider(uint256 bond) public {
        uint256 id = _create(1, 10, 10, 10, 0);
        if (bond > type(uint96).max) {
            vm.expectRevert(
                abi.encodeWithSelector(IDatasetConfig.DatasetConfigBondTooLarge.selector, bond)
            );
            vm.prank(owner);
            config.setSubmissionBond(id, bond);
            assertEq(config.submissionBond(id), 0);
        } else {
            vm.prank(owner);
            config.setSubmissionBond(id, bond);
            assertEq(config.submissionBond(id), bond);
        }
    }
}
