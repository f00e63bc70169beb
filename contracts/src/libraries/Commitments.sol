// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Commitments
/// @notice The score commitment encoding shared by ScoreBoard and the Python validator
/// (`validator/commitment.py`); both are checked against `tests/vectors/commitment_v1.json`.
/// @dev commitment = keccak256(abi.encode(chainId, scoreBoard, datasetId, epoch, validator, scoresHash, salt))
/// with scoresHash = keccak256(abi.encode(fileIds, scoresBps)) (a `uint16[]` is abi-encoded as
/// uint256 words). Binding chain, contract, dataset, epoch and validator means a commitment can be
/// neither replayed elsewhere nor copied by another validator; the 32-byte salt makes the 10001
/// possible scores per file impossible to brute-force from the hash.
library Commitments {
    /// @notice keccak256(abi.encode(fileIds, scoresBps)): the scores a validator reveals, bound to the file list.
    function scoresHash(bytes32[] memory fileIds, uint16[] memory scoresBps)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(fileIds, scoresBps));
    }

    /// @notice The commitment a validator submits in the commit window.
    function scoreCommitment(
        uint256 chainId,
        address scoreBoard,
        uint256 datasetId,
        uint64 epoch,
        address validator,
        bytes32 scoresHash_,
        bytes32 salt
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(chainId, scoreBoard, datasetId, epoch, validator, scoresHash_, salt)
        );
    }
}
