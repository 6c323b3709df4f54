// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {console2} from "forge-std/console2.sol";
import {FederatedAggregator} from "../../../contracts/FederatedAggregator.sol";
import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IModelGovernance} from "../../../contracts/interfaces/IModelGovernance.sol";
import {MockGroth16Call} from "../../../contracts/test/MockGroth16Call.sol";
import {MockModelGovernance} from "../../../contracts/test/MockModelGovernance.sol";

/// @notice The snarkjs-generated verifiers of `contracts/verifiers/` and real proofs from the
///         client. Each test skips itself while its verifier or fixture does not exist yet (or
///         the fixture predates pair commitments).
/// @dev Fixtures live in `tests/fixtures/proofs/<variant>.json`, written by
///      `python tools/fixtures.py` (schema in tests/foundry/README.md), and need `fs_permissions`
///      read access to `tests/fixtures` in foundry.toml. All three belong to one task: task 1 of
///      five members with the keys `memberKeys` on the `masked_update_test` variant, one chunk;
///      the proving member is `member`.
contract RealVerifierTest is Test {
    string internal constant FIXTURES = "tests/fixtures/proofs/";

    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @dev Packing of `masked_update_test` (circuits/circuits.json): L, B, R.
    uint8 internal constant TEST_LANES = 15;
    uint8 internal constant TEST_LANE_BITS = 16;
    uint8 internal constant TEST_VALUE_BITS = 12;
    uint8 internal constant SCALE_BITS = 8;

    /// @dev Public signals of `masked_update_default`: 5 + K + W with K = 4, W = 64.
    uint256 internal constant DEFAULT_SIGNALS = 73;
    uint256 internal constant PAIR_COMMIT_SIGNALS = 6;

    // BN254 generators: valid curve points, so a bogus proof costs the verifier its full work.
    uint256 internal constant G2_X1 =
        11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 internal constant G2_X0 =
        10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 internal constant G2_Y1 =
        4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 internal constant G2_Y0 =
        8495653923123431417604973247489272438418190587263600148770280649306958101930;

    /// @notice The fixtures' task on a fresh aggregator with the generated verifiers.
    struct FixtureTask {
        FederatedAggregator agg;
        uint256 taskId;
        address[] members;
        uint256 member; // the proving member (its index in `members`)
        uint256[] commitments; // its K pair commitments by slot (0 for an inactive slot)
        uint256[] words; // its masked chunk
        IFA.Proof proof; // its `MaskedUpdate` proof of `words`
        address verifier;
        address seedVerifier;
        address pairVerifier;
    }

    MockGroth16Call internal groth16 = new MockGroth16Call();

    // ---------------------------------------------------------------------------------------
    // Verifiers and fixtures
    // ---------------------------------------------------------------------------------------

    function _deploy(string memory name) internal returns (address verifier) {
        try vm.getCode(string.concat(name, ".sol:", name)) returns (bytes memory code) {
            assembly ("memory-safe") {
                verifier := create(0, add(code, 0x20), mload(code))
            }
            require(verifier != address(0), "verifier deployment failed");
        } catch {
            vm.skip(true, string.concat(name, " has not been generated yet"));
        }
    }

    /// @dev Skips when the fixture is missing or older than pair commitments (no `commitments`).
    function _fixture(string memory variant) internal returns (string memory json) {
        try vm.readFile(string.concat(FIXTURES, variant, ".json")) returns (string memory text) {
            json = text;
        } catch {
            vm.skip(true, string.concat("no proof fixture for ", variant));
        }
        if (!vm.keyExistsJson(json, ".commitments")) {
            vm.skip(
                true,
                string.concat(variant, ".json predates pair commitments: run tools/fixtures.py")
            );
        }
    }

    function _bogusProof() internal pure returns (IFA.Proof memory proof) {
        proof.a = [uint256(1), 2];
        proof.b = [[G2_X1, G2_X0], [G2_Y1, G2_Y0]];
        proof.c = [uint256(1), 2];
    }

    /// @dev The proof at `path` (`.proof` or `.proofs[i]`).
    function _proof(string memory json, string memory path)
        internal
        pure
        returns (IFA.Proof memory proof)
    {
        uint256[] memory a = vm.parseJsonUintArray(json, string.concat(path, ".a"));
        uint256[] memory b0 = vm.parseJsonUintArray(json, string.concat(path, ".b[0]"));
        uint256[] memory b1 = vm.parseJsonUintArray(json, string.concat(path, ".b[1]"));
        uint256[] memory c = vm.parseJsonUintArray(json, string.concat(path, ".c"));
        proof.a = [a[0], a[1]];
        proof.b = [[b0[0], b0[1]], [b1[0], b1[1]]];
        proof.c = [c[0], c[1]];
    }

    /// @dev Entries of the JSON array at `path`, counted one index at a time.
    function _length(string memory json, string memory path) internal view returns (uint256 n) {
        while (vm.keyExistsJson(json, _at(path, n))) {
            ++n;
        }
    }

    function _at(string memory path, uint256 i) internal pure returns (string memory) {
        return string.concat(path, "[", vm.toString(i), "]");
    }

    /// @dev `.proofs` and `.publicSignals` of `pair_commit.json`: one entry per active slot.
    function _pairProofs(string memory json)
        internal
        view
        returns (IFA.Proof[] memory proofs, uint256[][] memory signals)
    {
        uint256 count = _length(json, ".proofs");
        assertEq(_length(json, ".publicSignals"), count, "one signal vector per proof");
        proofs = new IFA.Proof[](count);
        signals = new uint256[][](count);
        for (uint256 s; s < count; ++s) {
            proofs[s] = _proof(json, _at(".proofs", s));
            signals[s] = vm.parseJsonUintArray(json, _at(".publicSignals", s));
        }
    }

    /// @dev `.memberKeys` one key at a time: `parseJsonUintArray` refuses wildcard paths
    ///      (`[*]` matches several values).
    function _memberKeys(string memory json)
        internal
        view
        returns (uint256[] memory x, uint256[] memory y)
    {
        uint256 n = _length(json, ".memberKeys");
        x = new uint256[](n);
        y = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            uint256[] memory key = vm.parseJsonUintArray(json, _at(".memberKeys", i));
            (x[i], y[i]) = (key[0], key[1]);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Ring (IFederatedAggregator: slot s ↦ ±(s/2 + 1) mod n; active iff s < min(K, n − 1))
    // ---------------------------------------------------------------------------------------

    function _neighborIndex(uint256 i, uint256 s, uint256 n) internal pure returns (uint256) {
        uint256 offset = s / 2 + 1;
        return s % 2 == 0 ? (i + offset) % n : (i + n - offset) % n;
    }

    /// @dev The slot of member i that holds member j (j ≠ i, an active neighbour).
    function _slotOf(uint256 i, uint256 j, uint256 n) internal pure returns (uint256) {
        uint256 distance = (j + n - i) % n;
        return 2 * distance <= n ? 2 * distance - 2 : 2 * (n - distance) - 1;
    }

    function _activeSlots(uint256 k, uint256 n) internal pure returns (uint256) {
        return k < n - 1 ? k : n - 1;
    }

    /// @dev Another value in [1, p − 1], for a tampered commitment.
    function _other(uint256 value) internal pure returns (uint256) {
        return value % (P - 1) + 1;
    }

    // ---------------------------------------------------------------------------------------
    // The generated verifiers on their own
    // ---------------------------------------------------------------------------------------

    /// @dev `verifyProof` of the default variant (73 signals) on a proof made of valid points.
    function test_Gas_DefaultVerifier() public {
        address verifier = _deploy("MaskedUpdateVerifier");
        uint256[] memory signals = new uint256[](DEFAULT_SIGNALS);
        for (uint256 i; i < signals.length; ++i) {
            signals[i] = uint256(keccak256(abi.encode(i))) >> 8;
        }
        bytes memory data = groth16.encode(_bogusProof(), signals);
        uint256 before = gasleft();
        (bool ok, bytes memory answer) = verifier.staticcall(data);
        uint256 used = before - gasleft();
        console2.log("MaskedUpdateVerifier.verifyProof gas", used);
        assertTrue(ok, "MaskedUpdateVerifier must take 73 public signals");
        assertEq(abi.decode(answer, (uint256)), 0);
        assertLt(used, 1_000_000);
        assertLe(verifier.code.length, 24_576, "EIP-170");
    }

    /// @dev The client's proof verifies with the signals in the order of record (task, round,
    ///      chunk, commitments[K], slots, bound, y[W]); any changed signal does not.
    function test_RealProof_MaskedUpdate_TamperingFails() public {
        address verifier = _deploy("MaskedUpdateTestVerifier");
        string memory json = _fixture("masked_update_test");
        IFA.Proof memory proof = _proof(json, ".proof");
        uint256[] memory signals = vm.parseJsonUintArray(json, ".publicSignals");
        uint256[] memory commitments = vm.parseJsonUintArray(json, ".commitments");
        uint256[] memory words = vm.parseJsonUintArray(json, ".words");
        uint256 k = vm.parseJsonUint(json, ".neighbors");

        assertEq(commitments.length, k, "one commitment per slot");
        assertEq(signals.length, 5 + k + words.length, "5 + K + W public signals");
        assertEq(signals[0], vm.parseJsonUint(json, ".task"), "task");
        assertEq(signals[1], vm.parseJsonUint(json, ".round"), "round");
        assertEq(signals[2], vm.parseJsonUint(json, ".chunk"), "chunk");
        for (uint256 s; s < k; ++s) {
            assertEq(signals[3 + s], commitments[s], "commitments by slot");
        }
        assertEq(signals[4 + k], vm.parseJsonUint(json, ".bound"), "bound");
        for (uint256 i; i < words.length; ++i) {
            assertEq(signals[5 + k + i], words[i], "words");
        }
        assertTrue(groth16.verify(verifier, proof, signals), "fixture must verify");
        _assertTamperingFails(verifier, proof, signals);
    }

    /// @dev Signals: task, round, chunk, the member's commitment of the slot holding `dropped`,
    ///      seed.
    function test_RealProof_SeedReveal_TamperingFails() public {
        address verifier = _deploy("SeedRevealVerifier");
        string memory json = _fixture("seed_reveal");
        IFA.Proof memory proof = _proof(json, ".proof");
        uint256[] memory signals = vm.parseJsonUintArray(json, ".publicSignals");
        uint256[] memory commitments = vm.parseJsonUintArray(json, ".commitments");
        uint256 n = _length(json, ".memberKeys");
        uint256 slot =
            _slotOf(vm.parseJsonUint(json, ".member"), vm.parseJsonUint(json, ".dropped"), n);

        assertEq(signals.length, 5, "task, round, chunk, commitment, seed");
        assertEq(signals[0], vm.parseJsonUint(json, ".task"), "task");
        assertEq(signals[1], vm.parseJsonUint(json, ".round"), "round");
        assertEq(signals[2], vm.parseJsonUint(json, ".chunk"), "chunk");
        assertEq(signals[3], commitments[slot], "commitment of the dropped neighbour's slot");
        assertEq(signals[4], vm.parseJsonUint(json, ".seed"), "seed");
        assertTrue(groth16.verify(verifier, proof, signals), "fixture must verify");
        _assertTamperingFails(verifier, proof, signals);
    }

    /// @dev One proof per active slot of `member`, signals task, pk[2], neighbor[2], commitment;
    ///      each verifies with its own signals only.
    function test_RealProof_PairCommit_TamperingFails() public {
        address verifier = _deploy("PairCommitVerifier");
        string memory json = _fixture("pair_commit");
        (IFA.Proof[] memory proofs, uint256[][] memory signals) = _pairProofs(json);
        uint256[] memory commitments = vm.parseJsonUintArray(json, ".commitments");
        uint256 k = vm.parseJsonUint(json, ".neighbors");
        uint256 active = _activeSlots(k, _length(json, ".memberKeys"));

        assertEq(commitments.length, k, "one commitment per slot");
        assertEq(proofs.length, active, "one proof per active slot");
        for (uint256 s; s < k; ++s) {
            assertEq(commitments[s] == 0, s >= active, "0 exactly for inactive slots");
        }
        for (uint256 s; s < active; ++s) {
            _checkPairSignals(json, s, signals[s], commitments[s]);
            assertTrue(groth16.verify(verifier, proofs[s], signals[s]), "fixture must verify");
            for (uint256 t; t < active; ++t) {
                if (t != s) assertFalse(groth16.verify(verifier, proofs[t], signals[s]), "swap");
            }
            _assertTamperingFails(verifier, proofs[s], signals[s]);
        }
    }

    /// @dev Slot s's `PairCommit` signals: task, the member's key, slot s's neighbour's key, the
    ///      slot's commitment.
    function _checkPairSignals(
        string memory json,
        uint256 s,
        uint256[] memory v,
        uint256 commitment
    ) internal view {
        (uint256[] memory keyX, uint256[] memory keyY) = _memberKeys(json);
        uint256 member = vm.parseJsonUint(json, ".member");
        uint256 neighbor = _neighborIndex(member, s, keyX.length);
        assertEq(v.length, PAIR_COMMIT_SIGNALS, "task, pk[2], neighbor[2], commitment");
        assertEq(v[0], vm.parseJsonUint(json, ".task"), "task");
        assertEq(v[1], keyX[member], "pk.x");
        assertEq(v[2], keyY[member], "pk.y");
        assertEq(v[3], keyX[neighbor], "neighbor.x of the slot");
        assertEq(v[4], keyY[neighbor], "neighbor.y of the slot");
        assertEq(v[5], commitment, "commitment of the slot");
    }

    /// @dev The proof fails with any one signal changed.
    function _assertTamperingFails(address verifier, IFA.Proof memory proof, uint256[] memory v)
        internal
        view
    {
        for (uint256 i; i < v.length; ++i) {
            v[i] += 1;
            assertFalse(groth16.verify(verifier, proof, v));
            v[i] -= 1;
        }
    }

    // ---------------------------------------------------------------------------------------
    // The aggregator on the generated verifiers
    // ---------------------------------------------------------------------------------------

    /// @dev A fresh aggregator with the real verifiers and the fixtures' task on it: the
    ///      members in `memberKeys` order, their keys registered, task id `task`, the test
    ///      variant's packing, one chunk (`chunk` is its last), the fixture's bound.
    function _fixtureTask() internal returns (FixtureTask memory t) {
        t.verifier = _deploy("MaskedUpdateTestVerifier");
        t.seedVerifier = _deploy("SeedRevealVerifier");
        t.pairVerifier = _deploy("PairCommitVerifier");
        string memory json = _fixture("masked_update_test");
        (uint256[] memory keyX, uint256[] memory keyY) = _memberKeys(json);
        t.taskId = vm.parseJsonUint(json, ".task");
        t.member = vm.parseJsonUint(json, ".member");
        t.commitments = vm.parseJsonUintArray(json, ".commitments");
        t.words = vm.parseJsonUintArray(json, ".words");
        t.proof = _proof(json, ".proof");
        uint256 chunk = vm.parseJsonUint(json, ".chunk");
        require(vm.parseJsonUint(json, ".round") == 1, "fixtures are for round 1");

        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        MockModelGovernance gov = new MockModelGovernance(predicted);
        t.agg = new FederatedAggregator(IModelGovernance(address(gov)));
        t.members = new address[](keyX.length);
        for (uint256 i; i < keyX.length; ++i) {
            t.members[i] = makeAddr(string.concat("fixture-member-", vm.toString(i)));
        }
        gov.setMembers(t.members);
        for (uint256 i; i < keyX.length; ++i) {
            vm.prank(t.members[i]);
            t.agg.registerKey(keyX[i], keyY[i]);
        }

        IFA.TaskConfig memory c;
        c.variant = IFA.CircuitVariant({
            verifier: t.verifier,
            words: uint16(t.words.length),
            neighbors: uint8(vm.parseJsonUint(json, ".neighbors")),
            lanes: TEST_LANES,
            laneBits: TEST_LANE_BITS,
            valueBits: TEST_VALUE_BITS,
            scaleBits: SCALE_BITS,
            seedVerifier: t.seedVerifier,
            pairVerifier: t.pairVerifier
        });
        c.paramCount = uint64((chunk + 1) * t.words.length * TEST_LANES);
        c.bound = uint64(vm.parseJsonUint(json, ".bound"));
        c.minContributors = 3;
        c.rounds = 1;
        c.submissionPeriod = 1 days;
        c.revealPeriod = 1 days;
        c.modelCid = "bafy-fixture";
        c.modelHash = keccak256("fixture");
        uint256 id;
        while (id < t.taskId) {
            id = gov.createTask(c); // the fixture's task id is the id-th task
        }
        assertEq(id, t.taskId);
    }

    /// @dev The proving member's `joinTask` arguments: its commitments of the active slots and
    ///      the `pair_commit.json` proofs, in slot order.
    function _joinArguments(FixtureTask memory t)
        internal
        returns (uint256[] memory commitments, IFA.Proof[] memory proofs)
    {
        string memory json = _fixture("pair_commit");
        assertEq(vm.parseJsonUint(json, ".task"), t.taskId, "pair_commit.json: task");
        assertEq(vm.parseJsonUint(json, ".member"), t.member, "pair_commit.json: member");
        assertEq(
            vm.parseJsonUintArray(json, ".commitments"),
            t.commitments,
            "pair_commit.json: commitments"
        );
        (proofs,) = _pairProofs(json);
        commitments = new uint256[](proofs.length);
        for (uint256 s; s < proofs.length; ++s) {
            commitments[s] = t.commitments[s];
        }
    }

    function _join(FixtureTask memory t) internal {
        (uint256[] memory commitments, IFA.Proof[] memory proofs) = _joinArguments(t);
        vm.prank(t.members[t.member]);
        t.agg.joinTask(t.taskId, commitments, proofs);
    }

    /// @dev A proof no real one equals: the only proof `_acceptStandIns` makes a verifier take.
    function _standInProof() internal pure returns (IFA.Proof memory proof) {
        proof.a = [uint256(1), 2];
        proof.b = [[uint256(3), 4], [uint256(5), 6]];
        proof.c = [uint256(7), 8];
    }

    /// @dev The generated verifier at `verifier` answers `true` to calls carrying the stand-in
    ///      proof (any signals) and keeps verifying every other call itself. The other members
    ///      have no fixtures; only their calls carry the stand-in, never the proving member's.
    function _acceptStandIns(address verifier, uint256 signals) internal {
        vm.mockCall(
            verifier,
            abi.encodePacked(groth16.selector(signals), abi.encode(_standInProof())),
            abi.encode(true)
        );
    }

    /// @dev Member m joins with stand-in proofs; a pair with the proving member gets that
    ///      member's real commitment (c_ij = c_ji), any other pair a stand-in value.
    function _joinStandIn(FixtureTask memory t, uint256 m) internal {
        (address[] memory ring, uint256 slots) = t.agg.neighbors(t.taskId, t.members[m]);
        uint256 k = ring.length;
        uint256 active;
        while (active < k && (slots >> (k + active)) & 1 == 1) {
            ++active;
        }
        uint256 n = t.members.length;
        uint256[] memory commitments = new uint256[](active);
        IFA.Proof[] memory proofs = new IFA.Proof[](active);
        for (uint256 s; s < active; ++s) {
            uint256 j = _neighborIndex(m, s, n);
            assertEq(ring[s], t.members[j]);
            (uint256 low, uint256 high) = m < j ? (m, j) : (j, m);
            commitments[s] = j == t.member
                ? t.commitments[_slotOf(j, m, n)]
                : uint256(keccak256(abi.encode("stand-in pair", low, high))) % (P - 1) + 1;
            proofs[s] = _standInProof();
        }
        vm.prank(t.members[m]);
        t.agg.joinTask(t.taskId, commitments, proofs);
    }

    function test_RealProof_JoinTask_StoresFixtureCommitments() public {
        FixtureTask memory t = _fixtureTask();
        _join(t);
        assertTrue(t.agg.hasJoined(t.taskId, t.members[t.member]));
        assertEq(t.agg.pairCommitments(t.taskId, t.members[t.member]), t.commitments);
    }

    /// @dev A changed commitment in any slot is refused at that slot; the real join then passes.
    function test_RealProof_JoinTask_TamperedCommitmentFails() public {
        FixtureTask memory t = _fixtureTask();
        (uint256[] memory commitments, IFA.Proof[] memory proofs) = _joinArguments(t);
        address member = t.members[t.member];
        for (uint256 s; s < commitments.length; ++s) {
            uint256 real = commitments[s];
            commitments[s] = _other(real);
            vm.expectRevert(
                abi.encodeWithSelector(IFA.InvalidPairProof.selector, t.taskId, member, s)
            );
            vm.prank(member);
            t.agg.joinTask(t.taskId, commitments, proofs);
            commitments[s] = real;
        }
        assertFalse(t.agg.hasJoined(t.taskId, member));
        vm.prank(member);
        t.agg.joinTask(t.taskId, commitments, proofs);
        assertTrue(t.agg.hasJoined(t.taskId, member));
    }

    /// @dev Real proofs in the wrong slots, with or without their commitments, are refused.
    function test_RealProof_JoinTask_SwappedProofsFail() public {
        FixtureTask memory t = _fixtureTask();
        (uint256[] memory commitments, IFA.Proof[] memory proofs) = _joinArguments(t);
        require(proofs.length >= 2, "the fixture member has two active slots");
        address member = t.members[t.member];

        (proofs[0], proofs[1]) = (proofs[1], proofs[0]);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidPairProof.selector, t.taskId, member, 0));
        vm.prank(member);
        t.agg.joinTask(t.taskId, commitments, proofs);

        (commitments[0], commitments[1]) = (commitments[1], commitments[0]);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidPairProof.selector, t.taskId, member, 0));
        vm.prank(member);
        t.agg.joinTask(t.taskId, commitments, proofs);
        assertFalse(t.agg.hasJoined(t.taskId, member));
    }

    /// @dev The real chunk proof is useless before its commitments are posted.
    function test_RealProof_SubmitBeforeJoinFails() public {
        FixtureTask memory t = _fixtureTask();
        address member = t.members[t.member];
        vm.expectRevert(abi.encodeWithSelector(IFA.NotJoined.selector, t.taskId, member));
        vm.prank(member);
        t.agg.submitChunk(t.taskId, 1, 0, t.words, t.proof);
    }

    /// @dev The fixtures' round on the aggregator: the proving member joins with its real
    ///      `PairCommit` proofs and submits its real chunk (refused for a tampered word or from
    ///      another member), two more members contribute with stand-in proofs to reach t_min,
    ///      and after the deadline the member reveals its real seed for `dropped` (refused for a
    ///      tampered seed). The public inputs the aggregator assembles are the circuits'.
    function test_RealProof_RoundOnAggregator() public {
        FixtureTask memory t = _fixtureTask();
        string memory reveal = _fixture("seed_reveal");
        assertEq(vm.parseJsonUint(reveal, ".member"), t.member, "seed_reveal.json: member");
        assertEq(
            vm.parseJsonUintArray(reveal, ".commitments"),
            t.commitments,
            "seed_reveal.json: commitments"
        );
        uint256 dropped = vm.parseJsonUint(reveal, ".dropped");
        uint256 chunk = vm.parseJsonUint(reveal, ".chunk");
        address member = t.members[t.member];

        // Join with the real PairCommit proofs.
        _join(t);
        assertEq(t.agg.pairCommitments(t.taskId, member), t.commitments);

        // The real chunk: refused with a tampered word, then accepted.
        t.words[0] = (t.words[0] + 1) % P;
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidProof.selector, t.taskId, 1, chunk, member)
        );
        vm.prank(member);
        t.agg.submitChunk(t.taskId, 1, chunk, t.words, t.proof);
        t.words[0] = (t.words[0] + P - 1) % P;
        vm.prank(member);
        t.agg.submitChunk(t.taskId, 1, chunk, t.words, t.proof);

        uint256 bitmap = _standInContributors(t, chunk, dropped);
        (uint256 contributors, uint256 count) = t.agg.chunkContributors(t.taskId, 1, chunk);
        assertEq(contributors, bitmap | 2 ** t.member);
        assertEq(count, 3);

        vm.warp(t.agg.roundInfo(t.taskId, 1).submissionDeadline);
        _revealFixtureSeed(t, reveal);
    }

    /// @dev Two members, neither the proving member nor `dropped`, join and contribute `chunk`
    ///      with stand-in proofs (the proving member's words and proof are no use to them).
    function _standInContributors(FixtureTask memory t, uint256 chunk, uint256 dropped)
        internal
        returns (uint256 bitmap)
    {
        _acceptStandIns(t.pairVerifier, PAIR_COMMIT_SIGNALS);
        _acceptStandIns(t.verifier, 5 + t.commitments.length + t.words.length);
        uint256 others;
        for (uint256 m; m < t.members.length && others < 2; ++m) {
            if (m == t.member || m == dropped) continue;
            address other = t.members[m];
            _joinStandIn(t, m);
            vm.expectRevert(
                abi.encodeWithSelector(IFA.InvalidProof.selector, t.taskId, 1, chunk, other)
            );
            vm.prank(other);
            t.agg.submitChunk(t.taskId, 1, chunk, t.words, t.proof);

            uint256[] memory words = new uint256[](t.words.length);
            for (uint256 i; i < words.length; ++i) {
                words[i] = uint256(keccak256(abi.encode("stand-in words", m, i))) % P;
            }
            vm.prank(other);
            t.agg.submitChunk(t.taskId, 1, chunk, words, _standInProof());
            bitmap |= 2 ** m;
            ++others;
        }
    }

    /// @dev The member reveals `seed_reveal.json`'s seed for `dropped` with its real proof:
    ///      refused for a tampered seed, then accepted and recorded.
    function _revealFixtureSeed(FixtureTask memory t, string memory reveal) internal {
        address member = t.members[t.member];
        address dropped = t.members[vm.parseJsonUint(reveal, ".dropped")];
        uint256 chunk = vm.parseJsonUint(reveal, ".chunk");
        uint256 seed = vm.parseJsonUint(reveal, ".seed");
        IFA.Proof memory proof = _proof(reveal, ".proof");

        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidProof.selector, t.taskId, 1, chunk, member)
        );
        vm.prank(member);
        t.agg.revealSeed(t.taskId, 1, chunk, dropped, (seed + 1) % P, proof);
        vm.prank(member);
        t.agg.revealSeed(t.taskId, 1, chunk, dropped, seed, proof);

        (bool revealed, uint256 stored) = t.agg.revealedSeed(t.taskId, 1, chunk, member, dropped);
        assertTrue(revealed);
        assertEq(stored, seed);
        (uint256 reveals,) = t.agg.chunkReveals(t.taskId, 1, chunk);
        assertEq(reveals, 1);
    }
}
