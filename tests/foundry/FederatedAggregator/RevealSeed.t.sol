// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

/// @dev Six members, K = 4: member i's neighbours are i±1 and i±2; 0 and 3 are not neighbours.
///      Chunk 0 has contributors {0, 1, 2} (= t_min), chunk 1 only {0, 1} (void), chunk 2 none.
///      Required reveals of chunk 0: 0→5, 0→4, 1→3, 1→5, 2→3, 2→4.
contract RevealSeedTest is AggregatorFixture {
    uint256 internal taskId;

    function setUp() public override {
        super.setUp();
        taskId = _createTask();
        _submit(taskId, 1, 0, 0);
        _submit(taskId, 1, 1, 0);
        _submit(taskId, 1, 2, 0);
        _submit(taskId, 1, 0, 1);
        _submit(taskId, 1, 1, 1);
        _toSubmissionDeadline(taskId, 1);
    }

    function test_RevealSeed() public {
        vm.expectEmit(address(agg));
        emit IFA.SeedRevealed(taskId, 1, members[0], 0, members[5], 12345);
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[5], 12345, _proof());

        (bool revealed, uint256 seed) = agg.revealedSeed(taskId, 1, 0, members[0], members[5]);
        assertTrue(revealed);
        assertEq(seed, 12345);
        (uint256 done, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(done, 1);
        assertEq(required, 6);
    }

    function test_RevealSeed_ZeroSeedIsRecorded() public {
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[5], 0, _proof());
        (bool revealed, uint256 seed) = agg.revealedSeed(taskId, 1, 0, members[0], members[5]);
        assertTrue(revealed);
        assertEq(seed, 0);
    }

    function testFuzz_RevealSeed_AnyFieldElement(uint256 seed) public {
        seed = bound(seed, 0, P - 1);
        vm.prank(members[2]);
        agg.revealSeed(taskId, 1, 0, members[4], seed, _proof());
        (bool revealed, uint256 stored) = agg.revealedSeed(taskId, 1, 0, members[2], members[4]);
        assertTrue(revealed);
        assertEq(stored, seed);
    }

    function test_RevealSeed_AllRequiredMakesChunkRecoverable() public {
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.AwaitingReveals));
        _revealAll();
        (uint256 done, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(done, required);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Recoverable));
        assertTrue(agg.isChunkRecoverable(taskId, 1, 0));
    }

    /// @dev `SeedReveal` public signals: task, round, chunk, the revealer's commitment of the
    ///      slot holding the dropped neighbour, seed. Member 1's slot +2 holds member 3.
    function test_RevealSeed_PublicInputOrder() public {
        seedVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        seedVerifier.allow(_expectedInputs(1, 3, 777));

        vm.prank(members[1]);
        agg.revealSeed(taskId, 1, 0, members[3], 777, _proof());

        // The same proof for another dropped neighbour (slot −2) is another statement.
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[1]));
        vm.prank(members[1]);
        agg.revealSeed(taskId, 1, 0, members[5], 777, _proof());
    }

    /// @dev Member 0's slot −2 (slot 3, the last one) holds member 4; slot −1 holds member 5.
    function test_RevealSeed_PublicInputs_CommitmentOfTheDroppedNeighboursSlot() public {
        seedVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        seedVerifier.allow(_expectedInputs(0, 4, 5));
        seedVerifier.allow(_expectedInputs(0, 5, 6));
        assertEq(
            agg.pairCommitments(taskId, members[0])[3], _commitment(taskId, members[0], members[4])
        );

        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[4], 5, _proof());
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[5], 6, _proof());
        (uint256 done,) = agg.chunkReveals(taskId, 1, 0);
        assertEq(done, 2);
    }

    function test_RevertWhen_RevealSeed_NotJoined() public {
        uint256 fresh = gov.createTask(_config());
        for (uint256 i; i < 3; ++i) {
            _join(fresh, members[i]);
            _submit(fresh, 1, i, 0);
        }
        _toSubmissionDeadline(fresh, 1);
        // Member 3 never joined (so never contributed): refused before the contributor checks.
        vm.expectRevert(abi.encodeWithSelector(IFA.NotJoined.selector, fresh, members[3]));
        vm.prank(members[3]);
        agg.revealSeed(fresh, 1, 0, members[4], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_NotNeighborBeforeNotJoined() public {
        uint256 fresh = gov.createTask(_config());
        _toSubmissionDeadline(fresh, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotNeighbor.selector, fresh, members[3], members[0])
        );
        vm.prank(members[3]);
        agg.revealSeed(fresh, 1, 0, members[0], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_BeforeDeadline() public {
        uint256 fresh = _createTask();
        _submit(fresh, 1, 0, 0);
        uint256 deadline = agg.roundInfo(fresh, 1).submissionDeadline;
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundStillOpen.selector, fresh, 1, deadline));
        vm.prank(members[0]);
        agg.revealSeed(fresh, 1, 0, members[5], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_AtRevealDeadline() public {
        _toRevealDeadline(taskId, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RevealWindowClosed.selector, taskId, 1, block.timestamp)
        );
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[5], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_AfterFinalization() public {
        _revealAll();
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 1, "bafy", keccak256("model"));
        vm.expectRevert(abi.encodeWithSelector(IFA.NotCurrentRound.selector, taskId, 1, 2));
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 1, members[5], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_CkksTask() public {
        uint256 ckks = gov.createTask(_ckksConfig());
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, ckks, IFA.Mode.Ckks));
        vm.prank(members[0]);
        agg.revealSeed(ckks, 1, 0, members[5], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_CallerNotTaskMember() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(outsider);
        agg.revealSeed(taskId, 1, 0, members[5], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_DroppedNotTaskMember() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, outsider, 1, _proof());
    }

    function test_RevertWhen_RevealSeed_ChunkOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkOutOfRange.selector, taskId, 3, CHUNKS));
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 3, members[5], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_NotNeighbor() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotNeighbor.selector, taskId, members[0], members[3])
        );
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[3], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_ForSelf() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotNeighbor.selector, taskId, members[0], members[0])
        );
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[0], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_CallerDidNotContribute() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotContributor.selector, taskId, 1, 0, members[3])
        );
        vm.prank(members[3]);
        agg.revealSeed(taskId, 1, 0, members[4], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_NeighborContributed() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NeighborContributed.selector, taskId, 1, 0, members[1])
        );
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[1], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_ChunkVoid() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkVoid.selector, taskId, 1, 1, 2, T_MIN));
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 1, members[5], 1, _proof());
    }

    function test_RevertWhen_RevealSeed_Twice() public {
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[5], 1, _proof());
        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.SeedAlreadyRevealed.selector, taskId, 1, 0, members[0], members[5]
            )
        );
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[5], 2, _proof());
    }

    function testFuzz_RevertWhen_RevealSeed_SeedOutOfField(uint256 seed) public {
        seed = bound(seed, P, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IFA.SeedOutOfField.selector, seed));
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[5], seed, _proof());
    }

    function test_RevertWhen_RevealSeed_InvalidProof() public {
        seedVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[0]));
        vm.prank(members[0]);
        agg.revealSeed(taskId, 1, 0, members[5], 1, _proof());
    }

    function _expectedInputs(uint256 revealer, uint256 dropped, uint256 seed)
        internal
        view
        returns (uint256[] memory inputs)
    {
        inputs = new uint256[](5);
        inputs[0] = taskId;
        inputs[1] = 1;
        inputs[2] = 0;
        inputs[3] = _commitment(taskId, members[revealer], members[dropped]);
        inputs[4] = seed;
    }

    function _revealAll() internal {
        _reveal(taskId, 1, 0, 0, 5);
        _reveal(taskId, 1, 0, 0, 4);
        _reveal(taskId, 1, 0, 1, 3);
        _reveal(taskId, 1, 0, 1, 5);
        _reveal(taskId, 1, 0, 2, 3);
        _reveal(taskId, 1, 0, 2, 4);
    }
}
