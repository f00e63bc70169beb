// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ValidatorStaking} from "../../src/ValidatorStaking.sol";
import {StakingHandler} from "./handlers/StakingHandler.sol";

contract ValidatorStakingInvariantTest is Test {
    ValidatorStaking internal staking;
    StakingHandler internal handler;
    address internal treasury = makeAddr("treasury");

    function setUp() public {
        vm.roll(1);
        staking = new ValidatorStaking(address(this), treasury, 1 ether, 50);
        address module = makeAddr("module");
        staking.setFaultModule(module, true);
        handler = new StakingHandler(staking, module);
        targetContract(address(handler));
    }

    function _sumUnbonding() internal view returns (uint256 sum) {
        address[] memory actors = handler.actors();
        for (uint256 i = 0; i < actors.length; ++i) {
            sum += staking.validatorInfo(actors[i]).unbonding;
        }
    }

    function _sumActive() internal view returns (uint256 sum) {
        address[] memory actors = handler.actors();
        for (uint256 i = 0; i < actors.length; ++i) {
            sum += staking.stakeOf(actors[i]);
        }
    }

    /// totalStaked + Σ unbonding == Σ staked − Σ withdrawn − Σ slashed
    function invariant_StakeIsConserved() public view {
        assertEq(
            staking.totalStaked() + _sumUnbonding(),
            handler.ghostStaked() - handler.ghostWithdrawn() - handler.ghostSlashed()
        );
    }

    /// The contract holds exactly active + unbonding + slashed-but-unreleased ETH.
    function invariant_BalanceMatchesAccounting() public view {
        assertEq(
            address(staking).balance,
            staking.totalStaked() + _sumUnbonding() + staking.pendingSlashed()
        );
        assertEq(staking.pendingSlashed(), handler.ghostSlashed() - handler.ghostReleased());
        assertEq(treasury.balance, handler.ghostReleased());
    }

    function invariant_TotalStakedIsSumOfActiveStakes() public view {
        assertEq(staking.totalStaked(), _sumActive());
    }

    /// Once its block is over, an actor's last stake change is what stakeAt reports for that block.
    function invariant_CheckpointsMatchEndOfBlockStake() public view {
        address[] memory actors = handler.actors();
        for (uint256 i = 0; i < actors.length; ++i) {
            uint256 b = handler.lastChangeBlock(actors[i]);
            if (b == 0 || b >= block.number) continue;
            assertEq(staking.stakeAt(actors[i], b), handler.lastChangeStake(actors[i]));
            assertEq(staking.stakeAt(actors[i], block.number - 1), staking.stakeOf(actors[i]));
        }
    }
}
