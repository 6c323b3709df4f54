// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {ChunkRecovery} from "../../contracts/ChunkRecovery.sol";
import {ICkksAggregator as ICkks} from "../../contracts/interfaces/ICkksAggregator.sol";
import {IFederatedAggregator as IFA} from "../../contracts/interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "../../contracts/interfaces/IKeyRegistry.sol";
import {AggregatorFixture} from "./utils/AggregatorFixture.sol";

/// @dev A CKKS task of the fixture's six members (all in the snapshot), created through the
///      aggregator and run on the `CkksAggregator` it deployed: t_min = 3, two rounds, key
///      holder member 0. Member i commits to the digest `_digest(round, i)` (a stand-in for the
///      sha256 of its ciphertext) and reveals it with the CID `_cid(round, i)`.
contract CkksAggregatorTest is AggregatorFixture {
    bytes32 internal constant SUM_DIGEST = keccak256("sha256 of the ciphertexts' sum");
    string internal constant SUM_CID = "bafy-decrypted-sum";
    bytes32 internal constant SUM_HASH = keccak256("decrypted, noise-flooded sum");

    ICkks internal ckks;
    uint256 internal taskId;
    uint256 internal domain;
    address internal keyHolder;

    function setUp() public override {
        super.setUp();
        ckks = ICkks(agg.ckks());
        taskId = gov.createTask(_ckksConfig());
        domain = agg.taskDomain(taskId);
        keyHolder = members[0];
    }

    // --- helpers --------------------------------------------------------------------------

    function _digest(uint256 round, uint256 i) internal pure returns (bytes32) {
        return keccak256(abi.encode("ciphertext", round, i));
    }

    function _cid(uint256 round, uint256 i) internal pure returns (string memory) {
        return string.concat("bafy-ct-", vm.toString(round), "-", vm.toString(i));
    }

    /// @dev keccak256(abi.encode(D, round, member, sha256Digest)), D the task's domain.
    function _commitmentOf(uint256 round, address member, bytes32 digest)
        internal
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(domain, round, member, digest));
    }

    function _commitCiphertext(uint256 round, uint256 i) internal returns (bytes32 commitment) {
        commitment = _commitmentOf(round, members[i], _digest(round, i));
        vm.prank(members[i]);
        ckks.commitCiphertext(taskId, round, commitment);
    }

    function _revealCiphertext(uint256 round, uint256 i) internal {
        string memory cid = _cid(round, i);
        bytes32 digest = _digest(round, i);
        vm.prank(members[i]);
        ckks.revealCiphertext(taskId, round, cid, digest);
    }

    /// @dev Members 0 to count − 1 commit.
    function _commitFirst(uint256 round, uint256 count) internal {
        for (uint256 i; i < count; ++i) {
            _commitCiphertext(round, i);
        }
    }

    /// @dev Members 0 to count − 1 reveal (they must have committed).
    function _revealFirst(uint256 round, uint256 count) internal {
        for (uint256 i; i < count; ++i) {
            _revealCiphertext(round, i);
        }
    }

    function _warpToSubmissionDeadline(uint256 round) internal {
        vm.warp(ckks.roundInfo(taskId, round).submissionDeadline);
    }

    function _warpToRevealDeadline(uint256 round) internal {
        vm.warp(ckks.roundInfo(taskId, round).revealDeadline);
    }

    function _finalizeByKeyHolder(uint256 round) internal {
        _finalizeExcluding(round, 0);
    }

    function _finalizeExcluding(uint256 round, uint128 excluded) internal {
        vm.prank(keyHolder);
        ckks.finalizeRound(taskId, round, excluded, SUM_DIGEST, SUM_CID, SUM_HASH);
    }

    /// @dev A round that `count` members commit to and reveal, finalized by the key holder.
    function _runRound(uint256 round, uint256 count) internal {
        _commitFirst(round, count);
        _warpToSubmissionDeadline(round);
        _revealFirst(round, count);
        _warpToRevealDeadline(round);
        _finalizeByKeyHolder(round);
    }

    /// @dev Commits and reveals `count` members, then moves to the reveal deadline.
    function _revealedRound(uint256 count) internal {
        _commitFirst(1, count);
        _warpToSubmissionDeadline(1);
        _revealFirst(1, count);
        _warpToRevealDeadline(1);
    }

    function _popcount(uint256 bitmap) internal pure returns (uint256 count) {
        for (; bitmap != 0; bitmap &= bitmap - 1) {
            ++count;
        }
    }

    function _assertTaskState(IFA.TaskStatus status, uint256 round) internal view {
        (IFA.TaskStatus s, uint256 r) = ckks.taskState(taskId);
        assertEq(uint8(s), uint8(status));
        assertEq(r, round);
        (IFA.TaskStatus fs, uint256 fr, uint256 chunks) = agg.taskState(taskId);
        assertEq(uint8(fs), uint8(status));
        assertEq(fr, round);
        assertEq(chunks, 0);
    }

    // --- deployment and task opening ------------------------------------------------------

    function test_Constructor_DeployedByTheAggregator() public view {
        assertGt(address(ckks).code.length, 0);
        assertEq(ckks.aggregator(), address(agg));
        assertEq(ckks.governance(), address(gov));
    }

    /// @dev One id space: the aggregator numbers both modes, and the CKKS aggregator knows only
    ///      the CKKS tasks.
    function test_CreateTask_OpensRoundOneOnTheCkksAggregator() public {
        uint256 secagg = gov.createTask(_config());
        uint64 deadline = uint64(block.timestamp) + SUBMISSION;
        vm.expectEmit(address(agg));
        emit IFA.TaskCreated(secagg + 1, IFA.Mode.Ckks, N_MEMBERS, 0, ROUNDS);
        vm.expectEmit(address(ckks));
        emit ICkks.RoundOpened(secagg + 1, 1, deadline, deadline + REVEAL);
        uint256 id = gov.createTask(_ckksConfig());
        assertEq(id, secagg + 1);

        (IFA.TaskStatus status, uint256 round) = ckks.taskState(id);
        assertEq(uint8(status), uint8(IFA.TaskStatus.Active));
        assertEq(round, 1);
        vm.expectRevert(abi.encodeWithSelector(ICkks.UnknownTask.selector, secagg));
        ckks.taskState(secagg);
    }

    /// @dev Nobody else opens a task, nor reopens a running one (which would reset its round).
    function testFuzz_RevertWhen_OpenTask_NotAggregator(address caller, bool running) public {
        vm.assume(caller != address(agg));
        address[] memory snapshot = agg.taskMembers(taskId);
        IFA.TaskConfig memory config = _ckksConfig();
        uint256 id = running ? taskId : taskId + 1;
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotAggregator.selector, caller));
        vm.prank(caller);
        ckks.openTask(id, config, snapshot);
    }

    /// @dev Not even the governance that creates tasks through the aggregator.
    function test_RevertWhen_OpenTask_FromGovernance() public {
        address[] memory snapshot = agg.taskMembers(taskId);
        IFA.TaskConfig memory config = _ckksConfig();
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotAggregator.selector, address(gov)));
        vm.prank(address(gov));
        ckks.openTask(taskId + 1, config, snapshot);
    }

    // --- a full round ---------------------------------------------------------------------

    /// @dev Members 0–3 commit, 0, 2 and 3 reveal (1 stays silent and is not counted), the key
    ///      holder finalizes after the reveal deadline and round 2 opens.
    function test_Round_CommitRevealFinalize() public {
        ICkks.RoundInfo memory info = ckks.roundInfo(taskId, 1);
        uint64 submissionDeadline = uint64(block.timestamp) + SUBMISSION;
        assertEq(uint8(info.status), uint8(IFA.RoundStatus.Open));
        assertEq(info.submissionDeadline, submissionDeadline);
        assertEq(info.revealDeadline, submissionDeadline + REVEAL);

        for (uint256 i; i < 4; ++i) {
            bytes32 commitment = _commitmentOf(1, members[i], _digest(1, i));
            vm.expectEmit(address(ckks));
            emit ICkks.CiphertextCommitted(taskId, 1, members[i], commitment);
            vm.prank(members[i]);
            ckks.commitCiphertext(taskId, 1, commitment);
            assertEq(ckks.commitment(taskId, 1, members[i]), commitment);
            (string memory none, bytes32 noDigest) = ckks.ciphertext(taskId, 1, members[i]);
            assertEq(bytes(none).length, 0);
            assertEq(noDigest, bytes32(0));
        }
        info = ckks.roundInfo(taskId, 1);
        assertEq(info.committed, 4);
        assertEq(info.revealed, 0);
        assertEq(info.contributors, 0);

        _warpToSubmissionDeadline(1);
        assertEq(uint8(ckks.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Recovery));
        uint256[3] memory revealers = [uint256(0), 2, 3];
        for (uint256 j; j < revealers.length; ++j) {
            uint256 i = revealers[j];
            string memory cid = _cid(1, i);
            bytes32 digest = _digest(1, i);
            vm.expectEmit(address(ckks));
            emit ICkks.CiphertextRevealed(taskId, 1, members[i], cid, digest);
            vm.prank(members[i]);
            ckks.revealCiphertext(taskId, 1, cid, digest);
            (string memory storedCid, bytes32 storedDigest) = ckks.ciphertext(taskId, 1, members[i]);
            assertEq(storedCid, cid);
            assertEq(storedDigest, digest);
        }
        info = ckks.roundInfo(taskId, 1);
        assertEq(uint8(info.status), uint8(IFA.RoundStatus.Recovery));
        assertEq(info.committed, 4);
        assertEq(info.revealed, 3);
        assertEq(info.contributors, (1 << 0) | (1 << 2) | (1 << 3));

        _warpToRevealDeadline(1);
        uint64 next = uint64(block.timestamp) + SUBMISSION;
        vm.expectEmit(address(ckks));
        emit ICkks.RoundFinalized(taskId, 1, 3, 0, SUM_DIGEST, SUM_CID, SUM_HASH);
        vm.expectEmit(address(ckks));
        emit ICkks.RoundOpened(taskId, 2, next, next + REVEAL);
        vm.prank(keyHolder);
        ckks.finalizeRound(taskId, 1, 0, SUM_DIGEST, SUM_CID, SUM_HASH);

        info = ckks.roundInfo(taskId, 1);
        assertEq(uint8(info.status), uint8(IFA.RoundStatus.Finalized));
        assertEq(info.submissionDeadline, submissionDeadline);
        assertEq(info.revealDeadline, submissionDeadline + REVEAL);
        assertEq(info.committed, 4);
        assertEq(info.revealed, 3);
        assertEq(info.contributors, (1 << 0) | (1 << 2) | (1 << 3));
        assertEq(info.excluded, 0);
        assertEq(info.aggregateDigest, SUM_DIGEST);
        assertEq(info.sumCid, SUM_CID);
        assertEq(info.sumHash, SUM_HASH);
        // The silent member's commitment stays on record, with no ciphertext.
        assertEq(
            ckks.commitment(taskId, 1, members[1]), _commitmentOf(1, members[1], _digest(1, 1))
        );
        (string memory silentCid, bytes32 silentDigest) = ckks.ciphertext(taskId, 1, members[1]);
        assertEq(bytes(silentCid).length, 0);
        assertEq(silentDigest, bytes32(0));

        _assertTaskState(IFA.TaskStatus.Active, 2);
        info = ckks.roundInfo(taskId, 2);
        assertEq(uint8(info.status), uint8(IFA.RoundStatus.Open));
        assertEq(info.submissionDeadline, next);
        assertEq(info.revealDeadline, next + REVEAL);
        assertEq(info.committed, 0);
        assertEq(info.revealed, 0);
        assertEq(info.contributors, 0);
        assertEq(info.excluded, 0);
        assertEq(info.aggregateDigest, bytes32(0));
        assertEq(bytes(info.sumCid).length, 0);
        assertEq(info.sumHash, bytes32(0));
    }

    function test_Round_LastRoundCompletesTask() public {
        _runRound(1, T_MIN);
        _commitFirst(2, N_MEMBERS);
        _warpToSubmissionDeadline(2);
        _revealFirst(2, N_MEMBERS);
        _warpToRevealDeadline(2);

        vm.expectEmit(address(ckks));
        emit ICkks.RoundFinalized(taskId, 2, N_MEMBERS, 0, SUM_DIGEST, SUM_CID, SUM_HASH);
        vm.expectEmit(address(ckks));
        emit ICkks.TaskCompleted(taskId);
        _finalizeByKeyHolder(2);

        _assertTaskState(IFA.TaskStatus.Completed, 2);
        assertEq(ckks.roundInfo(taskId, 2).contributors, 2 ** N_MEMBERS - 1);
        vm.expectRevert(abi.encodeWithSelector(ICkks.RoundNotStarted.selector, taskId, 3));
        ckks.roundInfo(taskId, 3);
    }

    /// @dev The key holder may finalize at any time after the reveal deadline until someone
    ///      aborts the round (allowed one reveal period later), with exactly t_min reveals.
    function testFuzz_FinalizeRound_AnyTimeAfterRevealDeadline(uint256 delay) public {
        _revealedRound(T_MIN);
        vm.warp(bound(delay, block.timestamp, block.timestamp + 365 days));
        _finalizeByKeyHolder(1);
        assertEq(uint8(ckks.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Finalized));
    }

    /// @dev Each round has its own commitments: the same member commits again in round 2.
    function test_CommitCiphertext_EveryRound() public {
        _runRound(1, T_MIN);
        bytes32 commitment = _commitCiphertext(2, 0);
        assertEq(ckks.commitment(taskId, 2, members[0]), commitment);
        assertTrue(commitment != ckks.commitment(taskId, 1, members[0]));
    }

    function test_Views_EmptyByDefault() public view {
        assertEq(ckks.commitment(taskId, 1, members[0]), bytes32(0));
        (string memory cid, bytes32 digest) = ckks.ciphertext(taskId, 1, members[0]);
        assertEq(bytes(cid).length, 0);
        assertEq(digest, bytes32(0));
    }

    // --- exclusions at finalization ----------------------------------------------------------

    /// @dev Members 0–3 reveal and the key holder cannot use member 2's ciphertext: the round
    ///      counts the three it kept and records member 2 as excluded, its reveal still on record.
    function test_FinalizeRound_ExcludesARevealedMember() public {
        _revealedRound(T_MIN + 1);
        uint128 excluded = 1 << 2;
        vm.expectEmit(address(ckks));
        emit ICkks.RoundFinalized(taskId, 1, T_MIN, excluded, SUM_DIGEST, SUM_CID, SUM_HASH);
        _finalizeExcluding(1, excluded);

        ICkks.RoundInfo memory info = ckks.roundInfo(taskId, 1);
        assertEq(uint8(info.status), uint8(IFA.RoundStatus.Finalized));
        assertEq(info.committed, T_MIN + 1);
        assertEq(info.revealed, T_MIN);
        assertEq(info.contributors, (1 << 0) | (1 << 1) | (1 << 3));
        assertEq(info.excluded, excluded);
        (string memory cid, bytes32 digest) = ckks.ciphertext(taskId, 1, members[2]);
        assertEq(cid, _cid(1, 2));
        assertEq(digest, _digest(1, 2));
        _assertTaskState(IFA.TaskStatus.Active, 2);
    }

    /// @dev Any subset of the revealers may be excluded while t_min remain (else
    ///      `TooFewContributors` with the count left); a bit outside them (a silent committer or an
    ///      index past the snapshot) is `NotRevealed`, whatever the count.
    function testFuzz_FinalizeRound_ExcludedBitmap(
        uint256 revealedSet,
        uint128 excluded,
        bool subset
    ) public {
        revealedSet = bound(revealedSet, 0, 2 ** N_MEMBERS - 1);
        _commitFirst(1, N_MEMBERS);
        _warpToSubmissionDeadline(1);
        for (uint256 i; i < N_MEMBERS; ++i) {
            if ((revealedSet >> i) & 1 == 1) _revealCiphertext(1, i);
        }
        _warpToRevealDeadline(1);
        // casting to 'uint128' is safe because revealedSet < 2 ** N_MEMBERS
        // forge-lint: disable-next-line(unsafe-typecast)
        uint128 revealed = uint128(revealedSet);
        if (subset) excluded &= revealed;
        uint128 kept = revealed & ~excluded;
        uint256 count = _popcount(kept);

        if (excluded & ~revealed != 0) {
            vm.expectRevert(abi.encodeWithSelector(ICkks.NotRevealed.selector, taskId, 1, excluded));
        } else if (count < T_MIN) {
            vm.expectRevert(
                abi.encodeWithSelector(ICkks.TooFewContributors.selector, taskId, 1, count, T_MIN)
            );
        } else {
            vm.expectEmit(address(ckks));
            emit ICkks.RoundFinalized(taskId, 1, count, excluded, SUM_DIGEST, SUM_CID, SUM_HASH);
        }
        _finalizeExcluding(1, excluded);

        ICkks.RoundInfo memory info = ckks.roundInfo(taskId, 1);
        if (excluded & ~revealed == 0 && count >= T_MIN) {
            assertEq(uint8(info.status), uint8(IFA.RoundStatus.Finalized));
            assertEq(info.revealed, count);
            assertEq(info.contributors, kept);
            assertEq(info.excluded, excluded);
        } else {
            assertEq(uint8(info.status), uint8(IFA.RoundStatus.Recovery));
            assertEq(info.revealed, _popcount(revealed));
            assertEq(info.contributors, revealed);
            assertEq(info.excluded, 0);
        }
    }

    // --- commit–reveal binding --------------------------------------------------------------

    /// @dev A commitment opens only with its own (D, round, member, digest): any other domain
    ///      (another task or deployment), round, member or digest is refused.
    function testFuzz_RevealCiphertext_OnlyTheCommittedStatement(
        bool[4] memory right,
        uint256 otherDomain,
        uint256 otherRound,
        address otherMember,
        bytes32 committed,
        bytes32 otherDigest
    ) public {
        uint256 d = right[0] ? domain : otherDomain;
        uint256 round = right[1] ? 1 : otherRound;
        address member = right[2] ? members[1] : otherMember;
        bytes32 revealed = right[3] ? committed : otherDigest;
        bytes32 commitment = keccak256(abi.encode(d, round, member, committed));
        vm.prank(members[1]);
        ckks.commitCiphertext(taskId, 1, commitment);
        _warpToSubmissionDeadline(1);

        bool matches = d == domain && round == 1 && member == members[1] && committed == revealed;
        if (!matches) {
            vm.expectRevert(
                abi.encodeWithSelector(ICkks.CommitmentMismatch.selector, taskId, 1, members[1])
            );
        }
        vm.prank(members[1]);
        ckks.revealCiphertext(taskId, 1, "bafy-ct", revealed);
        assertEq(ckks.roundInfo(taskId, 1).revealed, matches ? 1 : 0);
    }

    function test_RevertWhen_RevealCiphertext_OtherDigest() public {
        _commitCiphertext(1, 1);
        _warpToSubmissionDeadline(1);
        bytes32 other = _digest(1, 2);
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.CommitmentMismatch.selector, taskId, 1, members[1])
        );
        vm.prank(members[1]);
        ckks.revealCiphertext(taskId, 1, "bafy-ct", other);
    }

    /// @dev A member copying a victim's commitment cannot open it with the victim's digest:
    ///      the commitment names the victim.
    function test_RevertWhen_RevealCiphertext_CopiedCommitment() public {
        bytes32 victims = _commitCiphertext(1, 2);
        vm.prank(members[3]);
        ckks.commitCiphertext(taskId, 1, victims);
        _warpToSubmissionDeadline(1);
        _revealCiphertext(1, 2);

        string memory cid = _cid(1, 2);
        bytes32 digest = _digest(1, 2);
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.CommitmentMismatch.selector, taskId, 1, members[3])
        );
        vm.prank(members[3]);
        ckks.revealCiphertext(taskId, 1, cid, digest);
        ICkks.RoundInfo memory info = ckks.roundInfo(taskId, 1);
        assertEq(info.committed, 2);
        assertEq(info.revealed, 1);
        assertEq(info.contributors, 1 << 2);
    }

    // --- commitCiphertext refusals --------------------------------------------------------

    function test_RevertWhen_CommitCiphertext_NotTaskMember() public {
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotTaskMember.selector, taskId, outsider));
        vm.prank(outsider);
        ckks.commitCiphertext(taskId, 1, keccak256("commitment"));
    }

    /// @dev A governance member added after the task was created is not in its snapshot.
    function test_RevertWhen_CommitCiphertext_MemberAddedAfterSnapshot() public {
        address late = makeAddr("late");
        members.push(late);
        gov.setMembers(members);
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotTaskMember.selector, taskId, late));
        vm.prank(late);
        ckks.commitCiphertext(taskId, 1, keccak256("commitment"));
    }

    function test_RevertWhen_CommitCiphertext_RemovedFromGovernance() public {
        _removeFromGovernance(members[2]);
        bytes32 commitment = _commitmentOf(1, members[2], _digest(1, 2));
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotMember.selector, members[2]));
        vm.prank(members[2]);
        ckks.commitCiphertext(taskId, 1, commitment);
    }

    function test_RevertWhen_CommitCiphertext_AtDeadline() public {
        _warpToSubmissionDeadline(1);
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.RoundClosed.selector, taskId, 1, block.timestamp)
        );
        vm.prank(members[1]);
        ckks.commitCiphertext(taskId, 1, keccak256("commitment"));
    }

    function testFuzz_RevertWhen_CommitCiphertext_Late(uint256 delay) public {
        uint256 deadline = ckks.roundInfo(taskId, 1).submissionDeadline;
        vm.warp(bound(delay, deadline, deadline + 365 days));
        vm.expectRevert(abi.encodeWithSelector(ICkks.RoundClosed.selector, taskId, 1, deadline));
        vm.prank(members[1]);
        ckks.commitCiphertext(taskId, 1, keccak256("commitment"));
    }

    function test_RevertWhen_CommitCiphertext_EmptyCommitment() public {
        vm.expectRevert(ICkks.EmptyCommitment.selector);
        vm.prank(members[1]);
        ckks.commitCiphertext(taskId, 1, bytes32(0));
    }

    /// @dev One commitment per member and round: it cannot be replaced.
    function test_RevertWhen_CommitCiphertext_AlreadyCommitted() public {
        _commitCiphertext(1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.AlreadyCommitted.selector, taskId, 1, members[1])
        );
        vm.prank(members[1]);
        ckks.commitCiphertext(taskId, 1, keccak256("another commitment"));
    }

    function testFuzz_RevertWhen_CommitCiphertext_NotCurrentRound(uint256 round) public {
        vm.assume(round != 1);
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotCurrentRound.selector, taskId, round, 1));
        vm.prank(members[1]);
        ckks.commitCiphertext(taskId, round, keccak256("commitment"));
    }

    function test_RevertWhen_CommitCiphertext_TaskCompleted() public {
        _runRound(1, T_MIN);
        _runRound(2, T_MIN);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICkks.RoundEnded.selector, taskId, ROUNDS, IFA.RoundStatus.Finalized
            )
        );
        vm.prank(members[1]);
        ckks.commitCiphertext(taskId, ROUNDS, keccak256("commitment"));
    }

    function test_RevertWhen_CommitCiphertext_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ICkks.UnknownTask.selector, taskId + 1));
        vm.prank(members[1]);
        ckks.commitCiphertext(taskId + 1, 1, keccak256("commitment"));
    }

    /// @dev A SecAgg task's id is unknown here, though its members are the same accounts.
    function test_RevertWhen_CommitCiphertext_SecAggTask() public {
        uint256 secagg = _createTask();
        vm.expectRevert(abi.encodeWithSelector(ICkks.UnknownTask.selector, secagg));
        vm.prank(members[1]);
        ckks.commitCiphertext(secagg, 1, keccak256("commitment"));
    }

    // --- revealCiphertext refusals --------------------------------------------------------

    function test_RevertWhen_RevealCiphertext_NotTaskMember() public {
        _warpToSubmissionDeadline(1);
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotTaskMember.selector, taskId, outsider));
        vm.prank(outsider);
        ckks.revealCiphertext(taskId, 1, "bafy-ct", bytes32(0));
    }

    /// @dev A member removed by vote after committing takes no further part: its reveal is
    ///      refused and the round goes on without it.
    function test_RevertWhen_RevealCiphertext_RemovedFromGovernance() public {
        _commitFirst(1, T_MIN + 1);
        _removeFromGovernance(members[2]);
        _warpToSubmissionDeadline(1);
        string memory cid = _cid(1, 2);
        bytes32 digest = _digest(1, 2);
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotMember.selector, members[2]));
        vm.prank(members[2]);
        ckks.revealCiphertext(taskId, 1, cid, digest);

        _revealCiphertext(1, 0);
        _revealCiphertext(1, 1);
        _revealCiphertext(1, 3);
        _warpToRevealDeadline(1);
        _finalizeByKeyHolder(1);
        ICkks.RoundInfo memory info = ckks.roundInfo(taskId, 1);
        assertEq(info.revealed, 3);
        assertEq(info.contributors, (1 << 0) | (1 << 1) | (1 << 3));
    }

    function test_RevertWhen_RevealCiphertext_RoundStillOpen() public {
        _commitCiphertext(1, 1);
        uint256 deadline = ckks.roundInfo(taskId, 1).submissionDeadline;
        vm.warp(deadline - 1);
        string memory cid = _cid(1, 1);
        bytes32 digest = _digest(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ICkks.RoundStillOpen.selector, taskId, 1, deadline));
        vm.prank(members[1]);
        ckks.revealCiphertext(taskId, 1, cid, digest);
    }

    function testFuzz_RevertWhen_RevealCiphertext_RevealWindowClosed(uint256 delay) public {
        _commitCiphertext(1, 1);
        uint256 deadline = ckks.roundInfo(taskId, 1).revealDeadline;
        vm.warp(bound(delay, deadline, deadline + 365 days));
        string memory cid = _cid(1, 1);
        bytes32 digest = _digest(1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.RevealWindowClosed.selector, taskId, 1, deadline)
        );
        vm.prank(members[1]);
        ckks.revealCiphertext(taskId, 1, cid, digest);
    }

    function test_RevertWhen_RevealCiphertext_EmptyCid() public {
        _commitCiphertext(1, 1);
        _warpToSubmissionDeadline(1);
        bytes32 digest = _digest(1, 1);
        vm.expectRevert(ICkks.EmptyCid.selector);
        vm.prank(members[1]);
        ckks.revealCiphertext(taskId, 1, "", digest);
    }

    function test_RevertWhen_RevealCiphertext_NotCommitted() public {
        _warpToSubmissionDeadline(1);
        string memory cid = _cid(1, 1);
        bytes32 digest = _digest(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotCommitted.selector, taskId, 1, members[1]));
        vm.prank(members[1]);
        ckks.revealCiphertext(taskId, 1, cid, digest);
    }

    function test_RevertWhen_RevealCiphertext_AlreadyRevealed() public {
        _commitCiphertext(1, 1);
        _warpToSubmissionDeadline(1);
        _revealCiphertext(1, 1);
        string memory cid = _cid(1, 1);
        bytes32 digest = _digest(1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.AlreadyRevealed.selector, taskId, 1, members[1])
        );
        vm.prank(members[1]);
        ckks.revealCiphertext(taskId, 1, cid, digest);
        assertEq(ckks.roundInfo(taskId, 1).revealed, 1);
    }

    /// @dev Round 1's reveals close with it: once round 2 is current, round 1 is refused.
    function test_RevertWhen_RevealCiphertext_NotCurrentRound() public {
        _runRound(1, T_MIN);
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotCurrentRound.selector, taskId, 1, 2));
        vm.prank(members[1]);
        ckks.revealCiphertext(taskId, 1, "bafy-ct", bytes32(0));
    }

    /// @dev Both rounds aborted (nobody revealed): the task's last round has ended.
    function test_RevertWhen_RevealCiphertext_RoundEnded() public {
        _warpToRevealDeadline(1);
        ckks.abortRound(taskId, 1);
        _warpToRevealDeadline(2);
        ckks.abortRound(taskId, 2);
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.RoundEnded.selector, taskId, 2, IFA.RoundStatus.Aborted)
        );
        vm.prank(members[1]);
        ckks.revealCiphertext(taskId, 2, "bafy-ct", bytes32(0));
    }

    function test_RevertWhen_RevealCiphertext_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ICkks.UnknownTask.selector, 0));
        vm.prank(members[1]);
        ckks.revealCiphertext(0, 1, "bafy-ct", bytes32(0));
    }

    // --- finalizeRound refusals -----------------------------------------------------------

    function test_RevertWhen_FinalizeRound_NotKeyHolder() public {
        _revealedRound(N_MEMBERS);
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotKeyHolder.selector, taskId, members[1]));
        vm.prank(members[1]);
        ckks.finalizeRound(taskId, 1, 0, SUM_DIGEST, SUM_CID, SUM_HASH);
    }

    function testFuzz_RevertWhen_FinalizeRound_RevealsStillOpen(uint256 at) public {
        _commitFirst(1, N_MEMBERS);
        _warpToSubmissionDeadline(1);
        _revealFirst(1, N_MEMBERS);
        uint256 deadline = ckks.roundInfo(taskId, 1).revealDeadline;
        vm.warp(bound(at, block.timestamp, deadline - 1));
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.RevealsStillOpen.selector, taskId, 1, deadline)
        );
        _finalizeByKeyHolder(1);
    }

    /// @dev Reveals count, not commitments: four committed, two revealed.
    function test_RevertWhen_FinalizeRound_TooFewContributors() public {
        _commitFirst(1, T_MIN + 1);
        _warpToSubmissionDeadline(1);
        _revealFirst(1, T_MIN - 1);
        _warpToRevealDeadline(1);
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.TooFewContributors.selector, taskId, 1, T_MIN - 1, T_MIN)
        );
        _finalizeByKeyHolder(1);
    }

    /// @dev Member 5 never committed: it cannot be excluded, and the error names the bitmap.
    function test_RevertWhen_FinalizeRound_ExcludesNonRevealer() public {
        _revealedRound(T_MIN + 1);
        uint128 excluded = 1 << 5;
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotRevealed.selector, taskId, 1, excluded));
        _finalizeExcluding(1, excluded);
    }

    /// @dev Member 4 committed but stayed silent: its bit, beside a revealer's, is refused with
    ///      the whole bitmap, and the round stays open to the key holder.
    function test_RevertWhen_FinalizeRound_ExcludesCommittedNotRevealed() public {
        _commitFirst(1, T_MIN + 2);
        _warpToSubmissionDeadline(1);
        _revealFirst(1, T_MIN + 1);
        _warpToRevealDeadline(1);
        uint128 excluded = (1 << 0) | (1 << 4);
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotRevealed.selector, taskId, 1, excluded));
        _finalizeExcluding(1, excluded);

        _finalizeExcluding(1, 1 << 0);
        ICkks.RoundInfo memory info = ckks.roundInfo(taskId, 1);
        assertEq(info.contributors, (1 << 1) | (1 << 2) | (1 << 3));
        assertEq(info.excluded, 1 << 0);
    }

    /// @dev Four revealed, two excluded: the count after exclusion is below t_min.
    function test_RevertWhen_FinalizeRound_ExclusionLeavesTooFew() public {
        _revealedRound(T_MIN + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.TooFewContributors.selector, taskId, 1, T_MIN - 1, T_MIN)
        );
        _finalizeExcluding(1, (1 << 1) | (1 << 3));
    }

    function test_RevertWhen_FinalizeRound_EmptyCid() public {
        _revealedRound(T_MIN);
        vm.expectRevert(ICkks.EmptyCid.selector);
        vm.prank(keyHolder);
        ckks.finalizeRound(taskId, 1, 0, SUM_DIGEST, "", SUM_HASH);
    }

    function test_RevertWhen_FinalizeRound_NotCurrentRound() public {
        _revealedRound(T_MIN);
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotCurrentRound.selector, taskId, 2, 1));
        _finalizeByKeyHolder(2);
    }

    function test_RevertWhen_FinalizeRound_Twice() public {
        _revealedRound(T_MIN);
        _finalizeByKeyHolder(1);
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotCurrentRound.selector, taskId, 1, 2));
        _finalizeByKeyHolder(1);
    }

    function test_RevertWhen_FinalizeRound_TaskCompleted() public {
        _runRound(1, T_MIN);
        _runRound(2, T_MIN);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICkks.RoundEnded.selector, taskId, ROUNDS, IFA.RoundStatus.Finalized
            )
        );
        _finalizeByKeyHolder(ROUNDS);
    }

    /// @dev An aborted round stays aborted: the key holder cannot finalize it afterwards.
    function test_RevertWhen_FinalizeRound_AfterAbort() public {
        IFA.TaskConfig memory c = _ckksConfig();
        c.rounds = 1;
        taskId = gov.createTask(c);
        domain = agg.taskDomain(taskId);
        _revealedRound(T_MIN);
        vm.warp(block.timestamp + REVEAL);
        ckks.abortRound(taskId, 1);
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.RoundEnded.selector, taskId, 1, IFA.RoundStatus.Aborted)
        );
        _finalizeByKeyHolder(1);
    }

    function test_RevertWhen_FinalizeRound_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ICkks.UnknownTask.selector, taskId + 1));
        vm.prank(keyHolder);
        ckks.finalizeRound(taskId + 1, 1, 0, SUM_DIGEST, SUM_CID, SUM_HASH);
    }

    // --- abortRound -----------------------------------------------------------------------

    /// @dev Fewer than t_min reveals (however many commitments): anyone aborts from the reveal
    ///      deadline on, and the next round opens.
    function testFuzz_AbortRound_TooFewRevealed(uint256 revealed, uint256 delay) public {
        revealed = bound(revealed, 0, T_MIN - 1);
        _commitFirst(1, N_MEMBERS);
        _warpToSubmissionDeadline(1);
        _revealFirst(1, revealed);
        uint256 deadline = ckks.roundInfo(taskId, 1).revealDeadline;
        vm.warp(bound(delay, deadline, deadline + 365 days));
        uint64 next = uint64(block.timestamp) + SUBMISSION;

        vm.expectEmit(address(ckks));
        emit ICkks.RoundAborted(taskId, 1, outsider);
        vm.expectEmit(address(ckks));
        emit ICkks.RoundOpened(taskId, 2, next, next + REVEAL);
        vm.prank(outsider);
        ckks.abortRound(taskId, 1);

        ICkks.RoundInfo memory info = ckks.roundInfo(taskId, 1);
        assertEq(uint8(info.status), uint8(IFA.RoundStatus.Aborted));
        assertEq(info.revealed, revealed);
        assertEq(info.aggregateDigest, bytes32(0));
        assertEq(bytes(info.sumCid).length, 0);
        _assertTaskState(IFA.TaskStatus.Active, 2);
    }

    /// @dev A key holder that never decrypts does not stall the task: one reveal period after
    ///      the reveal deadline anyone aborts.
    function test_AbortRound_KeyHolderSilent() public {
        _revealedRound(N_MEMBERS);
        vm.warp(block.timestamp + REVEAL);
        vm.expectEmit(address(ckks));
        emit ICkks.RoundAborted(taskId, 1, outsider);
        vm.prank(outsider);
        ckks.abortRound(taskId, 1);
        assertEq(uint8(ckks.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Aborted));
        _assertTaskState(IFA.TaskStatus.Active, 2);
    }

    /// @dev With t_min reveals the round waits for the key holder for one reveal period.
    function testFuzz_RevertWhen_AbortRound_KeyHolderStillInTime(uint256 at) public {
        _revealedRound(T_MIN);
        vm.warp(bound(at, block.timestamp, block.timestamp + REVEAL - 1));
        vm.expectRevert(abi.encodeWithSelector(ICkks.RoundNotAbortable.selector, taskId, 1));
        vm.prank(outsider);
        ckks.abortRound(taskId, 1);
    }

    /// @dev The key holder may give up as soon as the reveals close (e.g. too few were usable):
    ///      it could simply not finalize, so this gives it no power it lacked.
    function testFuzz_AbortRound_ByKeyHolderInItsWindow(uint256 at) public {
        _revealedRound(T_MIN);
        vm.warp(bound(at, block.timestamp, block.timestamp + REVEAL - 1));
        vm.expectEmit(address(ckks));
        emit ICkks.RoundAborted(taskId, 1, keyHolder);
        vm.prank(keyHolder);
        ckks.abortRound(taskId, 1);
        assertEq(uint8(ckks.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Aborted));
    }

    /// @dev Before the reveal deadline no round is abortable, not even one without commitments.
    function testFuzz_RevertWhen_AbortRound_RevealsStillOpen(uint256 at) public {
        uint256 deadline = ckks.roundInfo(taskId, 1).revealDeadline;
        vm.warp(bound(at, block.timestamp, deadline - 1));
        vm.expectRevert(
            abi.encodeWithSelector(ICkks.RevealsStillOpen.selector, taskId, 1, deadline)
        );
        ckks.abortRound(taskId, 1);
    }

    function test_AbortRound_LastRoundCompletesTask() public {
        _warpToRevealDeadline(1);
        ckks.abortRound(taskId, 1);
        _warpToRevealDeadline(2);
        vm.expectEmit(address(ckks));
        emit ICkks.RoundAborted(taskId, 2, address(this));
        vm.expectEmit(address(ckks));
        emit ICkks.TaskCompleted(taskId);
        ckks.abortRound(taskId, 2);
        _assertTaskState(IFA.TaskStatus.Completed, 2);
    }

    function test_RevertWhen_AbortRound_NotCurrentRound() public {
        _warpToRevealDeadline(1);
        vm.expectRevert(abi.encodeWithSelector(ICkks.NotCurrentRound.selector, taskId, 2, 1));
        ckks.abortRound(taskId, 2);
    }

    function test_RevertWhen_AbortRound_AfterFinalization() public {
        _runRound(1, T_MIN);
        _runRound(2, T_MIN);
        vm.warp(block.timestamp + 365 days);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICkks.RoundEnded.selector, taskId, ROUNDS, IFA.RoundStatus.Finalized
            )
        );
        ckks.abortRound(taskId, ROUNDS);
    }

    function test_RevertWhen_AbortRound_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ICkks.UnknownTask.selector, taskId + 1));
        ckks.abortRound(taskId + 1, 1);
    }

    // --- views ----------------------------------------------------------------------------

    function test_RoundInfo_StatusFollowsTime() public {
        assertEq(uint8(ckks.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Open));
        _warpToSubmissionDeadline(1);
        assertEq(uint8(ckks.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Recovery));
        _warpToRevealDeadline(1);
        assertEq(uint8(ckks.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Recovery));
    }

    function test_RevertWhen_RoundInfo_RoundNotStarted() public {
        vm.expectRevert(abi.encodeWithSelector(ICkks.RoundNotStarted.selector, taskId, 2));
        ckks.roundInfo(taskId, 2);
        vm.expectRevert(abi.encodeWithSelector(ICkks.RoundNotStarted.selector, taskId, 0));
        ckks.roundInfo(taskId, 0);
    }

    function test_RevertWhen_TaskViews_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ICkks.UnknownTask.selector, taskId + 1));
        ckks.taskState(taskId + 1);
        vm.expectRevert(abi.encodeWithSelector(ICkks.UnknownTask.selector, taskId + 1));
        ckks.roundInfo(taskId + 1, 1);
    }

    // --- the aggregator's side of a CKKS task ---------------------------------------------

    /// @dev `taskState` on the aggregator reports the CKKS aggregator's status and round, with
    ///      no chunks, through finalization, abort and completion.
    function test_TaskState_DelegatedToTheCkksAggregator() public {
        _assertTaskState(IFA.TaskStatus.Active, 1);
        _runRound(1, T_MIN);
        _assertTaskState(IFA.TaskStatus.Active, 2);
        _warpToRevealDeadline(2);
        ckks.abortRound(taskId, 2);
        _assertTaskState(IFA.TaskStatus.Completed, 2);
    }

    /// @dev A CKKS task's rounds live on `ckks`: the aggregator's round views refuse it for any
    ///      round, started or not, rather than report an empty SecAgg round.
    function test_RevertWhen_RoundInfo_CkksTask() public {
        bytes memory wrongMode =
            abi.encodeWithSelector(IFA.WrongMode.selector, taskId, IFA.Mode.Ckks);
        for (uint256 round; round <= 2; ++round) {
            vm.expectRevert(wrongMode);
            agg.roundInfo(taskId, round);
        }
    }

    function test_RevertWhen_GlobalModel_CkksTask() public {
        _runRound(1, T_MIN);
        bytes memory wrongMode =
            abi.encodeWithSelector(IFA.WrongMode.selector, taskId, IFA.Mode.Ckks);
        for (uint256 round; round <= 3; ++round) {
            vm.expectRevert(wrongMode);
            agg.globalModel(taskId, round);
        }
    }

    function test_RevertWhen_ChunkViews_CkksTask() public {
        _revealedRound(T_MIN);
        bytes memory wrongMode =
            abi.encodeWithSelector(IFA.WrongMode.selector, taskId, IFA.Mode.Ckks);
        vm.expectRevert(wrongMode);
        agg.chunkContributors(taskId, 1, 0);
        vm.expectRevert(wrongMode);
        agg.chunkReveals(taskId, 1, 0);
        vm.expectRevert(wrongMode);
        agg.chunkStatus(taskId, 1, 0);
        vm.expectRevert(wrongMode);
        agg.accumulator(taskId, 1, 0);
        // A CKKS task took no keys: the key registry holds no ring of it.
        assertEq(_keyRegistry().ringOrder(taskId).length, 0);
    }

    /// @dev SecAgg's functions refuse a CKKS task, even when the same step on the CKKS
    ///      aggregator would be accepted (here: an abortable round past the key holder's time).
    function test_RevertWhen_SecAggFunctions_CkksTask() public {
        _revealedRound(T_MIN);
        vm.warp(block.timestamp + REVEAL);
        bytes memory wrongMode =
            abi.encodeWithSelector(IFA.WrongMode.selector, taskId, IFA.Mode.Ckks);

        // The ring is the key registry's, which took no keys for a CKKS task.
        IKeyRegistry keyRegistry = _keyRegistry();
        vm.roll(block.number + 1);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.NoSuchTask.selector, taskId));
        vm.prank(members[1]);
        keyRegistry.drawGraph(taskId);

        vm.expectRevert(wrongMode);
        vm.prank(members[1]);
        agg.joinTask(taskId, new uint256[](0), new IFA.Proof[](0));

        uint256[] memory words = _words(1);
        vm.expectRevert(wrongMode);
        vm.prank(members[1]);
        agg.submitChunk(taskId, 1, 0, words, _escrow(), _proof());

        vm.expectRevert(wrongMode);
        vm.prank(members[1]);
        agg.revealMask(taskId, 1, 0, members[2], new uint256[](W), _proof());

        // The recovery contract refuses it with the aggregator's error (read from `roundInfo`).
        ChunkRecovery recovery = _recovery();
        vm.expectRevert(wrongMode);
        recovery.withdrawChunk(taskId, 1, 0, members[2], words, _escrow());

        vm.expectRevert(wrongMode);
        recovery.revealShare(
            taskId, 1, 0, members[1], members[2], members[3], bytes32(0), _escrow(), 0, _proof()
        );

        vm.expectRevert(wrongMode);
        recovery.recoverMask(taskId, 1, 0, members[1], members[2], new uint256[](W), _proof());

        vm.expectRevert(wrongMode);
        vm.prank(keyHolder);
        agg.finalizeRound(taskId, 1, 1);

        vm.expectRevert(wrongMode);
        vm.prank(outsider);
        agg.abortRound(taskId, 1);

        vm.expectRevert(wrongMode);
        vm.prank(keyHolder);
        agg.publishModel(taskId, 1, SUM_CID, SUM_HASH);

        // The round is still the CKKS aggregator's to end.
        ckks.abortRound(taskId, 1);
        _assertTaskState(IFA.TaskStatus.Active, 2);
    }
}
