// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {stdJson} from "forge-std/StdJson.sol";

import {Commitments} from "../../src/libraries/Commitments.sol";

/// @notice Asserts tests/vectors/commitment_v2.json (shared with the Python validator, made with `cast`
/// independently of both), and that every field of the commitment binds it.
contract CommitmentsTest is Test {
    using stdJson for string;

    string internal json;

    function setUp() public {
        json = vm.readFile(string.concat(vm.projectRoot(), "/../tests/vectors/commitment_v2.json"));
    }

    /// @dev Integers are decimal strings in the file (they may exceed 2^53).
    function _uint(string memory key) internal view returns (uint256) {
        return vm.parseUint(json.readString(key));
    }

    function test_scoreCommitment_MatchesVectors() public view {
        assertEq(json.readUint(".version"), 2);
        uint256 n;
        while (vm.keyExistsJson(json, string.concat(".vectors[", vm.toString(n), "]"))) {
            _check(string.concat(".vectors[", vm.toString(n), "]"));
            ++n;
        }
        assertEq(n, 3, "vector count");
    }

    function _check(string memory p) internal view {
        uint256 epoch = _uint(string.concat(p, ".epoch"));
        assertLe(epoch, type(uint64).max, "epoch fits uint64");
        bytes32 c = Commitments.scoreCommitment(
            _uint(string.concat(p, ".chain_id")),
            json.readAddress(string.concat(p, ".score_board")),
            _uint(string.concat(p, ".dataset_id")),
            uint64(epoch),
            json.readAddress(string.concat(p, ".validator")),
            json.readBytes32(string.concat(p, ".root")),
            _uint(string.concat(p, ".total")),
            json.readBytes32(string.concat(p, ".salt"))
        );
        assertEq(
            c, json.readBytes32(string.concat(p, ".commitment")), string.concat(p, " commitment")
        );
    }

    /// @dev The encoding is the plain abi.encode of the eight fields (what `cast abi-encode` produces).
    function testFuzz_scoreCommitment_IsKeccakOfAbiEncode(
        uint256 chainId,
        address board,
        uint256 datasetId,
        uint64 epoch,
        address v,
        bytes32 root,
        uint256 total,
        bytes32 salt
    ) public pure {
        assertEq(
            Commitments.scoreCommitment(chainId, board, datasetId, epoch, v, root, total, salt),
            keccak256(abi.encode(chainId, board, datasetId, epoch, v, root, total, salt))
        );
    }

    /// @dev The eight committed fields (a struct keeps the fuzz test within the stack limit).
    struct Fields {
        uint256 chainId;
        address board;
        uint256 datasetId;
        uint64 epoch;
        address validator;
        bytes32 root;
        uint256 total;
        bytes32 salt;
    }

    function _commit(Fields memory f) internal pure returns (bytes32) {
        return Commitments.scoreCommitment(
            f.chainId, f.board, f.datasetId, f.epoch, f.validator, f.root, f.total, f.salt
        );
    }

    /// @dev `f` with field `i` XORed with `d` (narrower fields take d's low bits, or 1 where those are zero).
    function _flip(Fields memory f, uint256 i, uint256 d) internal pure returns (Fields memory g) {
        g = Fields(f.chainId, f.board, f.datasetId, f.epoch, f.validator, f.root, f.total, f.salt);
        uint160 d160 = uint160(d) == 0 ? 1 : uint160(d);
        uint64 d64 = uint64(d) == 0 ? 1 : uint64(d);
        if (i == 0) g.chainId ^= d;
        else if (i == 1) g.board = address(uint160(f.board) ^ d160);
        else if (i == 2) g.datasetId ^= d;
        else if (i == 3) g.epoch ^= d64;
        else if (i == 4) g.validator = address(uint160(f.validator) ^ d160);
        else if (i == 5) g.root ^= bytes32(d);
        else if (i == 6) g.total ^= d;
        else g.salt ^= bytes32(d);
    }

    /// @dev Changing any one field (by any non-zero XOR) changes the commitment.
    function testFuzz_scoreCommitment_BindsEveryField(Fields memory f, uint256 d) public pure {
        vm.assume(d != 0);
        bytes32 c = _commit(f);
        string[8] memory names =
            ["chainId", "scoreBoard", "datasetId", "epoch", "validator", "root", "total", "salt"];
        for (uint256 i; i < 8; ++i) {
            assertTrue(c != _commit(_flip(f, i, d)), names[i]);
        }
    }

    /// @dev Swapping root and salt (both bytes32) or chainId and datasetId must not collide: fields are positional.
    function testFuzz_scoreCommitment_FieldsArePositional(
        uint256 chainId,
        uint256 datasetId,
        bytes32 root,
        bytes32 salt
    ) public pure {
        vm.assume(chainId != datasetId && root != salt);
        address b = address(1);
        bytes32 c = Commitments.scoreCommitment(chainId, b, datasetId, 1, b, root, 1, salt);
        assertTrue(c != Commitments.scoreCommitment(datasetId, b, chainId, 1, b, root, 1, salt));
        assertTrue(c != Commitments.scoreCommitment(chainId, b, datasetId, 1, b, salt, 1, root));
    }
}
