// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDKGCoordinator} from "./interfaces/IDKGCoordinator.sol";
import {IDatasetConfig} from "./interfaces/IDatasetConfig.sol";
import {IRewardDistributor} from "./interfaces/IRewardDistributor.sol";
import {IScoreBoard} from "./interfaces/IScoreBoard.sol";
import {ISubmissionRegistry} from "./interfaces/ISubmissionRegistry.sol";
import {IValidatorStaking} from "./interfaces/IValidatorStaking.sol";
import {Commitments} from "./libraries/Commitments.sol";

/// @title ScoreBoard
/// @notice Commit/reveal of validators' per-file scores and permissionless, once-only finalization with a
/// stake-weighted median. See {IScoreBoard} for the exact rules.
contract ScoreBoard is IScoreBoard {
    uint16 private constant _BPS = 10_000;
    /// @dev EMA smoothing: ema' = (ema * (N - 1) + agreement) / N.
    uint256 private constant _EMA_N = 8;
    bytes32 private constant _NON_REVEAL = "ScoreBoard: committed, no reveal";

    /// @dev One validator's participation in one epoch.
    struct Vote {
        uint256 stake; // stake at closeBlock; non-zero exactly for committee members
        bytes32 commitment;
        bool revealed;
        uint32 revealIndex; // position in `revealers` (valid once revealed)
        uint256 weight; // reward weight, set at finalization
    }

    /// @dev One epoch of one dataset.
    struct EpochState {
        bytes32 seed; // non-zero once fixed
        uint32 ritualId;
        uint64 closeBlock; // windows cached with the seed (timing is immutable per dataset)
        uint64 revealStart;
        uint64 finalizeFrom;
        bool finalized;
        bool quorumMet;
        uint256 committeeStake;
        uint256 committedStake;
        uint256 revealedStake;
        uint256 totalScore;
        uint256 totalValidatorWeight;
        uint256 scoredFileCount;
        uint256 weightedValidatorCount;
        address[] committee;
        address[] revealers;
        uint16[] scores; // revealer i's score of file j at i * fileCount + j
    }

    IDatasetConfig private immutable _config;
    IValidatorStaking private immutable _staking;
    IDKGCoordinator private immutable _dkg;
    ISubmissionRegistry private immutable _registry;
    IRewardDistributor private immutable _rewards;
    uint16 private immutable _slashBps;

    mapping(uint256 datasetId => mapping(uint64 epoch => EpochState)) private _epochs;
    mapping(uint256 datasetId => mapping(uint64 epoch => mapping(address validator => Vote)))
        private _votes;
    mapping(uint256 datasetId => mapping(uint64 epoch => mapping(bytes32 fileId => uint16))) private
        _finalScores;
    /// @dev Stored as 10000 - ema so that the default 0 reads as the starting EMA of 10000.
    mapping(address validator => uint16) private _disagreementEma;

    /// @dev `rewardDistributor_` is deployed after this contract and checks that it is pointed at.
    constructor(
        address datasetConfig_,
        address staking_,
        address dkg_,
        address registry_,
        address rewardDistributor_,
        uint16 slashBps_
    ) {
        if (slashBps_ > _BPS) revert ScoreBoardSlashBpsOutOfRange(slashBps_);
        _config = IDatasetConfig(datasetConfig_);
        _staking = IValidatorStaking(staking_);
        _dkg = IDKGCoordinator(dkg_);
        _registry = ISubmissionRegistry(registry_);
        _rewards = IRewardDistributor(rewardDistributor_);
        _slashBps = slashBps_;
    }

    // ---------------------------------------------------------------------------------------------
    // Commit / reveal
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IScoreBoard
    function fixSeed(uint256 datasetId, uint64 epoch) external virtual returns (bytes32 seed) {
        return _fixSeed(datasetId, epoch).seed;
    }

    /// @inheritdoc IScoreBoard
    function commit(uint256 datasetId, uint64 epoch, bytes32 commitment) external virtual {
        if (commitment == 0) revert ScoreBoardZeroCommitment();
        EpochState storage e = _epochs[datasetId][epoch];
        (uint64 closeBlock, uint64 revealStart,) = _windows(datasetId, epoch, e);
        if (block.number < closeBlock || block.number >= revealStart) {
            revert ScoreBoardNotInCommitWindow(datasetId, epoch);
        }
        _fixSeed(datasetId, epoch);

        Vote storage v = _votes[datasetId][epoch][msg.sender];
        uint256 stake = v.stake;
        if (stake == 0) revert ScoreBoardNotCommitteeMember(datasetId, epoch, msg.sender);
        if (v.commitment != 0) revert ScoreBoardAlreadyCommitted(datasetId, epoch, msg.sender);

        v.commitment = commitment;
        e.committedStake += stake;
        emit ScoresCommitted(datasetId, epoch, msg.sender, commitment);
    }

    /// @inheritdoc IScoreBoard
    function reveal(uint256 datasetId, uint64 epoch, uint16[] calldata scoresBps, bytes32 salt)
        external
        virtual
    {
        EpochState storage e = _epochs[datasetId][epoch];
        (, uint64 revealStart, uint64 finalizeFrom) = _windows(datasetId, epoch, e);
        if (block.number < revealStart || block.number >= finalizeFrom) {
            revert ScoreBoardNotInRevealWindow(datasetId, epoch);
        }
        Vote storage v = _votes[datasetId][epoch][msg.sender];
        bytes32 expected = v.commitment;
        if (expected == 0) revert ScoreBoardNotCommitted(datasetId, epoch, msg.sender);
        if (v.revealed) revert ScoreBoardAlreadyRevealed(datasetId, epoch, msg.sender);

        _checkScores(datasetId, epoch, scoresBps, salt, expected);

        v.revealed = true;
        v.revealIndex = uint32(e.revealers.length);
        e.revealers.push(msg.sender);
        e.revealedStake += v.stake;
        uint16[] storage all = e.scores;
        for (uint256 j; j < scoresBps.length; ++j) {
            all.push(scoresBps[j]);
        }
        emit ScoresRevealed(datasetId, epoch, msg.sender, scoresBps);
    }

    // ---------------------------------------------------------------------------------------------
    // Finalization
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IScoreBoard
    function finalize(uint256 datasetId, uint64 epoch) external virtual {
        EpochState storage e = _epochs[datasetId][epoch];
        (,, uint64 finalizeFrom) = _windows(datasetId, epoch, e);
        if (block.number < finalizeFrom) {
            revert ScoreBoardFinalizeTooEarly(datasetId, epoch, finalizeFrom);
        }
        if (e.finalized) revert ScoreBoardAlreadyFinalized(datasetId, epoch);
        e.finalized = true;

        IDatasetConfig.Dataset memory d = _config.dataset(datasetId);
        uint256 revealedStake = e.revealedStake;
        bool quorumMet =
            revealedStake != 0 && revealedStake * _BPS >= uint256(d.quorumBps) * e.committeeStake;
        e.quorumMet = quorumMet;
        if (quorumMet) _aggregate(datasetId, epoch, e, d.minScoreBps);
        _slashNonRevealers(datasetId, epoch, e);

        uint256 totalScore = e.totalScore;
        emit EpochFinalized(datasetId, epoch, quorumMet, revealedStake, totalScore);
        _rewards.onEpochFinalized(datasetId, epoch, totalScore);
    }

    /// @dev Medians per file, final scores, agreement EMAs and reward weights.
    function _aggregate(uint256 datasetId, uint64 epoch, EpochState storage e, uint16 minScoreBps)
        private
    {
        bytes32[] memory fileIds = _registry.epochFiles(datasetId, epoch);
        if (fileIds.length == 0) return; // nothing to score, no information about agreement

        address[] memory revs = e.revealers;
        uint256[] memory stakes = new uint256[](revs.length);
        for (uint256 i; i < revs.length; ++i) {
            stakes[i] = _votes[datasetId][epoch][revs[i]].stake;
        }
        (uint256[] memory medians, uint256[] memory absDiff) =
            _medians(e.scores, stakes, fileIds.length, e.revealedStake);
        _storeScores(datasetId, epoch, e, fileIds, medians, minScoreBps);
        _updateAgreement(datasetId, epoch, e, revs, stakes, absDiff, fileIds.length);
    }

    /// @dev Per file, the weighted median of the revealers' scores; per revealer, the sum of |score - median|.
    function _medians(
        uint16[] storage all,
        uint256[] memory stakes,
        uint256 fileCount,
        uint256 totalStake
    ) private view returns (uint256[] memory medians, uint256[] memory absDiff) {
        uint256 n = stakes.length;
        medians = new uint256[](fileCount);
        absDiff = new uint256[](n);
        uint256[] memory vals = new uint256[](n);
        uint256[] memory order = new uint256[](n);
        for (uint256 j; j < fileCount; ++j) {
            for (uint256 i; i < n; ++i) {
                uint256 x = all[i * fileCount + j];
                vals[i] = x;
                // insertion sort of revealer indices by score (n is a committee: small)
                uint256 k = i;
                while (k > 0 && vals[order[k - 1]] > x) {
                    order[k] = order[k - 1];
                    --k;
                }
                order[k] = i;
            }
            uint256 median = _weightedMedian(vals, stakes, order, totalStake);
            medians[j] = median;
            for (uint256 i; i < n; ++i) {
                uint256 x = vals[i];
                absDiff[i] += x > median ? x - median : median - x;
            }
        }
    }

    function _storeScores(
        uint256 datasetId,
        uint64 epoch,
        EpochState storage e,
        bytes32[] memory fileIds,
        uint256[] memory medians,
        uint16 minScoreBps
    ) private {
        mapping(bytes32 => uint16) storage finals = _finalScores[datasetId][epoch];
        uint256 totalScore = 0;
        uint256 scoredFiles = 0;
        for (uint256 j; j < fileIds.length; ++j) {
            uint256 score = medians[j];
            if (score < minScoreBps) continue; // below the minimum: 0
            if (score == 0) continue;
            // casting to 'uint16' is safe because a median of scores <= 10000 is <= 10000
            // forge-lint: disable-next-line(unsafe-typecast)
            finals[fileIds[j]] = uint16(score);
            totalScore += score;
            ++scoredFiles;
        }
        e.totalScore = totalScore;
        e.scoredFileCount = scoredFiles;
    }

    function _updateAgreement(
        uint256 datasetId,
        uint64 epoch,
        EpochState storage e,
        address[] memory revs,
        uint256[] memory stakes,
        uint256[] memory absDiff,
        uint256 fileCount
    ) private {
        mapping(address => Vote) storage votes = _votes[datasetId][epoch];
        for (uint256 i; i < revs.length; ++i) {
            address v = revs[i];
            // mean |score - median| <= 10000, so agreement is in [0, 10000]
            uint256 weight =
                stakes[i] * _updateEma(v, _BPS - absDiff[i] / fileCount, datasetId, epoch);
            if (weight != 0) {
                votes[v].weight = weight;
                e.totalValidatorWeight += weight;
                ++e.weightedValidatorCount;
            }
        }
    }

    function _updateEma(address v, uint256 agreement, uint256 datasetId, uint64 epoch)
        private
        returns (uint256 ema)
    {
        ema = (uint256(_BPS - _disagreementEma[v]) * (_EMA_N - 1) + agreement) / _EMA_N;
        // casting to 'uint16' is safe because agreement and ema both lie in [0, 10000]
        // forge-lint: disable-next-line(unsafe-typecast)
        _disagreementEma[v] = uint16(_BPS - ema);
        // forge-lint: disable-next-line(unsafe-typecast)
        emit AgreementUpdated(v, datasetId, epoch, uint16(agreement), uint16(ema));
    }

    /// @dev Two-sided weighted median (kappa = 1/2) over `vals` sorted through `order`.
    function _weightedMedian(
        uint256[] memory vals,
        uint256[] memory w,
        uint256[] memory order,
        uint256 total
    ) private pure returns (uint256) {
        uint256 n = order.length;
        uint256 lo = 0;
        uint256 hi = 0;
        uint256 cum = 0;
        for (uint256 k; k < n; ++k) {
            cum += w[order[k]];
            if (cum * 2 >= total) {
                lo = vals[order[k]];
                break;
            }
        }
        cum = 0;
        for (uint256 k = n; k > 0; --k) {
            cum += w[order[k - 1]];
            if (cum * 2 >= total) {
                hi = vals[order[k - 1]];
                break;
            }
        }
        return (lo + hi) / 2;
    }

    /// @dev Slashes committed-but-unrevealed members. A failing slash (e.g. this contract no longer a fault
    /// module) must not block finalization, but a caller must not be able to make it fail by starving it of gas.
    function _slashNonRevealers(uint256 datasetId, uint64 epoch, EpochState storage e) private {
        address[] memory members = e.committee;
        uint256 slashBps_ = _slashBps;
        for (uint256 i; i < members.length; ++i) {
            address m = members[i];
            Vote storage v = _votes[datasetId][epoch][m];
            if (v.commitment == 0 || v.revealed) continue;
            uint256 amount = v.stake * slashBps_ / _BPS;
            if (amount == 0) continue;
            bool ok = false;
            uint256 gasBefore = gasleft();
            try _staking.slash(m, amount, _NON_REVEAL) {
                ok = true;
            } catch {
                // EIP-150: the callee got at most 63/64 of gasBefore; if it ran out, so nearly do we.
                if (gasleft() <= gasBefore / 64) revert ScoreBoardInsufficientGas();
            }
            emit NonRevealSlashed(datasetId, epoch, m, amount, ok);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Checks the revealed scores against the epoch's file list and the caller's commitment.
    function _checkScores(
        uint256 datasetId,
        uint64 epoch,
        uint16[] calldata scoresBps,
        bytes32 salt,
        bytes32 expected
    ) private view {
        bytes32[] memory fileIds = _registry.epochFiles(datasetId, epoch);
        uint256 n = fileIds.length;
        if (scoresBps.length != n) revert ScoreBoardLengthMismatch(n, scoresBps.length);
        for (uint256 j; j < n; ++j) {
            if (scoresBps[j] > _BPS) revert ScoreBoardScoreOutOfRange(j, scoresBps[j]);
        }
        bytes32 scoresHash = Commitments.scoresHash(fileIds, scoresBps);
        bytes32 actual = Commitments.scoreCommitment(
            block.chainid, address(this), datasetId, epoch, msg.sender, scoresHash, salt
        );
        if (actual != expected) revert ScoreBoardCommitmentMismatch(expected, actual);
    }

    function _fixSeed(uint256 datasetId, uint64 epoch) private returns (EpochState storage e) {
        e = _epochs[datasetId][epoch];
        if (e.seed != 0) return e;
        (uint64 closeBlock, uint64 revealStart, uint64 finalizeFrom) = _windows(datasetId, epoch, e);
        if (block.number < closeBlock) {
            revert ScoreBoardEpochNotClosed(datasetId, epoch, closeBlock);
        }
        bytes32 h = blockhash(closeBlock - 1);
        if (h == 0) revert ScoreBoardSeedUnavailable(datasetId, epoch);
        uint32 ritualId = _dkg.activeRitualId();
        if (ritualId == 0) revert ScoreBoardNoActiveRitual();

        address[] memory participants = _dkg.getParticipants(ritualId);
        // stakeAt only answers for past blocks; inside closeBlock itself the current stake is the best view.
        bool past = block.number > closeBlock;
        uint256 total = 0;
        mapping(address => Vote) storage votes = _votes[datasetId][epoch];
        for (uint256 i; i < participants.length; ++i) {
            address p = participants[i];
            uint256 s = past ? _staking.stakeAt(p, closeBlock) : _staking.stakeOf(p);
            if (s == 0) continue;
            votes[p].stake = s;
            e.committee.push(p);
            total += s;
        }
        bytes32 seed = keccak256(abi.encode(h, datasetId, epoch));
        e.seed = seed;
        e.ritualId = ritualId;
        e.closeBlock = closeBlock;
        e.revealStart = revealStart;
        e.finalizeFrom = finalizeFrom;
        e.committeeStake = total;
        emit SeedFixed(datasetId, epoch, seed, ritualId, e.committee, total);
    }

    function _windows(uint256 datasetId, uint64 epoch, EpochState storage e)
        private
        view
        returns (uint64 closeBlock, uint64 revealStart, uint64 finalizeFrom)
    {
        if (e.seed != 0) return (e.closeBlock, e.revealStart, e.finalizeFrom);
        if (!_config.exists(datasetId)) revert ScoreBoardUnknownDataset(datasetId);
        // The submission start is not needed once an epoch is scored.
        // slither-disable-next-line unused-return
        (, closeBlock, revealStart, finalizeFrom) = _config.epochWindows(datasetId, epoch);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IScoreBoard
    function epochSeed(uint256 datasetId, uint64 epoch) external view returns (bytes32) {
        return _epochs[datasetId][epoch].seed;
    }

    /// @inheritdoc IScoreBoard
    function epochRitual(uint256 datasetId, uint64 epoch) external view returns (uint32) {
        return _epochs[datasetId][epoch].ritualId;
    }

    /// @inheritdoc IScoreBoard
    function committee(uint256 datasetId, uint64 epoch) external view returns (address[] memory) {
        return _epochs[datasetId][epoch].committee;
    }

    /// @inheritdoc IScoreBoard
    function committeeStakeOf(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (uint256)
    {
        return _votes[datasetId][epoch][validator].stake;
    }

    /// @inheritdoc IScoreBoard
    function committeeStake(uint256 datasetId, uint64 epoch) external view returns (uint256) {
        return _epochs[datasetId][epoch].committeeStake;
    }

    /// @inheritdoc IScoreBoard
    function finalScore(uint256 datasetId, uint64 epoch, bytes32 fileId)
        external
        view
        returns (uint16)
    {
        return _finalScores[datasetId][epoch][fileId];
    }

    /// @inheritdoc IScoreBoard
    function epochStatus(uint256 datasetId, uint64 epoch)
        external
        view
        returns (EpochStatus memory)
    {
        EpochState storage e = _epochs[datasetId][epoch];
        return EpochStatus({
            seedFixed: e.seed != 0,
            finalized: e.finalized,
            quorumMet: e.quorumMet,
            committedStake: e.committedStake,
            revealedStake: e.revealedStake,
            totalScore: e.totalScore
        });
    }

    /// @inheritdoc IScoreBoard
    function agreementEma(address validator) external view returns (uint16 bps) {
        return _BPS - _disagreementEma[validator];
    }

    /// @inheritdoc IScoreBoard
    function commitmentOf(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (bytes32)
    {
        return _votes[datasetId][epoch][validator].commitment;
    }

    /// @inheritdoc IScoreBoard
    function revealed(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (bool)
    {
        return _votes[datasetId][epoch][validator].revealed;
    }

    /// @inheritdoc IScoreBoard
    function revealedScores(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (uint16[] memory scores)
    {
        Vote storage v = _votes[datasetId][epoch][validator];
        if (!v.revealed) return scores;
        EpochState storage e = _epochs[datasetId][epoch];
        // Exact: reveals append one score per epoch file, so scores.length == revealers * files.
        // slither-disable-next-line divide-before-multiply
        uint256 fileCount = e.scores.length / e.revealers.length;
        scores = new uint16[](fileCount);
        uint256 base = uint256(v.revealIndex) * fileCount;
        for (uint256 j; j < fileCount; ++j) {
            scores[j] = e.scores[base + j];
        }
    }

    /// @inheritdoc IScoreBoard
    function revealers(uint256 datasetId, uint64 epoch) external view returns (address[] memory) {
        return _epochs[datasetId][epoch].revealers;
    }

    /// @inheritdoc IScoreBoard
    function validatorWeight(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (uint256)
    {
        return _votes[datasetId][epoch][validator].weight;
    }

    /// @inheritdoc IScoreBoard
    function totalValidatorWeight(uint256 datasetId, uint64 epoch) external view returns (uint256) {
        return _epochs[datasetId][epoch].totalValidatorWeight;
    }

    /// @inheritdoc IScoreBoard
    function scoredFileCount(uint256 datasetId, uint64 epoch) external view returns (uint256) {
        return _epochs[datasetId][epoch].scoredFileCount;
    }

    /// @inheritdoc IScoreBoard
    function weightedValidatorCount(uint256 datasetId, uint64 epoch)
        external
        view
        returns (uint256)
    {
        return _epochs[datasetId][epoch].weightedValidatorCount;
    }

    /// @inheritdoc IScoreBoard
    function slashBps() external view returns (uint16) {
        return _slashBps;
    }

    /// @inheritdoc IScoreBoard
    function rewardDistributor() external view returns (address) {
        return address(_rewards);
    }
}
