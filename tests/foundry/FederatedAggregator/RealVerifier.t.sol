// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {console2} from "forge-std/console2.sol";
import {FederatedAggregator} from "../../../contracts/FederatedAggregator.sol";
import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "../../../contracts/interfaces/IKeyRegistry.sol";
import {IModelGovernance} from "../../../contracts/interfaces/IModelGovernance.sol";
import {IVerifierRegistry} from "../../../contracts/interfaces/IVerifierRegistry.sol";
import {MockGroth16Call} from "../../../contracts/test/MockGroth16Call.sol";
import {MockModelGovernance} from "../../../contracts/test/MockModelGovernance.sol";
import {VerifierRegistry} from "../../../contracts/VerifierRegistry.sol";
import {EscrowReference} from "../utils/EscrowReference.sol";
import {RingReference} from "../utils/RingReference.sol";

/// @notice The snarkjs-generated verifiers of `contracts/verifiers/` and real proofs from the
///         client. Each test skips itself while its verifier or fixture does not exist yet (or
///         the fixture predates task domains, drawn rings or the seed escrow, or the verifier
///         takes another signal count than its circuit of record).
/// @dev Fixtures live in `tests/fixtures/proofs/<variant>.json`, written by
///      `python tools/fixtures.py` (schema in tests/foundry/README.md), and need `fs_permissions`
///      read access to `tests/fixtures` in foundry.toml. All six belong to one task: task 1 of
///      five members (accounts `memberAddresses`, keys `memberKeys`) on the `masked_update_test`
///      variant, one chunk, on an aggregator at `aggregator` on chain `chainId`, which fixes the
///      task's domain and the members' key bindings, created in a block whose hash is
///      `anchorHash`, which with the domain fixes the drawn ring `ring`; the proving member is
///      `member`. The task (K = 2) does not escrow: `escrow_pad` and `seed_mask_test` prove the
///      recovery statements for the member's pairs without a chunk that carries them.
contract RealVerifierTest is Test {
    string internal constant FIXTURES = "tests/fixtures/proofs/";

    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @dev `masked_update_test` (circuits/circuits.json): W, K and the packing L, B, R; the
    ///      only variant of the suite's registry (id 0).
    uint16 internal constant TEST_WORDS = 2;
    uint8 internal constant TEST_NEIGHBORS = 2;
    uint8 internal constant TEST_LANES = 15;
    uint8 internal constant TEST_LANE_BITS = 16;
    uint8 internal constant TEST_VALUE_BITS = 12;
    uint32 internal constant TEST_VARIANT = 0;
    uint8 internal constant SCALE_BITS = 8;

    /// @dev Public signals of `masked_update_default`: 5 + K + W + K·(K−1) with K = 4, W = 64.
    uint256 internal constant DEFAULT_SIGNALS = 85;
    /// @dev ... and of `masked_update_test`: K = 2, W = 2.
    uint256 internal constant TEST_SIGNALS = 11;
    uint256 internal constant PAIR_COMMIT_SIGNALS = 6;
    uint256 internal constant ESCROW_PAD_SIGNALS = 6;
    uint256 internal constant KEY_POSSESSION_SIGNALS = 3;

    // BN254 generators: valid curve points, so a bogus proof costs the verifier its full work.
    uint256 internal constant G2_X1 =
        11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 internal constant G2_X0 =
        10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 internal constant G2_Y1 =
        4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 internal constant G2_Y0 =
        8495653923123431417604973247489272438418190587263600148770280649306958101930;

    /// @notice The fixtures' task on an aggregator with the generated verifiers, deployed at the
    ///         fixtures' address on their chain.
    struct FixtureTask {
        FederatedAggregator agg;
        MockModelGovernance gov;
        uint256 taskId;
        address[] members;
        uint256 member; // the proving member (its index in `members`)
        uint256[] ring; // the drawn ring: entry p is the member index at ring position p
        uint256[] commitments; // its K pair commitments by slot (0 for an inactive slot)
        uint256[] words; // its masked chunk
        uint256[] escrow; // its escrow entries (K·(K−1); all zero: K = 2 never escrows)
        IFA.Proof proof; // its `MaskedUpdate` proof of `words`
        VerifierRegistry registry;
        address verifier;
        address revealVerifier;
        address pairVerifier;
        address keyVerifier;
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

    /// @dev Skips when the fixture is missing or older than task domains (no `domain`) or
    ///      drawn rings (no `ring`).
    function _fixture(string memory variant) internal returns (string memory json) {
        try vm.readFile(string.concat(FIXTURES, variant, ".json")) returns (string memory text) {
            json = text;
        } catch {
            vm.skip(true, string.concat("no proof fixture for ", variant));
        }
        if (!vm.keyExistsJson(json, ".domain")) {
            vm.skip(
                true, string.concat(variant, ".json predates task domains: run tools/fixtures.py")
            );
        }
        if (!vm.keyExistsJson(json, ".ring")) {
            vm.skip(
                true, string.concat(variant, ".json predates drawn rings: run tools/fixtures.py")
            );
        }
    }

    /// @dev A fixture with the member's escrow entries (`escrow`); skips one written before the
    ///      seed escrow (`MaskedUpdate` gained the `escrow` public inputs).
    function _escrowFixture(string memory variant) internal returns (string memory json) {
        json = _fixture(variant);
        if (!vm.keyExistsJson(json, ".escrow")) {
            vm.skip(
                true, string.concat(variant, ".json predates seed escrow: run tools/fixtures.py")
            );
        }
    }

    /// @dev The fixture's `ring`, checked to be the draw of `drawGraph` from its `anchorHash`
    ///      and domain: seed keccak256(abi.encode(anchorHash, D)), shuffled by
    ///      `RingReference.shuffle`.
    function _ring(string memory json) internal view returns (uint256[] memory ring) {
        ring = vm.parseJsonUintArray(json, ".ring");
        assertEq(ring.length, _length(json, ".memberKeys"), "one ring position per member");
        bytes32 seed =
            keccak256(abi.encode(vm.parseJsonBytes32(json, ".anchorHash"), _domain(json)));
        assertEq(ring, RingReference.shuffle(seed, ring.length), "ring = the draw from anchorHash");
    }

    /// @dev keccak256(abi.encode(keccak256(tag), chainId, aggregator, last)) mod p: the
    ///      aggregator's task domain and key binding.
    function _fieldHash(string memory tag, uint256 chainId, address aggregator, bytes32 last)
        internal
        pure
        returns (uint256)
    {
        return uint256(keccak256(abi.encode(keccak256(bytes(tag)), chainId, aggregator, last))) % P;
    }

    /// @dev The fixture's `domain`, checked against the contract's definition for its chain,
    ///      aggregator and task.
    function _domain(string memory json) internal pure returns (uint256 domain) {
        domain = vm.parseJsonUint(json, ".domain");
        assertEq(
            domain,
            _fieldHash(
                "zkfed.task-domain",
                vm.parseJsonUint(json, ".chainId"),
                vm.parseJsonAddress(json, ".aggregator"),
                bytes32(vm.parseJsonUint(json, ".task"))
            ),
            "domain = keccak256(abi.encode(keccak256(tag), chainId, aggregator, task)) mod p"
        );
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

    /// @dev Another value in [1, p − 1], for a tampered commitment.
    function _other(uint256 value) internal pure returns (uint256) {
        return value % (P - 1) + 1;
    }

    // ---------------------------------------------------------------------------------------
    // The generated verifiers on their own
    // ---------------------------------------------------------------------------------------

    /// @dev Deploys the generated verifier `name` and skips the test unless it takes `signals`
    ///      public signals (an artifact generated before a circuit's public inputs changed
    ///      answers another selector).
    function _deployFor(string memory name, uint256 signals) internal returns (address verifier) {
        verifier = _deploy(name);
        (bool ok,) = verifier.staticcall(groth16.encode(_bogusProof(), new uint256[](signals)));
        if (!ok) {
            vm.skip(
                true,
                string.concat(name, " does not take ", vm.toString(signals), " signals: regenerate")
            );
        }
    }

    /// @dev `verifyProof` of the default variant (85 signals) on a proof made of valid points.
    function test_Gas_DefaultVerifier() public {
        address verifier = _deployFor("MaskedUpdateVerifier", DEFAULT_SIGNALS);
        uint256[] memory signals = new uint256[](DEFAULT_SIGNALS);
        for (uint256 i; i < signals.length; ++i) {
            signals[i] = uint256(keccak256(abi.encode(i))) >> 8;
        }
        bytes memory data = groth16.encode(_bogusProof(), signals);
        uint256 before = gasleft();
        (bool ok, bytes memory answer) = verifier.staticcall(data);
        uint256 used = before - gasleft();
        console2.log("MaskedUpdateVerifier.verifyProof gas", used);
        assertTrue(ok, "MaskedUpdateVerifier must take 85 public signals");
        assertEq(abi.decode(answer, (uint256)), 0);
        assertLt(used, 1_000_000);
        assertLe(verifier.code.length, 24_576, "EIP-170");
    }

    /// @dev Every generated verifier does its full work (a proof of valid points, which costs
    ///      what a valid proof costs) within the gas the aggregator gives it,
    ///      `Groth16Call.gasCap(n)` = 400,000 + 10,000·n, with room to spare: a cap below a
    ///      verifier's cost would refuse every honest proof.
    function test_Gas_GeneratedVerifiersFitUnderTheirCap() public {
        string[9] memory names = [
            "MaskedUpdateVerifier",
            "MaskedUpdateTestVerifier",
            "MaskRevealVerifier",
            "MaskRevealTestVerifier",
            "PairCommitVerifier",
            "KeyPossessionVerifier",
            "EscrowPadVerifier",
            "SeedMaskVerifier",
            "SeedMaskTestVerifier"
        ];
        uint256[9] memory counts = [
            DEFAULT_SIGNALS, TEST_SIGNALS, 68, 6, PAIR_COMMIT_SIGNALS, 3, ESCROW_PAD_SIGNALS, 65, 3
        ];
        address[9] memory verifiers;
        for (uint256 v; v < names.length; ++v) {
            verifiers[v] = _deployFor(names[v], counts[v]);
        }
        for (uint256 v; v < names.length; ++v) {
            address verifier = verifiers[v];
            uint256[] memory signals = new uint256[](counts[v]);
            for (uint256 i; i < signals.length; ++i) {
                signals[i] = uint256(keccak256(abi.encode(v, i))) >> 8;
            }
            bytes memory data = groth16.encode(_bogusProof(), signals);
            uint256 before = gasleft();
            (bool ok,) = verifier.staticcall(data);
            uint256 used = before - gasleft();
            uint256 cap = 400_000 + 10_000 * counts[v];
            console2.log(names[v], used, cap);
            assertTrue(ok, names[v]);
            assertLt(used * 5, cap * 4, "at least 20% below the cap");
        }
    }

    /// @dev A proof point off the curve makes the pairing precompile burn all the gas the
    ///      generated verifier forwards to it: nearly a whole 16M call uncapped, at most the cap
    ///      through `Groth16Call.verify`.
    function test_Gas_OffCurveProofCostsAtMostTheCap() public {
        address verifier = _deployFor("MaskedUpdateTestVerifier", TEST_SIGNALS);
        IFA.Proof memory proof = _bogusProof();
        proof.a = [uint256(1), 3]; // 3² ≠ 1³ + 3
        uint256[] memory signals = new uint256[](TEST_SIGNALS);
        bytes memory data = groth16.encode(proof, signals);

        uint256 before = gasleft();
        (bool ok, bytes memory answer) = verifier.staticcall{gas: 16_000_000}(data);
        uint256 uncapped = before - gasleft();
        assertTrue(ok && abi.decode(answer, (uint256)) == 0, "refused");
        assertGt(uncapped, 15_000_000);

        before = gasleft();
        assertFalse(groth16.verify{gas: 16_000_000}(verifier, proof, signals));
        uint256 capped = before - gasleft();
        console2.log("off-curve proof: uncapped, capped", uncapped, capped);
        assertLt(capped, 400_000 + 10_000 * TEST_SIGNALS + 100_000);
    }

    /// @dev The client's proof verifies with the signals in the order of record (D, round,
    ///      chunk, commitments[K], slots, bound, y[W], escrow[K·(K−1)]); any changed signal does
    ///      not.
    function test_RealProof_MaskedUpdate_TamperingFails() public {
        address verifier = _deployFor("MaskedUpdateTestVerifier", TEST_SIGNALS);
        string memory json = _escrowFixture("masked_update_test");
        IFA.Proof memory proof = _proof(json, ".proof");
        uint256[] memory signals = vm.parseJsonUintArray(json, ".publicSignals");
        uint256[] memory commitments = vm.parseJsonUintArray(json, ".commitments");
        uint256[] memory words = vm.parseJsonUintArray(json, ".words");
        uint256 k = vm.parseJsonUint(json, ".neighbors");

        assertEq(commitments.length, k, "one commitment per slot");
        uint256[] memory escrow = vm.parseJsonUintArray(json, ".escrow");
        assertEq(escrow.length, k * (k - 1), "K(K-1) escrow entries");
        assertEq(signals.length, 5 + k + words.length + escrow.length, "5 + K + W + K(K-1) signals");
        assertEq(signals[0], _domain(json), "domain");
        assertEq(signals[1], vm.parseJsonUint(json, ".round"), "round");
        assertEq(signals[2], vm.parseJsonUint(json, ".chunk"), "chunk");
        for (uint256 s; s < k; ++s) {
            assertEq(signals[3 + s], commitments[s], "commitments by slot");
        }
        uint256[] memory ring = _ring(json);
        uint256 member = vm.parseJsonUint(json, ".member");
        assertEq(signals[3 + k], RingReference.slotsWord(ring, member, k), "slots on the ring");
        assertFalse(RingReference.escrows(k, ring.length), "the test variant never escrows");
        assertEq(signals[3 + k] >> (2 * k), 0, "escrow bit 2K off");
        assertEq(signals[4 + k], vm.parseJsonUint(json, ".bound"), "bound");
        for (uint256 i; i < words.length; ++i) {
            assertEq(signals[5 + k + i], words[i], "words");
        }
        for (uint256 e; e < escrow.length; ++e) {
            assertEq(signals[5 + k + words.length + e], escrow[e], "escrow");
            assertEq(escrow[e], 0, "escrow off: every entry 0");
        }
        assertTrue(groth16.verify(verifier, proof, signals), "fixture must verify");
        _assertTamperingFails(verifier, proof, signals);
    }

    /// @dev Signals: D, round, chunk, the member's commitment of the slot holding `dropped`,
    ///      the W mask words.
    function test_RealProof_MaskReveal_TamperingFails() public {
        address verifier = _deploy("MaskRevealTestVerifier");
        string memory json = _fixture("mask_reveal_test");
        IFA.Proof memory proof = _proof(json, ".proof");
        uint256[] memory signals = vm.parseJsonUintArray(json, ".publicSignals");
        uint256[] memory commitments = vm.parseJsonUintArray(json, ".commitments");
        uint256[] memory masks = vm.parseJsonUintArray(json, ".masks");
        uint256 slot = RingReference.slotOf(
            _ring(json),
            vm.parseJsonUint(json, ".member"),
            vm.parseJsonUint(json, ".dropped"),
            commitments.length
        );

        assertEq(signals.length, 4 + masks.length, "D, round, chunk, commitment, masks[W]");
        assertEq(signals[0], _domain(json), "domain");
        assertEq(signals[1], vm.parseJsonUint(json, ".round"), "round");
        assertEq(signals[2], vm.parseJsonUint(json, ".chunk"), "chunk");
        assertEq(signals[3], commitments[slot], "commitment of the dropped neighbour's slot");
        for (uint256 i; i < masks.length; ++i) {
            assertEq(signals[4 + i], masks[i], "masks");
        }
        assertTrue(groth16.verify(verifier, proof, signals), "fixture must verify");
        _assertTamperingFails(verifier, proof, signals);
    }

    /// @dev Signals: the member's key, its binding keccak256(abi.encode(keccak256(
    ///      "zkfed.key-binding"), chainId, aggregator, account)) mod p.
    function test_RealProof_KeyPossession_TamperingFails() public {
        address verifier = _deploy("KeyPossessionVerifier");
        string memory json = _fixture("key_possession");
        IFA.Proof memory proof = _proof(json, ".proof");
        uint256[] memory signals = vm.parseJsonUintArray(json, ".publicSignals");
        (uint256[] memory keyX, uint256[] memory keyY) = _memberKeys(json);
        uint256 member = vm.parseJsonUint(json, ".member");
        address account = vm.parseJsonAddressArray(json, ".memberAddresses")[member];

        assertEq(signals.length, KEY_POSSESSION_SIGNALS, "pk[2], binding");
        assertEq(signals[0], keyX[member], "pk.x");
        assertEq(signals[1], keyY[member], "pk.y");
        assertEq(signals[2], vm.parseJsonUint(json, ".binding"), "binding");
        assertEq(
            signals[2],
            _fieldHash(
                "zkfed.key-binding",
                vm.parseJsonUint(json, ".chainId"),
                vm.parseJsonAddress(json, ".aggregator"),
                bytes32(uint256(uint160(account)))
            ),
            "binding = keccak256(abi.encode(keccak256(tag), chainId, aggregator, account)) mod p"
        );
        assertTrue(groth16.verify(verifier, proof, signals), "fixture must verify");
        _assertTamperingFails(verifier, proof, signals);
    }

    /// @dev One proof per active slot of `member`, signals D, pk[2], neighbor[2], commitment;
    ///      each verifies with its own signals only.
    function test_RealProof_PairCommit_TamperingFails() public {
        address verifier = _deploy("PairCommitVerifier");
        string memory json = _fixture("pair_commit");
        (IFA.Proof[] memory proofs, uint256[][] memory signals) = _pairProofs(json);
        uint256[] memory commitments = vm.parseJsonUintArray(json, ".commitments");
        uint256 k = vm.parseJsonUint(json, ".neighbors");
        uint256 active = RingReference.activeSlots(k, _length(json, ".memberKeys"));

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

    /// @dev Slot s's `PairCommit` signals: D, the member's key, the key of slot s's neighbour on
    ///      the fixture's ring, the slot's commitment.
    function _checkPairSignals(
        string memory json,
        uint256 s,
        uint256[] memory v,
        uint256 commitment
    ) internal view {
        (uint256[] memory keyX, uint256[] memory keyY) = _memberKeys(json);
        uint256 member = vm.parseJsonUint(json, ".member");
        uint256 neighbor = RingReference.neighbor(_ring(json), member, s);
        assertEq(v.length, PAIR_COMMIT_SIGNALS, "D, pk[2], neighbor[2], commitment");
        assertEq(v[0], _domain(json), "domain");
        assertEq(v[1], keyX[member], "pk.x");
        assertEq(v[2], keyY[member], "pk.y");
        assertEq(v[3], keyX[neighbor], "neighbor.x of the slot");
        assertEq(v[4], keyY[neighbor], "neighbor.y of the slot");
        assertEq(v[5], commitment, "commitment of the slot");
    }

    /// @dev `holder` opens the pad of `member`'s escrow entry e(j, h), j the slot of `dropped`
    ///      and h the holder's: signals D, round, chunk, the member's commitment of slot h,
    ///      tag(j, h) = 1 + e(j, h) + E·[member < holder], pad (the order
    ///      `ChunkRecovery.revealShare` assembles). The fixture task (K = 2) does not escrow, so
    ///      no chunk carries the entry; the statement is the same.
    function test_RealProof_EscrowPad_TamperingFails() public {
        address verifier = _deployFor("EscrowPadVerifier", ESCROW_PAD_SIGNALS);
        string memory json = _fixture("escrow_pad");
        IFA.Proof memory proof = _proof(json, ".proof");
        uint256[] memory signals = vm.parseJsonUintArray(json, ".publicSignals");
        uint256[] memory commitments = vm.parseJsonUintArray(json, ".commitments");
        uint256[] memory ring = _ring(json);
        uint256 k = vm.parseJsonUint(json, ".neighbors");
        uint256 member = vm.parseJsonUint(json, ".member");
        uint256 holder = vm.parseJsonUint(json, ".holder");
        uint256 j = RingReference.slotOf(ring, member, vm.parseJsonUint(json, ".dropped"), k);
        uint256 h = RingReference.slotOf(ring, member, holder, k);

        assertTrue(j != h, "two slots of the member");
        assertEq(signals.length, ESCROW_PAD_SIGNALS, "D, round, chunk, commitment, tag, pad");
        assertEq(signals[0], _domain(json), "domain");
        assertEq(signals[1], vm.parseJsonUint(json, ".round"), "round");
        assertEq(signals[2], vm.parseJsonUint(json, ".chunk"), "chunk");
        assertEq(signals[3], commitments[h], "the member's commitment of the holder's slot");
        assertEq(signals[4], vm.parseJsonUint(json, ".tag"), "tag");
        assertEq(signals[4], EscrowReference.tag(j, h, k, member < holder), "tag(j, h)");
        assertEq(signals[5], vm.parseJsonUint(json, ".pad"), "pad");
        assertTrue(groth16.verify(verifier, proof, signals), "fixture must verify");
        _assertTamperingFails(verifier, proof, signals);

        // The pad of the entry in the other direction (the holder's escrow at the member, the
        // other half of the tags) is another statement.
        signals[4] = EscrowReference.tag(j, h, k, holder < member);
        assertFalse(groth16.verify(verifier, proof, signals), "the other direction's tag");
    }

    /// @dev The mask of the seed `member` shares with `dropped`: signals seed, mask[W] (the
    ///      order `ChunkRecovery.recoverMask` assembles). Its words are those `MaskReveal`
    ///      proves from the pair's committed secret (`mask_reveal_test.json`): a recovered seed
    ///      removes exactly the mask the member's own reveal would.
    function test_RealProof_SeedMask_TamperingFails() public {
        address verifier = _deployFor("SeedMaskTestVerifier", 1 + uint256(TEST_WORDS));
        string memory json = _fixture("seed_mask_test");
        string memory reveal = _fixture("mask_reveal_test");
        IFA.Proof memory proof = _proof(json, ".proof");
        uint256[] memory signals = vm.parseJsonUintArray(json, ".publicSignals");
        uint256[] memory masks = vm.parseJsonUintArray(json, ".masks");

        assertEq(masks.length, TEST_WORDS, "W mask words");
        assertEq(signals.length, 1 + masks.length, "seed, mask[W]");
        assertEq(signals[0], vm.parseJsonUint(json, ".seed"), "seed");
        for (uint256 i; i < masks.length; ++i) {
            assertEq(signals[1 + i], masks[i], "masks");
        }
        assertEq(vm.parseJsonUint(json, ".member"), vm.parseJsonUint(reveal, ".member"), "member");
        assertEq(
            vm.parseJsonUint(json, ".dropped"), vm.parseJsonUint(reveal, ".dropped"), "dropped"
        );
        assertEq(masks, vm.parseJsonUintArray(reveal, ".masks"), "MaskReveal's mask words");
        assertTrue(groth16.verify(verifier, proof, signals), "fixture must verify");
        _assertTamperingFails(verifier, proof, signals);
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

    /// @dev A development registry of the generated verifiers: `KeyPossessionVerifier` and
    ///      `masked_update_test` (id `TEST_VARIANT`) with `MaskRevealTestVerifier` and
    ///      `PairCommitVerifier`. The key hashes are stand-ins: the aggregator never reads them.
    function _fixtureRegistry() internal returns (VerifierRegistry) {
        IVerifierRegistry.Variant[] memory variants = new IVerifierRegistry.Variant[](1);
        variants[0] = IVerifierRegistry.Variant({
            name: "masked_update_test",
            circuit: IFA.CircuitVariant({
                verifier: _deploy("MaskedUpdateTestVerifier"),
                words: TEST_WORDS,
                neighbors: TEST_NEIGHBORS,
                lanes: TEST_LANES,
                laneBits: TEST_LANE_BITS,
                valueBits: TEST_VALUE_BITS,
                revealVerifier: _deploy("MaskRevealTestVerifier"),
                pairVerifier: _deploy("PairCommitVerifier"),
                escrowVerifier: _deploy("EscrowPadVerifier"),
                seedMaskVerifier: _deploy("SeedMaskTestVerifier")
            }),
            vkeyHash: keccak256("masked_update_test.vkey.json"),
            revealVkeyHash: keccak256("mask_reveal_test.vkey.json"),
            pairVkeyHash: keccak256("pair_commit.vkey.json"),
            escrowVkeyHash: keccak256("escrow_pad.vkey.json"),
            seedMaskVkeyHash: keccak256("seed_mask_test.vkey.json")
        });
        return new VerifierRegistry(
            _deploy("KeyPossessionVerifier"), keccak256("key_possession.vkey.json"), true, variants
        );
    }

    /// @dev The fixtures' aggregator on `registry`, deployed at the fixtures' `aggregator`
    ///      address on chain `chainId` (so its domains and bindings are the fixtures'), behind a
    ///      governance of the fixtures' accounts. No key registered yet.
    function _fixtureAggregator(string memory json, VerifierRegistry registry)
        internal
        returns (FederatedAggregator agg, MockModelGovernance gov, address[] memory members)
    {
        vm.chainId(vm.parseJsonUint(json, ".chainId"));
        address at = vm.parseJsonAddress(json, ".aggregator");
        gov = new MockModelGovernance(at);
        deployCodeTo("FederatedAggregator.sol:FederatedAggregator", abi.encode(gov, registry), at);
        agg = FederatedAggregator(at);
        members = vm.parseJsonAddressArray(json, ".memberAddresses");
        gov.setMembers(members);
    }

    /// @dev The fixtures' task on the fixtures' aggregator with the real verifiers: the members
    ///      in `memberAddresses` order register the keys `memberKeys` (the proving member with
    ///      its real `KeyPossession` proof, the others with stand-ins), task id `task`, the
    ///      registry's test variant (which must be the fixtures' W and K), one chunk (`chunk` is
    ///      its last), the fixture's bound.
    function _fixtureTask() internal returns (FixtureTask memory t) {
        t.registry = _fixtureRegistry();
        IFA.CircuitVariant memory circuit = t.registry.circuit(TEST_VARIANT);
        t.verifier = circuit.verifier;
        t.revealVerifier = circuit.revealVerifier;
        t.pairVerifier = circuit.pairVerifier;
        t.keyVerifier = t.registry.keyVerifier();
        string memory json = _fixture("masked_update_test");
        t.ring = _ring(json);
        (uint256[] memory keyX, uint256[] memory keyY) = _memberKeys(json);
        t.taskId = vm.parseJsonUint(json, ".task");
        t.member = vm.parseJsonUint(json, ".member");
        t.commitments = vm.parseJsonUintArray(json, ".commitments");
        t.words = vm.parseJsonUintArray(json, ".words");
        t.escrow = vm.keyExistsJson(json, ".escrow")
            ? vm.parseJsonUintArray(json, ".escrow")
            : new uint256[](uint256(TEST_NEIGHBORS) * (TEST_NEIGHBORS - 1));
        t.proof = _proof(json, ".proof");
        uint256 chunk = vm.parseJsonUint(json, ".chunk");
        require(vm.parseJsonUint(json, ".round") == 1, "fixtures are for round 1");

        assertEq(t.words.length, circuit.words, "the fixtures' W is the registered variant's");
        assertEq(t.commitments.length, circuit.neighbors, "... and so is their K");
        assertEq(vm.parseJsonUint(json, ".neighbors"), circuit.neighbors, "neighbors");

        (t.agg, t.gov, t.members) = _fixtureAggregator(json, t.registry);
        _acceptStandIns(t.keyVerifier, KEY_POSSESSION_SIGNALS);
        IKeyRegistry keys = IKeyRegistry(t.agg.keys());
        for (uint256 i; i < keyX.length; ++i) {
            vm.prank(t.members[i]);
            keys.registerKey(
                keyX[i], keyY[i], i == t.member ? _keyProof(t.member) : _standInProof()
            );
        }

        IFA.TaskConfig memory c;
        c.variant = TEST_VARIANT;
        c.scaleBits = SCALE_BITS;
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
            id = t.gov.createTask(c); // the fixture's task id is the id-th task
        }
        assertEq(id, t.taskId);
        assertEq(abi.encode(t.agg.taskCircuit(id)), abi.encode(circuit));
        assertEq(t.agg.taskDomain(t.taskId), _domain(json), "the fixtures' domain");

        // The creation block's hash is the fixtures' `anchorHash`: the next block draws `ring`.
        uint256 anchor = block.number;
        vm.roll(anchor + 1);
        vm.setBlockhash(anchor, vm.parseJsonBytes32(json, ".anchorHash"));
        keys.drawGraph(t.taskId);
        assertEq(keys.ringOrder(t.taskId), t.ring, "the fixtures' ring");
    }

    /// @dev `key_possession.json`'s proof, after checking it is the proving member's.
    function _keyProof(uint256 member) internal returns (IFA.Proof memory) {
        string memory json = _fixture("key_possession");
        assertEq(vm.parseJsonUint(json, ".member"), member, "key_possession.json: member");
        return _proof(json, ".proof");
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
        uint256[] memory commitments = new uint256[](active);
        IFA.Proof[] memory proofs = new IFA.Proof[](active);
        for (uint256 s; s < active; ++s) {
            uint256 j = RingReference.neighbor(t.ring, m, s);
            assertEq(ring[s], t.members[j]);
            (uint256 low, uint256 high) = m < j ? (m, j) : (j, m);
            commitments[s] = j == t.member
                ? t.commitments[RingReference.slotOf(t.ring, j, m, k)]
                : uint256(keccak256(abi.encode("stand-in pair", low, high))) % (P - 1) + 1;
            proofs[s] = _standInProof();
        }
        vm.prank(t.members[m]);
        t.agg.joinTask(t.taskId, commitments, proofs);
    }

    /// @dev The member's real `KeyPossession` proof registers its key from its own account
    ///      only: from another account (the binding differs) it is refused, and once the key is
    ///      registered anyone else is told who owns it.
    function test_RealProof_RegisterKey_BindsTheAccount() public {
        VerifierRegistry registry = _fixtureRegistry();
        string memory json = _fixture("key_possession");
        (FederatedAggregator agg,, address[] memory members) = _fixtureAggregator(json, registry);
        IKeyRegistry keys = IKeyRegistry(agg.keys());
        (uint256[] memory keyX, uint256[] memory keyY) = _memberKeys(json);
        uint256 member = vm.parseJsonUint(json, ".member");
        (uint256 x, uint256 y) = (keyX[member], keyY[member]);
        IFA.Proof memory proof = _proof(json, ".proof");
        address owner = members[member];
        address copier = members[(member + 1) % members.length];
        assertEq(keys.keyBinding(owner), vm.parseJsonUint(json, ".binding"));

        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidKeyProof.selector, copier));
        vm.prank(copier);
        keys.registerKey(x, y, proof);

        IFA.Proof memory tampered = _proof(json, ".proof");
        tampered.c[0] = _other(tampered.c[0]);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidKeyProof.selector, owner));
        vm.prank(owner);
        keys.registerKey(x, y, tampered);

        vm.prank(owner);
        keys.registerKey(x, y, proof);
        assertEq(keys.keyOwner(x, y), owner);

        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.KeyInUse.selector, x, y, owner));
        vm.prank(copier);
        keys.registerKey(x, y, proof);
    }

    /// @dev The same proof from the same account is refused by an aggregator at another address
    ///      and by the fixtures' aggregator on another chain.
    function test_RealProof_RegisterKey_RefusedElsewhere() public {
        VerifierRegistry registry = _fixtureRegistry();
        string memory json = _fixture("key_possession");
        (FederatedAggregator agg,, address[] memory members) = _fixtureAggregator(json, registry);
        IKeyRegistry keys = IKeyRegistry(agg.keys());
        (uint256[] memory keyX, uint256[] memory keyY) = _memberKeys(json);
        uint256 member = vm.parseJsonUint(json, ".member");
        IFA.Proof memory proof = _proof(json, ".proof");
        address owner = members[member];

        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        MockModelGovernance gov = new MockModelGovernance(predicted);
        FederatedAggregator elsewhere =
            new FederatedAggregator(IModelGovernance(address(gov)), registry);
        gov.setMembers(members);
        IKeyRegistry elsewhereKeys = IKeyRegistry(elsewhere.keys());
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidKeyProof.selector, owner));
        vm.prank(owner);
        elsewhereKeys.registerKey(keyX[member], keyY[member], proof);

        uint256 chainId = block.chainid;
        vm.chainId(chainId + 1);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.InvalidKeyProof.selector, owner));
        vm.prank(owner);
        keys.registerKey(keyX[member], keyY[member], proof);

        vm.chainId(chainId);
        vm.prank(owner);
        keys.registerKey(keyX[member], keyY[member], proof);
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

    /// @dev The real join proofs are refused by the same task on another chain: the domain is
    ///      their first public input.
    function test_RealProof_JoinTask_RefusedOnAnotherChain() public {
        FixtureTask memory t = _fixtureTask();
        (uint256[] memory commitments, IFA.Proof[] memory proofs) = _joinArguments(t);
        address member = t.members[t.member];
        uint256 chainId = block.chainid;
        vm.chainId(chainId + 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidPairProof.selector, t.taskId, member, 0));
        vm.prank(member);
        t.agg.joinTask(t.taskId, commitments, proofs);
        vm.chainId(chainId);
        vm.prank(member);
        t.agg.joinTask(t.taskId, commitments, proofs);
    }

    /// @dev The real chunk proof is useless before its commitments are posted.
    function test_RealProof_SubmitBeforeJoinFails() public {
        FixtureTask memory t = _fixtureTask();
        address member = t.members[t.member];
        vm.expectRevert(abi.encodeWithSelector(IFA.NotJoined.selector, t.taskId, member));
        vm.prank(member);
        t.agg.submitChunk(t.taskId, 1, 0, t.words, t.escrow, t.proof);
    }

    /// @dev The fixtures' round on the aggregator: the proving member registers its key and
    ///      joins with its real proofs and submits its real chunk (refused for a tampered word
    ///      or from another member), two more members contribute with stand-in proofs to reach
    ///      t_min, and after the deadline the member removes its real mask for `dropped` (refused
    ///      for a tampered mask word): the accumulator moves by exactly −mask, as the member
    ///      (below `dropped`) had added it. The public inputs the aggregator assembles are the
    ///      circuits'.
    function test_RealProof_RoundOnAggregator() public {
        _escrowFixture("masked_update_test");
        FixtureTask memory t = _fixtureTask();
        string memory reveal = _fixture("mask_reveal_test");
        assertEq(vm.parseJsonUint(reveal, ".member"), t.member, "mask_reveal_test.json: member");
        assertEq(
            vm.parseJsonUintArray(reveal, ".commitments"),
            t.commitments,
            "mask_reveal_test.json: commitments"
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
        t.agg.submitChunk(t.taskId, 1, chunk, t.words, t.escrow, t.proof);
        t.words[0] = (t.words[0] + P - 1) % P;
        vm.prank(member);
        t.agg.submitChunk(t.taskId, 1, chunk, t.words, t.escrow, t.proof);

        uint256 bitmap = _standInContributors(t, chunk, dropped);
        (uint256 contributors, uint256 count) = t.agg.chunkContributors(t.taskId, 1, chunk);
        assertEq(contributors, bitmap | 2 ** t.member);
        assertEq(count, 3);

        vm.warp(t.agg.roundInfo(t.taskId, 1).submissionDeadline);
        _revealFixtureMask(t, reveal);
    }

    /// @dev Two members, neither the proving member nor `dropped`, join and contribute `chunk`
    ///      with stand-in proofs (the proving member's words and proof are no use to them).
    function _standInContributors(FixtureTask memory t, uint256 chunk, uint256 dropped)
        internal
        returns (uint256 bitmap)
    {
        _acceptStandIns(t.pairVerifier, PAIR_COMMIT_SIGNALS);
        _acceptStandIns(t.verifier, TEST_SIGNALS);
        uint256 others;
        for (uint256 m; m < t.members.length && others < 2; ++m) {
            if (m == t.member || m == dropped) continue;
            address other = t.members[m];
            _joinStandIn(t, m);
            vm.expectRevert(
                abi.encodeWithSelector(IFA.InvalidProof.selector, t.taskId, 1, chunk, other)
            );
            vm.prank(other);
            t.agg.submitChunk(t.taskId, 1, chunk, t.words, t.escrow, t.proof);

            uint256[] memory words = new uint256[](t.words.length);
            for (uint256 i; i < words.length; ++i) {
                words[i] = uint256(keccak256(abi.encode("stand-in words", m, i))) % P;
            }
            vm.prank(other);
            t.agg.submitChunk(t.taskId, 1, chunk, words, t.escrow, _standInProof());
            bitmap |= 2 ** m;
            ++others;
        }
    }

    /// @dev The member removes `mask_reveal_test.json`'s mask for `dropped` with its real proof:
    ///      refused for a tampered mask word, then accepted and subtracted from the accumulator.
    function _revealFixtureMask(FixtureTask memory t, string memory reveal) internal {
        address member = t.members[t.member];
        uint256 droppedIndex = vm.parseJsonUint(reveal, ".dropped");
        address dropped = t.members[droppedIndex];
        uint256 chunk = vm.parseJsonUint(reveal, ".chunk");
        uint256[] memory masks = vm.parseJsonUintArray(reveal, ".masks");
        IFA.Proof memory proof = _proof(reveal, ".proof");
        uint256[] memory before = t.agg.accumulator(t.taskId, 1, chunk);

        masks[0] = (masks[0] + 1) % P;
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidProof.selector, t.taskId, 1, chunk, member)
        );
        vm.prank(member);
        t.agg.revealMask(t.taskId, 1, chunk, dropped, masks, proof);
        masks[0] = (masks[0] + P - 1) % P;
        vm.prank(member);
        t.agg.revealMask(t.taskId, 1, chunk, dropped, masks, proof);

        assertTrue(t.agg.maskRevealed(t.taskId, 1, chunk, member, dropped));
        (uint256 reveals,) = t.agg.chunkReveals(t.taskId, 1, chunk);
        assertEq(reveals, 1);
        assertLt(t.member, droppedIndex, "the member added the mask");
        uint256[] memory acc = t.agg.accumulator(t.taskId, 1, chunk);
        for (uint256 w; w < masks.length; ++w) {
            assertEq(acc[w], addmod(before[w], P - masks[w], P));
        }
    }
}
