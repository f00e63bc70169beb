// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {stdJson} from "forge-std/StdJson.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @notice Asserts tests/vectors/scorevector_v2.json (written by node/protocol/scorevector.py's
/// generator) against what RewardDistributor verifies on chain: each leaf is
/// keccak256(bytes.concat(keccak256(abi.encode(fileId, value)))), each proof verifies against the
/// root with OpenZeppelin's MerkleProof, and a proof of another value does not. A claim built by
/// a contributor's node is therefore accepted exactly when the Python tree says it should be.
contract ScoreVectorVectorsTest is Test {
    using stdJson for string;

    string internal json;

    function setUp() public {
        json = vm.readFile(string.concat(vm.projectRoot(), "/../tests/vectors/scorevector_v2.json"));
    }

    function test_everyLeafAndProofMatchesTheOnChainVerifier() public view {
        uint256 cases;
        uint256 leaves;
        while (vm.keyExistsJson(json, string.concat(".cases[", vm.toString(cases), "]"))) {
            leaves += _case(string.concat(".cases[", vm.toString(cases), "]"));
            ++cases;
        }
        assertGe(cases, 4, "the 1, 2, 3 and 5-leaf cases");
        assertGe(leaves, 11, "every leaf checked");
    }

    function _case(string memory c) internal view returns (uint256 n) {
        bytes32 root = json.readBytes32(string.concat(c, ".root"));
        while (vm.keyExistsJson(json, string.concat(c, ".leaves[", vm.toString(n), "]"))) {
            string memory l = string.concat(c, ".leaves[", vm.toString(n), "]");
            bytes32 fileId = json.readBytes32(string.concat(l, ".file_id"));
            uint256 value = vm.parseUint(json.readString(string.concat(l, ".value")));
            bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(fileId, value))));
            assertEq(leaf, json.readBytes32(string.concat(l, ".leaf")), "leaf encoding");
            bytes32[] memory proof = json.readBytes32Array(string.concat(l, ".proof"));
            assertTrue(MerkleProof.verify(proof, root, leaf), "proof verifies");
            bytes32 forged = keccak256(bytes.concat(keccak256(abi.encode(fileId, value + 1))));
            assertFalse(MerkleProof.verify(proof, root, forged), "another value does not");
            ++n;
        }
    }
}
