// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console2} from "forge-std/console2.sol";

import {EscrowFixtures} from "../utils/EscrowFixtures.sol";
import {ISubmissionRegistry} from "../../src/interfaces/ISubmissionRegistry.sol";

/// @dev `cool` (forge >= 1.0) is missing from the vendored forge-std Vm interface.
interface VmCool {
    function cool(address target) external;
}

/// @notice Gas figures for contracts/README.md "## Gas": every measured call runs with the system's accounts and
/// storage marked cold (`vm.cool`, as in a fresh transaction). Two figures are logged per call: `gas=` is
/// `vm.lastCallGas().gasTotalUsed`, the execution gas of the called frame (what a transaction pays on top of
/// 21,000 + calldata, and what the README and the targets use); `delta=` is the `gasleft()` difference around the
/// call in this test, which adds the caller's side of a CALL a transaction does not pay (cold account access,
/// 9,000 for a value transfer, argument encoding). Run: `forge test --match-contract GasTest -vv`.
contract GasTest is EscrowFixtures {
    uint64 internal constant EPOCH = 0;
    uint256 internal constant UNITS = 1e9;

    uint256 private _g0;
    uint256 private _n;
    uint256 private _f;
    bool private _noBond;

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
        for (uint256 i; i < contributors.length; ++i) {
            c.cool(contributors[i]);
        }
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

    /// @dev Starts a gasleft() measurement: call right before the measured call (after any prank).
    function _start() internal {
        _g0 = gasleft();
    }

    /// @dev Logs the measured call's frame gas and the gasleft() delta since `_start`; returns the frame gas.
    function _stop(string memory what, uint256 n, uint256 f) internal returns (uint256 gas) {
        uint256 delta = _g0 - gasleft();
        gas = _last();
        console2.log(
            string.concat(
                "GAS ",
                what,
                " N=",
                vm.toString(n),
                " F=",
                vm.toString(f),
                " gas=",
                vm.toString(gas),
                " delta=",
                vm.toString(delta)
            )
        );
    }

    /// @dev The score vector: the F registered files, padded with unregistered ids to `leaves` entries (the
    /// claim only checks its own file, so padding stands for other files of a large epoch). File 1 is valued 0
    /// (its bond is forfeited), every other entry is valued.
    function _vector(bytes32[] memory files, uint256 leaves)
        internal
        pure
        returns (bytes32[] memory ids, uint256[] memory values)
    {
        uint256 l = leaves > files.length ? leaves : files.length;
        ids = new bytes32[](l);
        values = new uint256[](l);
        for (uint256 j; j < l; ++j) {
            ids[j] = j < files.length ? files[j] : keccak256(abi.encode("padding", j));
            values[j] = j == 1 ? 0 : UNITS / l;
        }
    }

    /// @dev N validators, F files, a vector of max(F, leaves) entries; measures every step of the epoch.
    function _scenario(uint256 n, uint256 f, uint256 leaves) internal {
        (_n, _f) = (n, f);
        bytes32[] memory files = _submitAll();
        (bytes32[] memory ids, uint256[] memory values) = _vector(files, leaves);
        bytes32 root = merkleRoot(ids, values);
        _scoreAll(root, sum(values));
        _settle(ids, values);
    }

    function _submitAll() internal returns (bytes32[] memory files) {
        (uint256 n, uint256 f) = (_n, _f);
        deployFreshSystem();
        while (validators.length < n) {
            validators.push(makeAddr(string.concat("validator", vm.toString(validators.length))));
        }
        setUpValidatorsAndRitual();
        // contributors are funded EOAs (an empty recipient of the bond refund would add 25,000)
        for (uint256 i; i < contributors.length; ++i) {
            vm.deal(contributors[i], 1 ether);
        }
        if (_noBond) {
            vm.prank(address(sys.timelock));
            sys.config.setSubmissionBond(datasetId, 0);
        }
        uint256 bond = sys.config.submissionBond(datasetId);
        vm.deal(address(this), address(this).balance + f * bond);

        files = new bytes32[](f);
        for (uint256 j; j < f; ++j) {
            uint256 i = j % contributors.length;
            ISubmissionRegistry.Submission memory s = newSubmission(i);
            bytes memory sig = signSubmission(contributorKeys[i], s);
            if (j + 1 < f) {
                files[j] = sys.registry.submit{value: bond}(s, sig);
                continue;
            }
            _cool();
            _start();
            files[j] = sys.registry.submit{value: bond}(s, sig);
            _stop("submit", n, f);
        }
    }

    function _scoreAll(bytes32 root, uint256 total) internal {
        (uint256 n, uint256 f) = (_n, _f);
        rollToCommit(EPOCH);
        for (uint256 i; i < n; ++i) {
            address v = validators[i];
            bytes32 c = scoreCommitment(v, EPOCH, root, total, saltOf(v));
            _cool();
            vm.prank(v);
            _start();
            sys.scoreBoard.commit(datasetId, EPOCH, c);
            if (i == 0) _stop("commit-first (fixes seed+committee)", n, f);
            else if (i == 1) _stop("commit", n, f);
        }
        rollToReveal(EPOCH);
        for (uint256 i; i < n; ++i) {
            address v = validators[i];
            bytes32 salt = saltOf(v);
            _cool();
            vm.prank(v);
            _start();
            sys.scoreBoard.reveal(datasetId, EPOCH, root, total, "bafy-vector", salt);
            if (i == 0) _stop("reveal-first (first of its root)", n, f);
            else if (i == 1) _stop("reveal", n, f);
        }
        rollToFinalize(EPOCH);
        _cool();
        _start();
        sys.scoreBoard.finalize(datasetId, EPOCH);
        _stop("finalize", n, f);
        (bytes32 finalRoot,) = sys.scoreBoard.finalizedRoot(datasetId, EPOCH);
        assertEq(finalRoot, root);
    }

    function _settle(bytes32[] memory ids, uint256[] memory values) internal {
        uint256 depth = merkleProof(ids, values, 0).length;
        string memory tree =
            string.concat(" L=", vm.toString(ids.length), " proof=", vm.toString(depth));
        if (_noBond) tree = string.concat(tree, " bond=0");
        _claim(ids, values, 0, string.concat("claim (first mint: self-delegation)", tree));
        if (_f > contributors.length) {
            // file `contributors.length` belongs to contributor 0 again: a repeat claimant
            _claim(ids, values, contributors.length, string.concat("claim (repeat claimant)", tree));
        }

        if (!_noBond) {
            bytes32[] memory zeroProof = merkleProof(ids, values, 1);
            _cool();
            _start();
            sys.rewards.forfeitBond(datasetId, EPOCH, ids[1], zeroProof);
            _stop(string.concat("forfeitBond", tree), _n, _f);
            assertEq(sys.registry.submissionOf(ids[1]).bond, 0);
        }

        _cool();
        vm.prank(validators[0]);
        _start();
        sys.rewards.claimValidatorReward(datasetId, EPOCH);
        _stop("claimValidatorReward", _n, _f);
    }

    function _claim(
        bytes32[] memory ids,
        uint256[] memory values,
        uint256 index,
        string memory what
    ) internal {
        bytes32[] memory proof = merkleProof(ids, values, index);
        address holder = sys.registry.submissionOf(ids[index]).contributor;
        uint256 before = holder.balance;
        _cool();
        _start();
        uint256 amount = sys.rewards.claim(datasetId, EPOCH, ids[index], values[index], proof);
        _stop(what, _n, _f);
        assertGt(amount, 0);
        assertEq(holder.balance, before + sys.config.submissionBond(datasetId), "bond refunded");
    }

    /// claim and forfeit with a 2-leaf tree (proof of 1)
    function test_gas_scoring_N3_F2_L2() public {
        _scenario(3, 2, 2);
    }

    /// claim and forfeit with a 1,024-leaf tree (proof of 10)
    function test_gas_scoring_N3_F10_L1024() public {
        _scenario(3, 10, 1024);
    }

    /// reveal and finalize do no per-file work: compare with F = 10 (5,000 signed submissions fit the default
    /// 2^30 test gas; 10,000 do not)
    function test_gas_scoring_N3_F5000() public {
        _scenario(3, 5000, 0);
    }

    /// finalize is O(N): compare with N = 3
    function test_gas_scoring_N6_F10() public {
        _scenario(6, 10, 0);
    }

    function test_gas_scoring_N10_F10() public {
        _scenario(10, 10, 0);
    }

    /// the same claims and forfeit with the dataset's bond set to 0: the difference is the bond refund
    function test_gas_scoring_N3_F10_L1024_NoBond() public {
        _noBond = true;
        _scenario(3, 10, 1024);
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
