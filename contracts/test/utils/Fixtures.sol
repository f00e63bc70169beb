// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";

import {SystemDeployer} from "../../script/SystemDeployer.sol";
import {ISubmissionRegistry} from "../../src/interfaces/ISubmissionRegistry.sol";
import {Commitments} from "../../src/libraries/Commitments.sol";

/// @title Fixtures
/// @notice Base for system-level tests (v4-core's Deployers pattern): `deployFreshSystem()` deploys and wires the
/// whole Data DAO exactly as `script/Deploy.s.sol` does (same `SystemDeployer`, ownership handed to the timelock),
/// and the helpers below drive it: validators, the key ritual, signed submissions, the epoch clock, commit/reveal
/// and governance. Owner-only calls that governance would make (e.g. `initiateRitual`) are pranked as the timelock.
abstract contract Fixtures is Test, SystemDeployer {
    uint256 internal constant N_VALIDATORS = 3;
    uint256 internal constant N_CONTRIBUTORS = 3;
    uint256 internal constant VALIDATOR_STAKE = 10 ether;

    System internal sys;
    SystemParams internal params;
    uint256 internal datasetId;

    address[] internal validators;
    address[] internal contributors;
    uint256[] internal contributorKeys;
    address internal renter = makeAddr("renter");

    uint256 private _fileNonce;

    /// @notice Deploys the whole system with the devnet defaults and creates the test actors.
    function deployFreshSystem() internal virtual {
        deployFreshSystem(_defaultParams());
    }

    /// @notice Deploys the whole system with `p` and creates the test actors.
    function deployFreshSystem(SystemParams memory p) internal virtual {
        params = p;
        sys = _deploySystem(p, address(this));
        datasetId = sys.datasetId;
        _labelSystem();
        delete validators;
        delete contributors;
        delete contributorKeys;
        for (uint256 i; i < N_VALIDATORS; ++i) {
            validators.push(makeAddr(string.concat("validator", vm.toString(i))));
        }
        for (uint256 i; i < N_CONTRIBUTORS; ++i) {
            (address a, uint256 k) = makeAddrAndKey(string.concat("contributor", vm.toString(i)));
            contributors.push(a);
            contributorKeys.push(k);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Validators and the key ritual
    // ---------------------------------------------------------------------------------------------

    function stakeAndRegister(address v, uint256 amount) internal {
        vm.deal(v, v.balance + amount);
        vm.startPrank(v);
        sys.staking.stake{value: amount}();
        sys.staking.register(abi.encodePacked("ferveo-pk-", v), "http://127.0.0.1:9000");
        vm.stopPrank();
    }

    /// @notice Stakes and registers every validator, then runs a ritual over all of them to ACTIVE.
    function setUpValidatorsAndRitual() internal returns (uint32 ritualId) {
        for (uint256 i; i < validators.length; ++i) {
            stakeAndRegister(validators[i], VALIDATOR_STAKE);
        }
        ritualId = activateRitual(uint16(validators.length), uint16(validators.length / 2 + 1));
    }

    /// @notice Initiates a ritual (as the timelock, i.e. as governance would) and drives it to ACTIVE.
    function activateRitual(uint16 size, uint16 threshold) internal returns (uint32 ritualId) {
        vm.prank(address(sys.timelock));
        ritualId = sys.dkg.initiateRitual(size, threshold, 1 days);
        address[] memory members = sys.dkg.getParticipants(ritualId);
        for (uint256 i; i < members.length; ++i) {
            vm.prank(members[i]);
            sys.dkg.postTranscript(ritualId, abi.encodePacked("transcript-", members[i]));
        }
        for (uint256 i; i < members.length; ++i) {
            vm.prank(members[i]);
            sys.dkg.postAggregation(ritualId, keccak256("aggregate"), bytes("dkg-public-key"));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Submissions
    // ---------------------------------------------------------------------------------------------

    /// @notice Contributor `i`'s signed submission for the current epoch (a fresh header each time).
    function newSubmission(uint256 i) internal returns (ISubmissionRegistry.Submission memory s) {
        uint256 n = ++_fileNonce;
        s = ISubmissionRegistry.Submission({
            contributor: contributors[i],
            datasetId: datasetId,
            cid: string.concat("bafy", vm.toString(n)),
            headerHash: keccak256(abi.encode("header", n)),
            contentCommitment: keccak256(abi.encode("content", n)),
            ritualId: sys.dkg.activeRitualId(),
            epoch: sys.config.currentEpoch(datasetId),
            deadline: block.timestamp + 1 hours
        });
    }

    /// @notice `key`'s EIP-712 signature of `s`.
    function signSubmission(uint256 key, ISubmissionRegistry.Submission memory s)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(key, sys.registry.hashSubmission(s));
        return abi.encodePacked(r, sig, v);
    }

    /// @notice Relays `s` signed with `key`, paying the dataset's bond from this test contract.
    function relay(ISubmissionRegistry.Submission memory s, uint256 key)
        internal
        returns (bytes32 fileId)
    {
        uint256 bond = sys.config.submissionBond(datasetId);
        vm.deal(address(this), address(this).balance + bond);
        fileId = sys.registry.submit{value: bond}(s, signSubmission(key, s));
    }

    /// @notice Signs and relays a submission by contributor `i` for the current epoch; returns its file id.
    function submitFile(uint256 i) internal returns (bytes32 fileId) {
        fileId = relay(newSubmission(i), contributorKeys[i]);
    }

    // ---------------------------------------------------------------------------------------------
    // Score vectors (OpenZeppelin StandardMerkleTree layout, node/protocol/scorevector.py)
    // ---------------------------------------------------------------------------------------------

    function leafOf(bytes32 fileId, uint256 value) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(fileId, value))));
    }

    function _pair(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    /// @notice The root over (fileIds[j], values[j]) in the given leaf order; odd nodes carry up.
    function merkleRoot(bytes32[] memory fileIds, uint256[] memory values)
        internal
        pure
        returns (bytes32)
    {
        uint256 n = fileIds.length;
        if (n == 0) return bytes32(0);
        bytes32[] memory level = new bytes32[](n);
        for (uint256 j; j < n; ++j) {
            level[j] = leafOf(fileIds[j], values[j]);
        }
        while (n > 1) {
            uint256 m = (n + 1) / 2;
            for (uint256 k; k < m; ++k) {
                level[k] = 2 * k + 1 < n ? _pair(level[2 * k], level[2 * k + 1]) : level[2 * k];
            }
            n = m;
        }
        return level[0];
    }

    /// @notice The proof of leaf `index` in the same tree.
    function merkleProof(bytes32[] memory fileIds, uint256[] memory values, uint256 index)
        internal
        pure
        returns (bytes32[] memory proof)
    {
        uint256 n = fileIds.length;
        bytes32[] memory level = new bytes32[](n);
        for (uint256 j; j < n; ++j) {
            level[j] = leafOf(fileIds[j], values[j]);
        }
        bytes32[] memory out = new bytes32[](256);
        uint256 len;
        while (n > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < n) out[len++] = level[sibling];
            uint256 m = (n + 1) / 2;
            for (uint256 k; k < m; ++k) {
                level[k] = 2 * k + 1 < n ? _pair(level[2 * k], level[2 * k + 1]) : level[2 * k];
            }
            n = m;
            index /= 2;
        }
        proof = new bytes32[](len);
        for (uint256 k; k < len; ++k) {
            proof[k] = out[k];
        }
    }

    /// @notice Sum of `values`.
    function sum(uint256[] memory values) internal pure returns (uint256 t) {
        for (uint256 j; j < values.length; ++j) {
            t += values[j];
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Epoch clock
    // ---------------------------------------------------------------------------------------------

    function windows(uint64 epoch)
        internal
        view
        returns (uint64 submitStart, uint64 closeBlock, uint64 revealStart, uint64 finalizeFrom)
    {
        return sys.config.epochWindows(datasetId, epoch);
    }

    function rollTo(uint256 blockNumber) internal {
        if (blockNumber > block.number) {
            vm.warp(block.timestamp + (blockNumber - block.number) * 12);
            vm.roll(blockNumber);
        }
    }

    function rollToCommit(uint64 epoch) internal {
        (, uint64 closeBlock,,) = windows(epoch);
        rollTo(closeBlock + 1);
    }

    function rollToReveal(uint64 epoch) internal {
        (,, uint64 revealStart,) = windows(epoch);
        rollTo(revealStart);
    }

    function rollToFinalize(uint64 epoch) internal {
        (,,, uint64 finalizeFrom) = windows(epoch);
        rollTo(finalizeFrom);
    }

    // ---------------------------------------------------------------------------------------------
    // Scoring
    // ---------------------------------------------------------------------------------------------

    function scoreCommitment(address v, uint64 epoch, bytes32 root, uint256 total, bytes32 salt)
        internal
        view
        returns (bytes32)
    {
        return Commitments.scoreCommitment(
            block.chainid, address(sys.scoreBoard), datasetId, epoch, v, root, total, salt
        );
    }

    function saltOf(address v) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", v));
    }

    function commitRoot(address v, uint64 epoch, bytes32 root, uint256 total) internal {
        bytes32 c = scoreCommitment(v, epoch, root, total, saltOf(v));
        vm.prank(v);
        sys.scoreBoard.commit(datasetId, epoch, c);
    }

    function revealRoot(address v, uint64 epoch, bytes32 root, uint256 total) internal {
        vm.prank(v);
        sys.scoreBoard.reveal(datasetId, epoch, root, total, "bafy-vector", saltOf(v));
    }

    /// @notice Every validator commits and reveals (roots[i], totals[i]), then the epoch is finalized.
    function scoreEpoch(uint64 epoch, bytes32[] memory roots, uint256[] memory totals) internal {
        rollToCommit(epoch);
        for (uint256 i; i < roots.length; ++i) {
            commitRoot(validators[i], epoch, roots[i], totals[i]);
        }
        rollToReveal(epoch);
        for (uint256 i; i < roots.length; ++i) {
            revealRoot(validators[i], epoch, roots[i], totals[i]);
        }
        rollToFinalize(epoch);
        sys.scoreBoard.finalize(datasetId, epoch);
    }

    /// @notice Every validator reveals the vector (fileIds, values); the epoch is finalized.
    function scoreEpochAgreed(uint64 epoch, bytes32[] memory fileIds, uint256[] memory values)
        internal
        returns (bytes32 root, uint256 total)
    {
        root = merkleRoot(fileIds, values);
        total = sum(values);
        bytes32[] memory roots = new bytes32[](validators.length);
        uint256[] memory totals = new uint256[](validators.length);
        for (uint256 i; i < validators.length; ++i) {
            roots[i] = root;
            totals[i] = total;
        }
        scoreEpoch(epoch, roots, totals);
    }

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    /// @notice Proposes, votes (`support` by every voter), and when it succeeds queues and executes.
    function runProposal(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description,
        address[] memory voters,
        uint8 support
    ) internal returns (uint256 proposalId) {
        proposalId = sys.governor.propose(targets, values, calldatas, description);
        voteAndExecute(proposalId, targets, values, calldatas, description, voters, support);
    }

    /// @notice Votes on an existing proposal (`support` by every voter), and when it succeeds queues and
    /// executes it.
    function voteAndExecute(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description,
        address[] memory voters,
        uint8 support
    ) internal returns (uint256) {
        rollTo(sys.governor.proposalSnapshot(proposalId) + 1);
        for (uint256 i; i < voters.length; ++i) {
            vm.prank(voters[i]);
            sys.governor.castVote(proposalId, support);
        }
        rollTo(sys.governor.proposalDeadline(proposalId) + 1);
        if (sys.governor.state(proposalId) != IGovernor.ProposalState.Succeeded) return proposalId;
        bytes32 descriptionHash = keccak256(bytes(description));
        sys.governor.queue(targets, values, calldatas, descriptionHash);
        vm.warp(block.timestamp + sys.timelock.getMinDelay() + 1);
        sys.governor.execute(targets, values, calldatas, descriptionHash);
        return proposalId;
    }

    function _labelSystem() private {
        vm.label(address(sys.config), "DatasetConfig");
        vm.label(address(sys.token), "DatasetToken");
        vm.label(address(sys.timelock), "TimelockController");
        vm.label(address(sys.governor), "DataDAOGovernor");
        vm.label(address(sys.staking), "ValidatorStaking");
        vm.label(address(sys.dkg), "DKGCoordinator");
        vm.label(address(sys.registry), "SubmissionRegistry");
        vm.label(address(sys.scoreBoard), "ScoreBoard");
        vm.label(address(sys.rewards), "RewardDistributor");
        vm.label(address(sys.accessRegistry), "AccessRegistry");
        vm.label(address(sys.escrow), "RentalEscrow");
    }
}
