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
/// @notice Commit/reveal of one Merkle root per validator over the epoch's score vector, and
/// permissionless, once-only finalization of the root a quorum of committee stake revealed.
/// See {IScoreBoard} for the exact rules.
contract ScoreBoard is IScoreBoard {
    uint16 private constant _BPS = 10_000;
    /// @dev EMA smoothing: ema' = (ema * (N - 1) + agreement) / N.
    uint256 private constant _EMA_N = 8;
    bytes32 private constant _NON_REVEAL = "ScoreBoard: committed, no reveal";

    /// @dev One validator's participation in one epoch.
    /// Packed so a reveal writes one fresh slot (the root) beside the one it updates.
    struct Vote {
        uint128 stake; // stake at closeBlock; non-zero exactly for committee members
        bool revealed;
        uint96 total; // the revealed vector's total (1e9 when anything is paid)
        bytes32 commitment;
        bytes32 root;
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
        // one slot: the revealer whose (root, total) won, and that key's stake; the finalized
        // root and total are read from its vote, not stored twice
        address winner;
        uint96 winningStake;
        uint256 totalValidatorWeight;
        uint256 weightedValidatorCount;
        address[] committee;
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
    /// @dev Committee stake that revealed each keccak256(root, total), accumulated at reveal.
    mapping(uint256 datasetId => mapping(uint64 epoch => mapping(bytes32 key => uint256))) private
        _keyStake;
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
    function reveal(
        uint256 datasetId,
        uint64 epoch,
        bytes32 root,
        uint256 total,
        string calldata vectorCid,
        bytes32 salt
    ) external virtual {
        Vote storage v = _checkReveal(datasetId, epoch, root, total, salt);
        uint256 stake = v.stake;
        v.revealed = true;
        // casting to 'uint96' is safe because _checkReveal refused a larger total
        // forge-lint: disable-next-line(unsafe-typecast)
        v.total = uint96(total);
        v.root = root;
        _epochs[datasetId][epoch].revealedStake += stake;
        _keyStake[datasetId][epoch][_key(root, total)] += stake;
        emit ScoresRevealed(datasetId, epoch, msg.sender, root, total, vectorCid);
    }

    /// @dev The reveal window, the caller's commitment and its match with (root, total, salt).
    function _checkReveal(
        uint256 datasetId,
        uint64 epoch,
        bytes32 root,
        uint256 total,
        bytes32 salt
    ) private view returns (Vote storage v) {
        EpochState storage e = _epochs[datasetId][epoch];
        (, uint64 revealStart, uint64 finalizeFrom) = _windows(datasetId, epoch, e);
        if (block.number < revealStart || block.number >= finalizeFrom) {
            revert ScoreBoardNotInRevealWindow(datasetId, epoch);
        }
        v = _votes[datasetId][epoch][msg.sender];
        bytes32 expected = v.commitment;
        if (expected == 0) revert ScoreBoardNotCommitted(datasetId, epoch, msg.sender);
        if (v.revealed) revert ScoreBoardAlreadyRevealed(datasetId, epoch, msg.sender);
        bytes32 actual = Commitments.scoreCommitment(
            block.chainid, address(this), datasetId, epoch, msg.sender, root, total, salt
        );
        if (actual != expected) revert ScoreBoardCommitmentMismatch(expected, actual);
        if (total > type(uint96).max) revert ScoreBoardTotalTooLarge(total);
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

        (address leader, uint256 winningStake) = _leader(datasetId, epoch, e);
        e.winner = leader;
        // casting to 'uint96' is safe because a committee's stake is far below 2^96 wei
        // forge-lint: disable-next-line(unsafe-typecast)
        e.winningStake = uint96(winningStake);
        (,, uint16 quorumBps) = _config.finalizationParams(datasetId);
        bool quorumMet =
            winningStake != 0 && winningStake * _BPS >= uint256(quorumBps) * e.committeeStake;
        e.quorumMet = quorumMet;
        bytes32 root;
        uint256 total;
        if (quorumMet) {
            Vote storage w = _votes[datasetId][epoch][leader];
            (root, total) = (w.root, w.total);
            _updateAgreement(datasetId, epoch, e, _key(root, total));
        }
        _slashNonRevealers(datasetId, epoch, e);

        emit EpochFinalized(datasetId, epoch, quorumMet, root, total, winningStake);
        _rewards.onEpochFinalized(datasetId, epoch, root, total, quorumMet);
    }

    /// @dev The revealer whose (root, total) has the most revealed stake; ties go to the earliest
    /// committee member. O(committee): the stakes per key were summed at reveal.
    function _leader(uint256 datasetId, uint64 epoch, EpochState storage e)
        private
        view
        returns (address leader, uint256 best)
    {
        address[] memory members = e.committee;
        mapping(address => Vote) storage votes = _votes[datasetId][epoch];
        mapping(bytes32 => uint256) storage keyStake = _keyStake[datasetId][epoch];
        for (uint256 i; i < members.length; ++i) {
            Vote storage v = votes[members[i]];
            if (!v.revealed) continue;
            uint256 s = keyStake[_key(v.root, v.total)];
            if (s > best) {
                best = s;
                leader = members[i];
            }
        }
    }

    /// @dev Revealers of the winning key agree (10000), other revealers disagree (0); weights.
    function _updateAgreement(uint256 datasetId, uint64 epoch, EpochState storage e, bytes32 win)
        private
    {
        address[] memory members = e.committee;
        mapping(address => Vote) storage votes = _votes[datasetId][epoch];
        for (uint256 i; i < members.length; ++i) {
            address m = members[i];
            Vote storage v = votes[m];
            if (!v.revealed) continue;
            bool agrees = _key(v.root, v.total) == win;
            uint256 ema = _updateEma(m, agrees ? _BPS : 0, datasetId, epoch);
            if (!agrees) continue;
            uint256 weight = v.stake * ema;
            if (weight != 0) {
                v.weight = weight;
                e.totalValidatorWeight += weight;
                ++e.weightedValidatorCount;
            }
        }
    }

    function _key(bytes32 root, uint256 total) private pure returns (bytes32) {
        return keccak256(abi.encode(root, total));
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

    function _fixSeed(uint256 datasetId, uint64 epoch) private returns (EpochState storage e) {
        e = _epochs[datasetId][epoch];
        if (e.seed != 0) return e;
        (uint64 closeBlock, uint64 revealStart, uint64 finalizeFrom) = _windows(datasetId, epoch, e);
        if (block.number < closeBlock) {
            revert ScoreBoardEpochNotClosed(datasetId, epoch, closeBlock);
        }
        bytes32 h = blockhash(closeBlock - 1);
        // Past the 256-block blockhash horizon nobody fixed the seed in time: the latest block's
        // hash stands in, so the epoch can still be scored instead of paying nobody for ever.
        if (h == 0) h = blockhash(block.number - 1);
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
            // casting to 'uint128' is safe because no stake approaches 2^128 wei
            // forge-lint: disable-next-line(unsafe-typecast)
            votes[p].stake = uint128(s);
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
    function finalizedRoot(uint256 datasetId, uint64 epoch)
        external
        view
        returns (bytes32 root, uint256 total)
    {
        EpochState storage e = _epochs[datasetId][epoch];
        if (!e.quorumMet) return (bytes32(0), 0);
        Vote storage w = _votes[datasetId][epoch][e.winner];
        return (w.root, w.total);
    }

    /// @inheritdoc IScoreBoard
    function revealedRoot(uint256 datasetId, uint64 epoch, address validator)
        external
        view
        returns (bytes32 root, uint256 total)
    {
        Vote storage v = _votes[datasetId][epoch][validator];
        return (v.root, v.total);
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
            winningStake: e.winningStake
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
