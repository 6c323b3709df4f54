// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator} from "./interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "./interfaces/IKeyRegistry.sol";
import {IModelGovernance} from "./interfaces/IModelGovernance.sol";
import {BabyJubJub} from "./libraries/BabyJubJub.sol";
import {Groth16Call} from "./libraries/Groth16Call.sol";

/// @title KeyRegistry
/// @notice One-time masking keys: each owned by one member and registered with a
///         `KeyPossession` proof bound to the chain, the deployment and the registrant; each
///         SecAgg task takes the next unused key of every member (circuits/README.md, "Keys").
contract KeyRegistry is IKeyRegistry {
    /// @dev BN254 scalar field, where the binding must lie to be a public input.
    uint256 private constant _P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    bytes32 private constant _BINDING_TAG = keccak256("zkfed.key-binding");

    /// @dev `KeyPossession` has 3 public signals: pk[2], binding.
    bytes4 private constant _KEY_POSSESSION_SELECTOR =
        bytes4(keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[3])"));
    uint256 private constant _KEY_POSSESSION_SIGNALS = 3;

    struct Key {
        uint256 x;
        uint256 y;
    }

    /// @inheritdoc IKeyRegistry
    address public immutable aggregator;

    /// @inheritdoc IKeyRegistry
    address public immutable governance;

    /// @inheritdoc IKeyRegistry
    address public immutable keyVerifier;

    /// @dev Every key a member registered, in order; tasks take them first to last.
    mapping(address member => Key[]) private _registered;
    /// @dev How many of a member's keys tasks took.
    mapping(address member => uint256) private _taken;
    /// @dev The index + 1 in `_registered[member]` of the key a task assigned to the member.
    mapping(uint256 taskId => mapping(address member => uint256)) private _assigned;
    mapping(bytes32 keyHash => address member) private _keyOwners;
    /// @dev Per SecAgg task: its member count and the block whose hash seeds its draw (the
    ///      creation block, or a later one after `GraphAnchored`), set by `assignKeys`.
    mapping(uint256 taskId => Draw) private _draws;
    /// @dev A SecAgg task's ring once drawn: 2n bytes, byte p < n the member index at ring
    ///      position p, byte n + i the ring position of member i.
    mapping(uint256 taskId => bytes) private _graphs;

    struct Draw {
        uint64 anchor;
        uint32 members;
    }

    /// @param governance_ The governance whose current members may register.
    /// @param keyVerifier_ The `KeyPossession` verifier of the deployment's verifier registry.
    /// @dev Deployed only by the aggregator's constructor, which checked the governance's binding
    ///      and that the verifier has code.
    // slither-disable-next-line missing-zero-check
    constructor(address governance_, address keyVerifier_) {
        aggregator = msg.sender;
        governance = governance_;
        keyVerifier = keyVerifier_;
    }

    /// @inheritdoc IKeyRegistry
    function registerKey(uint256 x, uint256 y, IFederatedAggregator.Proof calldata proof) external {
        if (!IModelGovernance(governance).isMember(msg.sender)) revert NotMember(msg.sender);
        if (!BabyJubJub.isValidPublicKey(x, y)) revert InvalidPublicKey(x, y);
        bytes32 keyHash = keccak256(abi.encode(x, y));
        address owner = _keyOwners[keyHash];
        if (owner != address(0)) revert KeyInUse(x, y, owner);

        bytes memory input =
            Groth16Call.encode(_KEY_POSSESSION_SELECTOR, proof, _KEY_POSSESSION_SIGNALS);
        Groth16Call.setInput(input, 0, x);
        Groth16Call.setInput(input, 1, y);
        Groth16Call.setInput(input, 2, _keyBinding(msg.sender));
        if (!Groth16Call.verify(keyVerifier, input, _KEY_POSSESSION_SIGNALS)) {
            revert InvalidKeyProof(msg.sender);
        }

        _registered[msg.sender].push(Key(x, y));
        _keyOwners[keyHash] = msg.sender;
        emit KeyRegistered(msg.sender, x, y);
    }

    /// @inheritdoc IKeyRegistry
    function assignKeys(uint256 taskId, address[] memory candidates)
        external
        returns (address[] memory members)
    {
        if (msg.sender != aggregator) revert NotAggregator(msg.sender);
        uint256 kept;
        for (uint256 i; i < candidates.length; ++i) {
            address member = candidates[i];
            uint256 taken = _taken[member];
            if (taken == _registered[member].length) continue;
            _taken[member] = taken + 1;
            _assigned[taskId][member] = taken + 1;
            candidates[kept++] = member;
        }
        // Shrink the array in place to the members that had an unused key (kept ≤ length).
        assembly ("memory-safe") {
            mstore(candidates, kept)
        }
        // casting is safe: block numbers fit 64 bits, and kept ≤ candidates ≤ MAX_MEMBERS.
        // forge-lint: disable-next-line(unsafe-typecast)
        _draws[taskId] = Draw(uint64(block.number), uint32(kept));
        emit KeysAssigned(taskId, kept);
        return candidates;
    }

    /// @inheritdoc IKeyRegistry
    function drawGraph(uint256 taskId) external {
        Draw storage draw = _draws[taskId];
        uint256 n = draw.members;
        if (n == 0) revert NoSuchTask(taskId);
        if (_graphs[taskId].length != 0) revert GraphAlreadyDrawn(taskId);
        uint256 anchor = draw.anchor;
        if (block.number <= anchor) revert GraphNotReady(taskId, anchor);
        bytes32 anchorHash = blockhash(anchor);
        if (anchorHash == bytes32(0)) {
            // Older than the 256 blocks `blockhash` remembers: the draw waits for this block.
            draw.anchor = uint64(block.number);
            emit GraphAnchored(taskId, block.number);
            return;
        }
        // The aggregator is the contract that deployed this one; its domain is a pure view.
        bytes32 seed =
            keccak256(abi.encode(anchorHash, IFederatedAggregator(aggregator).taskDomain(taskId)));
        bytes memory ring = new bytes(2 * n);
        for (uint256 i; i < n; ++i) {
            _setByte(ring, i, i);
        }
        // Fisher–Yates over the ring positions (i > 0, so i − 1 never underflows).
        for (uint256 i = n - 1; i > 0; --i) {
            // The seed comes from a block hash the creating transaction could not read (see
            // `drawGraph` in the interface); the modulo bias over 2^256 is negligible.
            // slither-disable-next-line weak-prng
            uint256 j = uint256(keccak256(abi.encode(seed, i))) % (i + 1);
            uint256 swapped = _byteAt(ring, i);
            _setByte(ring, i, _byteAt(ring, j));
            _setByte(ring, j, swapped);
        }
        for (uint256 p; p < n; ++p) {
            _setByte(ring, n + _byteAt(ring, p), p);
        }
        _graphs[taskId] = ring;
        emit GraphDrawn(taskId, seed);
    }

    /// @inheritdoc IKeyRegistry
    function graph(uint256 taskId) external view returns (bytes memory) {
        return _graphs[taskId];
    }

    /// @inheritdoc IKeyRegistry
    function ringOrder(uint256 taskId) external view returns (uint256[] memory order) {
        bytes memory ring = _graphs[taskId];
        order = new uint256[](ring.length / 2);
        for (uint256 p; p < order.length; ++p) {
            order[p] = _byteAt(ring, p);
        }
    }

    /// @inheritdoc IKeyRegistry
    function maskingKey(uint256 taskId, address member)
        external
        view
        returns (bool assigned, uint256 x, uint256 y)
    {
        uint256 index = _assigned[taskId][member];
        if (index == 0) return (false, 0, 0);
        Key storage key = _registered[member][index - 1];
        return (true, key.x, key.y);
    }

    /// @inheritdoc IKeyRegistry
    function unusedKeys(address member) external view returns (uint256) {
        return _registered[member].length - _taken[member];
    }

    /// @inheritdoc IKeyRegistry
    function keyOwner(uint256 x, uint256 y) external view returns (address) {
        return _keyOwners[keccak256(abi.encode(x, y))];
    }

    /// @inheritdoc IKeyRegistry
    function keyBinding(address account) external view returns (uint256) {
        return _keyBinding(account);
    }

    function _keyBinding(address account) private view returns (uint256) {
        return uint256(keccak256(abi.encode(_BINDING_TAG, block.chainid, aggregator, account))) % _P;
    }

    /// @dev Byte i of `data`; callers keep i below its length (graph indices are < 2n).
    function _byteAt(bytes memory data, uint256 i) private pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := byte(0, mload(add(add(data, 32), i)))
        }
    }

    /// @dev Sets byte i of `data` (i below its length) to `value` (< 256: a member index).
    function _setByte(bytes memory data, uint256 i, uint256 value) private pure {
        assembly ("memory-safe") {
            mstore8(add(add(data, 32), i), value)
        }
    }
}
