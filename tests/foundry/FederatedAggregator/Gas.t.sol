// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";
import {ChunkRecovery} from "../../../contracts/ChunkRecovery.sol";
import {FederatedAggregator} from "../../../contracts/FederatedAggregator.sol";
import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "../../../contracts/interfaces/IKeyRegistry.sol";
import {IVerifierRegistry} from "../../../contracts/interfaces/IVerifierRegistry.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";
import {GasBurningVerifier} from "../utils/GasBurningVerifier.sol";

/// @notice Transaction gas of the default variant `masked_update_default` of
///         circuits/circuits.json (W = 64, L = 21, B = 12, R = 8, K = 4: 1,344 parameters per
///         chunk, 5 + K + W + K·(K−1) = 85 public signals) with mock verifiers, storage cooled
///         before each call as in a fresh transaction. The real `MaskedUpdate` verifier adds
///         ≈ 750k (`RealVerifier.t.sol`'s `test_Gas_DefaultVerifier`); `VERIFY_BUDGET` reserves
///         it (the aggregator gives a verifier at most `Groth16Call.gasCap`: 1.25M for 85
///         signals).
contract GasTest is AggregatorFixture {
    uint16 internal constant DEFAULT_W = 64;
    uint8 internal constant DEFAULT_K = 4;
    uint8 internal constant DEFAULT_L = 21;
    uint8 internal constant DEFAULT_B = 12;
    uint8 internal constant DEFAULT_R = 8;
    uint256 internal constant TX_CAP = 1 << 24; // EIP-7825
    uint256 internal constant VERIFY_BUDGET = 1_000_000;
    /// @dev Registry ids: the default variant, and the same with a gas-burning `MaskedUpdate`
    ///      verifier.
    uint32 internal constant DEFAULT_VARIANT = 1;
    uint32 internal constant BURNING_VARIANT = 2;

    MockGroth16Verifier internal defaultVerifier;
    MockGroth16Verifier internal defaultRevealVerifier;
    MockGroth16Verifier internal defaultSeedMaskVerifier;
    GasBurningVerifier internal burner;
    uint256 internal taskId;

    function setUp() public override {
        defaultVerifier = new MockGroth16Verifier(
            5 + uint256(DEFAULT_K) + DEFAULT_W + uint256(DEFAULT_K) * (DEFAULT_K - 1)
        );
        defaultRevealVerifier = new MockGroth16Verifier(4 + uint256(DEFAULT_W));
        defaultSeedMaskVerifier = new MockGroth16Verifier(1 + uint256(DEFAULT_W));
        burner = new GasBurningVerifier(type(uint256).max);
        super.setUp();
        taskId = _newTask(_defaultConfig());
        _joinAll(taskId);
    }

    /// @dev The fixture's variant, `masked_update_default` (id `DEFAULT_VARIANT`) and its
    ///      gas-burning twin (id `BURNING_VARIANT`).
    function _variants() internal view override returns (IVerifierRegistry.Variant[] memory v) {
        v = _append(
            super._variants(),
            _entry("masked_update_default", _defaultCircuit(address(defaultVerifier)))
        );
        v = _append(v, _entry("masked_update_default_burning", _defaultCircuit(address(burner))));
    }

    function _defaultCircuit(address maskedUpdateVerifier)
        internal
        view
        returns (IFA.CircuitVariant memory)
    {
        return IFA.CircuitVariant({
            verifier: maskedUpdateVerifier,
            words: DEFAULT_W,
            neighbors: DEFAULT_K,
            lanes: DEFAULT_L,
            laneBits: DEFAULT_B,
            valueBits: DEFAULT_R,
            revealVerifier: address(defaultRevealVerifier),
            pairVerifier: address(pairVerifier),
            escrowVerifier: address(escrowVerifier),
            seedMaskVerifier: address(defaultSeedMaskVerifier)
        });
    }

    function _defaultConfig() internal view returns (IFA.TaskConfig memory c) {
        c = _config();
        c.variant = DEFAULT_VARIANT;
        c.paramCount = 10 * uint64(DEFAULT_W) * DEFAULT_L; // ten chunks of 1,344 parameters
    }

    function _defaultWords(uint256 salt) internal pure returns (uint256[] memory words) {
        words = new uint256[](DEFAULT_W);
        for (uint256 i; i < DEFAULT_W; ++i) {
            words[i] = uint256(keccak256(abi.encode(salt, i))) % P;
        }
    }

    /// @dev K·(K−1) = 12 escrow entries of `masked_update_default`, all in use (every slot active
    ///      with eight members), as random as real ones (share + pad mod p): calldata costs.
    function _defaultEscrow(uint256 salt) internal pure returns (uint256[] memory escrow) {
        escrow = new uint256[](uint256(DEFAULT_K) * (DEFAULT_K - 1));
        for (uint256 i; i < escrow.length; ++i) {
            escrow[i] = uint256(keccak256(abi.encode("escrow", salt, i))) % P;
        }
    }

    /// @dev Execution gas of the last call plus the intrinsic cost of its calldata.
    function _txGas(bytes memory data) internal view returns (uint256 total) {
        total = 21_000 + vm.lastCallGas().gasTotalUsed;
        for (uint256 i; i < data.length; ++i) {
            total += data[i] == 0 ? 4 : 16;
        }
    }

    function _measuredSubmit(uint256 round, uint256 member, uint256 chunk, string memory label)
        internal
        returns (uint256 gas)
    {
        uint256[] memory words = _defaultWords(round * 100 + member * 10 + chunk);
        uint256[] memory escrow = _defaultEscrow(round * 100 + member * 10 + chunk);
        bytes memory data = abi.encodeCall(
            FederatedAggregator.submitChunk, (taskId, round, chunk, words, escrow, _proof())
        );
        vm.cool(address(agg));
        vm.prank(members[member]);
        agg.submitChunk(taskId, round, chunk, words, escrow, _proof());
        gas = _txGas(data);
        console2.log(label, gas);
        assertLt(gas + VERIFY_BUDGET, TX_CAP);
    }

    /// @dev The members at ring positions 0–2 contribute chunk 0; position 0 removes its mask
    ///      with position 5.
    function test_Gas_RoundTransactionsFitUnderCap() public {
        // Round 1: the first contribution pays zero→non-zero for 64 accumulator words.
        _measuredSubmit(1, _at(taskId, 0), 0, "submitChunk, first round, first contributor");
        uint256 adding = _measuredSubmit(1, _at(taskId, 1), 0, "submitChunk, adding");
        _measuredSubmit(1, _at(taskId, 2), 0, "submitChunk, third contributor (reaches t_min)");
        console2.log(
            "  per parameter (adding, mock verifier)", adding / (uint256(DEFAULT_W) * DEFAULT_L)
        );

        _toSubmissionDeadline(taskId, 1);
        uint256[] memory masks = _defaultWords(42);
        (address revealer, address dropped) = (members[_at(taskId, 0)], members[_at(taskId, 5)]);
        bytes memory data = abi.encodeCall(
            FederatedAggregator.revealMask, (taskId, 1, 0, dropped, masks, _proof())
        );
        vm.cool(address(agg));
        vm.prank(revealer);
        agg.revealMask(taskId, 1, 0, dropped, masks, _proof());
        uint256 reveal = _txGas(data);
        console2.log("revealMask (W = 64)", reveal);
        assertLt(reveal + VERIFY_BUDGET, TX_CAP);

        _toRecoveryDeadline(taskId, 1);
        data = abi.encodeCall(FederatedAggregator.finalizeRound, (taskId, 1, 10));
        vm.cool(address(agg));
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 1, 10);
        uint256 finalize = _txGas(data);
        console2.log(
            "finalizeRound (after recovery deadline, 10 chunks, 1 void at t_min)", finalize
        );
        assertLt(finalize, TX_CAP);

        // Round 2 reuses the slots round 1 wrote.
        _measuredSubmit(2, 3, 0, "submitChunk, later round, first contributor (overwrite)");
        _measuredSubmit(2, 4, 0, "submitChunk, later round, adding");
    }

    /// @dev Seed escrow recovery on `ChunkRecovery` (W = 64): positions 0–2 contribute chunk 0,
    ///      position 0 never removes its mask with position 5; in the recovery window its three
    ///      holders (positions 1, 2, 4) open their shares and anyone removes the mask. Each call
    ///      reads the aggregator's views and verifies one proof (mock here; the real
    ///      `EscrowPad` or `SeedMask(64)` verifier adds what `VERIFY_BUDGET` reserves).
    function test_Gas_EscrowRecovery() public {
        for (uint256 p; p < 3; ++p) {
            _measuredSubmit(1, _at(taskId, p), 0, "submitChunk (escrow recovery)");
        }
        _toRevealDeadline(taskId, 1);
        ChunkRecovery recovery = _recovery();
        (uint256 owner, uint256 dropped) = (_at(taskId, 0), _at(taskId, 5));
        uint256[3] memory holders = [_at(taskId, 1), _at(taskId, 2), _at(taskId, 4)];
        uint256[] memory words = _defaultWords(100 + owner * 10);
        uint256[] memory escrow = _defaultEscrow(100 + owner * 10);
        for (uint256 t; t < 3; ++t) {
            bytes memory data = abi.encodeCall(
                ChunkRecovery.revealShare,
                (
                    taskId,
                    1,
                    0,
                    members[owner],
                    members[dropped],
                    members[holders[t]],
                    keccak256(abi.encodePacked(uint256(1), words)),
                    escrow,
                    t + 1,
                    _proof()
                )
            );
            _cool(recovery);
            (bool ok,) = address(recovery).call(data);
            assertTrue(ok, "revealShare");
            uint256 gas = _txGas(data);
            console2.log("revealShare (K = 4, six members)", gas);
            assertLt(gas + VERIFY_BUDGET, TX_CAP);
        }
        uint256[] memory masks = _defaultWords(43);
        bytes memory recover = abi.encodeCall(
            ChunkRecovery.recoverMask,
            (taskId, 1, 0, members[owner], members[dropped], masks, _proof())
        );
        _cool(recovery);
        (bool recovered,) = address(recovery).call(recover);
        assertTrue(recovered, "recoverMask");
        uint256 gas = _txGas(recover);
        console2.log("recoverMask (W = 64)", gas);
        assertLt(gas + VERIFY_BUDGET, TX_CAP);
        assertTrue(agg.maskRevealed(taskId, 1, 0, members[owner], members[dropped]));
    }

    function _cool(ChunkRecovery recovery) internal {
        vm.cool(address(recovery));
        vm.cool(address(agg));
        vm.cool(agg.keys());
    }

    /// @dev One join per member and task: K commitments stored zero→non-zero, K `PairCommit`
    ///      verifications (≈ 4 × the real verifier's cost on top, not reserved here).
    function test_Gas_JoinTask() public {
        _registerSpareKeys(1); // the setUp task took every member's first key
        uint256 fresh = _newTask(_defaultConfig());
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(fresh, members[0]);
        bytes memory data =
            abi.encodeCall(FederatedAggregator.joinTask, (fresh, commitments, proofs));
        vm.cool(address(agg));
        vm.prank(members[0]);
        agg.joinTask(fresh, commitments, proofs);
        uint256 gas = _txGas(data);
        console2.log("joinTask (K = 4, mock verifier)", gas);
        assertLt(gas + DEFAULT_K * VERIFY_BUDGET, TX_CAP);
    }

    /// @dev One draw per task, by anyone, on the `KeyRegistry`: the task's domain read from the
    ///      aggregator, a Fisher–Yates shuffle of n member indices (n − 1 hashes) stored as 2n
    ///      bytes. Measured for six members, the default variant's 16 (lane headroom
    ///      2^(B − R)) and `MAX_MEMBERS` = 128 (on a variant with B − R = 8; crowds of fresh
    ///      governance members, each registering a real key, `_enrolCrowd`).
    function test_Gas_DrawGraph() public {
        _registerSpareKeys(1); // the setUp task took every member's first key
        uint256 six = _measuredDraw(_defaultConfig(), "drawGraph, 6 members");
        IFA.CircuitVariant memory wide = _variant();
        wide.laneBits = 16;
        wide.valueBits = 8;
        IFA.TaskConfig memory c = _config();
        c.variant = _deployWithVariant(wide);
        uint256 previous = six;
        uint256[2] memory sizes = [uint256(16), agg.MAX_MEMBERS()];
        for (uint256 t; t < sizes.length; ++t) {
            _enrolCrowd(sizes[t]);
            uint256 gas =
                _measuredDraw(c, string.concat("drawGraph, ", vm.toString(sizes[t]), " members"));
            assertEq(agg.taskMembers(agg.taskCount()).length, sizes[t], "every member drawn");
            assertGt(gas, previous);
            previous = gas;
        }
    }

    /// @dev Creates a task of `c` and draws its ring in the next block, storage cooled.
    function _measuredDraw(IFA.TaskConfig memory c, string memory label)
        internal
        returns (uint256 gas)
    {
        uint256 id = gov.createTask(c);
        IKeyRegistry keyRegistry = _keyRegistry();
        vm.roll(block.number + 1);
        vm.setBlockhash(block.number - 1, keccak256(abi.encode("gas", id)));
        bytes memory data = abi.encodeCall(IKeyRegistry.drawGraph, (id));
        vm.cool(address(keyRegistry));
        vm.cool(address(agg));
        keyRegistry.drawGraph(id);
        gas = _txGas(data);
        console2.log(label, gas);
        assertEq(keyRegistry.ringOrder(id).length, agg.taskMembers(id).length);
        assertEq(keyRegistry.graph(id).length, 2 * agg.taskMembers(id).length);
        assertLt(gas, TX_CAP);
    }

    /// @dev Early finalisation of ten Recoverable chunks (full participation): each sealed chunk
    ///      reads its 64 words and logs them. One call for all ten, then one chunk per call.
    function test_Gas_FinalizeSealsRecoverableChunks() public {
        for (uint256 c; c < 10; ++c) {
            for (uint256 m; m < N_MEMBERS; ++m) {
                vm.prank(members[m]);
                agg.submitChunk(
                    taskId, 1, c, _defaultWords(c * 10 + m), _defaultEscrow(c), _proof()
                );
            }
        }
        _toSubmissionDeadline(taskId, 1);
        uint256 snapshot = vm.snapshotState();

        bytes memory data = abi.encodeCall(FederatedAggregator.finalizeRound, (taskId, 1, 10));
        vm.cool(address(agg));
        agg.finalizeRound(taskId, 1, 10);
        uint256 all = _txGas(data);
        console2.log("finalizeRound (early, 10 Recoverable chunks in one call)", all);
        assertLt(all, TX_CAP);

        vm.revertToState(snapshot);
        data = abi.encodeCall(FederatedAggregator.finalizeRound, (taskId, 1, 1));
        vm.cool(address(agg));
        agg.finalizeRound(taskId, 1, 1);
        uint256 one = _txGas(data);
        console2.log("finalizeRound (early, first of 10 chunks alone)", one);
        assertLt(one, all);
        // A task of the largest chunk count still finalizes: the batch bounds every call.
        console2.log("  chunks per 16M call (upper bound)", TX_CAP / (all / 10));
    }

    /// @dev A `MaskedUpdate` verifier that burns all the gas it gets, as the real one does for a
    ///      proof point off the curve: with a 16M gas limit the refused submission costs below
    ///      2M, since the aggregator gives the verifier only `gasCap(73)` = 1.13M.
    function test_Gas_VerifierBurningAllGasIsCapped() public {
        IFA.TaskConfig memory c = _defaultConfig();
        c.variant = BURNING_VARIANT;
        _registerSpareKeys(1); // the setUp task took every member's first key
        uint256 fresh = _newTask(c);
        _joinAll(fresh);
        uint256[] memory words = _defaultWords(7);

        vm.cool(address(agg));
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, fresh, 1, 0, members[0]));
        vm.prank(members[0]);
        uint256 before = gasleft();
        agg.submitChunk{gas: 16_000_000}(fresh, 1, 0, words, _defaultEscrow(7), _proof());
        uint256 used = before - gasleft();
        console2.log("submitChunk refused after a gas-burning verifier", used);
        assertGt(
            used,
            400_000 + 10_000 * (5 + uint256(DEFAULT_K) + DEFAULT_W + DEFAULT_K * (DEFAULT_K - 1))
        );
        assertLt(used, 2_000_000);
    }
}
