// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SortedVectors
/// @notice Puts a score vector into the leaf order of node/protocol/scorevector.py (fileId ascending), so the
/// roots the Foundry tests build with `Fixtures.merkleRoot` are the roots a Python validator would reveal.
/// @dev A library, not more Fixtures helpers, because Fixtures.sol is edited concurrently by other tests' owners.
library SortedVectors {
    /// @notice Sorts `fileIds` ascending in place, permuting `values` alongside (iterative quicksort, so
    /// 10,000 leaves sort in a few million gas without deep recursion).
    function sortByFileId(bytes32[] memory fileIds, uint256[] memory values) internal pure {
        uint256 n = fileIds.length;
        require(values.length == n, "SortedVectors: length");
        if (n < 2) return;
        uint256[] memory stack = new uint256[](2 * 64 + 2);
        uint256 top;
        stack[top++] = 0;
        stack[top++] = n - 1;
        while (top != 0) {
            uint256 hi = stack[--top];
            uint256 lo = stack[--top];
            while (lo < hi) {
                uint256 p = _partition(fileIds, values, lo, hi);
                // push the larger half, loop on the smaller: the stack stays under log2(n) ranges
                if (p - lo < hi - p) {
                    if (p + 1 < hi) {
                        stack[top++] = p + 1;
                        stack[top++] = hi;
                    }
                    if (p == 0) break;
                    hi = p - 1;
                } else {
                    if (p > lo + 1) {
                        stack[top++] = lo;
                        stack[top++] = p - 1;
                    }
                    lo = p + 1;
                }
            }
        }
    }

    /// @notice The position of `fileId` in `fileIds` (reverts if absent).
    function indexOf(bytes32[] memory fileIds, bytes32 fileId) internal pure returns (uint256) {
        for (uint256 j; j < fileIds.length; ++j) {
            if (fileIds[j] == fileId) return j;
        }
        revert("SortedVectors: absent");
    }

    /// @notice Whether `fileIds` is strictly ascending.
    function isSorted(bytes32[] memory fileIds) internal pure returns (bool) {
        for (uint256 j = 1; j < fileIds.length; ++j) {
            if (fileIds[j - 1] >= fileIds[j]) return false;
        }
        return true;
    }

    /// @dev Lomuto partition around the middle element (moved to `hi`); returns its final index.
    function _partition(bytes32[] memory ids, uint256[] memory vals, uint256 lo, uint256 hi)
        private
        pure
        returns (uint256 i)
    {
        _swap(ids, vals, lo + (hi - lo) / 2, hi);
        bytes32 pivot = ids[hi];
        i = lo;
        for (uint256 j = lo; j < hi; ++j) {
            if (ids[j] < pivot) {
                _swap(ids, vals, i, j);
                ++i;
            }
        }
        _swap(ids, vals, i, hi);
    }

    function _swap(bytes32[] memory ids, uint256[] memory vals, uint256 a, uint256 b) private pure {
        if (a == b) return;
        (ids[a], ids[b]) = (ids[b], ids[a]);
        (vals[a], vals[b]) = (vals[b], vals[a]);
    }
}
