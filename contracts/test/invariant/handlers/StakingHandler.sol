// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {ValidatorStaking} from "../../../src/ValidatorStaking.sol";

/// @notice Drives ValidatorStaking with bounded random actions and keeps ghost sums of every
/// ETH flow, so the invariant test can check conservation.
contract StakingHandler is CommonBase, StdCheats, StdUtils {
    ValidatorStaking public immutable staking;
    address public immutable module;

    address[] internal _actors;

    uint256 public ghostStaked;
    uint256 public ghostWithdrawn;
    uint256 public ghostSlashed;
    uint256 public ghostReleased;
    mapping(bytes32 => uint256) public calls;
    /// The block of an actor's last stake change and its stake at the end of that call.
    mapping(address => uint256) public lastChangeBlock;
    mapping(address => uint256) public lastChangeStake;

    constructor(ValidatorStaking staking_, address module_) {
        staking = staking_;
        module = module_;
        for (uint256 i = 0; i < 5; ++i) {
            _actors.push(makeAddr(string.concat("staker", vm.toString(i))));
        }
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function _record(address a) internal {
        lastChangeBlock[a] = block.number;
        lastChangeStake[a] = staking.stakeOf(a);
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % _actors.length];
    }

    function stake(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        amount = bound(amount, 1, 100 ether);
        vm.deal(a, amount);
        vm.prank(a);
        staking.stake{value: amount}();
        ghostStaked += amount;
        _record(a);
        ++calls["stake"];
    }

    function requestUnstake(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        uint256 active = staking.stakeOf(a);
        if (active == 0) return;
        amount = bound(amount, 1, active);
        vm.prank(a);
        staking.requestUnstake(amount);
        _record(a);
        ++calls["requestUnstake"];
    }

    function withdraw(uint256 actorSeed) external {
        address a = _actor(actorSeed);
        uint256 amount = staking.validatorInfo(a).unbonding;
        if (amount == 0) return;
        uint64 release = staking.validatorInfo(a).unbondingReleaseBlock;
        if (block.number < release) vm.roll(release);
        uint256 before = a.balance;
        vm.prank(a);
        staking.withdraw();
        ghostWithdrawn += a.balance - before;
        ++calls["withdraw"];
    }

    function slash(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        amount = bound(amount, 0, 150 ether);
        uint256 before = staking.pendingSlashed();
        vm.prank(module);
        staking.slash(a, amount, "invariant");
        ghostSlashed += staking.pendingSlashed() - before;
        _record(a);
        ++calls["slash"];
    }

    function releaseSlashed() external {
        uint256 amount = staking.pendingSlashed();
        if (amount == 0) return;
        staking.releaseSlashed();
        ghostReleased += amount;
        ++calls["releaseSlashed"];
    }

    function advance(uint256 blocks) external {
        vm.roll(block.number + bound(blocks, 1, 200));
        ++calls["advance"];
    }
}
