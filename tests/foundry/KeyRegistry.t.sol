// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {FederatedAggregator} from "../../contracts/FederatedAggregator.sol";
import {IKeyRegistry} from "../../contracts/interfaces/IKeyRegistry.sol";
import {IVerifierRegistry} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {KeyRegistry} from "../../contracts/KeyRegistry.sol";
import {MockGroth16Verifier} from "../../contracts/test/MockGroth16Verifier.sol";
import {MockModelGovernance} from "../../contracts/test/MockModelGovernance.sol";
import {AggregatorFixture} from "./utils/AggregatorFixture.sol";
import {BabyJubJubReference as Ref} from "./utils/BabyJubJubReference.sol";

/// @notice The `KeyRegistry` each `FederatedAggregator` deploys: owned keys, registered by
///         current governance members with a `KeyPossession` proof bound to the chain, the
///         aggregator and the registrant.
/// @dev `newcomer` and `rival` are governance members without keys; members 0–5 have keys.
contract KeyRegistryTest is AggregatorFixture {
    address internal newcomer = makeAddr("newcomer");
    address internal rival = makeAddr("rival");
    IKeyRegistry internal keyRegistry;

    function setUp() public override {
        super.setUp();
        keyRegistry = _keyRegistry();
        members.push(newcomer);
        members.push(rival);
        gov.setMembers(members);
    }

    /// @dev The `KeyPossession` signals the registry must assemble for `account`: pk, binding.
    function _possession(uint256 x, uint256 y, address account)
        internal
        view
        returns (uint256[] memory inputs)
    {
        inputs = new uint256[](3);
        (inputs[0], inputs[1], inputs[2]) = (x, y, _binding(agg, account));
    }

    /// @dev Makes the key verifier accept only the statements registered with `allow`.
    function _strict() internal {
        keyVerifier.setMode(MockGroth16Verifier.Mode.Strict);
    }

    // --- constructor ----------------------------------------------------------------------

    /// @dev The aggregator's constructor deploys the registry: it names that aggregator, its
    ///      governance and the verifier registry's key verifier.
    function test_Constructor_DeployedByTheAggregator() public view {
        assertTrue(address(keyRegistry).code.length != 0);
        assertEq(keyRegistry.aggregator(), address(agg));
        assertEq(keyRegistry.governance(), address(gov));
        assertEq(keyRegistry.keyVerifier(), registry.keyVerifier());
        assertEq(keyRegistry.keyVerifier(), address(keyVerifier));
    }

    /// @dev The key verifier is read once, at the aggregator's construction: a registry that
    ///      later answered another address would not change it (a `VerifierRegistry` cannot;
    ///      any contract may pose as one).
    function test_Constructor_KeyVerifierFixedAtDeployment() public {
        vm.mockCall(
            address(registry),
            abi.encodeCall(IVerifierRegistry.keyVerifier, ()),
            abi.encode(address(verifier))
        );
        assertEq(keyRegistry.keyVerifier(), address(keyVerifier));
    }

    /// @dev Each aggregator has its own registry: a key registered with one is unknown to the
    ///      other, whose tasks' snapshots leave its owner out.
    function test_Constructor_OneRegistryPerAggregator() public {
        (MockModelGovernance otherGov, FederatedAggregator other) = _deploy();
        otherGov.setMembers(members);
        IKeyRegistry otherKeys = IKeyRegistry(other.keys());
        assertTrue(address(otherKeys) != address(keyRegistry));
        assertEq(otherKeys.aggregator(), address(other));
        (bool registered,,) = otherKeys.publicKey(members[0]);
        assertFalse(registered);
        assertEq(otherKeys.keyOwner(keys[0][0], keys[0][1]), address(0));
    }

    /// @dev Deployed on its own, a registry binds proofs to its deployer as the aggregator.
    function test_Constructor_StandaloneNamesItsDeployer() public {
        KeyRegistry standalone = new KeyRegistry(address(gov), address(keyVerifier));
        assertEq(standalone.aggregator(), address(this));
        assertEq(
            standalone.keyBinding(newcomer), _binding(FederatedAggregator(address(this)), newcomer)
        );
    }

    // --- registerKey ----------------------------------------------------------------------

    function test_RegisterKey() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        assertEq(keyRegistry.keyOwner(x, y), address(0));
        vm.expectEmit(address(keyRegistry));
        emit IKeyRegistry.KeyRegistered(newcomer, x, y);
        _registerKey(newcomer, x, y);

        (bool registered, uint256 kx, uint256 ky) = keyRegistry.publicKey(newcomer);
        assertTrue(registered);
        assertEq(kx, x);
        assertEq(ky, y);
        assertEq(keyRegistry.keyOwner(x, y), newcomer);
    }

    function test_PublicKey_UnregisteredIsEmpty() public view {
        (bool registered, uint256 x, uint256 y) = keyRegistry.publicKey(newcomer);
        assertFalse(registered);
        assertEq(x, 0);
        assertEq(y, 0);
    }

    function test_KeyOwner_FixtureMembers() public view {
        for (uint256 i; i < N_MEMBERS; ++i) {
            assertEq(keyRegistry.keyOwner(keys[i][0], keys[i][1]), members[i]);
        }
        // (x, y) and (y, x) are different keys.
        assertEq(keyRegistry.keyOwner(keys[0][1], keys[0][0]), address(0));
    }

    /// forge-config: default.fuzz.runs = 24
    /// forge-config: ci.fuzz.runs = 512
    function testFuzz_RegisterKey_AnySubgroupKey(uint256 sk) public {
        sk = bound(sk, 1, Ref.ORDER - 1);
        (uint256 x, uint256 y) = Ref.publicKey(sk);
        vm.assume(keyRegistry.keyOwner(x, y) == address(0));
        _registerKey(newcomer, x, y);
        (bool registered,,) = keyRegistry.publicKey(newcomer);
        assertTrue(registered);
    }

    /// @dev The proof's public signals are (x, y, keyBinding(caller)), in that order.
    function test_RegisterKey_PossessionProofSignals() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        _strict();
        keyVerifier.allow(_possession(x, y, newcomer));
        _registerKey(newcomer, x, y);
        assertEq(keyRegistry.keyOwner(x, y), newcomer);
    }

    /// @dev A proof bound to another account (here: the member whose transaction is copied) is
    ///      refused, and nothing is recorded.
    function test_RevertWhen_RegisterKey_ProofBoundToAnotherAccount() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        _strict();
        keyVerifier.allow(_possession(x, y, newcomer));

        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidKeyProof.selector, rival));
        vm.prank(rival);
        keyRegistry.registerKey(x, y, _proof());
        assertEq(keyRegistry.keyOwner(x, y), address(0));
        (bool registered,,) = keyRegistry.publicKey(rival);
        assertFalse(registered);

        // The rightful owner's transaction still goes through afterwards.
        _registerKey(newcomer, x, y);
        assertEq(keyRegistry.keyOwner(x, y), newcomer);
    }

    /// @dev Front-running: a rival copies a pending registration and gets it mined first. The
    ///      copied proof names the victim, so the rival is refused and the victim keeps its key.
    function test_RegisterKey_FrontRunWithCopiedProofFails() public {
        (uint256 x, uint256 y) = Ref.publicKey(4242);
        _strict();
        keyVerifier.allow(_possession(x, y, newcomer));

        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidKeyProof.selector, rival));
        vm.prank(rival);
        keyRegistry.registerKey(x, y, _proof());

        _registerKey(newcomer, x, y);
        assertEq(keyRegistry.keyOwner(x, y), newcomer);
    }

    /// @dev Two members who both can prove the key (a shared secret): whoever is mined first
    ///      owns it, the other is refused with `KeyInUse` naming the owner, in either order.
    function testFuzz_RegisterKey_FirstRegistrationOwnsTheKey(bool rivalFirst) public {
        (uint256 x, uint256 y) = Ref.publicKey(4242);
        _strict();
        keyVerifier.allow(_possession(x, y, newcomer));
        keyVerifier.allow(_possession(x, y, rival));
        (address first, address second) = rivalFirst ? (rival, newcomer) : (newcomer, rival);

        _registerKey(first, x, y);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.KeyInUse.selector, x, y, first));
        vm.prank(second);
        keyRegistry.registerKey(x, y, _proof());

        assertEq(keyRegistry.keyOwner(x, y), first);
        (bool registered,,) = keyRegistry.publicKey(second);
        assertFalse(registered);
    }

    /// @dev Copying another member's registered key is refused before the proof is checked:
    ///      equal keys would make equal pair secrets whose masks cancel.
    function test_RevertWhen_RegisterKey_KeyInUse() public {
        keyVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(
            abi.encodeWithSelector(
                IKeyRegistry.KeyInUse.selector, keys[2][0], keys[2][1], members[2]
            )
        );
        vm.prank(newcomer);
        keyRegistry.registerKey(keys[2][0], keys[2][1], _proof());
    }

    function test_RevertWhen_RegisterKey_InvalidKeyProof() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        keyVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidKeyProof.selector, newcomer));
        vm.prank(newcomer);
        keyRegistry.registerKey(x, y, _proof());
    }

    function test_RevertWhen_RegisterKey_KeyVerifierReverts() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        keyVerifier.setMode(MockGroth16Verifier.Mode.Reverting);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidKeyProof.selector, newcomer));
        vm.prank(newcomer);
        keyRegistry.registerKey(x, y, _proof());
    }

    function test_RevertWhen_RegisterKey_KeyVerifierAnswersMalformed() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        keyVerifier.setMode(MockGroth16Verifier.Mode.Malformed);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidKeyProof.selector, newcomer));
        vm.prank(newcomer);
        keyRegistry.registerKey(x, y, _proof());
    }

    /// @dev A proof made for one aggregator does not register the key on another deployment
    ///      (same verifier, same account): the binding names the contract.
    function test_RevertWhen_RegisterKey_ProofForAnotherAggregator() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        _strict();
        keyVerifier.allow(_possession(x, y, newcomer));
        (MockModelGovernance otherGov, FederatedAggregator other) = _deploy();
        otherGov.setMembers(members);
        assertTrue(other.keys() != address(keyRegistry));

        IKeyRegistry otherKeys = IKeyRegistry(other.keys());
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidKeyProof.selector, newcomer));
        vm.prank(newcomer);
        otherKeys.registerKey(x, y, _proof());
        _registerKey(newcomer, x, y);
    }

    /// @dev ... nor on another chain: the binding names the chain id.
    function test_RevertWhen_RegisterKey_ProofForAnotherChain() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        _strict();
        keyVerifier.allow(_possession(x, y, newcomer));
        vm.chainId(block.chainid + 1);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidKeyProof.selector, newcomer));
        vm.prank(newcomer);
        keyRegistry.registerKey(x, y, _proof());
    }

    function test_RevertWhen_RegisterKey_NotMember() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.NotMember.selector, outsider));
        vm.prank(outsider);
        keyRegistry.registerKey(x, y, _proof());
    }

    /// @dev A governance member removed by vote before registering cannot register any more.
    function test_RevertWhen_RegisterKey_RemovedFromGovernance() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        _removeFromGovernance(newcomer);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.NotMember.selector, newcomer));
        vm.prank(newcomer);
        keyRegistry.registerKey(x, y, _proof());
        (bool registered,,) = keyRegistry.publicKey(newcomer);
        assertFalse(registered);
    }

    function test_RevertWhen_RegisterKey_AlreadyRegistered() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        vm.expectRevert(
            abi.encodeWithSelector(IKeyRegistry.KeyAlreadyRegistered.selector, members[0])
        );
        vm.prank(members[0]);
        keyRegistry.registerKey(x, y, _proof());
    }

    /// @dev Re-registering one's own key is `KeyAlreadyRegistered`, not `KeyInUse`.
    function test_RevertWhen_RegisterKey_OwnKeyAgain() public {
        vm.expectRevert(
            abi.encodeWithSelector(IKeyRegistry.KeyAlreadyRegistered.selector, members[0])
        );
        vm.prank(members[0]);
        keyRegistry.registerKey(keys[0][0], keys[0][1], _proof());
    }

    function test_RevertWhen_RegisterKey_OffCurve() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidPublicKey.selector, x, y + 1));
        vm.prank(newcomer);
        keyRegistry.registerKey(x, y + 1, _proof());
    }

    function test_RevertWhen_RegisterKey_OutsideSubgroup() public {
        vm.expectPartialRevert(IKeyRegistry.InvalidPublicKey.selector);
        vm.prank(newcomer);
        keyRegistry.registerKey(Ref.GEN_X, Ref.GEN_Y, _proof());
    }

    function test_RevertWhen_RegisterKey_SmallOrder() public {
        // (0, -1) has order 2: a key like it would leak a neighbour's secret bit by bit.
        vm.expectPartialRevert(IKeyRegistry.InvalidPublicKey.selector);
        vm.prank(newcomer);
        keyRegistry.registerKey(0, P - 1, _proof());
    }

    function test_RevertWhen_RegisterKey_Identity() public {
        vm.expectPartialRevert(IKeyRegistry.InvalidPublicKey.selector);
        vm.prank(newcomer);
        keyRegistry.registerKey(0, 1, _proof());
    }

    // --- keyBinding -----------------------------------------------------------------------

    /// @dev keccak256(abi.encode(keccak256("zkfed.key-binding"), chainid, aggregator, account))
    ///      mod p: below p, one per account, chain and deployment.
    function testFuzz_KeyBinding_Definition(address account, address other, uint64 chainId) public {
        vm.assume(account != other);
        uint256 binding = keyRegistry.keyBinding(account);
        assertEq(binding, _binding(agg, account));
        assertLt(binding, P);
        assertTrue(binding != keyRegistry.keyBinding(other));

        (, FederatedAggregator second) = _deploy();
        assertTrue(IKeyRegistry(second.keys()).keyBinding(account) != binding);
        // The binding names the aggregator, not the registry's own address.
        assertTrue(binding != _binding(FederatedAggregator(address(keyRegistry)), account));

        vm.assume(chainId != block.chainid);
        vm.chainId(chainId);
        assertEq(keyRegistry.keyBinding(account), _binding(agg, account));
        assertTrue(keyRegistry.keyBinding(account) != binding);
    }
}
