// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";

import {SystemDeployer} from "../../../script/SystemDeployer.sol";
import {ISubmissionRegistry} from "../../../src/interfaces/ISubmissionRegistry.sol";
import {Commitments} from "../../../src/libraries/Commitments.sol";

/// @notice Drives epochs of the real system through random submit / commit / reveal / finalize / claim / sweep
/// calls and the passage of blocks, keeping ghost tallies of what was minted per epoch and how often each epoch
/// was finalized and each file claimed.
contract ScoringHandler is Test {
    uint16 internal constant COMMIT_SLOTS = 3;

    SystemDeployer.System internal sys;
    uint256 internal immutable datasetId;
    address[] internal validators;
    address[] internal contributors;
    uint256[] internal contributorKeys;

    uint64 public maxEpochTouched;
    mapping(uint64 epoch => uint256) public ghostMinted;
    mapping(uint64 epoch => uint256) public ghostFinalizeCount;
    mapping(uint64 epoch => uint256) public ghostEmissionAtFinalize;
    /// @dev Every file of every finalized epoch with the score it got at finalization.
    bytes32[] public ghostFinalizedFiles;
    mapping(bytes32 fileId => uint64) public ghostFileEpoch;
    mapping(bytes32 fileId => uint16) public ghostFinalScore;
    mapping(bytes32 fileId => uint256) public ghostClaimCount;
    uint256 public ghostMaxClaimCount;
    uint256 public ghostTotalMinted;
    uint256 public calls;
    uint256 public ghostCommits;
    uint256 public ghostReveals;
    uint256 public ghostQuorumEpochs;

    mapping(uint64 epoch => mapping(address validator => uint16[])) internal _committed;
    uint256 internal _nonce;
    uint64[] internal _finalized;

    constructor(
        SystemDeployer.System memory sys_,
        address[] memory validators_,
        address[] memory contributors_,
        uint256[] memory keys_
    ) {
        sys = sys_;
        datasetId = sys_.datasetId;
        validators = validators_;
        contributors = contributors_;
        contributorKeys = keys_;
    }

    // ----- actions -----

    function advance(uint256 blocks) external {
        blocks = bound(blocks, 1, 15);
        vm.roll(block.number + blocks);
        vm.warp(block.timestamp + blocks * 12);
        ++calls;
    }

    /// @dev A whole epoch in one call: `nFiles` submissions, commits by the validators in `whoCommit`, reveals by
    /// those also in `whoReveal`, then the clock is left at the epoch's finalizeFrom (finalizing is a separate action).
    function runEpoch(uint256 nFiles, uint256 whoCommit, uint256 whoReveal, uint256 seed) external {
        nFiles = bound(nFiles, 1, 4);
        uint256 all = (1 << validators.length) - 1;
        whoCommit = whoCommit % 2 == 0 ? all : bound(whoCommit, 1, all);
        whoReveal = whoReveal % 2 == 0 ? all : bound(whoReveal, 0, all);
        uint64 epoch = sys.config.currentEpoch(datasetId);
        for (uint256 k; k < nFiles; ++k) {
            this.submit(seed + k);
        }
        (, uint64 closeBlock, uint64 revealStart, uint64 finalizeFrom) =
            sys.config.epochWindows(datasetId, epoch);
        _rollTo(closeBlock);
        this.commit(whoCommit, seed);
        _rollTo(revealStart);
        this.reveal(whoReveal & whoCommit);
        _rollTo(finalizeFrom);
    }

    /// @dev Changes E (as governance would); it must be read at finalization.
    function setEmission(uint256 e) external {
        e = bound(e, 0, 10_000 ether);
        vm.prank(address(sys.timelock));
        sys.config.setEmission(datasetId, e);
        ++calls;
    }

    /// @dev Jumps to the next window boundary (a commit, reveal or finalize window opening).
    function advanceToNextWindow() external {
        uint64 cur = sys.config.currentEpoch(datasetId);
        (, uint64 next,,) = sys.config.epochWindows(datasetId, cur); // commit window of `cur` opens
        if (cur > 0) {
            (,, uint64 revealStart, uint64 finalizeFrom) =
                sys.config.epochWindows(datasetId, cur - 1);
            if (revealStart > block.number && revealStart < next) next = revealStart;
            if (finalizeFrom > block.number && finalizeFrom < next) next = finalizeFrom;
        }
        vm.warp(block.timestamp + (next - block.number) * 12);
        vm.roll(next);
        ++calls;
    }

    function submit(uint256 who) external {
        who = bound(who, 0, contributors.length - 1);
        uint64 epoch = sys.config.currentEpoch(datasetId);
        uint256 n = ++_nonce;
        ISubmissionRegistry.Submission memory s = ISubmissionRegistry.Submission({
            contributor: contributors[who],
            datasetId: datasetId,
            fileId: keccak256(abi.encode("inv-file", n)),
            cid: "bafyinv",
            headerHash: bytes32(n),
            contentCommitment: keccak256(abi.encode("inv-content", n)),
            ritualId: sys.dkg.activeRitualId(),
            epoch: epoch,
            nonce: n,
            deadline: block.timestamp + 1 hours
        });
        (uint8 v, bytes32 r, bytes32 sg) =
            vm.sign(contributorKeys[who], sys.registry.hashSubmission(s));
        sys.registry.submit(s, abi.encodePacked(r, sg, v));
        _touch(epoch);
        ++calls;
    }

    /// @dev Commits for every validator whose bit is set in `who` (so quorum is reachable in short runs).
    function commit(uint256 who, uint256 seed) external {
        (bool ok, uint64 epoch) = _epochInWindow(0);
        if (!ok) return;
        who = who % 2 == 0
            ? (1 << validators.length) - 1
            : bound(who, 1, (1 << validators.length) - 1);
        uint256 n = sys.registry.epochFileCount(datasetId, epoch);
        for (uint256 i; i < validators.length; ++i) {
            if (who & (1 << i) == 0) continue;
            address v = validators[i];
            uint16[] memory scores = new uint16[](n);
            for (uint256 j; j < n; ++j) {
                scores[j] = uint16(uint256(keccak256(abi.encode(seed, i, j))) % 10_001);
            }
            bytes32 c = _commitment(v, epoch, scores);
            vm.prank(v);
            try sys.scoreBoard.commit(datasetId, epoch, c) {
                _committed[epoch][v] = scores;
                ++ghostCommits;
            } catch {}
        }
        ++calls;
    }

    /// @dev Reveals for every validator whose bit is set in `who` and that committed.
    function reveal(uint256 who) external {
        (bool ok, uint64 epoch) = _epochInWindow(1);
        if (!ok) return;
        who = who % 2 == 0
            ? (1 << validators.length) - 1
            : bound(who, 1, (1 << validators.length) - 1);
        for (uint256 i; i < validators.length; ++i) {
            if (who & (1 << i) == 0) continue;
            address v = validators[i];
            if (sys.scoreBoard.commitmentOf(datasetId, epoch, v) == 0) continue;
            vm.prank(v);
            try sys.scoreBoard.reveal(datasetId, epoch, _committed[epoch][v], _salt(v)) {
                ++ghostReveals;
            } catch {}
        }
        ++calls;
    }

    /// @dev Half the time finalizes the oldest finalizable epoch, otherwise a random (maybe invalid) one.
    function finalize(uint256 e) external {
        uint64 epoch = _pickEpoch(e);
        if (e % 2 == 0) {
            for (uint64 k; k <= maxEpochTouched; ++k) {
                (,,, uint64 finalizeFrom) = sys.config.epochWindows(datasetId, k);
                if (
                    finalizeFrom <= block.number
                        && !sys.scoreBoard.epochStatus(datasetId, k).finalized
                ) {
                    epoch = k;
                    break;
                }
            }
        }
        uint256 before = sys.token.totalSupply();
        uint256 emission = sys.config.dataset(datasetId).emissionPerEpoch;
        try sys.scoreBoard.finalize(datasetId, epoch) {
            ghostEmissionAtFinalize[epoch] = emission;
            bytes32[] memory files = sys.registry.epochFiles(datasetId, epoch);
            for (uint256 j; j < files.length; ++j) {
                ghostFinalizedFiles.push(files[j]);
                ghostFileEpoch[files[j]] = epoch;
                ghostFinalScore[files[j]] = sys.scoreBoard.finalScore(datasetId, epoch, files[j]);
            }
            ++ghostFinalizeCount[epoch];
            _finalized.push(epoch);
            if (sys.scoreBoard.epochStatus(datasetId, epoch).quorumMet) ++ghostQuorumEpochs;
        } catch {}
        _afterMint(epoch, before);
    }

    function claim(uint256 e, uint256 fileIdx) external {
        uint64 epoch = _pickEpoch(e);
        bytes32[] memory files = sys.registry.epochFiles(datasetId, epoch);
        if (files.length == 0) return;
        bytes32 f = files[bound(fileIdx, 0, files.length - 1)];
        uint256 before = sys.token.totalSupply();
        try sys.rewards.claim(datasetId, epoch, f) {
            ++ghostClaimCount[f];
            if (ghostClaimCount[f] > ghostMaxClaimCount) ghostMaxClaimCount = ghostClaimCount[f];
        } catch {}
        _afterMint(epoch, before);
    }

    function claimValidator(uint256 e, uint256 who) external {
        uint64 epoch = _pickEpoch(e);
        address v = validators[bound(who, 0, validators.length - 1)];
        uint256 before = sys.token.totalSupply();
        vm.prank(v);
        try sys.rewards.claimValidatorReward(datasetId, epoch) {} catch {}
        _afterMint(epoch, before);
    }

    function sweep(uint256 e) external {
        uint64 epoch = _pickEpoch(e);
        uint256 before = sys.token.totalSupply();
        try sys.rewards.sweepDust(datasetId, epoch) {} catch {}
        _afterMint(epoch, before);
    }

    function finalizedFileCount() external view returns (uint256) {
        return ghostFinalizedFiles.length;
    }

    // ----- helpers -----

    /// @dev The epoch whose commit (phase 0) or reveal (phase 1) window contains the current block, if any.
    function _epochInWindow(uint8 phase) internal view returns (bool, uint64) {
        uint64 cur = sys.config.currentEpoch(datasetId);
        if (cur == 0) return (false, 0);
        uint64 epoch = cur - 1;
        (, uint64 closeBlock, uint64 revealStart, uint64 finalizeFrom) =
            sys.config.epochWindows(datasetId, epoch);
        if (phase == 0) return (block.number >= closeBlock && block.number < revealStart, epoch);
        return (block.number >= revealStart && block.number < finalizeFrom, epoch);
    }

    /// @dev Half the time an epoch already finalized (where claims can succeed), otherwise any epoch.
    function _pickEpoch(uint256 e) internal view returns (uint64) {
        if (e % 2 == 1 && _finalized.length != 0) return _finalized[(e / 2) % _finalized.length];
        return uint64(bound(e, 0, maxEpochTouched + 1));
    }

    function _rollTo(uint256 b) internal {
        if (b <= block.number) return;
        vm.warp(block.timestamp + (b - block.number) * 12);
        vm.roll(b);
    }

    function _touch(uint64 epoch) internal {
        if (epoch > maxEpochTouched) maxEpochTouched = epoch;
    }

    function _afterMint(uint64 epoch, uint256 before) internal {
        uint256 delta = sys.token.totalSupply() - before;
        ghostMinted[epoch] += delta;
        ghostTotalMinted += delta;
        _touch(epoch);
        ++calls;
    }

    function _salt(address v) internal pure returns (bytes32) {
        return keccak256(abi.encode("inv-salt", v));
    }

    function _commitment(address v, uint64 epoch, uint16[] memory scores)
        internal
        view
        returns (bytes32)
    {
        bytes32[] memory fileIds = sys.registry.epochFiles(datasetId, epoch);
        return Commitments.scoreCommitment(
            block.chainid,
            address(sys.scoreBoard),
            datasetId,
            epoch,
            v,
            Commitments.scoresHash(fileIds, scores),
            _salt(v)
        );
    }
}
