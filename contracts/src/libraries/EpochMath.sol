// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title EpochMath
/// @notice Block arithmetic of a dataset's epochs (contracts/README.md, "Time"). With genesis `g`
/// and windows `S`, `C`, `R`: epoch `e` takes submissions in `[g + e*S, g + (e+1)*S)`,
/// `closeBlock = g + (e+1)*S`, reveals start at `closeBlock + C`, finalization at `closeBlock + C + R`.
/// @dev Arithmetic is done in uint256 and narrowed with SafeCast, so absurd epochs revert instead of wrapping.
library EpochMath {
    /// @notice The epoch taking submissions at `blockNumber`; the caller guarantees `blockNumber >= genesis`
    /// and `submitBlocks > 0`.
    function epochAt(uint64 genesis, uint32 submitBlocks, uint256 blockNumber)
        internal
        pure
        returns (uint64)
    {
        return SafeCast.toUint64((blockNumber - genesis) / submitBlocks);
    }

    /// @notice The windows of epoch `epoch`.
    function windows(
        uint64 genesis,
        uint32 submitBlocks,
        uint32 commitBlocks,
        uint32 revealBlocks,
        uint64 epoch
    )
        internal
        pure
        returns (uint64 submitStart, uint64 closeBlock, uint64 revealStart, uint64 finalizeFrom)
    {
        uint256 start = uint256(genesis) + uint256(epoch) * submitBlocks;
        uint256 close = start + submitBlocks;
        uint256 reveal = close + commitBlocks;
        submitStart = SafeCast.toUint64(start);
        closeBlock = SafeCast.toUint64(close);
        revealStart = SafeCast.toUint64(reveal);
        finalizeFrom = SafeCast.toUint64(reveal + revealBlocks);
    }
}
