// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IValidatorStaking} from "../../src/interfaces/IValidatorStaking.sol";

/// @notice A contract validator (or treasury) whose ETH receive hook accepts, rejects, or
/// re-enters ValidatorStaking (test only).
contract MockStakingActor {
    enum Mode {
        ACCEPT,
        REJECT,
        REENTER_WITHDRAW,
        REENTER_RELEASE
    }

    IValidatorStaking public immutable staking;
    Mode public mode;
    bytes public reentryRevertData;
    uint256 public received;

    constructor(IValidatorStaking staking_) {
        staking = staking_;
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function stake() external payable {
        staking.stake{value: msg.value}();
    }

    function register(bytes calldata key, string calldata url) external {
        staking.register(key, url);
    }

    function requestUnstake(uint256 amount) external {
        staking.requestUnstake(amount);
    }

    function withdraw() external {
        staking.withdraw();
    }

    receive() external payable {
        if (mode == Mode.REJECT) revert("no ETH");
        received += msg.value;
        if (mode == Mode.REENTER_WITHDRAW) {
            try staking.withdraw() {}
            catch (bytes memory data) {
                reentryRevertData = data;
            }
        } else if (mode == Mode.REENTER_RELEASE) {
            try staking.releaseSlashed() {}
            catch (bytes memory data) {
                reentryRevertData = data;
            }
        }
    }
}
