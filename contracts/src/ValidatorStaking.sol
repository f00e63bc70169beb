// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IValidatorStaking} from "./interfaces/IValidatorStaking.sol";

/// @title ValidatorStaking
/// @notice Native-ETH validator stake with unbonding, fault-module slashing and per-block checkpoints.
/// @dev Slashed ETH is not pushed to the treasury inside `slash` (a reverting or gas-hungry treasury
/// would then block the fault module, e.g. ScoreBoard.finalize); it accrues in `pendingSlashed` and
/// anyone may push it to the treasury with `releaseSlashed`.
contract ValidatorStaking is IValidatorStaking, Ownable, ReentrancyGuard {
    using Checkpoints for Checkpoints.Trace208;

    /// @inheritdoc IValidatorStaking
    uint256 public constant MAX_VALIDATORS = 128;

    uint64 private immutable _unbondingBlocks;

    uint256 private _minStake;
    address private _treasury;
    uint256 private _totalStaked;
    uint256 private _pendingSlashed;

    mapping(address validator => ValidatorInfo) private _info;
    mapping(address validator => Checkpoints.Trace208) private _stakeCheckpoints;
    Checkpoints.Trace208 private _totalCheckpoints;
    mapping(address module => bool) private _faultModules;
    address[] private _validators;
    mapping(address validator => uint256 indexPlusOne) private _setIndex;

    modifier onlyFaultModule() {
        if (!_faultModules[msg.sender]) revert ValidatorStakingNotFaultModule(msg.sender);
        _;
    }

    constructor(address initialOwner, address treasury_, uint256 minStake_, uint64 unbondingBlocks_)
        Ownable(initialOwner)
    {
        if (treasury_ == address(0)) revert ValidatorStakingZeroAddress();
        if (unbondingBlocks_ == 0) revert ValidatorStakingZeroUnbonding();
        _treasury = treasury_;
        _minStake = minStake_;
        _unbondingBlocks = unbondingBlocks_;
    }

    /// @inheritdoc IValidatorStaking
    function stake() external payable virtual {
        if (msg.value == 0) revert ValidatorStakingZeroAmount();
        ValidatorInfo storage v = _info[msg.sender];
        uint256 newStake = v.stake + msg.value;
        v.stake = newStake;
        _totalStaked += msg.value;
        _checkpoint(msg.sender, newStake);
        emit Staked(msg.sender, msg.value, newStake);
    }

    /// @inheritdoc IValidatorStaking
    function register(bytes calldata ferveoPublicKey, string calldata shareServiceUrl)
        external
        virtual
    {
        if (ferveoPublicKey.length == 0) revert ValidatorStakingEmptyPublicKey();
        ValidatorInfo storage v = _info[msg.sender];
        if (v.stake < _minStake || v.stake == 0) {
            revert ValidatorStakingBelowMinStake(v.stake, _minStake);
        }
        if (!v.registered) {
            if (_validators.length >= MAX_VALIDATORS) _evictLowest(v.stake);
            v.registered = true;
            _validators.push(msg.sender);
            _setIndex[msg.sender] = _validators.length;
        }
        v.ferveoPublicKey = ferveoPublicKey;
        v.shareServiceUrl = shareServiceUrl;
        emit ValidatorRegistered(msg.sender, ferveoPublicKey, shareServiceUrl);
    }

    /// @inheritdoc IValidatorStaking
    function requestUnstake(uint256 amount) external virtual {
        if (amount == 0) revert ValidatorStakingZeroAmount();
        ValidatorInfo storage v = _info[msg.sender];
        uint256 current = v.stake;
        if (amount > current) revert ValidatorStakingInsufficientStake(amount, current);
        uint64 releaseBlock = SafeCast.toUint64(block.number + _unbondingBlocks);
        // unchecked: amount <= current was checked above
        unchecked {
            v.stake = current - amount;
        }
        v.unbonding += amount;
        v.unbondingReleaseBlock = releaseBlock;
        _totalStaked -= amount;
        _checkpoint(msg.sender, v.stake);
        emit UnstakeRequested(msg.sender, amount, releaseBlock);
        _leaveIfBelowMin(msg.sender, v);
    }

    /// @inheritdoc IValidatorStaking
    function withdraw() external virtual nonReentrant {
        ValidatorInfo storage v = _info[msg.sender];
        uint256 amount = v.unbonding;
        if (amount == 0) revert ValidatorStakingNothingToWithdraw();
        if (block.number < v.unbondingReleaseBlock) {
            revert ValidatorStakingStillUnbonding(v.unbondingReleaseBlock, block.number);
        }
        v.unbonding = 0;
        v.unbondingReleaseBlock = 0;
        emit Withdrawn(msg.sender, amount);
        _sendValue(msg.sender, amount);
    }

    /// @inheritdoc IValidatorStaking
    function slash(address validator, uint256 amount, bytes32 reason)
        external
        virtual
        onlyFaultModule
    {
        // A zero slash is a no-op rather than a revert, so a fault module computing
        // `stake * bps / 10000 == 0` never blocks its own finalization.
        if (amount == 0) return;
        ValidatorInfo storage v = _info[validator];
        uint256 fromStake = amount < v.stake ? amount : v.stake;
        uint256 fromUnbonding;
        if (fromStake != 0) {
            // unchecked: fromStake <= v.stake and fromStake <= _totalStaked (v.stake is part of it)
            unchecked {
                v.stake -= fromStake;
                _totalStaked -= fromStake;
            }
            _checkpoint(validator, v.stake);
        }
        // unchecked: fromStake <= amount by construction
        unchecked {
            uint256 rest = amount - fromStake;
            fromUnbonding = rest < v.unbonding ? rest : v.unbonding;
            v.unbonding -= fromUnbonding;
        }
        uint256 slashed = fromStake + fromUnbonding;
        _pendingSlashed += slashed;
        emit Slashed(validator, msg.sender, slashed, fromStake, fromUnbonding, reason);
        _leaveIfBelowMin(validator, v);
    }

    /// @inheritdoc IValidatorStaking
    function releaseSlashed() external virtual nonReentrant {
        uint256 amount = _pendingSlashed;
        if (amount == 0) revert ValidatorStakingNothingToRelease();
        _pendingSlashed = 0;
        address to = _treasury;
        emit SlashedFundsReleased(to, amount);
        _sendValue(to, amount);
    }

    /// @inheritdoc IValidatorStaking
    function setFaultModule(address module, bool allowed) external virtual onlyOwner {
        if (module == address(0)) revert ValidatorStakingZeroAddress();
        _faultModules[module] = allowed;
        emit FaultModuleUpdated(module, allowed);
    }

    /// @inheritdoc IValidatorStaking
    function setTreasury(address treasury_) external virtual onlyOwner {
        if (treasury_ == address(0)) revert ValidatorStakingZeroAddress();
        _treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }

    /// @inheritdoc IValidatorStaking
    function setMinStake(uint256 minStake_) external virtual onlyOwner {
        _minStake = minStake_;
        emit MinStakeUpdated(minStake_);
    }

    /// @inheritdoc IValidatorStaking
    function isFaultModule(address module) external view virtual returns (bool) {
        return _faultModules[module];
    }

    /// @inheritdoc IValidatorStaking
    function stakeOf(address validator) external view virtual returns (uint256) {
        return _info[validator].stake;
    }

    /// @inheritdoc IValidatorStaking
    function stakeAt(address validator, uint256 blockNumber)
        external
        view
        virtual
        returns (uint256)
    {
        return _stakeCheckpoints[validator].upperLookupRecent(_pastKey(blockNumber));
    }

    /// @inheritdoc IValidatorStaking
    function totalStaked() external view virtual returns (uint256) {
        return _totalStaked;
    }

    /// @inheritdoc IValidatorStaking
    function totalStakedAt(uint256 blockNumber) external view virtual returns (uint256) {
        return _totalCheckpoints.upperLookupRecent(_pastKey(blockNumber));
    }

    /// @inheritdoc IValidatorStaking
    function validators() external view virtual returns (address[] memory) {
        return _validators;
    }

    /// @inheritdoc IValidatorStaking
    function validatorInfo(address validator) external view virtual returns (ValidatorInfo memory) {
        return _info[validator];
    }

    /// @inheritdoc IValidatorStaking
    function minStake() external view virtual returns (uint256) {
        return _minStake;
    }

    /// @inheritdoc IValidatorStaking
    function unbondingBlocks() external view virtual returns (uint64) {
        return _unbondingBlocks;
    }

    /// @inheritdoc IValidatorStaking
    function treasury() external view virtual returns (address) {
        return _treasury;
    }

    /// @inheritdoc IValidatorStaking
    function pendingSlashed() external view virtual returns (uint256) {
        return _pendingSlashed;
    }

    /// @dev Records `newStake` for `validator` and the new total at the current block.
    /// @dev A validator whose stake fell below the minimum (or to zero) leaves the set.
    function _leaveIfBelowMin(address validator, ValidatorInfo storage v) internal {
        if (v.registered && (v.stake == 0 || v.stake < _minStake)) _remove(validator, v);
    }

    /// @dev Makes room in a full set for a registrant with `stake`: evicts the member that committee selection
    /// would pick last (lowest stake, then highest address), if the registrant outranks it.
    function _evictLowest(uint256 stake) internal {
        uint256 n = _validators.length;
        address lowest = _validators[0];
        uint256 lowestStake = _info[lowest].stake;
        for (uint256 i = 1; i < n; ++i) {
            address a = _validators[i];
            uint256 s = _info[a].stake;
            if (s < lowestStake || (s == lowestStake && a > lowest)) {
                lowest = a;
                lowestStake = s;
            }
        }
        if (stake <= lowestStake) revert ValidatorStakingSetFull(stake, lowestStake);
        _remove(lowest, _info[lowest]);
    }

    /// @dev Swap-and-pop removal from the set; the key and URL stay for a later `register`.
    function _remove(address validator, ValidatorInfo storage v) internal {
        uint256 index = _setIndex[validator] - 1;
        uint256 last = _validators.length - 1;
        if (index != last) {
            address moved = _validators[last];
            _validators[index] = moved;
            _setIndex[moved] = index + 1;
        }
        _validators.pop();
        delete _setIndex[validator];
        v.registered = false;
        emit ValidatorRemoved(validator, v.stake);
    }

    function _checkpoint(address validator, uint256 newStake) internal {
        uint48 key = SafeCast.toUint48(block.number);
        // push returns the previous and new values, which we already hold: nothing to check.
        // slither-disable-next-line unused-return
        _stakeCheckpoints[validator].push(key, SafeCast.toUint208(newStake));
        // slither-disable-next-line unused-return
        _totalCheckpoints.push(key, SafeCast.toUint208(_totalStaked));
    }

    function _pastKey(uint256 blockNumber) internal view returns (uint48) {
        if (blockNumber >= block.number) {
            revert ValidatorStakingFutureLookup(blockNumber, block.number);
        }
        return SafeCast.toUint48(blockNumber);
    }

    function _sendValue(address to, uint256 amount) internal {
        // `to` is msg.sender (withdraw) or the owner-set treasury (releaseSlashed): never an
        // address a caller can choose.
        // slither-disable-next-line arbitrary-send-eth
        (bool ok,) = payable(to).call{value: amount}("");
        if (!ok) revert ValidatorStakingTransferFailed(to, amount);
    }
}
