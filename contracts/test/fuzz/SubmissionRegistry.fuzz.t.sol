// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISubmissionRegistry} from "../../src/interfaces/ISubmissionRegistry.sol";
import {SubmissionRegistryTestBase} from "../unit/SubmissionRegistry.t.sol";

/// @notice Protocol v2 properties of SubmissionRegistry: the file id is derived from (contributor, headerHash),
/// a copy under any other key lands under another id and never under the original's, and only the exact bond
/// is accepted.
contract SubmissionRegistryFuzzTest is SubmissionRegistryTestBase {
    function _submitAs(uint256 key, ISubmissionRegistry.Submission memory s)
        internal
        returns (bytes32)
    {
        bytes memory sig = _sign(key, s);
        vm.prank(relayer);
        return registry.submit{value: BOND}(s, sig);
    }

    function testFuzz_hashSubmission_MatchesManualEncoding(
        address who,
        uint256 datasetId,
        string calldata cid,
        bytes32 headerHash,
        bytes32 contentCommitment,
        uint32 ritualId,
        uint64 epoch,
        uint256 deadline
    ) public view {
        ISubmissionRegistry.Submission memory s =
            ISubmissionRegistry.Submission(
                who, datasetId, cid, headerHash, contentCommitment, ritualId, epoch, deadline
            );
        bytes32 expected = keccak256(
            abi.encodePacked("\x19\x01", _domainSeparator(address(registry)), _structHash(s))
        );
        assertEq(registry.hashSubmission(s), expected);
    }

    function testFuzz_fileIdOf_IsKeccakOfPaddedAddressAndHeaderHash(address who, bytes32 h)
        public
        view
    {
        bytes32 id = registry.fileIdOf(who, h);
        assertEq(id, keccak256(bytes.concat(bytes12(0), bytes20(who), h)));
    }

    function testFuzz_submit_DerivesTheFileIdFromContributorAndHeader(
        bytes32 headerHash,
        bytes32 contentCommitment,
        string calldata cid,
        uint256 deadlineOffset
    ) public {
        vm.assume(bytes(cid).length != 0);
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.headerHash = headerHash;
        s.contentCommitment = contentCommitment;
        s.cid = cid;
        s.deadline = block.timestamp + bound(deadlineOffset, 0, 365 days);
        bytes32 id = _submitAs(contributorKey, s);
        assertEq(id, _fileId(contributor, headerHash));
        ISubmissionRegistry.SubmissionRecord memory r = registry.submissionOf(id);
        assertEq(r.contributor, contributor);
        assertEq(r.bond, BOND);
        assertTrue(registry.contentSubmitted(1, contributor, contentCommitment));
    }

    /// Any other key that copies Alice's sealed header gets its own id, whichever lands first, and Alice's
    /// submission still lands under hers.
    function testFuzz_submit_CopyByAnotherKeyGetsAnotherId(
        uint256 key,
        bytes32 headerHash,
        bool copyFirst
    ) public {
        key = bound(key, 1, SECP256K1_ORDER - 1);
        address other = vm.addr(key);
        vm.assume(other != contributor);
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.headerHash = headerHash;
        ISubmissionRegistry.Submission memory c = _submission(1);
        c.headerHash = headerHash;
        c.contributor = other;

        bytes32 copyId;
        bytes32 aliceId;
        if (copyFirst) {
            copyId = _submitAs(key, c);
            aliceId = _submitAs(contributorKey, s);
        } else {
            aliceId = _submitAs(contributorKey, s);
            copyId = _submitAs(key, c);
        }
        assertEq(aliceId, _fileId(contributor, headerHash));
        assertEq(copyId, _fileId(other, headerHash));
        assertTrue(copyId != aliceId);
        assertEq(registry.submissionOf(aliceId).contributor, contributor);
        assertEq(registry.submissionOf(copyId).contributor, other);
    }

    /// Another key can never register a struct naming Alice (the only route to Alice's id).
    function testFuzz_submit_OtherKeyCannotSignForAlice(uint256 key, bytes32 headerHash) public {
        key = bound(key, 1, SECP256K1_ORDER - 1);
        vm.assume(vm.addr(key) != contributor);
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.headerHash = headerHash;
        bytes memory sig = _sign(key, s);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, contributor
            )
        );
        vm.prank(relayer);
        registry.submit{value: BOND}(s, sig);
        assertFalse(registry.exists(_fileId(contributor, headerHash)));
    }

    /// A signature, once used, is refused as a duplicate id for any relayer.
    function testFuzz_submit_ReplayIsAlwaysDuplicate(address replayer, bytes32 headerHash) public {
        ISubmissionRegistry.Submission memory s = _submission(1);
        s.headerHash = headerHash;
        bytes memory sig = _sign(contributorKey, s);
        vm.prank(relayer);
        bytes32 id = registry.submit{value: BOND}(s, sig);
        vm.deal(replayer, BOND);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryDuplicateFileId.selector, id
            )
        );
        vm.prank(replayer);
        registry.submit{value: BOND}(s, sig);
    }

    function testFuzz_submit_RejectsAnyValueButTheBond(uint256 value, uint96 bond) public {
        vm.assume(value != bond);
        vm.prank(owner);
        config.setSubmissionBond(1, bond);
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes memory sig = _sign(contributorKey, s);
        vm.deal(relayer, value);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryWrongBond.selector, bond, value
            )
        );
        vm.prank(relayer);
        registry.submit{value: value}(s, sig);
        assertEq(address(registry).balance, 0);
    }

    function testFuzz_submit_AcceptsExactlyTheBond(uint96 bond) public {
        vm.prank(owner);
        config.setSubmissionBond(1, bond);
        ISubmissionRegistry.Submission memory s = _submission(1);
        bytes memory sig = _sign(contributorKey, s);
        vm.deal(relayer, bond);
        vm.prank(relayer);
        bytes32 id = registry.submit{value: bond}(s, sig);
        assertEq(registry.submissionOf(id).bond, bond);
        assertEq(address(registry).balance, bond);
    }

    function testFuzz_submit_RejectsAnyOtherSigner(uint256 key) public {
        key = bound(key, 1, SECP256K1_ORDER - 1);
        ISubmissionRegistry.Submission memory s = _submission(1);
        vm.assume(vm.addr(key) != contributor);
        bytes memory sig = _sign(key, s);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryInvalidSignature.selector, contributor
            )
        );
        vm.prank(relayer);
        registry.submit{value: BOND}(s, sig);
    }

    function testFuzz_submit_RejectsAnyWrongEpoch(uint64 epoch, uint256 advance) public {
        vm.roll(GENESIS + bound(advance, 0, 10_000));
        ISubmissionRegistry.Submission memory s = _submission(1);
        uint64 current = s.epoch;
        vm.assume(epoch != current);
        s.epoch = epoch;
        bytes memory sig = _sign(contributorKey, s);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISubmissionRegistry.SubmissionRegistryWrongEpoch.selector, epoch, current
            )
        );
        vm.prank(relayer);
        registry.submit{value: BOND}(s, sig);
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
        vm.prank(relayer);
        registry.submit{value: BOND}(s, sig);
    }
}
