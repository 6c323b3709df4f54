// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {VerifierRegistry} from "../../contracts/VerifierRegistry.sol";
import {IFederatedAggregator as IFA} from "../../contracts/interfaces/IFederatedAggregator.sol";
import {IVerifierRegistry as IVR} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {MockGroth16Verifier} from "../../contracts/test/MockGroth16Verifier.sol";

/// @notice The registry's constructor checks (every refusal and its boundaries), its views,
///         `UnknownVariant`, and that nothing changes it after construction.
/// @dev `registry` holds three well-formed variants (ids 0–2) of mock verifiers; tests that
///      check the constructor deploy their own.
contract VerifierRegistryTest is Test {
    bytes32 internal constant KEY_HASH = keccak256("key_possession.vkey.json");
    uint256 internal constant COUNT = 3;

    MockGroth16Verifier internal keyVerifier;
    MockGroth16Verifier internal verifier;
    MockGroth16Verifier internal revealVerifier;
    MockGroth16Verifier internal pairVerifier;
    MockGroth16Verifier internal escrowVerifier;
    MockGroth16Verifier internal seedMaskVerifier;
    VerifierRegistry internal registry;

    function setUp() public {
        keyVerifier = new MockGroth16Verifier(3);
        verifier = new MockGroth16Verifier(5 + 4 + 4 + 12);
        revealVerifier = new MockGroth16Verifier(4 + 4);
        pairVerifier = new MockGroth16Verifier(6);
        escrowVerifier = new MockGroth16Verifier(6);
        seedMaskVerifier = new MockGroth16Verifier(1 + 4);
        registry = _deploy(_variants());
    }

    // ---------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------

    /// @dev A well-formed variant: W = 4, K = 4, L = 15, B = 16, R = 12.
    function _circuit() internal view returns (IFA.CircuitVariant memory) {
        return IFA.CircuitVariant({
            verifier: address(verifier),
            words: 4,
            neighbors: 4,
            lanes: 15,
            laneBits: 16,
            valueBits: 12,
            revealVerifier: address(revealVerifier),
            pairVerifier: address(pairVerifier),
            escrowVerifier: address(escrowVerifier),
            seedMaskVerifier: address(seedMaskVerifier)
        });
    }

    function _entry(string memory name, IFA.CircuitVariant memory circuit)
        internal
        pure
        returns (IVR.Variant memory)
    {
        return IVR.Variant({
            name: name,
            circuit: circuit,
            vkeyHash: keccak256(abi.encode(name, "MaskedUpdate")),
            revealVkeyHash: keccak256(abi.encode(name, "MaskReveal")),
            pairVkeyHash: keccak256("PairCommit"),
            escrowVkeyHash: keccak256("EscrowPad"),
            seedMaskVkeyHash: keccak256(abi.encode(name, "SeedMask"))
        });
    }

    /// @dev Three distinct, well-formed variants: the default one, the widest packing
    ///      (L·B = 252, as `masked_update_default`: L = 21, B = 12, R = 8) and the smallest
    ///      (W = 1, K = 2, L = 1, B = R + 1).
    function _variants() internal view returns (IVR.Variant[] memory v) {
        v = new IVR.Variant[](COUNT);
        v[0] = _entry("masked_update_test", _circuit());
        IFA.CircuitVariant memory wide = _circuit();
        (wide.words, wide.lanes, wide.laneBits, wide.valueBits) = (64, 21, 12, 8);
        v[1] = _entry("masked_update_default", wide);
        IFA.CircuitVariant memory tiny = _circuit();
        (tiny.words, tiny.neighbors, tiny.lanes, tiny.laneBits, tiny.valueBits) = (1, 2, 1, 2, 1);
        v[2] = _entry("masked_update_tiny", tiny);
    }

    function _deploy(IVR.Variant[] memory variants) internal returns (VerifierRegistry) {
        return new VerifierRegistry(address(keyVerifier), KEY_HASH, true, variants);
    }

    /// @dev One variant, `circuit`, named "bad"; the constructor must refuse it.
    function _expectInvalidVariant(IFA.CircuitVariant memory circuit) internal {
        IVR.Variant[] memory v = new IVR.Variant[](1);
        v[0] = _entry("bad", circuit);
        vm.expectRevert(abi.encodeWithSelector(IVR.InvalidVariant.selector, "bad"));
        _deploy(v);
    }

    /// @dev Everything the registry answers, in one blob.
    function _everything(VerifierRegistry r) internal view returns (bytes memory all) {
        all = abi.encode(r.keyVerifier(), r.keyVkeyHash(), r.development(), r.variantCount());
        for (uint256 id; id < r.variantCount(); ++id) {
            all = bytes.concat(all, abi.encode(r.variant(id), r.circuit(id)));
        }
    }

    /// @dev The selectors of `IVerifierRegistry`: all views.
    function _views() internal pure returns (bytes4[6] memory) {
        return [
            IVR.keyVerifier.selector,
            IVR.keyVkeyHash.selector,
            IVR.development.selector,
            IVR.variantCount.selector,
            IVR.variant.selector,
            IVR.circuit.selector
        ];
    }

    /// @dev The 4-byte selectors the runtime code dispatches on: each `PUSH4 s` directly
    ///      followed by `EQ` (solc's dispatcher), PUSH immediates and the CBOR metadata skipped.
    function _dispatchedSelectors(address target) internal view returns (bytes4[] memory found) {
        bytes memory code = target.code;
        uint256 end = code.length - 2
            - (uint256(uint8(code[code.length - 2])) << 8 | uint8(code[code.length - 1]));
        found = new bytes4[](end / 6);
        uint256 n;
        for (uint256 pc; pc < end; ++pc) {
            uint8 op = uint8(code[pc]);
            if (op == 0x63 && pc + 5 < end && uint8(code[pc + 5]) == 0x14) {
                found[n++] =
                    bytes4(bytes.concat(code[pc + 1], code[pc + 2], code[pc + 3], code[pc + 4]));
            }
            if (op >= 0x60 && op <= 0x7f) pc += op - 0x5f; // PUSH1..PUSH32 immediates
        }
        assembly ("memory-safe") {
            mstore(found, n)
        }
    }

    // ---------------------------------------------------------------------------------------
    // Constructor and views
    // ---------------------------------------------------------------------------------------

    function test_Constructor() public view {
        assertEq(registry.keyVerifier(), address(keyVerifier));
        assertEq(registry.keyVkeyHash(), KEY_HASH);
        assertTrue(registry.development());
        assertEq(registry.variantCount(), COUNT);
        IVR.Variant[] memory v = _variants();
        for (uint256 id; id < COUNT; ++id) {
            assertEq(abi.encode(registry.variant(id)), abi.encode(v[id]));
            assertEq(abi.encode(registry.circuit(id)), abi.encode(v[id].circuit));
        }
    }

    function testFuzz_Constructor_KeyHashAndDevelopment(bytes32 keyHash, bool development) public {
        VerifierRegistry r =
            new VerifierRegistry(address(keyVerifier), keyHash, development, _variants());
        assertEq(r.keyVkeyHash(), keyHash);
        assertEq(r.development(), development);
    }

    /// @dev Any W ≥ 1, any even K ≥ 2 and any packing with 0 < R < B and L·B ≤ 252 is taken
    ///      and read back as given (the aggregator, not the registry, bounds W and K).
    function testFuzz_Constructor_AcceptsWellFormedVariant(
        uint16 words,
        uint8 neighbors,
        uint8 laneBits,
        uint8 valueBits,
        uint8 lanes
    ) public {
        IFA.CircuitVariant memory c = _circuit();
        c.words = uint16(bound(words, 1, type(uint16).max));
        c.neighbors = uint8(2 * bound(neighbors, 1, type(uint8).max / 2));
        c.laneBits = uint8(bound(laneBits, 2, 252));
        c.valueBits = uint8(bound(valueBits, 1, c.laneBits - 1));
        c.lanes = uint8(bound(lanes, 1, 252 / c.laneBits));
        IVR.Variant[] memory v = new IVR.Variant[](1);
        v[0] = _entry("any", c);
        VerifierRegistry r = _deploy(v);
        assertEq(r.variantCount(), 1);
        assertEq(abi.encode(r.circuit(0)), abi.encode(c));
        assertEq(abi.encode(r.variant(0)), abi.encode(v[0]));
    }

    function test_RevertWhen_Constructor_NoVariants() public {
        vm.expectRevert(IVR.NoVariants.selector);
        _deploy(new IVR.Variant[](0));
    }

    function test_RevertWhen_Constructor_KeyVerifierWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(IVR.InvalidVerifier.selector, address(0xC0DE)));
        new VerifierRegistry(address(0xC0DE), KEY_HASH, true, _variants());
    }

    /// @dev Any of the five verifiers of any variant, not only the first variant's.
    function testFuzz_RevertWhen_Constructor_VerifierWithoutCode(
        uint8 which,
        uint8 role,
        address nobody
    ) public {
        vm.assume(nobody.code.length == 0);
        IVR.Variant[] memory v = _variants();
        IFA.CircuitVariant memory c = v[bound(which, 0, COUNT - 1)].circuit;
        role = uint8(bound(role, 0, 4));
        if (role == 0) c.verifier = nobody;
        else if (role == 1) c.revealVerifier = nobody;
        else if (role == 2) c.pairVerifier = nobody;
        else if (role == 3) c.escrowVerifier = nobody;
        else c.seedMaskVerifier = nobody;
        vm.expectRevert(abi.encodeWithSelector(IVR.InvalidVerifier.selector, nobody));
        _deploy(v);
    }

    function test_RevertWhen_Constructor_EmptyName() public {
        IVR.Variant[] memory v = _variants();
        v[1].name = "";
        vm.expectRevert(abi.encodeWithSelector(IVR.InvalidVariant.selector, ""));
        _deploy(v);
    }

    function test_RevertWhen_Constructor_ZeroWords() public {
        IFA.CircuitVariant memory c = _circuit();
        c.words = 0;
        _expectInvalidVariant(c);
    }

    function testFuzz_RevertWhen_Constructor_OddOrTinyNeighborCount(uint8 k) public {
        k = k < 2 ? k : k | 1;
        IFA.CircuitVariant memory c = _circuit();
        c.neighbors = k;
        _expectInvalidVariant(c);
    }

    function test_RevertWhen_Constructor_ZeroLanes() public {
        IFA.CircuitVariant memory c = _circuit();
        c.lanes = 0;
        _expectInvalidVariant(c);
    }

    function test_RevertWhen_Constructor_ZeroValueBits() public {
        IFA.CircuitVariant memory c = _circuit();
        c.valueBits = 0;
        _expectInvalidVariant(c);
    }

    /// @dev B ≤ R leaves a lane no headroom (B = R included).
    function testFuzz_RevertWhen_Constructor_LaneNotWiderThanValue(uint8 laneBits, uint8 valueBits)
        public
    {
        IFA.CircuitVariant memory c = _circuit();
        c.laneBits = uint8(bound(laneBits, 0, 16));
        c.valueBits = uint8(bound(valueBits, c.laneBits == 0 ? 1 : c.laneBits, type(uint8).max));
        _expectInvalidVariant(c);
    }

    /// @dev L·B > 252 would let a packed word reach the field's modulus.
    function testFuzz_RevertWhen_Constructor_WordOverflowsField(uint8 lanes, uint8 laneBits)
        public
    {
        IFA.CircuitVariant memory c = _circuit();
        c.laneBits = uint8(bound(laneBits, c.valueBits + 1, type(uint8).max));
        c.lanes = uint8(bound(lanes, 252 / c.laneBits + 1, type(uint8).max));
        _expectInvalidVariant(c);
    }

    /// @dev A variant id names one circuit: the same name twice is refused, wherever the
    ///      second occurrence is and however its circuit differs.
    function testFuzz_RevertWhen_Constructor_DuplicateName(uint8 first, uint8 second) public {
        IVR.Variant[] memory v = _variants();
        first = uint8(bound(first, 0, COUNT - 2));
        second = uint8(bound(second, first + 1, COUNT - 1));
        v[second].name = v[first].name;
        vm.expectRevert(abi.encodeWithSelector(IVR.DuplicateVariant.selector, v[first].name));
        _deploy(v);
    }

    /// @dev Names are compared whole: a prefix is another name.
    function test_Constructor_NamesDifferingInOneByte() public {
        IVR.Variant[] memory v = new IVR.Variant[](2);
        v[0] = _entry("masked_update_test", _circuit());
        v[1] = _entry("masked_update_test2", _circuit());
        assertEq(_deploy(v).variantCount(), 2);
    }

    // ---------------------------------------------------------------------------------------
    // UnknownVariant
    // ---------------------------------------------------------------------------------------

    function testFuzz_RevertWhen_UnknownVariant(uint256 id) public {
        id = bound(id, COUNT, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IVR.UnknownVariant.selector, id, COUNT));
        registry.variant(id);
        vm.expectRevert(abi.encodeWithSelector(IVR.UnknownVariant.selector, id, COUNT));
        registry.circuit(id);
    }

    // ---------------------------------------------------------------------------------------
    // Immutability
    // ---------------------------------------------------------------------------------------

    /// @dev The runtime code dispatches exactly the six views of `IVerifierRegistry`, each of
    ///      which runs under `staticcall` (which fails on any state change), and has neither
    ///      `receive` nor `fallback`: the constructor is the only code that writes.
    function test_OnlyViews() public {
        bytes4[6] memory views = _views();
        bytes4[] memory found = _dispatchedSelectors(address(registry));
        assertEq(found.length, views.length, "dispatched selectors");
        for (uint256 i; i < found.length; ++i) {
            bool known;
            for (uint256 j; j < views.length; ++j) {
                known = known || found[i] == views[j];
            }
            assertTrue(known, "a selector outside IVerifierRegistry");
        }
        for (uint256 j; j < views.length; ++j) {
            bool dispatched;
            for (uint256 i; i < found.length; ++i) {
                dispatched = dispatched || found[i] == views[j];
            }
            assertTrue(dispatched, "a view not found: the scan missed the dispatcher");
            (bool ok,) = address(registry).staticcall(abi.encodePacked(views[j], uint256(1)));
            assertTrue(ok, "a view that writes");
        }

        vm.deal(address(this), 1 ether);
        (bool paid,) = address(registry).call{value: 1 wei}("");
        assertFalse(paid, "receive");
        (bool fell,) = address(registry).call(hex"deadbeef");
        assertFalse(fell, "fallback");
    }

    /// @dev Whoever calls, with whatever data and value (a view's selector with any arguments,
    ///      or none), the call writes no storage slot and every answer of the registry stays
    ///      what the constructor set.
    function testFuzz_NoCallChangesTheRegistry(
        address caller,
        uint256 value,
        uint8 view_,
        bytes calldata arguments,
        bool raw
    ) public {
        bytes4[6] memory views = _views();
        bytes memory before = _everything(registry);
        bytes32 codehash = address(registry).codehash;
        bytes memory data = raw ? arguments : bytes.concat(views[bound(view_, 0, 5)], arguments);
        value = bound(value, 0, 1 ether);
        vm.deal(caller, value);

        vm.record();
        vm.prank(caller);
        (bool ok,) = address(registry).call{value: value}(data);
        (, bytes32[] memory writes) = vm.accesses(address(registry));
        assertEq(writes.length, 0, "storage written");
        if (value > 0) assertFalse(ok, "took ether");
        assertEq(address(registry).codehash, codehash);
        assertEq(_everything(registry), before);
    }
}
