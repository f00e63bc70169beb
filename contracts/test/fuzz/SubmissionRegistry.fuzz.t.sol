// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISubmissionRegistry} from "../../src/interfaces/ISubmissionRegistry.sol";
import {SubmissionRegistryTestBase} from "../unit/SubmissionRegistry.t.sol";

contract SubmissionRegistryFuzzTest is SubmissionRegistryTestBase {
    function testFuzz_hashSubmission_MatchesManualEncoding(
        address who,
        uint256 datasetId,
        bytes32 fileId,
        string calldata cid,
        bytes32 headerHash,
        bytes32 contentCommitment,
        uint32 ritualId,
        uint64 epoch,
        uint256 nonce,
        uint256 deadline
    ) public view {
        ISubmissionRegistry.Submission memory s = ISubmissionRegistry.Submission(
            who,
            datasetId,
            fileId,
            cid,
            headerHash,
            contentCommitment,
            ritualId,
            epoch,
            nonce,
            deadline
        );
        bytes32 expected = keccak256(
            abi.encodePacked("\x19\x01", _domainSeparator(address(registry)), _structHash(s))
        );
        assertEq(registry.hashSubmission(s), expected);
    }

    function testFuzz_submit_AcceptsAnyFreshNonceOnce(uint256 nonce, uint256 deadlineOffset)
        public
    {
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.nonce = nonce;
        s.deadline = block.timestamp + bound(deadlineOffset, 0, 365 days);
        bytes memory sig = _sign(contributorKey, s);
        registry.submit(s, sig);
        assertTrue(registry.nonceUsed(contributor, nonce));
        ISubmissionRegistry.Submission memory again = _submission(2);
        again.nonce = nonce;
        bytes memory sig2 = _sign(contributorKey, again);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryNonceUsed.selector, contributor, nonce
            )
        );
        registry.submit(again, sig2);
    }

    function testFuzz_submit_RejectsAnyOtherSigner(uint256 key) public {
        key = bound(key, 1, SECP256K1_ORDER - 1);
        ISubmissionRegistry.Submission memory s = _submission(1);
        if (vm.addr(key) == contributor) return;
        bytes memory sig = _sign(key, s);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, contributor
            )
        );
        registry.submit(s, sig);
    }

    function testFuzz_submit_RejectsAnyWrongEpoch(uint64 epoch, uint256 advance) public {
        vm.roll(GENESIS + bound(advance, 0, 10_000));
        ISubmissionRegistry.Submission memory s = _submission(1);
        uint64 current = s.epoch;
        if (epoch == current) return;
        s.epoch = epoch;
        bytes memory sig = _sign(contributorKey, s);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryWrongEpoch.selector, epoch, current
            )
        );
        registry.submit(s, sig);
    }

    function testFuzz_submit_RejectsExpiredDeadlines(uint256 deadline) public {
        deadline = bound(deadline, 0, block.timestamp - 1);
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.deadline = deadline;
        bytes memory sig = _sign(contributorKey, s);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryExpired.selector, deadline, block.timestamp
            )
        );
        registry.submit(s, sig);
    }
}
