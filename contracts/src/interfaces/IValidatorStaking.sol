// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IValidatorStaking
/// @notice Native-ETH stake of the Data DAO's validators: stake, register a Ferveo public key and a
/// share-service URL, request unstake, wait `unbondingBlocks`, withdraw (pull). Fault modules
/// (e.g. the ScoreBoard) slash; slashed ETH is held for the treasury and paid out by the
/// permissionless `releaseSlashed` (pull-to-treasury, so a reverting treasury never blocks a slash).
/// @dev Constructor: `constructor(address initialOwner, address treasury, uint256 minStake, uint64 unbondingBlocks)`.
/// Active stake is checkpointed per block, so `stakeAt(v, b)` is the active stake at the end of block `b`.
/// Invariant: `address(this).balance >= totalStaked() + Σ unbonding + pendingSlashed()` (equality
/// unless ETH is force-sent).
interface IValidatorStaking {
    /// @notice A validator's registration and stake.
    struct ValidatorInfo {
        bool registered;
        bytes ferveoPublicKey;
        string shareServiceUrl;
        uint256 stake; // active stake
        uint256 unbonding; // requested for withdrawal, still slashable
        uint64 unbondingReleaseBlock; // block from which `unbonding` can be withdrawn
    }

    /// @notice Thrown when the validator set is full and the registrant's stake does not exceed the lowest
    /// member's (who would otherwise be evicted to make room).
    error ValidatorStakingSetFull(uint256 stake, uint256 lowestStake);
    /// @notice Thrown when a zero amount is staked or unstaked.
    error ValidatorStakingZeroAmount();
    /// @notice Thrown when a validator registers with less than the minimum stake.
    error ValidatorStakingBelowMinStake(uint256 stake, uint256 minStake);
    /// @notice Thrown when an unstake request exceeds the active stake.
    error ValidatorStakingInsufficientStake(uint256 requested, uint256 stake);
    /// @notice Thrown when a validator registers with an empty Ferveo public key.
    error ValidatorStakingEmptyPublicKey();
    /// @notice Thrown when a withdrawal is attempted with nothing unbonding.
    error ValidatorStakingNothingToWithdraw();
    /// @notice Thrown when a withdrawal is attempted before the unbonding release block.
    error ValidatorStakingStillUnbonding(uint64 releaseBlock, uint256 currentBlock);
    /// @notice Thrown when an ETH transfer out of the contract fails.
    error ValidatorStakingTransferFailed(address to, uint256 amount);
    /// @notice Thrown when someone who is not a fault module slashes.
    error ValidatorStakingNotFaultModule(address caller);
    /// @notice Thrown when the zero address is given as fault module or treasury.
    error ValidatorStakingZeroAddress();
    /// @notice Thrown when stake is looked up at the current or a future block.
    error ValidatorStakingFutureLookup(uint256 blockNumber, uint256 currentBlock);
    /// @notice Thrown when an unbonding period of zero blocks is configured.
    error ValidatorStakingZeroUnbonding();
    /// @notice Thrown when slashed funds are released while none are pending.
    error ValidatorStakingNothingToRelease();

    /// @notice Emitted after `amount` is added to a validator's active stake.
    event Staked(address indexed validator, uint256 amount, uint256 newStake);
    /// @notice Emitted after a validator registers or updates its keys.
    event ValidatorRegistered(
        address indexed validator, bytes ferveoPublicKey, string shareServiceUrl
    );
    /// @notice Emitted after active stake is moved to unbonding.
    event UnstakeRequested(address indexed validator, uint256 amount, uint64 releaseBlock);
    /// @notice Emitted after matured unbonding stake is paid out.
    event Withdrawn(address indexed validator, uint256 amount);
    /// @notice Emitted after a validator left the set (stake below `minStake`, or evicted from a full set by a
    /// registrant with more stake); its key and URL are kept for a later `register`.
    event ValidatorRemoved(address indexed validator, uint256 stake);
    /// @notice Emitted after a validator is slashed; `amount` is what was actually taken.
    event Slashed(
        address indexed validator,
        address indexed module,
        uint256 amount,
        uint256 fromStake,
        uint256 fromUnbonding,
        bytes32 reason
    );
    /// @notice Emitted after a fault module is allowed or disallowed.
    event FaultModuleUpdated(address indexed module, bool allowed);
    /// @notice Emitted after the treasury is changed.
    event TreasuryUpdated(address indexed treasury);
    /// @notice Emitted after the minimum stake is changed.
    event MinStakeUpdated(uint256 minStake);
    /// @notice Emitted after pending slashed funds are paid to the treasury.
    event SlashedFundsReleased(address indexed treasury, uint256 amount);

    /// @notice Adds msg.value to the caller's active stake.
    function stake() external payable;

    /// @notice Registers the caller (or updates its keys); requires stake >= minStake.
    function register(bytes calldata ferveoPublicKey, string calldata shareServiceUrl) external;

    /// @notice Moves `amount` of active stake to unbonding, releasable at block.number + unbondingBlocks.
    /// @dev A new request resets the release block of everything still unbonding.
    function requestUnstake(uint256 amount) external;

    /// @notice Pays out the caller's matured unbonding stake (pull).
    function withdraw() external;

    /// @notice Slashes up to `amount` from `validator`, active stake first, then unbonding
    /// (fault modules only). Takes what there is if less; the slashed ETH goes to the treasury.
    /// A zero `amount` is a no-op (no event).
    function slash(address validator, uint256 amount, bytes32 reason) external;

    /// @notice Allows or disallows a fault module (owner only).
    function setFaultModule(address module, bool allowed) external;

    /// @notice Sets the treasury that receives slashed funds (owner only).
    function setTreasury(address treasury_) external;

    /// @notice Sets the minimum stake required to register and to be picked for a committee (owner only).
    function setMinStake(uint256 minStake_) external;

    /// @notice Pays all pending slashed funds to the treasury (anyone may call).
    function releaseSlashed() external;

    /// @notice Whether `module` may slash.
    function isFaultModule(address module) external view returns (bool);

    /// @notice The active stake of `validator` now.
    function stakeOf(address validator) external view returns (uint256);

    /// @notice The active stake of `validator` at the end of block `blockNumber` (< block.number).
    function stakeAt(address validator, uint256 blockNumber) external view returns (uint256);

    /// @notice The sum of all active stake now.
    function totalStaked() external view returns (uint256);

    /// @notice The sum of all active stake at the end of block `blockNumber` (< block.number).
    function totalStakedAt(uint256 blockNumber) external view returns (uint256);

    /// @notice The validator set: registered validators whose stake was at least `minStake` when it last
    /// changed, at most `MAX_VALIDATORS` of them, in no particular order. A validator leaves it when an unstake or
    /// a slash takes it below `minStake` (and may `register` again once it is back above), or when a validator
    /// with more stake registers into a full set and evicts the lowest. Committee selection iterates this set, so
    /// its cost is bounded whatever the history of registrations.
    function validators() external view returns (address[] memory);

    /// @notice The most validators the set holds.
    // solhint-disable-next-line func-name-mixedcase
    function MAX_VALIDATORS() external view returns (uint256);

    /// @notice A validator's registration and stake.
    function validatorInfo(address validator) external view returns (ValidatorInfo memory);

    /// @notice The minimum stake to register and to be picked for a DKG committee.
    function minStake() external view returns (uint256);

    /// @notice The unbonding period in blocks.
    function unbondingBlocks() external view returns (uint64);

    /// @notice The account that receives slashed funds.
    function treasury() external view returns (address);

    /// @notice Slashed ETH held for the treasury until `releaseSlashed`.
    function pendingSlashed() external view returns (uint256);
}
