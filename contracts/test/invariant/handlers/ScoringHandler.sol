// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Fixtures} from "../../utils/Fixtures.sol";
import {SortedVectors} from "../../utils/SortedVectors.sol";
import {SystemDeployer} from "../../../script/SystemDeployer.sol";
import {IRewardDistributor} from "../../../src/interfaces/IRewardDistributor.sol";
import {IScoreBoard} from "../../../src/interfaces/IScoreBoard.sol";

/// @notice Drives protocol v2 epochs of the real system through random bonded submissions, commit/reveal of
/// score roots (a main vector, sometimes dishonest with values summing past its total, and an alternative one
/// that dissenters reveal), finalization, Merkle claims with proofs the handler built, forged claims that must
/// revert, bond forfeits and refunds, validator claims, sweeps and the passage of blocks. Ghost tallies record
/// what was minted per epoch, what was carried over, and every wei of bond paid, refunded and forfeited.
/// @dev Inherits Fixtures only for its helpers (submitFile, commitRoot/revealRoot, merkleRoot/merkleProof); its
/// `sys`, `datasetId` and actors are the invariant test's, passed in.
contract ScoringHandler is Fixtures {
    uint256 internal constant UNITS = 1e9;
    uint256 internal constant MAX_FILES = 5;

    // ----- ghost state read by the invariants -----
    uint64 public maxEpochTouched;
    mapping(uint64 epoch => uint256) public ghostMinted;
    mapping(uint64 epoch => uint256) public ghostContributorMinted;
    mapping(uint64 epoch => uint256) public ghostExpectedEmission;
    mapping(uint64 epoch => uint256) public ghostFinalizeCount;
    mapping(uint64 epoch => bytes32) public ghostFinalRoot;
    uint256 public ghostCarried;
    uint256 public ghostTotalMinted;
    uint256 public ghostBondsPaid;
    uint256 public ghostBondsRefunded;
    uint256 public ghostBondsForfeited;
    uint256 public ghostForgedAccepted;
    uint256 public ghostForgedTried;
    uint256 public ghostValidClaims;
    uint256 public ghostQuorumEpochs;
    mapping(bytes32 fileId => bool) public ghostClaimedWithProof;
    bytes32[] public allFiles;
    mapping(bytes32 fileId => uint64) public fileEpoch;

    // ----- the epochs' vectors (leaf order), as the handler's validators revealed them -----
    mapping(uint64 epoch => bytes32[]) internal _ids;
    /// @dev which: 0 the main vector, 1 the alternative.
    mapping(uint64 epoch => mapping(uint256 which => uint256[])) internal _vals;
    mapping(uint64 epoch => mapping(uint256 which => uint256)) internal _totals;
    mapping(uint64 epoch => mapping(uint256 which => bytes32)) internal _roots;
    /// @dev 1 + the vector that won (0: no quorum or not finalized by the handler).
    mapping(uint64 epoch => uint256) internal _winner;
    uint64[] internal _finalized;
    uint64[] internal _ran;
    /// @dev Epochs finalized with quorum on one of the handler's vectors, with files: where claims can succeed.
    uint64[] internal _judged;

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

    // ---------------------------------------------------------------------------------------------
    // Actions
    // ---------------------------------------------------------------------------------------------

    function advance(uint256 blocks) external {
        rollTo(block.number + bound(blocks, 1, 15));
    }

    /// @dev Changes E (as governance would); the distributor must read it at finalization.
    function setEmission(uint256 e) external {
        vm.prank(address(sys.timelock));
        sys.config.setEmission(datasetId, bound(e, 0, 10_000 ether));
    }

    /// @dev A whole epoch in one call: bonded files, two vectors over them, commits by the validators in
    /// `whoCommit`, reveals by those also in `whoReveal` (those in `whoDissent` reveal the alternative); the
    /// clock is left at finalizeFrom (finalizing is a separate action).
    function runEpoch(uint256 nFiles, uint256 who, uint256 seed, bool dishonest) external {
        nFiles = bound(nFiles, 0, MAX_FILES);
        if (seed % 2 == 0) {
            (bool found, uint64 prev) = _oldestRanUnfinalized();
            if (found) _finalize(prev); // reverts (and is skipped) only if it is too early
        }
        uint64 epoch = sys.config.currentEpoch(datasetId);
        if (_ids[epoch].length != 0) return;
        (, uint64 closeBlock,,) = sys.config.epochWindows(datasetId, epoch);
        if (block.number >= closeBlock) return;
        bytes32[] memory ids = new bytes32[](nFiles);
        for (uint256 k; k < nFiles; ++k) {
            ids[k] = _submit(k + seed, epoch);
        }
        _makeVectors(epoch, ids, seed, dishonest);
        _commitReveal(epoch, who);
        _ran.push(epoch);
        _touch(epoch);
    }

    /// @dev A third of the time finalizes the oldest epoch the handler ran, a third the oldest finalizable
    /// epoch (ran or skipped), otherwise a random (maybe invalid) one.
    function finalize(uint256 e) external {
        uint64 epoch = uint64(bound(e, 0, maxEpochTouched + 1));
        if (e % 3 == 0) {
            (bool found, uint64 k) = _oldestRanUnfinalized();
            if (found) epoch = k;
        } else if (e % 3 == 1) {
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
        _finalize(epoch);
    }

    function _oldestRanUnfinalized() internal view returns (bool, uint64) {
        for (uint256 k; k < _ran.length; ++k) {
            if (!sys.scoreBoard.epochStatus(datasetId, _ran[k]).finalized) return (true, _ran[k]);
        }
        return (false, 0);
    }

    /// @dev Finalizes `epoch` if it can be, keeping the ghost emission, carry and winner.
    function _finalize(uint64 epoch) internal {
        uint256 emissionNow = sys.config.dataset(datasetId).emissionPerEpoch;
        uint256 carriedBefore = sys.rewards.carriedEmission(datasetId);
        try sys.scoreBoard.finalize(datasetId, epoch) {
            ++ghostFinalizeCount[epoch];
            _finalized.push(epoch);
            _touch(epoch);
            IScoreBoard.EpochStatus memory st = sys.scoreBoard.epochStatus(datasetId, epoch);
            (bytes32 root, uint256 total) = sys.scoreBoard.finalizedRoot(datasetId, epoch);
            ghostFinalRoot[epoch] = root;
            if (st.quorumMet) {
                ++ghostQuorumEpochs;
                for (uint256 w; w < 2; ++w) {
                    if (_roots[epoch][w] == root && _totals[epoch][w] == total) {
                        _winner[epoch] = w + 1;
                    }
                }
                if (_winner[epoch] != 0 && _ids[epoch].length != 0) _judged.push(epoch);
            }
            if (st.quorumMet && total != 0) {
                ghostExpectedEmission[epoch] = emissionNow + carriedBefore;
                ghostCarried = 0;
            } else {
                ghostCarried = carriedBefore + emissionNow;
            }
        } catch {}
    }

    /// @dev A claim with the proof of the winning vector's leaf; tallies mints and the bond that came back.
    function claim(uint256 e, uint256 idx) external {
        (bool ok, uint64 epoch, uint256 j, uint256 w) = _pickFile(e, idx);
        if (!ok) return;
        bytes32 f = _ids[epoch][j];
        uint256 value = _vals[epoch][w][j];
        bytes32[] memory proof = merkleProof(_ids[epoch], _vals[epoch][w], j);
        uint256 bond = sys.registry.submissionOf(f).bond;
        uint256 before = sys.token.totalSupply();
        try sys.rewards.claim(datasetId, epoch, f, value, proof) returns (uint256 amount) {
            ghostClaimedWithProof[f] = true;
            ++ghostValidClaims;
            ghostContributorMinted[epoch] += amount;
            ghostBondsRefunded += bond;
        } catch {}
        _afterMint(epoch, before);
    }

    /// @dev Forfeits a zero-valued file's bond with its proof.
    function forfeit(uint256 e, uint256 idx) external {
        (bool ok, uint64 epoch, uint256 j, uint256 w) = _pickFile(e, idx);
        if (!ok) return;
        bytes32 f = _ids[epoch][j];
        bytes32[] memory proof = merkleProof(_ids[epoch], _vals[epoch][w], j);
        uint256 bond = sys.registry.submissionOf(f).bond;
        try sys.rewards.forfeitBond(datasetId, epoch, f, proof) {
            ghostBondsForfeited += bond;
        } catch {}
    }

    /// @dev Refunds a bond (succeeds only in an epoch finalized without quorum).
    function refund(uint256 idx) external {
        if (allFiles.length == 0) return;
        bytes32 f = allFiles[idx % allFiles.length];
        uint256 bond = sys.registry.submissionOf(f).bond;
        try sys.rewards.refundBond(datasetId, fileEpoch[f], f) {
            ghostBondsRefunded += bond;
        } catch {}
    }

    /// @dev Claims that must fail: a raised value with the true proof, another leaf's proof, a tampered proof,
    /// a zero's proof presented with a value. Any success is recorded (and fails the invariant).
    function forgedClaim(uint256 e, uint256 idx, uint256 kind, bytes32 junk) external {
        (bool ok, uint64 epoch, uint256 j, uint256 w) = _pickFile(e, idx);
        if (!ok) return;
        bytes32 f = _ids[epoch][j];
        uint256 value = _vals[epoch][w][j];
        bytes32[] memory proof = merkleProof(_ids[epoch], _vals[epoch][w], j);
        kind %= 3;
        if (kind == 0) {
            value += 1 + uint256(junk) % UNITS;
        } else if (kind == 1) {
            if (_ids[epoch].length < 2) return;
            uint256 other = (j + 1) % _ids[epoch].length;
            proof = merkleProof(_ids[epoch], _vals[epoch][w], other);
            value = _vals[epoch][w][other] == value ? value + 1 : _vals[epoch][w][other];
        } else {
            bytes32[] memory tampered = new bytes32[](proof.length + 1);
            for (uint256 k; k < proof.length; ++k) {
                tampered[k] = proof[k];
            }
            tampered[proof.length] = junk == 0 ? bytes32(uint256(1)) : junk;
            proof = tampered;
            if (value == 0) value = 1;
        }
        ++ghostForgedTried;
        uint256 before = sys.token.totalSupply();
        try sys.rewards.claim(datasetId, epoch, f, value, proof) {
            ++ghostForgedAccepted;
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

    // ---------------------------------------------------------------------------------------------
    // Views for the invariants
    // ---------------------------------------------------------------------------------------------

    function fileCount() external view returns (uint256) {
        return allFiles.length;
    }

    /// @notice Σ of the bonds the registry still holds for the handler's files.
    function outstandingBonds() external view returns (uint256 total) {
        for (uint256 k; k < allFiles.length; ++k) {
            total += sys.registry.submissionOf(allFiles[k]).bond;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _submit(uint256 who, uint64 epoch) internal returns (bytes32 f) {
        uint256 bond = sys.config.submissionBond(datasetId);
        f = submitFile(who % contributors.length);
        allFiles.push(f);
        fileEpoch[f] = epoch;
        ghostBondsPaid += bond;
    }

    /// @dev Main vector: random values (a third of them 0) summing to `total`, or, if `dishonest`, to more than
    /// it. Alternative: the first file takes everything (or nothing when there are no files).
    function _makeVectors(uint64 epoch, bytes32[] memory ids, uint256 seed, bool dishonest)
        internal
    {
        uint256 n = ids.length;
        uint256[] memory main = new uint256[](n);
        for (uint256 k; k < n; ++k) {
            uint256 r = uint256(keccak256(abi.encode(seed, k)));
            main[k] = r % 3 == 0 ? 0 : 1 + (r >> 8) % UNITS;
        }
        SortedVectors.sortByFileId(ids, main);
        uint256 s = sum(main);
        _ids[epoch] = ids;
        _store(epoch, 0, main, dishonest && s > 1 ? s / 2 : s);
        uint256[] memory alt = new uint256[](n);
        if (n != 0) alt[0] = UNITS;
        _store(epoch, 1, alt, sum(alt));
    }

    function _store(uint64 epoch, uint256 which, uint256[] memory vals, uint256 total) internal {
        _vals[epoch][which] = vals;
        _totals[epoch][which] = total;
        _roots[epoch][which] = merkleRoot(_ids[epoch], vals);
    }

    /// @dev From `who`'s hash: who commits, who of them reveals, who reveals the alternative. Mostly everyone
    /// commits and reveals the main vector, so quorum is common but not certain.
    function _commitReveal(uint64 epoch, uint256 who) internal {
        uint256 r = uint256(keccak256(abi.encode(who)));
        uint256 commits = r % 4 == 0 ? (r >> 8) & 7 : 7;
        uint256 reveals = commits & ((r >> 16) % 4 == 0 ? (r >> 24) & 7 : 7);
        uint256 dissent = (r >> 32) % 3 == 0 ? (r >> 40) & 7 : 0;
        (, uint64 closeBlock,,) = sys.config.epochWindows(datasetId, epoch);
        rollTo(closeBlock);
        _each(epoch, commits, dissent, true);
        (,, uint64 revealStart,) = sys.config.epochWindows(datasetId, epoch);
        rollTo(revealStart);
        _each(epoch, reveals, dissent, false);
        (,,, uint64 finalizeFrom) = sys.config.epochWindows(datasetId, epoch);
        rollTo(finalizeFrom);
    }

    /// @dev Commits (or reveals) for the validators in `mask`, the alternative for those in `dissent`.
    function _each(uint64 epoch, uint256 mask, uint256 dissent, bool commitPhase) internal {
        for (uint256 i; i < validators.length; ++i) {
            if (mask & (1 << i) == 0) continue;
            uint256 w = dissent & (1 << i) == 0 ? 0 : 1;
            if (commitPhase) {
                commitRoot(validators[i], epoch, _roots[epoch][w], _totals[epoch][w]);
            } else {
                revealRoot(validators[i], epoch, _roots[epoch][w], _totals[epoch][w]);
            }
        }
    }

    /// @dev A file of an epoch the handler saw finalized with quorum, and the winning vector.
    function _pickFile(uint256 e, uint256 idx)
        internal
        view
        returns (bool ok, uint64 epoch, uint256 j, uint256 w)
    {
        if (_judged.length == 0) return (false, 0, 0, 0);
        epoch = _judged[e % _judged.length];
        return (true, epoch, idx % _ids[epoch].length, _winner[epoch] - 1);
    }

    /// @dev Half the time an epoch already finalized, otherwise any epoch.
    function _pickEpoch(uint256 e) internal view returns (uint64) {
        if (e % 2 == 1 && _finalized.length != 0) return _finalized[(e / 2) % _finalized.length];
        return uint64(bound(e, 0, maxEpochTouched + 1));
    }

    function _touch(uint64 epoch) internal {
        if (epoch > maxEpochTouched) maxEpochTouched = epoch;
    }

    function _afterMint(uint64 epoch, uint256 before) internal {
        uint256 delta = sys.token.totalSupply() - before;
        ghostMinted[epoch] += delta;
        ghostTotalMinted += delta;
        _touch(epoch);
    }

    /// @dev Reads the distributor's per-epoch record (a helper for the invariants' readability).
    function rewardsOf(uint64 epoch)
        external
        view
        returns (IRewardDistributor.EpochRewards memory)
    {
        return sys.rewards.epochRewards(datasetId, epoch);
    }
}
