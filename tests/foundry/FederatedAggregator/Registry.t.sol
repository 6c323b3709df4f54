// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {FederatedAggregator} from "../../../contracts/FederatedAggregator.sol";
import {IFederatedAggregator} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IModelGovernance} from "../../../contracts/interfaces/IModelGovernance.sol";
import {IVerifierRegistry} from "../../../contracts/interfaces/IVerifierRegistry.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {MockModelGovernance} from "../../../contracts/test/MockModelGovernance.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";
import {BabyJubJubReference as Ref} from "../utils/BabyJubJubReference.sol";

/// @dev `newcomer` and `rival` are governance members without keys; members 0–5 have keys.
contract RegistryTest is AggregatorFixture {
    address internal newcomer = makeAddr("newcomer");
    address internal rival = makeAddr("rival");

    function setUp() public override {
        super.setUp();
        members.push(newcomer);
        members.push(rival);
        gov.setMembers(members);
    }

    /// @dev The `KeyPossession` signals the aggregator must assemble for `account`: pk, binding.
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

    function test_Constructor_BindsGovernanceRegistryAndKeyVerifier() public view {
        assertEq(agg.governance(), address(gov));
        assertEq(agg.registry(), address(registry));
        assertEq(agg.keyVerifier(), registry.keyVerifier());
        assertEq(agg.keyVerifier(), address(keyVerifier));
    }

    /// @dev The key verifier is read once, at construction: a registry that later answered
    ///      another address would not change it (a `VerifierRegistry` cannot; any contract may
    ///      pose as one).
    function test_Constructor_KeyVerifierFixedAtDeployment() public {
        vm.mockCall(
            address(registry),
            abi.encodeCall(IVerifierRegistry.keyVerifier, ()),
            abi.encode(address(verifier))
        );
        assertEq(agg.keyVerifier(), address(keyVerifier));
    }

    function test_RevertWhen_GovernanceBoundElsewhere() public {
        MockModelGovernance other = new MockModelGovernance(address(0xBEEF));
        vm.expectRevert(
            abi.encodeWithSelector(
                IFederatedAggregator.GovernanceMismatch.selector, address(other), address(0xBEEF)
            )
        );
        new FederatedAggregator(IModelGovernance(address(other)), registry);
    }

    /// @dev A `VerifierRegistry` refuses such a key verifier itself; the aggregator checks
    ///      again, since any contract answering `keyVerifier()` can be passed as the registry.
    function test_RevertWhen_RegistryKeyVerifierWithoutCode() public {
        vm.mockCall(
            address(registry),
            abi.encodeCall(IVerifierRegistry.keyVerifier, ()),
            abi.encode(address(0xC0DE))
        );
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        MockModelGovernance g = new MockModelGovernance(predicted);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFederatedAggregator.MissingKeyVerifier.selector, address(registry)
            )
        );
        new FederatedAggregator(IModelGovernance(address(g)), registry);
    }

    function test_RevertWhen_RegistryWithoutCode() public {
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        MockModelGovernance g = new MockModelGovernance(predicted);
        vm.expectRevert();
        new FederatedAggregator(IModelGovernance(address(g)), IVerifierRegistry(address(0xC0DE)));
    }

    // --- registerKey ----------------------------------------------------------------------

    function test_RegisterKey() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        assertEq(agg.keyOwner(x, y), address(0));
        vm.expectEmit(address(agg));
        emit IFederatedAggregator.KeyRegistered(newcomer, x, y);
        _registerKey(newcomer, x, y);

        (bool registered, uint256 kx, uint256 ky) = agg.publicKey(newcomer);
        assertTrue(registered);
        assertEq(kx, x);
        assertEq(ky, y);
        assertEq(agg.keyOwner(x, y), newcomer);
    }

    function test_PublicKey_UnregisteredIsEmpty() public view {
        (bool registered, uint256 x, uint256 y) = agg.publicKey(newcomer);
        assertFalse(registered);
        assertEq(x, 0);
        assertEq(y, 0);
    }

    function test_KeyOwner_FixtureMembers() public view {
        for (uint256 i; i < N_MEMBERS; ++i) {
            assertEq(agg.keyOwner(keys[i][0], keys[i][1]), members[i]);
        }
        // (x, y) and (y, x) are different keys.
        assertEq(agg.keyOwner(keys[0][1], keys[0][0]), address(0));
    }

    /// forge-config: default.fuzz.runs = 24
    /// forge-config: ci.fuzz.runs = 512
    function testFuzz_RegisterKey_AnySubgroupKey(uint256 sk) public {
        sk = bound(sk, 1, Ref.ORDER - 1);
        (uint256 x, uint256 y) = Ref.publicKey(sk);
        vm.assume(agg.keyOwner(x, y) == address(0));
        _registerKey(newcomer, x, y);
        (bool registered,,) = agg.publicKey(newcomer);
        assertTrue(registered);
    }

    /// @dev The proof's public signals are (x, y, keyBinding(caller)), in that order.
    function test_RegisterKey_PossessionProofSignals() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        _strict();
        keyVerifier.allow(_possession(x, y, newcomer));
        _registerKey(newcomer, x, y);
        assertEq(agg.keyOwner(x, y), newcomer);
    }

    /// @dev A proof bound to another account (here: the member whose transaction is copied) is
    ///      refused, and nothing is recorded.
    function test_RevertWhen_RegisterKey_ProofBoundToAnotherAccount() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        _strict();
        keyVerifier.allow(_possession(x, y, newcomer));

        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.InvalidKeyProof.selector, rival)
        );
        vm.prank(rival);
        agg.registerKey(x, y, _proof());
        assertEq(agg.keyOwner(x, y), address(0));
        (bool registered,,) = agg.publicKey(rival);
        assertFalse(registered);

        // The rightful owner's transaction still goes through afterwards.
        _registerKey(newcomer, x, y);
        assertEq(agg.keyOwner(x, y), newcomer);
    }

    /// @dev Front-running: a rival copies a pending registration and gets it mined first. The
    ///      copied proof names the victim, so the rival is refused and the victim keeps its key.
    function test_RegisterKey_FrontRunWithCopiedProofFails() public {
        (uint256 x, uint256 y) = Ref.publicKey(4242);
        _strict();
        keyVerifier.allow(_possession(x, y, newcomer));

        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.InvalidKeyProof.selector, rival)
        );
        vm.prank(rival);
        agg.registerKey(x, y, _proof());

        _registerKey(newcomer, x, y);
        assertEq(agg.keyOwner(x, y), newcomer);
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
        vm.expectRevert(abi.encodeWithSelector(IFederatedAggregator.KeyInUse.selector, x, y, first));
        vm.prank(second);
        agg.registerKey(x, y, _proof());

        assertEq(agg.keyOwner(x, y), first);
        (bool registered,,) = agg.publicKey(second);
        assertFalse(registered);
    }

    /// @dev Copying another member's registered key is refused before the proof is checked:
    ///      equal keys would make equal pair secrets whose masks cancel.
    function test_RevertWhen_RegisterKey_KeyInUse() public {
        keyVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFederatedAggregator.KeyInUse.selector, keys[2][0], keys[2][1], members[2]
            )
        );
        vm.prank(newcomer);
        agg.registerKey(keys[2][0], keys[2][1], _proof());
    }

    function test_RevertWhen_RegisterKey_InvalidKeyProof() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        keyVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.InvalidKeyProof.selector, newcomer)
        );
        vm.prank(newcomer);
        agg.registerKey(x, y, _proof());
    }

    function test_RevertWhen_RegisterKey_KeyVerifierReverts() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        keyVerifier.setMode(MockGroth16Verifier.Mode.Reverting);
        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.InvalidKeyProof.selector, newcomer)
        );
        vm.prank(newcomer);
        agg.registerKey(x, y, _proof());
    }

    function test_RevertWhen_RegisterKey_KeyVerifierAnswersMalformed() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        keyVerifier.setMode(MockGroth16Verifier.Mode.Malformed);
        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.InvalidKeyProof.selector, newcomer)
        );
        vm.prank(newcomer);
        agg.registerKey(x, y, _proof());
    }

    /// @dev A proof made for one aggregator does not register the key on another deployment
    ///      (same verifier, same account): the binding names the contract.
    function test_RevertWhen_RegisterKey_ProofForAnotherAggregator() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        _strict();
        keyVerifier.allow(_possession(x, y, newcomer));
        (MockModelGovernance otherGov, FederatedAggregator other) = _deploy();
        otherGov.setMembers(members);

        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.InvalidKeyProof.selector, newcomer)
        );
        vm.prank(newcomer);
        other.registerKey(x, y, _proof());
        _registerKey(newcomer, x, y);
    }

    /// @dev ... nor on another chain: the binding names the chain id.
    function test_RevertWhen_RegisterKey_ProofForAnotherChain() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        _strict();
        keyVerifier.allow(_possession(x, y, newcomer));
        vm.chainId(block.chainid + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.InvalidKeyProof.selector, newcomer)
        );
        vm.prank(newcomer);
        agg.registerKey(x, y, _proof());
    }

    function test_RevertWhen_RegisterKey_NotMember() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        vm.expectRevert(abi.encodeWithSelector(IFederatedAggregator.NotMember.selector, outsider));
        vm.prank(outsider);
        agg.registerKey(x, y, _proof());
    }

    /// @dev A governance member removed by vote before registering cannot register any more.
    function test_RevertWhen_RegisterKey_RemovedFromGovernance() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        _removeFromGovernance(newcomer);
        vm.expectRevert(abi.encodeWithSelector(IFederatedAggregator.NotMember.selector, newcomer));
        vm.prank(newcomer);
        agg.registerKey(x, y, _proof());
        (bool registered,,) = agg.publicKey(newcomer);
        assertFalse(registered);
    }

    function test_RevertWhen_RegisterKey_AlreadyRegistered() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.KeyAlreadyRegistered.selector, members[0])
        );
        vm.prank(members[0]);
        agg.registerKey(x, y, _proof());
    }

    /// @dev Re-registering one's own key is `KeyAlreadyRegistered`, not `KeyInUse`.
    function test_RevertWhen_RegisterKey_OwnKeyAgain() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.KeyAlreadyRegistered.selector, members[0])
        );
        vm.prank(members[0]);
        agg.registerKey(keys[0][0], keys[0][1], _proof());
    }

    function test_RevertWhen_RegisterKey_OffCurve() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        vm.expectRevert(
            abi.encodeWithSelector(IFederatedAggregator.InvalidPublicKey.selector, x, y + 1)
        );
        vm.prank(newcomer);
        agg.registerKey(x, y + 1, _proof());
    }

    function test_RevertWhen_RegisterKey_OutsideSubgroup() public {
        vm.expectPartialRevert(IFederatedAggregator.InvalidPublicKey.selector);
        vm.prank(newcomer);
        agg.registerKey(Ref.GEN_X, Ref.GEN_Y, _proof());
    }

    function test_RevertWhen_RegisterKey_SmallOrder() public {
        // (0, -1) has order 2: a key like it would leak a neighbour's secret bit by bit.
        vm.expectPartialRevert(IFederatedAggregator.InvalidPublicKey.selector);
        vm.prank(newcomer);
        agg.registerKey(0, P - 1, _proof());
    }

    function test_RevertWhen_RegisterKey_Identity() public {
        vm.expectPartialRevert(IFederatedAggregator.InvalidPublicKey.selector);
        vm.prank(newcomer);
        agg.registerKey(0, 1, _proof());
    }

    // --- keyBinding -----------------------------------------------------------------------

    /// @dev keccak256(abi.encode(keccak256("zkfed.key-binding"), chainid, aggregator, account))
    ///      mod p: below p, one per account, chain and deployment.
    function testFuzz_KeyBinding_Definition(address account, address other, uint64 chainId) public {
        vm.assume(account != other);
        uint256 binding = agg.keyBinding(account);
        assertEq(binding, _binding(agg, account));
        assertLt(binding, P);
        assertTrue(binding != agg.keyBinding(other));

        (, FederatedAggregator second) = _deploy();
        assertTrue(second.keyBinding(account) != binding);

        vm.assume(chainId != block.chainid);
        vm.chainId(chainId);
        assertEq(agg.keyBinding(account), _binding(agg, account));
        assertTrue(agg.keyBinding(account) != binding);
    }
}
