// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @notice The drawn neighbour ring re-implemented from its definition (`IKeyRegistry.drawGraph`,
///         the slots of `IFederatedAggregator`), on plain arrays, for the suites to check the
///         contracts against: `order[p]` is the member index at ring position p, as the key
///         registry's `ringOrder` returns it.
library RingReference {
    /// @dev Fisher–Yates over 0..n−1: for i = n − 1 down to 1, swap entries i and
    ///      j = uint256(keccak256(abi.encode(seed, i))) mod (i + 1).
    function shuffle(bytes32 seed, uint256 n) internal pure returns (uint256[] memory order) {
        order = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            order[i] = i;
        }
        for (uint256 i = n; i > 1; --i) {
            uint256 j = uint256(keccak256(abi.encode(seed, i - 1))) % i;
            (order[i - 1], order[j]) = (order[j], order[i - 1]);
        }
    }

    /// @dev The ring position of member i.
    function position(uint256[] memory order, uint256 i) internal pure returns (uint256) {
        for (uint256 p; p < order.length; ++p) {
            if (order[p] == i) return p;
        }
        revert("RingReference: not on the ring");
    }

    /// @dev The member in slot s of member i: ring offset +1, −1, +2, −2, … (s/2 + 1, plus for
    ///      even s) from i's position, mod n.
    function neighbor(uint256[] memory order, uint256 i, uint256 s)
        internal
        pure
        returns (uint256)
    {
        uint256 n = order.length;
        uint256 offset = (s / 2 + 1) % n;
        uint256 p = position(order, i);
        return order[s % 2 == 0 ? (p + offset) % n : (p + n - offset) % n];
    }

    /// @dev min(k, n − 1): slots from there on repeat an earlier neighbour or the member.
    function activeSlots(uint256 k, uint256 n) internal pure returns (uint256) {
        return k < n - 1 ? k : n - 1;
    }

    /// @dev The first slot of member i that holds member j (which must be among its first k).
    function slotOf(uint256[] memory order, uint256 i, uint256 j, uint256 k)
        internal
        pure
        returns (uint256)
    {
        for (uint256 s; s < k; ++s) {
            if (neighbor(order, i, s) == j) return s;
        }
        revert("RingReference: not a neighbour");
    }

    /// @dev Member i's slots word for K = k: bit s set when i's index is below slot s's
    ///      neighbour's, bit k + s set when slot s is active (both 0 for an inactive slot), bit
    ///      2k set when the task escrows its seeds (at least 3 active slots).
    function slotsWord(uint256[] memory order, uint256 i, uint256 k)
        internal
        pure
        returns (uint256 word)
    {
        uint256 active = activeSlots(k, order.length);
        for (uint256 s; s < active; ++s) {
            if (i < neighbor(order, i, s)) word |= 2 ** s;
            word |= 2 ** (k + s);
        }
        if (active >= 3) word |= 2 ** (2 * k);
    }

    /// @dev Whether a task of n members and K = k escrows its seeds: min(k, n − 1) ≥ 3.
    function escrows(uint256 k, uint256 n) internal pure returns (bool) {
        return activeSlots(k, n) >= 3;
    }

    /// @dev Whether `order` holds each of 0..n−1 exactly once.
    function isPermutation(uint256[] memory order) internal pure returns (bool) {
        uint256 n = order.length;
        bool[] memory seen = new bool[](n);
        for (uint256 p; p < n; ++p) {
            if (order[p] >= n || seen[order[p]]) return false;
            seen[order[p]] = true;
        }
        return true;
    }

    /// @dev The size of member i's component in the graph whose vertices are the members in
    ///      `contributors` (bit j: member j) and whose edges join members in each other's active
    ///      slots (K = k); i itself counts, contributor or not. Depth-first over an adjacency
    ///      matrix built from `neighbor`, independently of the aggregator's breadth-first count.
    function componentSize(uint256[] memory order, uint256 contributors, uint256 i, uint256 k)
        internal
        pure
        returns (uint256 size)
    {
        uint256 n = order.length;
        uint256 active = activeSlots(k, n);
        bool[][] memory adjacent = new bool[][](n);
        for (uint256 a; a < n; ++a) {
            adjacent[a] = new bool[](n);
        }
        for (uint256 a; a < n; ++a) {
            for (uint256 s; s < active; ++s) {
                uint256 b = neighbor(order, a, s);
                adjacent[a][b] = true;
                adjacent[b][a] = true;
            }
        }
        bool[] memory seen = new bool[](n);
        uint256[] memory stack = new uint256[](n);
        uint256 top = 1;
        stack[0] = i;
        seen[i] = true;
        while (top != 0) {
            uint256 a = stack[--top];
            ++size;
            for (uint256 b; b < n; ++b) {
                if (adjacent[a][b] && !seen[b] && (contributors >> b) & 1 == 1) {
                    seen[b] = true;
                    stack[top++] = b;
                }
            }
        }
    }

    /// @dev The component size `withdrawChunk` reports in `ComponentNotIsolated`: breadth first
    ///      from member i, each dequeued member's active slots in slot order, no member dequeued
    ///      once `limit` are found; so min(size, limit) ≤ the count ≤ size, exceeding `limit` by
    ///      the rest of the last expansion.
    function componentCount(
        uint256[] memory order,
        uint256 contributors,
        uint256 i,
        uint256 k,
        uint256 limit
    ) internal pure returns (uint256 size) {
        uint256 n = order.length;
        uint256 active = activeSlots(k, n);
        uint256[] memory queue = new uint256[](n);
        bool[] memory seen = new bool[](n);
        queue[0] = i;
        seen[i] = true;
        size = 1;
        for (uint256 head; head < size && size < limit; ++head) {
            for (uint256 s; s < active; ++s) {
                uint256 j = neighbor(order, queue[head], s);
                if ((contributors >> j) & 1 == 1 && !seen[j]) {
                    seen[j] = true;
                    queue[size++] = j;
                }
            }
        }
    }
}
