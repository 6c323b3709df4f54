// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {ChunkRecovery} from "../../../contracts/ChunkRecovery.sol";
import {FederatedAggregator} from "../../../contracts/FederatedAggregator.sol";
import {IFederatedAggregator} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "../../../contracts/interfaces/IKeyRegistry.sol";
import {IModelGovernance} from "../../../contracts/interfaces/IModelGovernance.sol";
import {IVerifierRegistry} from "../../../contracts/interfaces/IVerifierRegistry.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {MockModelGovernance} from "../../../contracts/test/MockModelGovernance.sol";
import {VerifierRegistry} from "../../../contracts/VerifierRegistry.sol";
import {BabyJubJubReference} from "./BabyJubJubReference.sol";
import {RingReference} from "./RingReference.sol";

/// @notice An aggregator behind a mock governance, six members with one masking key each
///         registered on its `KeyRegistry` (enough for one SecAgg task; `_registerSpareKeys`
///         for more), and a `VerifierRegistry` of mock verifiers: `KeyPossession` and one
///         small variant, id `VARIANT` (W = 4, K = 4; packing L = 15, B = 16, R = 12).
/// @dev Suites that need more variants override `_variants()` (ids in its order), or move to
///      a fresh deployment with `_deployWithVariant`. `_newTask` creates a task and, for SecAgg,
///      draws its ring at once (the creation block's hash set to `_anchorHash(taskId)`, one
///      block later); `_createTask` returns such a task every member has joined, with the pair
///      commitments of `_commitment` (symmetric, as c_ij = c_ji for real ECDH secrets); reveals
///      carry the pair masks of `_masks` (symmetric too, as both members of a pair expand the
///      same seed). The ring is random: "the neighbour of member i" is `_neighbor(taskId, i, s)`
///      and "the member at ring position p" is `_at(taskId, p)`, never i ± 1.
abstract contract AggregatorFixture is Test {
    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    uint16 internal constant W = 4;
    uint8 internal constant K = 4;
    uint8 internal constant L = 15;
    uint8 internal constant B = 16;
    uint8 internal constant R = 12;
    uint8 internal constant SCALE_BITS = 8;
    /// @dev The registry id of `_variant()`.
    uint32 internal constant VARIANT = 0;
    string internal constant VARIANT_NAME = "masked_update_fixture";
    uint256 internal constant N_MEMBERS = 6;
    uint256 internal constant CHUNKS = 3;
    uint16 internal constant T_MIN = 3;
    uint64 internal constant SUBMISSION = 1 days;
    uint64 internal constant REVEAL = 12 hours;
    uint64 internal constant BOUND = 1_000_000;
    uint32 internal constant ROUNDS = 2;

    FederatedAggregator internal agg;
    MockModelGovernance internal gov;
    VerifierRegistry internal registry;
    MockGroth16Verifier internal verifier;
    MockGroth16Verifier internal revealVerifier;
    MockGroth16Verifier internal pairVerifier;
    MockGroth16Verifier internal keyVerifier;
    MockGroth16Verifier internal escrowVerifier;
    MockGroth16Verifier internal seedMaskVerifier;

    address[] internal members;
    /// @dev The first key of each of the first `keys.length` members, registered by `_enrol`.
    uint256[2][] internal keys;
    /// @dev Every key registered through `_registerKey`, per key registry and member, in
    ///      registration order (the order SecAgg tasks take them).
    mapping(address registry => mapping(address member => uint256[2][])) internal _registeredKeys;
    address internal outsider = makeAddr("outsider");
    /// @dev Seeds the creation-block hashes `_newTask` draws rings from; a test may fuzz it.
    bytes32 internal anchorSalt = keccak256("zkfed.test-anchor");
    /// @dev The crowd keys `_enrolCrowd` handed out so far, and the last one.
    uint256 private _crowdKeys;
    uint256[2] private _lastCrowdKey;

    function setUp() public virtual {
        verifier = new MockGroth16Verifier(5 + uint256(K) + W + uint256(K) * (K - 1));
        revealVerifier = new MockGroth16Verifier(4 + uint256(W));
        pairVerifier = new MockGroth16Verifier(6);
        keyVerifier = new MockGroth16Verifier(3);
        escrowVerifier = new MockGroth16Verifier(6);
        seedMaskVerifier = new MockGroth16Verifier(1 + uint256(W));
        registry = _newRegistry(_variants());
        (gov, agg) = _deploy();
        for (uint256 i; i < N_MEMBERS; ++i) {
            members.push(makeAddr(string.concat("member", vm.toString(i))));
            (uint256 x, uint256 y) = BabyJubJubReference.publicKey(1000 + i);
            keys.push([x, y]);
        }
        _enrol();
    }

    /// @dev The variants of the fixture's registry, id = index: `_variant()` alone. An override
    ///      appends to `super._variants()` (with `_append`), so `VARIANT` stays id 0.
    function _variants() internal view virtual returns (IVerifierRegistry.Variant[] memory v) {
        v = new IVerifierRegistry.Variant[](1);
        v[0] = _entry(VARIANT_NAME, _variant());
    }

    /// @dev A registry entry with stand-in key hashes derived from its name (the aggregator
    ///      never reads them; clients compare them with their key files). The entry holds
    ///      `circuit` itself, not a copy: build each entry from its own struct.
    function _entry(string memory name, IFederatedAggregator.CircuitVariant memory circuit)
        internal
        pure
        returns (IVerifierRegistry.Variant memory)
    {
        return IVerifierRegistry.Variant({
            name: name,
            circuit: circuit,
            vkeyHash: keccak256(abi.encode(name, "MaskedUpdate")),
            revealVkeyHash: keccak256(abi.encode(name, "MaskReveal")),
            pairVkeyHash: keccak256("PairCommit"),
            escrowVkeyHash: keccak256("EscrowPad"),
            seedMaskVkeyHash: keccak256(abi.encode(name, "SeedMask"))
        });
    }

    function _append(IVerifierRegistry.Variant[] memory v, IVerifierRegistry.Variant memory entry)
        internal
        pure
        returns (IVerifierRegistry.Variant[] memory longer)
    {
        longer = new IVerifierRegistry.Variant[](v.length + 1);
        for (uint256 i; i < v.length; ++i) {
            longer[i] = v[i];
        }
        longer[v.length] = entry;
    }

    /// @dev A development registry of the fixture's `KeyPossession` mock and `variants`.
    function _newRegistry(IVerifierRegistry.Variant[] memory variants)
        internal
        returns (VerifierRegistry)
    {
        return new VerifierRegistry(
            address(keyVerifier), keccak256("KeyPossession"), true, variants
        );
    }

    /// @dev Governance first, bound to the aggregator's future address, then the aggregator on
    ///      the fixture's registry.
    function _deploy() internal returns (MockModelGovernance g, FederatedAggregator a) {
        return _deploy(registry);
    }

    function _deploy(IVerifierRegistry r)
        internal
        returns (MockModelGovernance g, FederatedAggregator a)
    {
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        g = new MockModelGovernance(predicted);
        a = new FederatedAggregator(IModelGovernance(address(g)), r);
    }

    /// @dev Governance takes `members`; those with a key (the first `keys.length`) register it.
    function _enrol() internal {
        gov.setMembers(members);
        for (uint256 i; i < keys.length; ++i) {
            _registerKey(members[i], keys[i][0], keys[i][1]);
        }
    }

    /// @dev Governance drops `member`, as a passed removal proposal would; the fixture's
    ///      `members` and every task's snapshot keep it.
    function _removeFromGovernance(address member) internal {
        assertTrue(gov.isMember(member), "not a governance member");
        address[] memory current = gov.members();
        address[] memory kept = new address[](current.length - 1);
        uint256 n;
        for (uint256 i; i < current.length; ++i) {
            if (current[i] != member) kept[n++] = current[i];
        }
        gov.setMembers(kept);
        assertFalse(gov.isMember(member));
    }

    /// @dev Moves the fixture to a fresh registry of `_variants()` and `circuit`, with its own
    ///      governance and aggregator (members enrolled again): a registry never changes, so a
    ///      test that needs another variant needs another deployment.
    /// @return id The registry id of `circuit`.
    function _deployWithVariant(IFederatedAggregator.CircuitVariant memory circuit)
        internal
        returns (uint32 id)
    {
        IVerifierRegistry.Variant[] memory v = _variants();
        id = uint32(v.length);
        registry = _newRegistry(_append(v, _entry("masked_update_extra", circuit)));
        (gov, agg) = _deploy();
        _enrol();
    }

    /// @dev The `ChunkRecovery` the aggregator deployed.
    function _recovery() internal view returns (ChunkRecovery) {
        return ChunkRecovery(agg.recovery());
    }

    /// @dev The `KeyRegistry` the aggregator deployed.
    function _keyRegistry() internal view returns (IKeyRegistry) {
        return IKeyRegistry(agg.keys());
    }

    /// @dev Registers a key with a stand-in `KeyPossession` proof (the mock accepts it unless a
    ///      test made it strict), and records it in `_registeredKeys`.
    function _registerKey(address member, uint256 x, uint256 y) internal {
        IKeyRegistry keyRegistry = _keyRegistry();
        vm.prank(member);
        keyRegistry.registerKey(x, y, _proof());
        _registeredKeys[address(keyRegistry)][member].push([x, y]);
    }

    /// @dev Gives every fixture member with a key (the first `keys.length`) that is still a
    ///      governance member `count` more keys (`_spareKey`), so that `count` more SecAgg tasks
    ///      can take one each: a task takes one unused key per member, and a member without one
    ///      is left out of it.
    function _registerSpareKeys(uint256 count) internal {
        for (uint256 i; i < keys.length; ++i) {
            if (!gov.isMember(members[i])) continue;
            for (uint256 c; c < count; ++c) {
                uint256 n = _registeredKeys[address(_keyRegistry())][members[i]].length;
                (uint256 x, uint256 y) = _spareKey(i, n);
                _registerKey(members[i], x, y);
            }
        }
    }

    /// @dev Grows the fixture's members to `n` (`n` ≤ 256): members N_MEMBERS.. are new accounts
    ///      `member<i>` with a first key sk = 1000 + i, as the first six, taken into the
    ///      governance and registered. A task created afterwards has all `n`.
    function _enrolMembers(uint256 n) internal {
        require(n <= 256, "enrol: at most 256 members");
        uint256 first = members.length;
        for (uint256 i = first; i < n; ++i) {
            members.push(makeAddr(string.concat("member", vm.toString(i))));
            (uint256 x, uint256 y) = BabyJubJubReference.publicKey(1000 + i);
            keys.push([x, y]);
        }
        gov.setMembers(members);
        for (uint256 i = first; i < n; ++i) {
            _registerKey(members[i], keys[i][0], keys[i][1]);
        }
    }

    /// @dev The governance becomes a crowd of `n` fresh accounts (vm.addr(0x1000 + i)), each
    ///      registering one more key on the current key registry: a SecAgg task created next
    ///      takes all of them (call again for one more task of the same crowd). The keys are
    ///      consecutive multiples of Base8 from sk = 2^40 (one curve addition each, so that a
    ///      crowd of `MAX_MEMBERS` stays cheap), distinct from every other key of the suites.
    function _enrolCrowd(uint256 n) internal returns (address[] memory crowd) {
        crowd = new address[](n);
        for (uint256 i; i < n; ++i) {
            crowd[i] = vm.addr(0x1000 + i);
        }
        gov.setMembers(crowd);
        for (uint256 i; i < n; ++i) {
            (uint256 x, uint256 y) = _nextCrowdKey();
            _registerKey(crowd[i], x, y);
        }
    }

    function _nextCrowdKey() private returns (uint256 x, uint256 y) {
        if (_crowdKeys == 0) {
            (x, y) = BabyJubJubReference.publicKey(1 << 40);
        } else {
            (x, y) = BabyJubJubReference.add(
                _lastCrowdKey[0],
                _lastCrowdKey[1],
                BabyJubJubReference.BASE8_X,
                BabyJubJubReference.BASE8_Y
            );
        }
        ++_crowdKeys;
        _lastCrowdKey = [x, y];
    }

    /// @dev A further key of fixture member i, told apart by n: sk = 2^20 + 2^8·n + i (i < 256),
    ///      distinct from the fixture's first keys (sk = 1000 + i) and any other small secret
    ///      the tests use.
    function _spareKey(uint256 i, uint256 n) internal view returns (uint256 x, uint256 y) {
        require(i < 256, "spare key index");
        return BabyJubJubReference.publicKey((1 << 20) + (n << 8) + i);
    }

    /// @dev The n-th key `member` registered through the fixture on the current aggregator's key
    ///      registry (n = 0: the fixture's `keys` entry): the key the member's (n + 1)-th SecAgg
    ///      task there takes.
    function _nthKey(address member, uint256 n) internal view returns (uint256 x, uint256 y) {
        uint256[2] storage key = _registeredKeys[address(_keyRegistry())][member][n];
        return (key[0], key[1]);
    }

    /// @dev The domain D of a task on aggregator `a`, recomputed from its definition.
    function _domain(FederatedAggregator a, uint256 taskId) internal view returns (uint256) {
        return uint256(
            keccak256(abi.encode(keccak256("zkfed.task-domain"), block.chainid, address(a), taskId))
        ) % P;
    }

    function _domain(uint256 taskId) internal view returns (uint256) {
        return _domain(agg, taskId);
    }

    /// @dev The `KeyPossession` binding of `account` on aggregator `a`'s key registry, from its
    ///      definition (it names the aggregator, not the registry).
    function _binding(FederatedAggregator a, address account) internal view returns (uint256) {
        return uint256(
            keccak256(
            abi.encode(keccak256("zkfed.key-binding"), block.chainid, address(a), account)
        )
        ) % P;
    }

    /// @dev Whether the chunk enters the round's aggregate.
    function _isRecoverable(uint256 taskId, uint256 round, uint256 chunk)
        internal
        view
        returns (bool)
    {
        return agg.chunkStatus(taskId, round, chunk) == IFederatedAggregator.ChunkStatus.Recoverable;
    }

    function _variant() internal view returns (IFederatedAggregator.CircuitVariant memory) {
        return IFederatedAggregator.CircuitVariant({
            verifier: address(verifier),
            words: W,
            neighbors: K,
            lanes: L,
            laneBits: B,
            valueBits: R,
            revealVerifier: address(revealVerifier),
            pairVerifier: address(pairVerifier),
            escrowVerifier: address(escrowVerifier),
            seedMaskVerifier: address(seedMaskVerifier)
        });
    }

    function _config() internal view returns (IFederatedAggregator.TaskConfig memory c) {
        c.variant = VARIANT;
        c.scaleBits = SCALE_BITS;
        c.mode = IFederatedAggregator.Mode.SecAgg;
        // Two full chunks and a partial third.
        c.paramCount = uint64(2 * W * L + 1);
        c.bound = BOUND;
        c.minContributors = T_MIN;
        c.rounds = ROUNDS;
        c.submissionPeriod = SUBMISSION;
        c.revealPeriod = REVEAL;
        c.modelCid = "bafy-initial-model";
        c.modelHash = keccak256("initial model");
    }

    function _ckksConfig() internal view returns (IFederatedAggregator.TaskConfig memory c) {
        c = _config();
        delete c.variant;
        c.mode = IFederatedAggregator.Mode.Ckks;
        c.keyHolder = members[0];
        c.contextCid = "bafy-ckks-context";
    }

    /// @dev A task of `_config()` that every member has joined.
    function _createTask() internal returns (uint256 taskId) {
        taskId = _newTask(_config());
        _joinAll(taskId);
    }

    /// @dev Creates a task of `c`; a SecAgg task's ring is drawn at once from the creation
    ///      block's hash `_anchorHash(taskId)`, one block later.
    function _newTask(IFederatedAggregator.TaskConfig memory c) internal returns (uint256 taskId) {
        taskId = gov.createTask(c);
        if (c.mode == IFederatedAggregator.Mode.SecAgg) {
            _drawGraph(taskId, block.number, _anchorHash(taskId));
        }
    }

    /// @dev Creates a SecAgg task of `c` whose drawn ring is `ring` (entry p: the member index
    ///      at ring position p), searching for a creation-block hash that draws it.
    function _newTask(IFederatedAggregator.TaskConfig memory c, uint256[] memory ring)
        internal
        returns (uint256 taskId)
    {
        taskId = gov.createTask(c);
        _drawRing(taskId, block.number, ring);
    }

    /// @dev The hash `_newTask` gives the block that created `taskId`.
    function _anchorHash(uint256 taskId) internal view returns (bytes32) {
        return keccak256(abi.encode(anchorSalt, taskId));
    }

    /// @dev Draws the ring of `taskId`, created in block `anchor`, with `anchorHash` as that
    ///      block's hash: from the next block at the earliest, as `drawGraph` requires.
    function _drawGraph(uint256 taskId, uint256 anchor, bytes32 anchorHash) internal {
        if (block.number <= anchor) vm.roll(anchor + 1);
        vm.setBlockhash(anchor, anchorHash);
        IKeyRegistry keyRegistry = _keyRegistry();
        keyRegistry.drawGraph(taskId);
        assertEq(keyRegistry.ringOrder(taskId).length, agg.taskMembers(taskId).length, "ring drawn");
    }

    /// @dev Draws `ring` for `taskId`, created in block `anchor` (see `_anchorHashFor`).
    function _drawRing(uint256 taskId, uint256 anchor, uint256[] memory ring) internal {
        _drawGraph(taskId, anchor, _anchorHashFor(agg, taskId, ring));
        assertEq(_keyRegistry().ringOrder(taskId), ring, "the searched ring");
    }

    /// @dev The seed `drawGraph` derives for a task of aggregator `a` from its anchor's hash.
    function _seed(FederatedAggregator a, uint256 taskId, bytes32 anchorHash)
        internal
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(anchorHash, _domain(a, taskId)));
    }

    /// @dev A block hash from which `drawGraph` draws `ring` for task `taskId` of aggregator
    ///      `a`, found by trying hashes in turn through `RingReference.shuffle` (about n! tries:
    ///      for small rings only).
    function _anchorHashFor(FederatedAggregator a, uint256 taskId, uint256[] memory ring)
        internal
        view
        returns (bytes32 anchorHash)
    {
        uint256 n = ring.length;
        uint256 domain = _domain(a, taskId);
        for (uint256 attempt; attempt < 1_000_000; ++attempt) {
            anchorHash = keccak256(abi.encode("zkfed.test-anchor-search", attempt));
            uint256[] memory drawn =
                RingReference.shuffle(keccak256(abi.encode(anchorHash, domain)), n);
            bool equal = true;
            for (uint256 p; p < n && equal; ++p) {
                equal = drawn[p] == ring[p];
            }
            if (equal) return anchorHash;
        }
        revert("no anchor hash draws the ring");
    }

    // ---------------------------------------------------------------------------------------
    // The drawn ring (RingReference on `ringOrder`)
    // ---------------------------------------------------------------------------------------

    /// @dev The task's drawn ring; refuses an undrawn one.
    function _ringOrder(uint256 taskId) internal view returns (uint256[] memory order) {
        order = _keyRegistry().ringOrder(taskId);
        require(order.length != 0, "ring not drawn");
    }

    /// @dev The member index at ring position p (mod n).
    function _at(uint256 taskId, uint256 p) internal view returns (uint256) {
        uint256[] memory order = _ringOrder(taskId);
        return order[p % order.length];
    }

    /// @dev The member index in slot s of member i.
    function _neighbor(uint256 taskId, uint256 i, uint256 s) internal view returns (uint256) {
        return RingReference.neighbor(_ringOrder(taskId), i, s);
    }

    /// @dev Member i's slots word, from the definition.
    function _slotsWord(uint256 taskId, uint256 i) internal view returns (uint256) {
        return RingReference.slotsWord(_ringOrder(taskId), i, agg.taskCircuit(taskId).neighbors);
    }

    /// @dev Every task member joins, in task order.
    function _joinAll(uint256 taskId) internal {
        address[] memory snapshot = agg.taskMembers(taskId);
        for (uint256 i; i < snapshot.length; ++i) {
            _join(taskId, snapshot[i]);
        }
    }

    function _join(uint256 taskId, address member) internal {
        (uint256[] memory commitments, IFederatedAggregator.Proof[] memory proofs) =
            _joinArguments(taskId, member);
        vm.prank(member);
        agg.joinTask(taskId, commitments, proofs);
    }

    /// @dev One commitment and proof per active slot of `member`, in slot order.
    function _joinArguments(uint256 taskId, address member)
        internal
        view
        returns (uint256[] memory commitments, IFederatedAggregator.Proof[] memory proofs)
    {
        (address[] memory ring, uint256 slots) = agg.neighbors(taskId, member);
        uint256 k = ring.length;
        uint256 active;
        while (active < k && (slots >> (k + active)) & 1 == 1) {
            ++active;
        }
        commitments = new uint256[](active);
        proofs = new IFederatedAggregator.Proof[](active);
        for (uint256 s; s < active; ++s) {
            commitments[s] = _commitment(taskId, member, ring[s]);
            proofs[s] = _proof();
        }
    }

    /// @dev A stand-in for Poseidon2(ECDH(sk_a, pk_b).x, task): non-zero, below p, symmetric.
    function _commitment(uint256 taskId, address a, address b) internal pure returns (uint256) {
        (address low, address high) = a < b ? (a, b) : (b, a);
        return uint256(keccak256(abi.encode("pair", taskId, low, high))) % (P - 1) + 1;
    }

    function _proof() internal pure returns (IFederatedAggregator.Proof memory proof) {
        proof.a = [uint256(1), 2];
        proof.b = [[uint256(3), 4], [uint256(5), 6]];
        proof.c = [uint256(7), 8];
    }

    /// @dev W field elements derived from `salt`.
    function _words(uint256 salt) internal pure returns (uint256[] memory words) {
        words = new uint256[](W);
        for (uint256 i; i < W; ++i) {
            words[i] = uint256(keccak256(abi.encode(salt, i))) % P;
        }
    }

    /// @dev K·(K−1) zero escrow entries for a task of the fixture's variant (K = 4): what a
    ///      chunk carries where no test looks at its escrow (the mock verifier takes any).
    function _escrow() internal pure returns (uint256[] memory) {
        return new uint256[](uint256(K) * (K - 1));
    }

    function _submit(uint256 taskId, uint256 round, uint256 member, uint256 chunk)
        internal
        returns (uint256[] memory words)
    {
        words = _words(uint256(keccak256(abi.encode(taskId, round, member, chunk))));
        uint256[] memory escrow = _escrowOf(taskId);
        vm.prank(members[member]);
        agg.submitChunk(taskId, round, chunk, words, escrow, _proof());
    }

    /// @dev K·(K−1) zero escrow entries for the task's K (read from `taskCircuit`: call it before
    ///      a `vm.prank` or `vm.expectRevert`, not inside the call they apply to).
    function _escrowOf(uint256 taskId) internal view returns (uint256[] memory) {
        uint256 k = agg.taskCircuit(taskId).neighbors;
        return new uint256[](k * (k - 1));
    }

    /// @dev A stand-in for the W mask words PRG(Poseidon4(ECDH(sk_a, pk_b).x, D, round, chunk))
    ///      of the pair (a, b): below p, symmetric, and often at the field's ends (0, p − 1).
    function _masks(uint256 taskId, uint256 round, uint256 chunk, address a, address b)
        internal
        pure
        returns (uint256[] memory masks)
    {
        (address low, address high) = a < b ? (a, b) : (b, a);
        masks = new uint256[](W);
        for (uint256 i; i < W; ++i) {
            uint256 r = uint256(keccak256(abi.encode("mask", taskId, round, chunk, low, high, i)));
            masks[i] = r % 4 == 0 ? 0 : r % 4 == 1 ? P - 1 : r % P;
        }
    }

    /// @dev `revealer` removes its pair mask with `dropped` (member indices) from the chunk.
    function _reveal(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        uint256 revealer,
        uint256 dropped
    ) internal returns (uint256[] memory masks) {
        masks = _masks(taskId, round, chunk, members[revealer], members[dropped]);
        vm.prank(members[revealer]);
        agg.revealMask(taskId, round, chunk, members[dropped], masks, _proof());
    }

    /// @dev `MaskReveal` public signals of record: D, round, chunk, the revealer's commitment of
    ///      the slot holding `dropped`, the W mask words.
    function _revealInputs(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        uint256 revealer,
        uint256 dropped,
        uint256[] memory masks
    ) internal view returns (uint256[] memory inputs) {
        inputs = new uint256[](4 + masks.length);
        inputs[0] = _domain(taskId);
        inputs[1] = round;
        inputs[2] = chunk;
        inputs[3] = _commitment(taskId, members[revealer], members[dropped]);
        for (uint256 i; i < masks.length; ++i) {
            inputs[4 + i] = masks[i];
        }
    }

    /// @dev Seals every chunk of the round in one call (anyone may).
    function _finalize(uint256 taskId, uint256 round) internal {
        agg.finalizeRound(taskId, round, type(uint256).max);
    }

    /// @dev The first link of a round's digest chain.
    function _digestStart(uint256 taskId, uint256 round) internal view returns (bytes32) {
        return keccak256(abi.encode(_domain(taskId), round));
    }

    /// @dev The digest chain after sealing `chunk` with `count` contributors and `words`.
    function _digestNext(bytes32 digest, uint256 chunk, uint256 count, uint256[] memory words)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(digest, chunk, count, words));
    }

    function _toSubmissionDeadline(uint256 taskId, uint256 round) internal {
        vm.warp(agg.roundInfo(taskId, round).submissionDeadline);
    }

    function _toRevealDeadline(uint256 taskId, uint256 round) internal {
        vm.warp(agg.roundInfo(taskId, round).revealDeadline);
    }

    /// @dev The end of the recovery window: = the reveal deadline for a task that does not
    ///      escrow, one reveal period later for one that does (the fixture's: K = 4, n = 6).
    function _toRecoveryDeadline(uint256 taskId, uint256 round) internal {
        vm.warp(agg.roundInfo(taskId, round).recoveryDeadline);
    }
}
