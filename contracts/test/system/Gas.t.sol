// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console2} from "forge-std/console2.sol";

import {EscrowFixtures} from "../utils/EscrowFixtures.sol";

/// @dev `cool` (forge >= 1.0) is missing from the vendored forge-std Vm interface.
interface VmCool {
    function cool(address target) external;
}

/// @notice Gas figures for contracts/README.md "## Gas": every measured call runs with the system's accounts and
/// storage marked cold (as in a fresh transaction), and reports `vm.lastCallGas().gasTotalUsed` (execution gas of
/// the call; add 21,000 + calldata for a transaction). Run: `forge test --match-contract GasTest -vv`.
contract GasTest is EscrowFixtures {
    uint64 internal constant EPOCH = 0;

    function _cool() internal {
        VmCool c = VmCool(address(vm));
        c.cool(address(sys.config));
        c.cool(address(sys.token));
        c.cool(address(sys.timelock));
        c.cool(address(sys.governor));
        c.cool(address(sys.staking));
        c.cool(address(sys.dkg));
        c.cool(address(sys.registry));
        c.cool(address(sys.scoreBoard));
        c.cool(address(sys.rewards));
        c.cool(address(sys.accessRegistry));
        c.cool(address(sys.escrow));
    }

    function _last() internal view returns (uint256) {
        return vm.lastCallGas().gasTotalUsed;
    }

    function _log(string memory what, uint256 n, uint256 f, uint256 gas) internal pure {
        console2.log(
            string.concat(
                "GAS ",
                what,
                " N=",
                vm.toString(n),
                " F=",
                vm.toString(f),
                " gas=",
                vm.toString(gas)
            )
        );
    }

    function _scores(uint256 f, uint256 salt) internal pure returns (uint16[] memory s) {
        s = new uint16[](f);
        for (uint256 j; j < f; ++j) {
            s[j] = uint16(uint256(keccak256(abi.encode(salt, j))) % 10_001);
        }
    }

    function _scenario(uint256 n, uint256 f) internal {
        deployFreshSystem();
        while (validators.length < n) {
            validators.push(makeAddr(string.concat("validator", vm.toString(validators.length))));
        }
        setUpValidatorsAndRitual();
        bytes32[] memory files = new bytes32[](f);
        for (uint256 j; j < f; ++j) {
            if (j == f - 1) _cool();
            files[j] = submitFile(j % contributors.length);
        }
        _log("submit", n, f, _last());

        rollToCommit(EPOCH);
        uint16[][] memory s = new uint16[][](n);
        for (uint256 i; i < n; ++i) {
            // honest validators agree up to small noise
            s[i] = _scores(f, 1);
            if (i % 2 == 1) s[i][0] = s[i][0] / 2;
            bytes32 c = scoreCommitment(validators[i], EPOCH, s[i], saltOf(validators[i]));
            _cool();
            vm.prank(validators[i]);
            sys.scoreBoard.commit(datasetId, EPOCH, c);
            if (i == 0) _log("commit-first (fixes seed+committee)", n, f, _last());
            if (i == 1) _log("commit", n, f, _last());
        }
        rollToReveal(EPOCH);
        for (uint256 i; i < n; ++i) {
            _cool();
            revealScores(validators[i], EPOCH, s[i]);
            if (i == 1) _log("reveal", n, f, _last());
        }
        rollToFinalize(EPOCH);
        _cool();
        sys.scoreBoard.finalize(datasetId, EPOCH);
        _log("finalize", n, f, _last());

        _cool();
        sys.rewards.claim(datasetId, EPOCH, files[f - 1]);
        _log("claim", n, f, _last());
        _cool();
        vm.prank(validators[0]);
        sys.rewards.claimValidatorReward(datasetId, EPOCH);
        _log("claimValidatorReward", n, f, _last());
    }

    function test_gas_scoring_N3_F10() public {
        _scenario(3, 10);
    }

    function test_gas_scoring_N3_F40() public {
        _scenario(3, 40);
    }

    function test_gas_scoring_N6_F10() public {
        _scenario(6, 10);
    }

    function test_gas_scoring_N6_F40() public {
        _scenario(6, 40);
    }

    function test_gas_access() public {
        deployFreshSystem();
        address alice = makeAddr("alice");
        address bob = makeAddr("bob");
        mintVotes(alice, 600 ether);
        mintVotes(bob, 400 ether);
        rollTo(block.number + 1);

        vm.deal(renter, 10 ether);
        _cool();
        vm.prank(renter);
        uint256 reqId = sys.escrow.requestAccess{value: FEE}(
            datasetId, RENTER_KEY, 0, 5, uint64(block.timestamp + 7 days)
        );
        _log("requestAccess", 0, 0, _last());

        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) =
            sys.escrow.grantProposal(reqId);
        _cool();
        vm.prank(alice);
        uint256 pid = sys.escrow.proposeGrant(reqId);
        _log("proposeGrant", 0, 0, _last());
        rollTo(sys.governor.proposalSnapshot(pid) + 1);
        _cool();
        vm.prank(alice);
        sys.governor.castVote(pid, 1);
        _log("castVote", 0, 0, _last());
        vm.prank(bob);
        sys.governor.castVote(pid, 1);
        rollTo(sys.governor.proposalDeadline(pid) + 1);
        _cool();
        sys.governor.queue(t, v, c, keccak256(bytes(d)));
        _log("queue", 0, 0, _last());
        vm.warp(block.timestamp + sys.timelock.getMinDelay() + 1);
        _cool();
        sys.governor.execute(t, v, c, keccak256(bytes(d)));
        _log("execute (grant)", 0, 0, _last());
        rollTo(block.number + 1);
        _cool();
        vm.prank(alice);
        sys.escrow.claimFee(reqId);
        _log("claimFee", 0, 0, _last());

        uint256 req2 = requestAs(renter, FEE, 0, 5, uint64(block.timestamp + 1 hours));
        vm.warp(block.timestamp + 2 hours);
        _cool();
        sys.escrow.refund(req2);
        _log("refund (expired)", 0, 0, _last());
    }
}
