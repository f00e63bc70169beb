// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Commitments
/// @notice The score commitment encoding shared by ScoreBoard and the Python validator
/// (`validator/daemon/commitment.py`); both are checked against `tests/vectors/commitment_v2.json`.
/// @dev Protocol v2: a validator commits to the Merkle root of the epoch's whole score vector and
/// its total, not to per-file scores:
/// commitment = keccak256(abi.encode(chainId, scoreBoard, datasetId, epoch, validator, root, total, salt)).
/// Binding chain, contract, dataset, epoch and validator means a commitment can be neither
/// replayed elsewhere nor copied by another validator; the 32-byte salt keeps the root secret
/// until the reveal, so a lazy validator cannot copy an honest one's root.
library Commitments {
    /// @notice The commitment a validator submits in the commit window.
    function scoreCommitment(
        uint256 chainId,
        address scoreBoard,
        uint256 datasetId,
        uint64 epoch,
        address validator,
        bytes32 root,
        uint256 total,
        bytes32 salt
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(chainId, scoreBoard, datasetId, epoch, validator, root, total, salt)
        );
    }
}
