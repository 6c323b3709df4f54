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
import {RingReference} from "./utils/RingReference.sol";

/// @notice The `KeyRegistry` each `FederatedAggregator` deploys: one-time masking keys, owned,
///         registered (any number each) by current governance members with a `KeyPossession`
///         proof bound to the chain, the aggregator and the registrant, and handed out by
///         `assignKeys` one per SecAgg task and member, in registration order.
/// @dev `newcomer` and `rival` are governance members without keys; members 0–5 have one
///      unused key each (`keys[i]`), no task created yet.
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

    /// @dev `maskingKey(taskId, member)` is (false, 0, 0).
    function _assertNoKey(uint256 taskId, address member) internal view {
        (bool assigned, uint256 x, uint256 y) = keyRegistry.maskingKey(taskId, member);
        assertFalse(assigned, "assigned");
        assertEq(x, 0, "x of no key");
        assertEq(y, 0, "y of no key");
    }

    /// @dev `maskingKey(taskId, member)` is (true, x, y).
    function _assertKey(uint256 taskId, address member, uint256 x, uint256 y) internal view {
        (bool assigned, uint256 kx, uint256 ky) = keyRegistry.maskingKey(taskId, member);
        assertTrue(assigned, "not assigned");
        assertEq(kx, x, "x");
        assertEq(ky, y, "y");
    }

    /// @dev `assignKeys` as the aggregator calls it.
    function _assign(uint256 taskId, address[] memory candidates)
        internal
        returns (address[] memory kept)
    {
        vm.prank(address(agg));
        kept = keyRegistry.assignKeys(taskId, candidates);
    }

    function _one(address account) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = account;
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
        assertEq(otherKeys.unusedKeys(members[0]), 0);
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

        assertEq(keyRegistry.unusedKeys(newcomer), 1);
        assertEq(keyRegistry.keyOwner(x, y), newcomer);
        // Registered, not assigned: no task has it yet.
        _assertNoKey(1, newcomer);
    }

    function test_UnusedKeys_UnregisteredIsZero() public view {
        assertEq(keyRegistry.unusedKeys(newcomer), 0);
        assertEq(keyRegistry.unusedKeys(outsider), 0);
        for (uint256 i; i < N_MEMBERS; ++i) {
            assertEq(keyRegistry.unusedKeys(members[i]), 1);
        }
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
        assertEq(keyRegistry.unusedKeys(newcomer), 1);
        assertEq(keyRegistry.keyOwner(x, y), newcomer);
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
        assertEq(keyRegistry.unusedKeys(rival), 0);

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
        assertEq(keyRegistry.unusedKeys(first), 1);
        assertEq(keyRegistry.unusedKeys(second), 0);
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
        assertEq(keyRegistry.unusedKeys(newcomer), 0);
    }

    /// @dev A member that has a key registers another one: keys are one-time, so a member
    ///      keeps a pool of them.
    function test_RegisterKey_MemberWithAKeyAddsAnother() public {
        (uint256 x, uint256 y) = Ref.publicKey(777);
        vm.expectEmit(address(keyRegistry));
        emit IKeyRegistry.KeyRegistered(members[0], x, y);
        _registerKey(members[0], x, y);
        assertEq(keyRegistry.unusedKeys(members[0]), 2);
        assertEq(keyRegistry.keyOwner(x, y), members[0]);
        assertEq(keyRegistry.keyOwner(keys[0][0], keys[0][1]), members[0]);
    }

    /// @dev Re-registering one's own key is `KeyInUse` naming oneself, before the proof is
    ///      checked, and adds no key: two tasks must never share a masking key.
    function test_RevertWhen_RegisterKey_OwnKeyAgain() public {
        keyVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(
            abi.encodeWithSelector(
                IKeyRegistry.KeyInUse.selector, keys[0][0], keys[0][1], members[0]
            )
        );
        vm.prank(members[0]);
        keyRegistry.registerKey(keys[0][0], keys[0][1], _proof());
        assertEq(keyRegistry.unusedKeys(members[0]), 1);
    }

    /// @dev ... also once a task took the key: a used key stays owned for good.
    function test_RevertWhen_RegisterKey_OwnUsedKeyAgain() public {
        _newTask(_config());
        assertEq(keyRegistry.unusedKeys(members[0]), 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IKeyRegistry.KeyInUse.selector, keys[0][0], keys[0][1], members[0]
            )
        );
        vm.prank(members[0]);
        keyRegistry.registerKey(keys[0][0], keys[0][1], _proof());
        assertEq(keyRegistry.unusedKeys(members[0]), 0);
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

    // --- several keys, assignKeys, maskingKey -----------------------------------------------

    /// @dev A member registers several keys: each is owned by it and counted unused, none is
    ///      assigned to a task.
    function test_RegisterKey_SeveralKeys() public {
        for (uint256 n; n < 4; ++n) {
            (uint256 x, uint256 y) = Ref.publicKey(5000 + n);
            vm.expectEmit(address(keyRegistry));
            emit IKeyRegistry.KeyRegistered(newcomer, x, y);
            _registerKey(newcomer, x, y);
            assertEq(keyRegistry.unusedKeys(newcomer), n + 1);
            assertEq(keyRegistry.keyOwner(x, y), newcomer);
        }
        assertEq(keyRegistry.unusedKeys(rival), 0);
        _assertNoKey(0, newcomer);
        _assertNoKey(1, newcomer);
    }

    /// @dev Only the aggregator assigns keys; nothing is taken by a refused call.
    function testFuzz_RevertWhen_AssignKeys_NotAggregator(address caller) public {
        vm.assume(caller != address(agg));
        assumeNotForgeAddress(caller);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.NotAggregator.selector, caller));
        vm.prank(caller);
        keyRegistry.assignKeys(1, _one(members[0]));
        assertEq(keyRegistry.unusedKeys(members[0]), 1);
        _assertNoKey(1, members[0]);
    }

    /// @dev ... not the governance, nor a member with a key for itself.
    function test_RevertWhen_AssignKeys_GovernanceOrMember() public {
        address[2] memory callers = [address(gov), members[0]];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.NotAggregator.selector, callers[i]));
            vm.prank(callers[i]);
            keyRegistry.assignKeys(1, _one(members[0]));
        }
        assertEq(keyRegistry.unusedKeys(members[0]), 1);
    }

    /// @dev The candidates with an unused key are kept, in the candidates' order, each taking
    ///      its next key; the others (no key, never a member) are dropped; the event counts the
    ///      kept ones.
    function test_AssignKeys_KeepsCandidatesWithAnUnusedKey() public {
        address[] memory candidates = new address[](5);
        (candidates[0], candidates[1], candidates[2]) = (newcomer, members[3], outsider);
        (candidates[3], candidates[4]) = (members[1], rival);
        vm.expectEmit(address(keyRegistry));
        emit IKeyRegistry.KeysAssigned(7, 2);
        address[] memory kept = _assign(7, candidates);

        assertEq(kept.length, 2);
        assertEq(kept[0], members[3]);
        assertEq(kept[1], members[1]);
        _assertKey(7, members[3], keys[3][0], keys[3][1]);
        _assertKey(7, members[1], keys[1][0], keys[1][1]);
        _assertNoKey(7, newcomer);
        _assertNoKey(7, outsider);
        _assertNoKey(7, rival);
        _assertNoKey(7, members[0]); // not a candidate: keeps its key
        assertEq(keyRegistry.unusedKeys(members[3]), 0);
        assertEq(keyRegistry.unusedKeys(members[1]), 0);
        assertEq(keyRegistry.unusedKeys(members[0]), 1);
    }

    /// @dev No candidate has an unused key: nobody is kept.
    function test_AssignKeys_NoCandidateWithAKey() public {
        address[] memory candidates = new address[](2);
        (candidates[0], candidates[1]) = (newcomer, rival);
        vm.expectEmit(address(keyRegistry));
        emit IKeyRegistry.KeysAssigned(1, 0);
        assertEq(_assign(1, candidates).length, 0);
        assertEq(_assign(2, new address[](0)).length, 0);
    }

    /// @dev `assignKeys` records the task's draw: its anchor (this block) and its kept member
    ///      count. A task created through the aggregator among eight governance members of
    ///      whom six have a key draws, from the next block, a ring of those six; the creation
    ///      block itself is refused, naming the anchor.
    function test_AssignKeys_RecordsTheDraw() public {
        uint256 anchor = block.number;
        uint256 taskId = gov.createTask(_config());
        assertEq(agg.taskMembers(taskId).length, N_MEMBERS);
        assertEq(keyRegistry.graph(taskId).length, 0);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.GraphNotReady.selector, taskId, anchor));
        keyRegistry.drawGraph(taskId);

        vm.roll(anchor + 1);
        bytes32 anchorHash = keccak256("registry anchor");
        vm.setBlockhash(anchor, anchorHash);
        bytes32 seed = _seed(agg, taskId, anchorHash);
        vm.expectEmit(address(keyRegistry));
        emit IKeyRegistry.GraphDrawn(taskId, seed);
        keyRegistry.drawGraph(taskId);
        assertEq(keyRegistry.ringOrder(taskId), RingReference.shuffle(seed, N_MEMBERS));
        assertEq(keyRegistry.graph(taskId).length, 2 * N_MEMBERS);
    }

    /// @dev A task id no `assignKeys` kept anyone for has no draw: `NoSuchTask`, whether no
    ///      candidate had a key, nothing was ever assigned under the id, or it is a CKKS task
    ///      (which takes no keys).
    function test_RevertWhen_DrawGraph_NoSuchTask() public {
        address[] memory candidates = new address[](2);
        (candidates[0], candidates[1]) = (newcomer, rival);
        assertEq(_assign(7, candidates).length, 0);
        uint256 ckksTask = gov.createTask(_ckksConfig());
        vm.roll(block.number + 1);
        vm.setBlockhash(block.number - 1, keccak256("any hash"));
        uint256[3] memory ids = [uint256(7), 8, ckksTask];
        for (uint256 k; k < ids.length; ++k) {
            vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.NoSuchTask.selector, ids[k]));
            keyRegistry.drawGraph(ids[k]);
            assertEq(keyRegistry.ringOrder(ids[k]).length, 0);
            assertEq(keyRegistry.graph(ids[k]).length, 0);
        }
    }

    /// @dev Tasks take a member's keys first registered first, one each, `unusedKeys` counting
    ///      down; once all are taken the member is left out, and earlier tasks keep their keys.
    function test_AssignKeys_TakesKeysInRegistrationOrder() public {
        uint256[2][] memory pool = new uint256[2][](3);
        pool[0] = keys[0];
        for (uint256 n = 1; n < 3; ++n) {
            (pool[n][0], pool[n][1]) = Ref.publicKey(5000 + n);
            _registerKey(members[0], pool[n][0], pool[n][1]);
        }
        assertEq(keyRegistry.unusedKeys(members[0]), 3);

        for (uint256 t; t < 3; ++t) {
            address[] memory kept = _assign(100 + t, _one(members[0]));
            assertEq(kept.length, 1);
            assertEq(kept[0], members[0]);
            _assertKey(100 + t, members[0], pool[t][0], pool[t][1]);
            assertEq(keyRegistry.unusedKeys(members[0]), 2 - t);
        }
        assertEq(_assign(103, _one(members[0])).length, 0);
        _assertNoKey(103, members[0]);
        for (uint256 t; t < 3; ++t) {
            _assertKey(100 + t, members[0], pool[t][0], pool[t][1]);
        }
    }

    /// @dev A key registered after a member ran out serves its next task.
    function test_AssignKeys_KeyRegisteredLaterServesTheNextTask() public {
        assertEq(_assign(1, _one(members[2])).length, 1);
        assertEq(_assign(2, _one(members[2])).length, 0);
        (uint256 x, uint256 y) = Ref.publicKey(5555);
        _registerKey(members[2], x, y);
        assertEq(keyRegistry.unusedKeys(members[2]), 1);
        assertEq(_assign(3, _one(members[2])).length, 1);
        _assertKey(1, members[2], keys[2][0], keys[2][1]);
        _assertNoKey(2, members[2]);
        _assertKey(3, members[2], x, y);
        assertEq(keyRegistry.unusedKeys(members[2]), 0);
    }

    /// @dev `maskingKey` is (false, 0, 0) for a task that does not exist (yet), for a task's
    ///      non-member (an outsider, a governance member without a key) and task 0; a created
    ///      task's members have the key it took.
    function test_MaskingKey_OnlyAssignedKeys() public {
        _assertNoKey(0, members[0]);
        _assertNoKey(1, members[0]);
        uint256 taskId = _newTask(_config());
        assertEq(taskId, 1);
        for (uint256 i; i < N_MEMBERS; ++i) {
            _assertKey(taskId, members[i], keys[i][0], keys[i][1]);
        }
        _assertNoKey(taskId, outsider);
        _assertNoKey(taskId, newcomer);
        _assertNoKey(taskId, address(0));
        _assertNoKey(0, members[0]);
        _assertNoKey(2, members[0]);
        _assertNoKey(type(uint256).max, members[0]);
    }

    /// @dev Ghost state of `testFuzz_AssignKeys_DistinctAndInOrder`: account a's n-th key at
    ///      a * 32 + n of the pools, and every assignment made (task, account, key).
    struct Ghost {
        address[5] accounts;
        uint256[] poolX;
        uint256[] poolY;
        uint256[5] registered;
        uint256[5] taken;
        uint256[] recTask;
        uint256[] recAccount;
        uint256[] recX;
        uint256[] recY;
        uint256 records;
    }

    /// @dev Over any sequence of registrations (by `members[0]` and `members[1]`, one key each
    ///      already, and `newcomer`, `rival`) and assignments (each to a new task, of any subset
    ///      of them and the keyless `outsider`, in a rotated order): every assignment keeps
    ///      exactly the candidates with an unused key, in order, and gives each its oldest unused
    ///      key; `unusedKeys` is always registered − taken; at the end every assignment is
    ///      unchanged and no two of them share a key.
    /// forge-config: default.fuzz.runs = 64
    /// forge-config: ci.fuzz.runs = 1024
    function testFuzz_AssignKeys_DistinctAndInOrder(uint256 seed, uint256 steps) public {
        steps = bound(steps, 1, 24);
        Ghost memory g;
        g.accounts = [members[0], newcomer, rival, outsider, members[1]];
        g.poolX = new uint256[](5 * 32);
        g.poolY = new uint256[](5 * 32);
        (g.poolX[0], g.poolY[0], g.registered[0]) = (keys[0][0], keys[0][1], 1);
        (g.poolX[4 * 32], g.poolY[4 * 32], g.registered[4]) = (keys[1][0], keys[1][1], 1);
        g.recTask = new uint256[](5 * 24);
        g.recAccount = new uint256[](5 * 24);
        g.recX = new uint256[](5 * 24);
        g.recY = new uint256[](5 * 24);

        for (uint256 i; i < steps; ++i) {
            uint256 step = uint256(keccak256(abi.encode(seed, i)));
            if (step & 1 == 0) _ghostRegister(g, [uint256(0), 1, 2, 4][(step >> 1) % 4], i);
            else _ghostAssign(g, 1 + i, (step >> 1) & 31, (step >> 6) % 5);
            for (uint256 a; a < 5; ++a) {
                assertEq(
                    keyRegistry.unusedKeys(g.accounts[a]), g.registered[a] - g.taken[a], "unused"
                );
            }
        }

        for (uint256 r; r < g.records; ++r) {
            _assertKey(g.recTask[r], g.accounts[g.recAccount[r]], g.recX[r], g.recY[r]);
            for (uint256 q; q < r; ++q) {
                assertTrue(g.recX[q] != g.recX[r] || g.recY[q] != g.recY[r], "a key assigned twice");
            }
        }
    }

    /// @dev Account a registers a fresh key (secret 7,000,000 + i).
    function _ghostRegister(Ghost memory g, uint256 a, uint256 i) internal {
        (uint256 x, uint256 y) = Ref.publicKey(7_000_000 + i);
        _registerKey(g.accounts[a], x, y);
        (g.poolX[a * 32 + g.registered[a]], g.poolY[a * 32 + g.registered[a]]) = (x, y);
        ++g.registered[a];
    }

    /// @dev Task `taskId` is assigned keys of the accounts in `subset` (bit a: account a), in
    ///      account order rotated by `rotation`.
    function _ghostAssign(Ghost memory g, uint256 taskId, uint256 subset, uint256 rotation)
        internal
    {
        uint256[] memory order = new uint256[](5);
        uint256 count;
        for (uint256 r; r < 5; ++r) {
            uint256 a = (r + rotation) % 5;
            if ((subset >> a) & 1 == 1) order[count++] = a;
        }
        address[] memory candidates = new address[](count);
        uint256 expected;
        for (uint256 c; c < count; ++c) {
            candidates[c] = g.accounts[order[c]];
            if (g.taken[order[c]] < g.registered[order[c]]) ++expected;
        }
        address[] memory kept = _assign(taskId, candidates);
        assertEq(kept.length, expected, "kept count");
        uint256 k;
        for (uint256 c; c < count; ++c) {
            uint256 a = order[c];
            if (g.taken[a] == g.registered[a]) {
                _assertNoKey(taskId, g.accounts[a]);
                continue;
            }
            assertEq(kept[k++], g.accounts[a], "kept in order");
            _ghostTake(g, taskId, a);
        }
        for (uint256 a; a < 5; ++a) {
            if ((subset >> a) & 1 == 0) _assertNoKey(taskId, g.accounts[a]);
        }
    }

    /// @dev Account a, kept for task `taskId`, got its oldest unused key: record it.
    function _ghostTake(Ghost memory g, uint256 taskId, uint256 a) internal view {
        uint256 x = g.poolX[a * 32 + g.taken[a]];
        uint256 y = g.poolY[a * 32 + g.taken[a]];
        _assertKey(taskId, g.accounts[a], x, y);
        (g.recTask[g.records], g.recAccount[g.records]) = (taskId, a);
        (g.recX[g.records], g.recY[g.records]) = (x, y);
        ++g.records;
        ++g.taken[a];
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
