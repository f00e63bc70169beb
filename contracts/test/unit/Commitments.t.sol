// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {stdJson} from "forge-std/StdJson.sol";

import {Commitments} from "../../src/libraries/Commitments.sol";

/// @notice Asserts tests/vectors/commitment_v1.json (shared with validator/commitment.py).
contract CommitmentsTest is Test {
    using stdJson for string;

    string internal json;

    function setUp() public {
        json = vm.readFile(string.concat(vm.projectRoot(), "/../tests/vectors/commitment_v1.json"));
    }

    function test_scoreCommitment_MatchesVectors() public view {
        assertEq(json.readUint(".version"), 1);
        uint256 n;
        while (vm.keyExistsJson(json, string.concat(".vectors[", vm.toString(n), "]"))) {
            _check(string.concat(".vectors[", vm.toString(n), "]"));
            ++n;
        }
        assertEq(n, 3, "vector count");
    }

    function _check(string memory p) internal view {
        bytes32[] memory fileIds = json.readBytes32Array(string.concat(p, ".file_ids"));
        uint256[] memory raw = json.readUintArray(string.concat(p, ".scores_bps"));
        uint16[] memory scores = new uint16[](raw.length);
        for (uint256 i; i < raw.length; ++i) {
            scores[i] = uint16(raw[i]);
        }
        bytes32 scoresHash = Commitments.scoresHash(fileIds, scores);
        assertEq(
            scoresHash,
            json.readBytes32(string.concat(p, ".scores_hash")),
            string.concat(p, " scores_hash")
        );
        bytes32 c = Commitments.scoreCommitment(
            json.readUint(string.concat(p, ".chain_id")),
            json.readAddress(string.concat(p, ".score_board")),
            vm.parseUint(json.readString(string.concat(p, ".dataset_id"))),
            uint64(vm.parseUint(json.readString(string.concat(p, ".epoch")))),
            json.readAddress(string.concat(p, ".validator")),
            scoresHash,
            json.readBytes32(string.concat(p, ".salt"))
        );
        assertEq(
            c, json.readBytes32(string.concat(p, ".commitment")), string.concat(p, " commitment")
        );
    }

    function testFuzz_scoreCommitment_BindsEveryField(bytes32 salt, uint64 epoch, address v)
        public
        pure
    {
        bytes32 h = keccak256("scores");
        bytes32 c = Commitments.scoreCommitment(1, address(1), 1, epoch, v, h, salt);
        assertTrue(c != Commitments.scoreCommitment(2, address(1), 1, epoch, v, h, salt));
        assertTrue(c != Commitments.scoreCommitment(1, address(2), 1, epoch, v, h, salt));
        assertTrue(c != Commitments.scoreCommitment(1, address(1), 2, epoch, v, h, salt));
        assertTrue(c != Commitments.scoreCommitment(1, address(1), 1, epoch ^ 1, v, h, salt));
        assertTrue(
            c
                != Commitments.scoreCommitment(
                    1, address(1), 1, epoch, address(uint160(v) ^ 1), h, salt
                )
        );
        assertTrue(
            c
                != Commitments.scoreCommitment(
                    1, address(1), 1, epoch, v, h ^ bytes32(uint256(1)), salt
                )
        );
        assertTrue(
            c
                != Commitments.scoreCommitment(
                    1, address(1), 1, epoch, v, h, salt ^ bytes32(uint256(1))
                )
        );
    }
}
