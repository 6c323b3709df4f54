// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @title Ring
/// @notice The neighbour ring of a SecAgg task on its drawn graph (`IKeyRegistry.graph`: 2n
///         bytes, byte p < n the member index at ring position p, byte n + i the ring position
///         of member i), shared by `FederatedAggregator` and `ChunkRecovery` so both read one
///         slot rule.
/// @dev Slot s of member i holds the member at ring offset +1, −1, +2, −2, … (s/2 + 1, plus for
///      even s) from i's position; the slots s < min(K, n − 1) are the active ones.
library Ring {
    /// @notice Neighbour slot s of member i among n: offsets +1, −1, +2, −2, … (mod n).
    function neighborIndex(uint256 i, uint256 s, uint256 n) internal pure returns (uint256) {
        // An inactive slot's offset can exceed n (K > n); reduce it first so i + n − offset ≥ 0.
        uint256 offset = (s / 2 + 1) % n;
        // Ring arithmetic, not randomness (slither mistakes any `% n` for a PRNG).
        // slither-disable-next-line weak-prng
        return s % 2 == 0 ? (i + offset) % n : (i + n - offset) % n;
    }

    /// @notice Number of active slots among k for n ≥ 3 members (every task has at least
    ///         `minContributors` ≥ 3): min(k, n − 1).
    /// @dev Slot s with offset o = s/2 + 1 repeats an earlier slot (or is the member itself) iff
    ///      2o > n for +o and 2o ≥ n for −o, i.e. iff s ≥ n − 1, so the active slots are exactly
    ///      s < n − 1.
    function activeSlots(uint256 k, uint256 n) internal pure returns (uint256) {
        return k < n - 1 ? k : n - 1;
    }

    /// @notice The member in slot s of member i on a drawn graph.
    function neighbor(bytes memory graph, uint256 i, uint256 s) internal pure returns (uint256) {
        uint256 n = graph.length / 2;
        return byteAt(graph, neighborIndex(byteAt(graph, n + i), s, n));
    }

    /// @notice Byte i of `data`; callers keep i below its length (graph indices are < 2n).
    function byteAt(bytes memory data, uint256 i) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := byte(0, mload(add(add(data, 32), i)))
        }
    }

    /// @notice The active slot of member i whose neighbour is member j, if any.
    /// @dev At ring distance d = pos(j) − pos(i) (mod n), j is i's +d neighbour when 2d ≤ n
    ///      (slot 2d − 2) and otherwise its −(n − d) neighbour (slot 2(n − d) − 1); either is
    ///      active by `activeSlots`, and a neighbour iff the slot is below k. The relation is
    ///      symmetric.
    function slotOf(bytes memory graph, uint256 i, uint256 j, uint256 k)
        internal
        pure
        returns (bool found, uint256 slot)
    {
        uint256 n = graph.length / 2;
        // Ring arithmetic, not randomness.
        // slither-disable-next-line weak-prng
        uint256 distance = (byteAt(graph, n + j) + n - byteAt(graph, n + i)) % n;
        if (distance == 0) return (false, 0);
        slot = 2 * distance <= n ? 2 * distance - 2 : 2 * (n - distance) - 1;
        found = slot < k;
    }

    /// @notice The number of members in member i's component of the graph whose vertices are
    ///         the `contributors` and whose edges join ring neighbours (breadth first), exact
    ///         below `limit`.
    /// @dev The search stops once it reaches `limit`, after finishing the member it was
    ///      expanding, so a larger component may be reported as anything from `limit` up. A
    ///      member's update is hidden in the sum of its component (SECURITY.md, P6).
    function componentSize(
        bytes memory graph,
        uint256 contributors,
        uint256 i,
        uint256 k,
        uint256 limit
    ) internal pure returns (uint256 size) {
        uint256 n = graph.length / 2;
        uint256 active = activeSlots(k, n);
        uint256[] memory queue = new uint256[](n);
        queue[0] = i;
        size = 1;
        uint256 seen = 2 ** i;
        for (uint256 head; head < size && size < limit; ++head) {
            for (uint256 s; s < active; ++s) {
                uint256 j = neighbor(graph, queue[head], s);
                if ((contributors >> j) & 1 == 1 && (seen >> j) & 1 == 0) {
                    seen |= 2 ** j;
                    queue[size++] = j;
                }
            }
        }
    }
}
