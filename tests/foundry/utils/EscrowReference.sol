// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @notice The seed escrow of a chunk (circuits/README.md) re-implemented for the suites, with
///         keccak stand-ins for the Poseidon seeds and pads (the mock verifiers accept any
///         proof; what the suites check is the contract's arithmetic and its choice of public
///         inputs). With K slots, E = K·(K−1) entries; entry e(j, h) of owner i holds holder
///         slot h's share of seed slot j's seed plus pad(j, h); shares of one seed sum to it.
library EscrowReference {
    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @dev e(j, h) = j·(K−1) + h − (h > j ? 1 : 0), for h ≠ j.
    function entry(uint256 j, uint256 h, uint256 k) internal pure returns (uint256) {
        return j * (k - 1) + h - (h > j ? 1 : 0);
    }

    /// @dev tag(j, h) = 1 + e(j, h) + E·signBit_h, signBit_h = 1 iff the owner's index is below
    ///      the holder's.
    function tag(uint256 j, uint256 h, uint256 k, bool ownerBelow) internal pure returns (uint256) {
        return 1 + entry(j, h, k) + (ownerBelow ? k * (k - 1) : 0);
    }

    /// @dev Stand-in for seed = Poseidon4(s_ab, D, r, c): one per pair {a, b} (member indices),
    ///      task (salted by `domain`), round and chunk.
    function seed(uint256 a, uint256 b, uint256 domain, uint256 round, uint256 chunk)
        internal
        pure
        returns (uint256)
    {
        (uint256 low, uint256 high) = a < b ? (a, b) : (b, a);
        return uint256(keccak256(abi.encode("seed", low, high, domain, round, chunk))) % P;
    }

    /// @dev Stand-in for pad = Poseidon5(s_ab, D, r, c, tag): one per pair {a, b} and tag.
    function pad(uint256 a, uint256 b, uint256 domain, uint256 round, uint256 chunk, uint256 t)
        internal
        pure
        returns (uint256)
    {
        (uint256 low, uint256 high) = a < b ? (a, b) : (b, a);
        return uint256(keccak256(abi.encode("pad", low, high, domain, round, chunk, t))) % P;
    }

    /// @dev What `escrow` shares: the owner, its slots' neighbours and the chunk.
    struct Chunk {
        uint256 owner;
        uint256[] ring;
        uint256 active;
        uint256 domain;
        uint256 round;
        uint256 chunk;
        uint256 salt;
    }

    /// @dev The E escrow entries of member `owner` whose slot s holds member `ring[s]`, with its
    ///      first `active` slots active, for a task that escrows (`on`; otherwise all zero): for
    ///      seed slot j, the holders are the active slots h ≠ j in slot order, every holder but
    ///      the last gets a share derived from `salt`, the last the seed less the others.
    function escrow(
        uint256 owner,
        uint256[] memory ring,
        uint256 active,
        bool on,
        uint256 domain,
        uint256 round,
        uint256 chunk,
        uint256 salt
    ) internal pure returns (uint256[] memory entries) {
        uint256 k = ring.length;
        entries = new uint256[](k * (k - 1));
        if (!on) return entries;
        Chunk memory c = Chunk(owner, ring, active, domain, round, chunk, salt);
        for (uint256 j; j < active; ++j) {
            _share(c, entries, j);
        }
    }

    /// @dev The entries of seed slot j.
    function _share(Chunk memory c, uint256[] memory entries, uint256 j) private pure {
        uint256 k = c.ring.length;
        uint256 rest = seed(c.owner, c.ring[j], c.domain, c.round, c.chunk);
        uint256 last = j == c.active - 1 ? c.active - 2 : c.active - 1;
        for (uint256 h; h < c.active; ++h) {
            if (h == j) continue;
            uint256 share = h == last
                ? rest
                : uint256(keccak256(abi.encode("share", c.salt, c.owner, j, h))) % P;
            rest = addmod(rest, P - share, P);
            uint256 t = tag(j, h, k, c.owner < c.ring[h]);
            entries[entry(j, h, k)] =
                addmod(share, pad(c.owner, c.ring[h], c.domain, c.round, c.chunk, t), P);
        }
    }
}
