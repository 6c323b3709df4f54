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
///         client. Each test skips itself while its verifier or fixture does not exist yet.
/// @dev Fixtures live in `tests/fixtures/proofs/<variant>.json` (schema in
///      tests/foundry/README.md) and need `fs_permissions` read access to `tests/fixtures` in
///      foundry.toml.
contract RealVerifierTest is Test {
    string internal constant FIXTURES = "tests/fixtures/proofs/";

    // BN254 generators: valid curve points, so a bogus proof costs the verifier its full work.
    uint256 internal constant G2_X1 =
        11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 internal constant G2_X0 =
        10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 internal constant G2_Y1 =
        4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 internal constant G2_Y0 =
        8495653923123431417604973247489272438418190587263600148770280649306958101930;

    MockGroth16Call internal groth16 = new MockGroth16Call();

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

    function _fixture(string memory variant) internal returns (string memory json) {
        try vm.readFile(string.concat(FIXTURES, variant, ".json")) returns (string memory text) {
            json = text;
        } catch {
            vm.skip(true, string.concat("no proof fixture for ", variant));
        }
    }

    function _bogusProof() internal pure returns (IFA.Proof memory proof) {
        proof.a = [uint256(1), 2];
        proof.b = [[G2_X1, G2_X0], [G2_Y1, G2_Y0]];
        proof.c = [uint256(1), 2];
    }

    function _proof(string memory json) internal pure returns (IFA.Proof memory proof) {
        uint256[] memory a = vm.parseJsonUintArray(json, ".proof.a");
        uint256[] memory b0 = vm.parseJsonUintArray(json, ".proof.b[0]");
        uint256[] memory b1 = vm.parseJsonUintArray(json, ".proof.b[1]");
        uint256[] memory c = vm.parseJsonUintArray(json, ".proof.c");
        proof.a = [a[0], a[1]];
        proof.b = [[b0[0], b0[1]], [b1[0], b1[1]]];
        proof.c = [c[0], c[1]];
    }

    /// @dev `.memberKeys` one key at a time: `parseJsonUintArray` refuses wildcard paths
    ///      (`[*]` matches several values).
    function _memberKeys(string memory json)
        internal
        view
        returns (uint256[] memory x, uint256[] memory y)
    {
        uint256 n;
        while (vm.keyExistsJson(json, string.concat(".memberKeys[", vm.toString(n), "]"))) {
            ++n;
        }
        x = new uint256[](n);
        y = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            uint256[] memory key =
                vm.parseJsonUintArray(json, string.concat(".memberKeys[", vm.toString(i), "]"));
            (x[i], y[i]) = (key[0], key[1]);
        }
    }

    /// @dev `verifyProof` of the default variant (79 signals) on a proof made of valid points.
    function test_Gas_DefaultVerifier() public {
        address verifier = _deploy("MaskedUpdateVerifier");
        uint256[] memory signals = new uint256[](79);
        for (uint256 i; i < signals.length; ++i) {
            signals[i] = uint256(keccak256(abi.encode(i))) >> 8;
        }
        bytes memory data = groth16.encode(_bogusProof(), signals);
        uint256 before = gasleft();
        (bool ok, bytes memory answer) = verifier.staticcall(data);
        uint256 used = before - gasleft();
        console2.log("MaskedUpdateVerifier.verifyProof gas", used);
        assertTrue(ok);
        assertEq(abi.decode(answer, (uint256)), 0);
        assertLt(used, 1_000_000);
        assertLe(verifier.code.length, 24_576, "EIP-170");
    }

    /// @dev The client's proof verifies as is; a changed word, key, round or chunk does not.
    function test_RealProof_MaskedUpdate_TamperingFails() public {
        address verifier = _deploy("MaskedUpdateTestVerifier");
        string memory json = _fixture("masked_update_test");
        IFA.Proof memory proof = _proof(json);
        uint256[] memory signals = vm.parseJsonUintArray(json, ".publicSignals");
        assertTrue(groth16.verify(verifier, proof, signals), "fixture must verify");

        // task, round, chunk, pk.x and the first word (index 7 + 2K).
        uint256 k = vm.parseJsonUint(json, ".neighbors");
        uint256[5] memory tampered = [uint256(0), 1, 2, 3, 7 + 2 * k];
        for (uint256 t; t < tampered.length; ++t) {
            uint256 i = tampered[t];
            signals[i] += 1;
            assertFalse(groth16.verify(verifier, proof, signals));
            signals[i] -= 1;
        }
    }

    function test_RealProof_SeedReveal_TamperingFails() public {
        address verifier = _deploy("SeedRevealVerifier");
        string memory json = _fixture("seed_reveal");
        IFA.Proof memory proof = _proof(json);
        uint256[] memory signals = vm.parseJsonUintArray(json, ".publicSignals");
        assertTrue(groth16.verify(verifier, proof, signals), "fixture must verify");
        for (uint256 i; i < signals.length; ++i) {
            signals[i] += 1;
            assertFalse(groth16.verify(verifier, proof, signals));
            signals[i] -= 1;
        }
    }

    /// @dev The aggregator, set up as the fixture's task, accepts the member's real proof and
    ///      refuses it for a tampered word: the public inputs it assembles are the circuit's.
    function test_RealProof_AcceptedByAggregator() public {
        address verifier = _deploy("MaskedUpdateTestVerifier");
        address seedVerifier = _deploy("SeedRevealVerifier");
        string memory json = _fixture("masked_update_test");
        (uint256[] memory keyX, uint256[] memory keyY) = _memberKeys(json);
        uint256 taskId = vm.parseJsonUint(json, ".task");
        uint256 chunk = vm.parseJsonUint(json, ".chunk");
        uint256 member = vm.parseJsonUint(json, ".member");
        uint256[] memory words = vm.parseJsonUintArray(json, ".words");
        require(vm.parseJsonUint(json, ".round") == 1, "fixtures are for round 1");

        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        MockModelGovernance gov = new MockModelGovernance(predicted);
        FederatedAggregator agg = new FederatedAggregator(IModelGovernance(address(gov)));
        address[] memory members = new address[](keyX.length);
        for (uint256 i; i < members.length; ++i) {
            members[i] = makeAddr(string.concat("fixture-member-", vm.toString(i)));
        }
        gov.setMembers(members);
        for (uint256 i; i < members.length; ++i) {
            vm.prank(members[i]);
            agg.registerKey(keyX[i], keyY[i]);
        }
        IFA.TaskConfig memory c;
        c.variant = IFA.CircuitVariant({
            verifier: verifier,
            words: uint16(words.length),
            neighbors: uint8(vm.parseJsonUint(json, ".neighbors")),
            lanes: 15,
            laneBits: 16,
            valueBits: 12,
            scaleBits: 8,
            seedVerifier: seedVerifier
        });
        c.paramCount = uint64((chunk + 1) * words.length * 15);
        c.bound = uint64(vm.parseJsonUint(json, ".bound"));
        c.minContributors = 3;
        c.rounds = 1;
        c.submissionPeriod = 1 days;
        c.revealPeriod = 1 days;
        c.modelCid = "bafy-fixture";
        c.modelHash = keccak256("fixture");
        for (uint256 id = 1; id <= taskId; ++id) {
            gov.createTask(c); // the fixture's task id is the id-th task
        }

        IFA.Proof memory proof = _proof(json);
        words[0] += 1;
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, chunk, members[member])
        );
        vm.prank(members[member]);
        agg.submitChunk(taskId, 1, chunk, words, proof);
        words[0] -= 1;

        vm.prank(members[member]);
        agg.submitChunk(taskId, 1, chunk, words, proof);
        (uint256 bitmap,) = agg.chunkContributors(taskId, 1, chunk);
        assertEq(bitmap, 2 ** member);
    }
}
