// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {FederatedAggregator} from "../../../../contracts/FederatedAggregator.sol";
import {
    IFederatedAggregator as IFA
} from "../../../../contracts/interfaces/IFederatedAggregator.sol";

/// @notice Drives one SecAgg task through random joins, submissions, reveals, time jumps,
///         finalisations and aborts, and keeps ghost records of what the aggregator accepted.
/// @dev Every call is attempted as a real member would (including refused ones: second joins,
///      duplicates, reveals before the deadline or for void chunks); only accepted calls update
///      the ghosts. A member joins the task before its first submission, as the client does,
///      except in one submission attempt in four (refused with `NotJoined` when not joined).
contract AggregatorHandler is CommonBase, StdCheats, StdUtils {
    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    struct Reveal {
        uint256 round;
        uint256 chunk;
        uint256 timestamp;
        uint256 contributorsAtReveal;
    }

    FederatedAggregator public immutable agg;
    uint256 public immutable taskId;
    address[] internal _members;
    uint256 public immutable words;
    uint256 public immutable chunks;
    uint256 public immutable k;

    /// round → chunk → word → Σ accepted words mod p
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256))) public ghostSum;
    /// round → chunk → member → accepted submissions
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256))) public ghostSubmissions;
    mapping(uint256 => mapping(uint256 => uint256)) public ghostCount;
    Reveal[] internal _reveals;
    uint256[] internal _endedRounds;
    mapping(uint256 round => bytes32) public endedSnapshot;
    /// member → the commitments its accepted join posted (empty until then)
    mapping(uint256 => uint256[]) internal _ghostCommitments;

    mapping(string => uint256) public calls;

    constructor(FederatedAggregator agg_, uint256 taskId_, address[] memory members_) {
        agg = agg_;
        taskId = taskId_;
        _members = members_;
        IFA.TaskConfig memory config = agg_.taskConfig(taskId_);
        words = config.variant.words;
        k = config.variant.neighbors;
        (,, chunks) = agg_.taskState(taskId_);
    }

    function currentRound() public view returns (uint256 round) {
        (, round,) = agg.taskState(taskId);
    }

    /// @dev Joins with fresh commitments; refused once the member has joined.
    function join(uint256 memberSeed, uint256 salt) external {
        _join(_bound(memberSeed, 0, _members.length - 1), salt);
    }

    function _join(uint256 member, uint256 salt) internal {
        (address[] memory ring, uint256 slots) = agg.neighbors(taskId, _members[member]);
        uint256 active;
        while (active < k && (slots >> (k + active)) & 1 == 1) {
            ++active;
        }
        uint256[] memory commitments = new uint256[](active);
        for (uint256 s; s < active; ++s) {
            commitments[s] = uint256(keccak256(abi.encode(salt, member, ring[s]))) % (P - 1) + 1;
        }
        vm.prank(_members[member]);
        try agg.joinTask(taskId, commitments, new IFA.Proof[](active)) {
            calls["join.ok"]++;
            _ghostCommitments[member] = commitments;
        } catch {
            calls["join.refused"]++;
        }
    }

    function submit(uint256 memberSeed, uint256 chunkSeed, uint256 wordSeed) external {
        uint256 member = _bound(memberSeed, 0, _members.length - 1);
        // Join first, as the client does; one attempt in four skips it, to be refused.
        if (wordSeed % 4 != 0 && !agg.hasJoined(taskId, _members[member])) _join(member, wordSeed);
        uint256 chunk = _bound(chunkSeed, 0, chunks - 1);
        uint256 round = currentRound();
        uint256[] memory y = new uint256[](words);
        for (uint256 w; w < words; ++w) {
            // Mix small, large and boundary values of the field.
            uint256 r = uint256(keccak256(abi.encode(wordSeed, w)));
            y[w] = r % 3 == 0 ? P - 1 - (r % 5) : r % P;
        }
        IFA.Proof memory proof;
        vm.prank(_members[member]);
        try agg.submitChunk(taskId, round, chunk, y, proof) {
            calls["submit.ok"]++;
            for (uint256 w; w < words; ++w) {
                ghostSum[round][chunk][w] = addmod(ghostSum[round][chunk][w], y[w], P);
            }
            ghostSubmissions[round][chunk][member]++;
            ghostCount[round][chunk]++;
        } catch {
            calls["submit.refused"]++;
        }
    }

    /// @dev Picks, when one exists, a contributor of the chunk and one of its non-contributing
    ///      neighbours, so that reveals are refused for timing or voidness rather than at random.
    function reveal(uint256 memberSeed, uint256 slotSeed, uint256 chunkSeed, uint256 seed)
        external
    {
        uint256 n = _members.length;
        uint256 chunk = _bound(chunkSeed, 0, chunks - 1);
        uint256 round = currentRound();
        (uint256 bitmap,) = agg.chunkContributors(taskId, round, chunk);
        uint256 member = _bound(memberSeed, 0, n - 1);
        for (uint256 i; i < n && (bitmap >> member) & 1 == 0; ++i) {
            member = (member + 1) % n;
        }
        uint256 dropped;
        for (uint256 i; i < k; ++i) {
            uint256 slot = (_bound(slotSeed, 0, k - 1) + i) % k;
            uint256 offset = slot / 2 + 1;
            dropped = slot % 2 == 0 ? (member + offset) % n : (member + n - offset) % n;
            if ((bitmap >> dropped) & 1 == 0) break;
        }
        seed = _bound(seed, 0, P - 1);
        IFA.Proof memory proof;
        vm.prank(_members[member]);
        try agg.revealSeed(taskId, round, chunk, _members[dropped], seed, proof) {
            calls["reveal.ok"]++;
            (, uint256 count) = agg.chunkContributors(taskId, round, chunk);
            _reveals.push(Reveal(round, chunk, block.timestamp, count));
        } catch {
            calls["reveal.refused"]++;
        }
    }

    function warp(uint256 seconds_) external {
        calls["warp"]++;
        vm.warp(block.timestamp + _bound(seconds_, 0, 2 hours));
    }

    function finalize(uint256 memberSeed) external {
        uint256 member = _bound(memberSeed, 0, _members.length - 1);
        uint256 round = currentRound();
        vm.prank(_members[member]);
        try agg.finalizeRound(taskId, round, "bafy-model", keccak256(abi.encode(round))) {
            calls["finalize.ok"]++;
            _recordEnded(round);
        } catch {
            calls["finalize.refused"]++;
        }
    }

    function abort() external {
        uint256 round = currentRound();
        try agg.abortRound(taskId, round) {
            calls["abort.ok"]++;
            _recordEnded(round);
        } catch {
            calls["abort.refused"]++;
        }
    }

    /// @notice Everything recorded about an ended round, hashed.
    function snapshot(uint256 round) public view returns (bytes32) {
        bytes memory state = abi.encode(agg.roundInfo(taskId, round));
        for (uint256 c; c < chunks; ++c) {
            (uint256 bitmap, uint256 count) = agg.chunkContributors(taskId, round, c);
            (uint256 revealed, uint256 required) = agg.chunkReveals(taskId, round, c);
            state = bytes.concat(
                state,
                abi.encode(bitmap, count, revealed, required, agg.chunkStatus(taskId, round, c))
            );
        }
        return keccak256(state);
    }

    function _recordEnded(uint256 round) internal {
        _endedRounds.push(round);
        endedSnapshot[round] = snapshot(round);
    }

    function ghostCommitments(uint256 member) external view returns (uint256[] memory) {
        return _ghostCommitments[member];
    }

    function members() external view returns (address[] memory) {
        return _members;
    }

    function reveals() external view returns (Reveal[] memory) {
        return _reveals;
    }

    function endedRounds() external view returns (uint256[] memory) {
        return _endedRounds;
    }
}
