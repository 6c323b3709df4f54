// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {ChunkRecovery} from "./ChunkRecovery.sol";
import {CkksAggregator} from "./CkksAggregator.sol";
import {ICkksAggregator} from "./interfaces/ICkksAggregator.sol";
import {IFederatedAggregator} from "./interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "./interfaces/IKeyRegistry.sol";
import {KeyRegistry} from "./KeyRegistry.sol";
import {IModelGovernance} from "./interfaces/IModelGovernance.sol";
import {IVerifierRegistry} from "./interfaces/IVerifierRegistry.sol";
import {Groth16Call} from "./libraries/Groth16Call.sol";
import {Ring} from "./libraries/Ring.sol";

/// @title FederatedAggregator
/// @notice Coordinator and bulletin board of zkfed's rounds (circuits/README.md): tasks (over
///         the members with an unused masking key in the `KeyRegistry` it deploys, one key per
///         task), rings drawn from chain
///         randomness, pair-secret commitments, Groth16-checked masked chunks summed on-chain
///         mod p, dropped members' masks removed on-chain with proofs (by their contributors, or
///         from escrowed seeds through the `ChunkRecovery` it deploys), and every round's exact
///         aggregate, from which each global model follows.
/// @dev Deployment: the governance is deployed first with this contract's future address (the
///      deployer's next CREATE address); the constructor checks the binding, so neither contract
///      has an owner or a set-up function.
///
///      Chunk rule of record (the client applies the same one, see `chunkStatus`): a chunk enters
///      round r's aggregate iff at least `minContributors` members submitted it and the mask of
///      every (contributor, non-contributing ring neighbour) pair was removed before the recovery
///      deadline (or before the chunk was sealed). Any other chunk is void: its weights stay
///      unchanged.
contract FederatedAggregator is IFederatedAggregator {
    /// @dev BN254 scalar field: the circuits' field, so accumulators and masks live below it.
    uint256 private constant _P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Maximum number of members of a task (one contributor bit each).
    uint256 public constant MAX_MEMBERS = 128;

    /// @notice Longest submission or reveal window (keeps every deadline far from overflow).
    uint64 public constant MAX_PERIOD = 365 days;

    /// @notice Largest W a variant may have (accumulator slots reserved per chunk).
    uint256 public constant MAX_WORDS = 256;

    /// @notice Largest K a variant may have: the 2K bits of the slots word must decode uniquely
    ///         in the circuit (Num2Bits(2K) is sound for 2K ≤ 253). Also the commitment slots
    ///         reserved per member.
    uint256 public constant MAX_NEIGHBORS = 126;

    /// @dev Public signals of `MaskedUpdate` besides commitments, words and escrow: task, round,
    ///      chunk, slots, bound. With K commitments and K·(K−1) escrow entries a chunk has
    ///      5 + W + K² signals.
    uint256 private constant _FIXED_SIGNALS = 5;

    /// @dev `MaskReveal(W)` has 4 + W public signals: task, round, chunk, commitment, mask[W].
    uint256 private constant _MASK_REVEAL_FIXED_SIGNALS = 4;

    /// @dev Tag of the task domain, other than `KeyRegistry`'s key-binding tag, so a task domain
    ///      can never equal a key binding (abi.encode of a uint256 and of an address can be the
    ///      same bytes).
    bytes32 private constant _DOMAIN_TAG = keccak256("zkfed.task-domain");

    /// @dev `PairCommit` has 6 public signals: task, pk[2], neighbor[2], commitment.
    bytes4 private constant _PAIR_COMMIT_SELECTOR =
        bytes4(keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[6])"));
    uint256 private constant _PAIR_COMMIT_SIGNALS = 6;

    /// @dev Seeds are escrowed when a member has at least this many active slots: each seed then
    ///      has at least two holders, none of whom can open it alone.
    uint256 private constant _MIN_ESCROW_SLOTS = 3;

    /// @dev One slot: what submitChunk needs besides the configuration.
    struct TaskRecord {
        TaskStatus status;
        uint32 currentRound;
        uint32 chunks;
        bytes4 verifySelector;
        bytes4 revealSelector;
    }

    /// @dev First slot packs everything the round guards read.
    struct Round {
        RoundStatus status; // stored: Open, Finalized or Aborted; Recovery is derived from time
        uint64 submissionDeadline;
        uint64 revealDeadline;
        uint32 chunksAtThreshold; // chunks that reached minContributors
        uint32 sealedChunks; // chunks finalizeRound has sealed, in order
        uint32 aggregatedChunks; // sealed chunks that enter the model
        bytes32 digest; // digest chain over the sealed chunks' aggregates
    }

    /// @dev Per (task, round, chunk), so past rounds' contributor sets stay readable.
    struct ChunkRecord {
        uint128 contributors; // bit i = member i of the task submitted the chunk
        uint32 count;
        uint32 reveals; // masks removed for (contributor, dropped neighbour) pairs
    }

    /// @inheritdoc IFederatedAggregator
    address public immutable governance;

    /// @inheritdoc IFederatedAggregator
    address public immutable registry;

    /// @inheritdoc IFederatedAggregator
    address public immutable ckks;

    /// @inheritdoc IFederatedAggregator
    address public immutable keys;

    /// @inheritdoc IFederatedAggregator
    address public immutable recovery;

    uint256 private _taskCount;
    mapping(uint256 taskId => TaskConfig) private _configs;
    /// @dev The registered variant each SecAgg task copied at creation (one SLOAD for the
    ///      verifier, W and K on every submission).
    mapping(uint256 taskId => CircuitVariant) private _circuits;
    mapping(uint256 taskId => TaskRecord) private _tasks;
    mapping(uint256 taskId => address[]) private _members;
    mapping(uint256 taskId => mapping(address member => uint256 indexPlusOne)) private _memberSlot;
    /// @dev Commitment of each neighbour slot, contiguous so a submission reads its K with K
    ///      SLOADs. Slot 0 is always active and commitments are non-zero, so a member has joined
    ///      iff its slot-0 entry is non-zero.
    mapping(uint256 taskId => mapping(address member => uint256[MAX_NEIGHBORS])) private
        _commitments;
    mapping(uint256 taskId => mapping(uint256 round => Round)) private _rounds;
    mapping(uint256 taskId => mapping(uint256 round => mapping(uint256 chunk => ChunkRecord)))
        private _chunks;
    /// @dev Reused by every round: a round's first contribution to a chunk overwrites the words
    ///      left by an earlier round, so only a task's first round pays zero→non-zero writes.
    mapping(uint256 taskId => mapping(uint256 chunk => uint256[MAX_WORDS])) private _acc;
    /// @dev keccak256(abi.encodePacked(keccak256(abi.encodePacked(round, words)), escrow)) of each
    ///      contributor's submission, by chunk and member index; reused by every round like
    ///      `_acc` (an earlier round's never matches: the round is hashed in).
    mapping(uint256 taskId => mapping(uint256 chunk => mapping(uint256 index => bytes32))) private
        _submissions;
    /// @dev keccak256(task, round, chunk, revealer, dropped) → the pair's mask was removed.
    mapping(bytes32 pair => bool) private _revealed;

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        _;
    }

    /// @param governance_ The governance deployed for this contract's address.
    /// @param registry_ The deployment's circuit variants and verifiers.
    constructor(IModelGovernance governance_, IVerifierRegistry registry_) {
        address bound = governance_.aggregator();
        if (bound != address(this)) revert GovernanceMismatch(address(governance_), bound);
        address keyVerifier_ = registry_.keyVerifier();
        if (keyVerifier_.code.length == 0) revert MissingKeyVerifier(address(registry_));
        governance = address(governance_);
        registry = address(registry_);
        // Created here, so their code is this deployment's (and only this contract opens CKKS
        // tasks; key bindings name this contract).
        ckks = address(new CkksAggregator(address(governance_)));
        keys = address(new KeyRegistry(address(governance_), keyVerifier_));
        recovery = address(new ChunkRecovery(keys));
    }

    // ---------------------------------------------------------------------------------------
    // Tasks
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IFederatedAggregator
    function createTask(TaskConfig calldata config)
        external
        onlyGovernance
        returns (uint256 taskId)
    {
        if (bytes(config.modelCid).length == 0 || config.modelHash == bytes32(0)) {
            revert MissingModel();
        }
        if (
            config.rounds == 0 || config.submissionPeriod == 0 || config.revealPeriod == 0
                || config.submissionPeriod > MAX_PERIOD || config.revealPeriod > MAX_PERIOD
        ) {
            revert InvalidSchedule(config.rounds, config.submissionPeriod, config.revealPeriod);
        }
        if (config.paramCount == 0) revert ZeroParameterCount();

        taskId = ++_taskCount;
        address[] memory members = IModelGovernance(governance).members();
        if (config.mode == Mode.SecAgg) {
            // A SecAgg task's members are those with an unused masking key, which it takes.
            // `keys` is the registry this contract deployed: it calls nothing back.
            // slither-disable-next-line reentrancy-no-eth,reentrancy-benign,reentrancy-events
            members = IKeyRegistry(keys).assignKeys(taskId, members);
        }
        uint256 n = members.length;
        if (n > MAX_MEMBERS) revert TooManyMembers(n, MAX_MEMBERS);
        if (config.minContributors < 3 || config.minContributors > n) {
            revert InvalidMinContributors(config.minContributors, n);
        }

        (CircuitVariant memory v, uint256 chunks) = _circuitFor(config, n);

        _configs[taskId] = config;
        _circuits[taskId] = v;
        _members[taskId] = members;
        for (uint256 i; i < n; ++i) {
            _memberSlot[taskId][members[i]] = i + 1;
        }
        TaskRecord storage task = _tasks[taskId];
        task.status = TaskStatus.Active;
        // casting to 'uint32' is safe because TooManyChunks refused anything larger
        // forge-lint: disable-next-line(unsafe-typecast)
        task.chunks = uint32(chunks);
        if (chunks != 0) {
            task.verifySelector = Groth16Call.verifySelector(_signals(v.neighbors, v.words));
            task.revealSelector = Groth16Call.verifySelector(_MASK_REVEAL_FIXED_SIGNALS + v.words);
        }

        emit TaskCreated(taskId, config.mode, n, chunks, config.rounds);
        if (config.mode == Mode.SecAgg) {
            _openRound(taskId, task, 1);
        } else {
            // ckks was created by this contract's constructor: its code is known and calls back
            // only this contract's taskDomain view.
            // slither-disable-next-line reentrancy-no-eth,reentrancy-events
            ICkksAggregator(ckks).openTask(taskId, config, members);
        }
    }

    // ---------------------------------------------------------------------------------------
    // SecAgg rounds
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IFederatedAggregator
    function joinTask(uint256 taskId, uint256[] calldata commitments, Proof[] calldata proofs)
        external
    {
        (uint256 index, uint256 active) = _checkJoin(taskId, commitments, proofs.length);

        address pairVerifier = _circuits[taskId].pairVerifier;
        uint256 domain = _domain(taskId);
        bytes memory graph = _graph(taskId);
        for (uint256 s; s < active; ++s) {
            address neighbor = _members[taskId][Ring.neighbor(graph, index, s)];
            bytes memory input =
                _pairCommitCall(taskId, domain, neighbor, commitments[s], proofs[s]);
            if (!Groth16Call.verify(pairVerifier, input, _PAIR_COMMIT_SIGNALS)) {
                revert InvalidPairProof(taskId, msg.sender, s);
            }
        }

        for (uint256 s; s < active; ++s) {
            _commitments[taskId][msg.sender][s] = commitments[s];
        }
        emit TaskJoined(taskId, msg.sender, commitments);
    }

    /// @inheritdoc IFederatedAggregator
    function submitChunk(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        uint256[] calldata words,
        uint256[] calldata escrow,
        Proof calldata proof
    ) external {
        (uint256 index, ChunkRecord storage record) =
            _checkSubmission(taskId, round, chunk, words.length, escrow.length);

        {
            bytes memory input = _maskedUpdateCall(taskId, round, chunk, index, words, proof);
            // The escrow entries follow the words (an entry ≥ p is refused by the verifier:
            // snarkjs checks that every signal is in the field).
            uint256 first = _FIXED_SIGNALS + _circuits[taskId].neighbors + words.length;
            for (uint256 i; i < escrow.length; ++i) {
                Groth16Call.setInput(input, first + i, escrow[i]);
            }
            if (!Groth16Call.verify(_circuits[taskId].verifier, input, first + escrow.length)) {
                revert InvalidProof(taskId, round, chunk, msg.sender);
            }
        }

        _recordContribution(taskId, round, chunk, record, index, words);
        _submissions[taskId][chunk][index] =
            keccak256(abi.encodePacked(keccak256(abi.encodePacked(round, words)), escrow));
        emit ChunkSubmitted(taskId, round, msg.sender, chunk, words, escrow);
    }

    /// @inheritdoc IFederatedAggregator
    function revealMask(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address dropped,
        uint256[] calldata masks,
        Proof calldata proof
    ) external {
        (uint256 commitment, bool added, ChunkRecord storage record) =
            _checkReveal(taskId, round, chunk, dropped, masks.length);

        {
            bytes memory input = _maskRevealCall(taskId, round, chunk, commitment, masks, proof);
            uint256 signals = _MASK_REVEAL_FIXED_SIGNALS + masks.length;
            if (!Groth16Call.verify(_circuits[taskId].revealVerifier, input, signals)) {
                revert InvalidProof(taskId, round, chunk, msg.sender);
            }
        }

        _revealed[_pairKey(taskId, round, chunk, msg.sender, dropped)] = true;
        ++record.reveals;
        _unmask(_acc[taskId][chunk], masks, added);

        emit MaskRevealed(taskId, round, msg.sender, chunk, dropped);
    }

    /// @inheritdoc IFederatedAggregator
    function removeRecoveredMask(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address owner,
        address dropped,
        bool added,
        uint256[] calldata masks
    ) external {
        _onlyRecovery();
        _revealed[_pairKey(taskId, round, chunk, owner, dropped)] = true;
        ++_chunks[taskId][round][chunk].reveals;
        _unmask(_acc[taskId][chunk], masks, added);
    }

    /// @inheritdoc IFederatedAggregator
    function withdrawContributor(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        uint256 index,
        uint256[] calldata words
    ) external {
        _onlyRecovery();
        _leave(taskId, round, chunk, index);
        _unmask(_acc[taskId][chunk], words, true);
    }

    /// @inheritdoc IFederatedAggregator
    function finalizeRound(uint256 taskId, uint256 round, uint256 maxChunks) external {
        TaskRecord storage task = _taskOfMode(taskId, Mode.SecAgg);
        Round storage r = _currentRound(taskId, task, round);
        if (block.timestamp < r.submissionDeadline) {
            revert RoundStillOpen(taskId, round, r.submissionDeadline);
        }
        if (r.chunksAtThreshold == 0) revert NothingToAggregate(taskId, round);
        if (maxChunks == 0) revert ZeroBatch();

        uint256 chunks = task.chunks;
        uint256 first = r.sealedChunks;
        uint256 stop = chunks - first < maxChunks ? chunks : first + maxChunks;
        bytes32 digest = first == 0 ? keccak256(abi.encode(_domain(taskId), round)) : r.digest;
        uint256 aggregated = r.aggregatedChunks;
        for (uint256 c = first; c < stop; ++c) {
            (digest, aggregated) = _seal(taskId, round, c, r, digest, aggregated);
        }
        // casting to 'uint32' is safe because stop and aggregated are at most chunks, a uint32
        // forge-lint: disable-next-line(unsafe-typecast)
        r.sealedChunks = uint32(stop);
        // forge-lint: disable-next-line(unsafe-typecast)
        r.aggregatedChunks = uint32(aggregated);
        r.digest = digest;
        if (stop < chunks) return;

        r.status = RoundStatus.Finalized;
        emit RoundFinalized(taskId, round, msg.sender, digest);
        _advance(taskId, task, round, _configs[taskId].rounds);
    }

    /// @inheritdoc IFederatedAggregator
    function publishModel(
        uint256 taskId,
        uint256 round,
        string calldata modelCid,
        bytes32 modelHash
    ) external {
        _taskOfMode(taskId, Mode.SecAgg);
        _memberIndex(taskId, msg.sender);
        if (_startedRound(taskId, round).status != RoundStatus.Finalized) {
            revert RoundNotFinalized(taskId, round);
        }
        if (bytes(modelCid).length == 0) revert EmptyCid();
        emit ModelPublished(taskId, round, msg.sender, modelCid, modelHash);
    }

    /// @inheritdoc IFederatedAggregator
    function abortRound(uint256 taskId, uint256 round) external {
        TaskRecord storage task = _taskOfMode(taskId, Mode.SecAgg);
        Round storage r = _currentRound(taskId, task, round);
        if (block.timestamp < r.submissionDeadline) {
            revert RoundStillOpen(taskId, round, r.submissionDeadline);
        }
        // With something to aggregate, anyone can finalize after the recovery deadline.
        if (r.chunksAtThreshold != 0) revert RoundNotAbortable(taskId, round);

        r.status = RoundStatus.Aborted;

        emit RoundAborted(taskId, round, msg.sender);
        _advance(taskId, task, round, _configs[taskId].rounds);
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IFederatedAggregator
    function taskDomain(uint256 taskId) external view returns (uint256) {
        _requireTask(taskId);
        return _domain(taskId);
    }

    /// @inheritdoc IFederatedAggregator
    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    /// @inheritdoc IFederatedAggregator
    function taskConfig(uint256 taskId) external view returns (TaskConfig memory) {
        _requireTask(taskId);
        return _configs[taskId];
    }

    /// @inheritdoc IFederatedAggregator
    function taskCircuit(uint256 taskId) external view returns (CircuitVariant memory) {
        _requireTask(taskId);
        return _circuits[taskId];
    }

    /// @inheritdoc IFederatedAggregator
    function taskState(uint256 taskId)
        external
        view
        returns (TaskStatus status, uint256 currentRound, uint256 chunks)
    {
        TaskRecord storage task = _requireTask(taskId);
        if (_configs[taskId].mode == Mode.Ckks) {
            (status, currentRound) = ICkksAggregator(ckks).taskState(taskId);
            return (status, currentRound, 0);
        }
        return (task.status, task.currentRound, task.chunks);
    }

    /// @inheritdoc IFederatedAggregator
    function taskMembers(uint256 taskId) external view returns (address[] memory) {
        _requireTask(taskId);
        return _members[taskId];
    }

    /// @inheritdoc IFederatedAggregator
    function neighbors(uint256 taskId, address member)
        external
        view
        returns (address[] memory ring, uint256 slots)
    {
        _taskOfMode(taskId, Mode.SecAgg);
        uint256 index = _memberIndex(taskId, member);
        address[] storage members = _members[taskId];
        uint256 k = _circuits[taskId].neighbors;
        bytes memory graph = _drawnGraph(taskId);
        ring = new address[](k);
        for (uint256 s; s < k; ++s) {
            ring[s] = members[Ring.neighbor(graph, index, s)];
        }
        slots = _slotsWord(graph, index, k);
    }

    /// @inheritdoc IFederatedAggregator
    function pairCommitments(uint256 taskId, address member)
        external
        view
        returns (uint256[] memory commitments)
    {
        _requireTask(taskId);
        _memberIndex(taskId, member);
        uint256 k = _circuits[taskId].neighbors;
        commitments = new uint256[](k);
        uint256 active = Ring.activeSlots(k, _members[taskId].length);
        uint256[MAX_NEIGHBORS] storage stored = _commitments[taskId][member];
        for (uint256 s; s < active; ++s) {
            commitments[s] = stored[s];
        }
    }

    /// @inheritdoc IFederatedAggregator
    function hasJoined(uint256 taskId, address member) external view returns (bool) {
        _requireTask(taskId);
        return _commitments[taskId][member][0] != 0;
    }

    /// @inheritdoc IFederatedAggregator
    function roundInfo(uint256 taskId, uint256 round) external view returns (RoundInfo memory) {
        Round storage r = _startedRound(taskId, round);
        return RoundInfo({
            status: _status(r),
            submissionDeadline: r.submissionDeadline,
            revealDeadline: r.revealDeadline,
            // casting to 'uint64' is safe because both periods are at most MAX_PERIOD
            // forge-lint: disable-next-line(unsafe-typecast)
            recoveryDeadline: uint64(_recoveryDeadline(taskId, r)),
            chunksAtThreshold: r.chunksAtThreshold,
            sealedChunks: r.sealedChunks,
            aggregatedChunks: r.aggregatedChunks,
            aggregateDigest: r.digest
        });
    }

    /// @inheritdoc IFederatedAggregator
    function globalModel(uint256 taskId, uint256 round)
        external
        view
        returns (string memory cid, bytes32 modelHash, uint256 round_)
    {
        _startedRound(taskId, round);
        TaskConfig storage config = _configs[taskId];
        return (config.modelCid, config.modelHash, 0);
    }

    /// @inheritdoc IFederatedAggregator
    function chunkContributors(uint256 taskId, uint256 round, uint256 chunk)
        external
        view
        returns (uint256 bitmap, uint256 count)
    {
        ChunkRecord storage record = _chunkRecord(taskId, round, chunk);
        return (record.contributors, record.count);
    }

    /// @inheritdoc IFederatedAggregator
    function chunkReveals(uint256 taskId, uint256 round, uint256 chunk)
        external
        view
        returns (uint256 revealed, uint256 required)
    {
        ChunkRecord storage record = _chunkRecord(taskId, round, chunk);
        return (record.reveals, _requiredReveals(taskId, record.contributors));
    }

    /// @inheritdoc IFederatedAggregator
    function chunkStatus(uint256 taskId, uint256 round, uint256 chunk)
        public
        view
        returns (ChunkStatus)
    {
        ChunkRecord storage record = _chunkRecord(taskId, round, chunk);
        Round storage r = _rounds[taskId][round];
        RoundStatus status = _status(r);
        if (status == RoundStatus.Aborted) return ChunkStatus.Void;
        if (status == RoundStatus.Open) return ChunkStatus.Open;
        if (record.count < _configs[taskId].minContributors) return ChunkStatus.Void;
        if (record.reveals == _requiredReveals(taskId, record.contributors)) {
            return ChunkStatus.Recoverable;
        }
        if (status == RoundStatus.Finalized || block.timestamp >= _recoveryDeadline(taskId, r)) {
            return ChunkStatus.Void;
        }
        return ChunkStatus.AwaitingReveals;
    }

    /// @inheritdoc IFederatedAggregator
    function accumulator(uint256 taskId, uint256 round, uint256 chunk)
        external
        view
        returns (uint256[] memory words)
    {
        ChunkRecord storage record = _chunkRecord(taskId, round, chunk);
        uint256 current = _tasks[taskId].currentRound;
        for (uint256 later = round + 1; later <= current; ++later) {
            if (_chunks[taskId][later][chunk].count != 0) {
                revert AccumulatorOverwritten(taskId, round, chunk, later);
            }
        }
        if (record.count == 0) return new uint256[](_circuits[taskId].words);
        return _accumulatorWords(taskId, chunk);
    }

    /// @inheritdoc IFederatedAggregator
    function minContributors(uint256 taskId) external view returns (uint256) {
        return _configs[taskId].minContributors;
    }

    /// @inheritdoc IFederatedAggregator
    function memberIndex(uint256 taskId, address account) external view returns (uint256) {
        return _memberIndex(taskId, account);
    }

    /// @inheritdoc IFederatedAggregator
    function submissionHash(uint256 taskId, uint256 chunk, uint256 index)
        external
        view
        returns (bytes32)
    {
        return _submissions[taskId][chunk][index];
    }

    /// @inheritdoc IFederatedAggregator
    function maskRevealed(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address revealer,
        address dropped
    ) external view returns (bool) {
        return _revealed[_pairKey(taskId, round, chunk, revealer, dropped)];
    }

    // ---------------------------------------------------------------------------------------
    // Internals: guards
    // ---------------------------------------------------------------------------------------

    function _requireTask(uint256 taskId) private view returns (TaskRecord storage task) {
        task = _tasks[taskId];
        if (task.status == TaskStatus.None) revert UnknownTask(taskId);
    }

    /// @dev The recovery hooks' caller must be the `ChunkRecovery` this contract deployed.
    function _onlyRecovery() private view {
        if (msg.sender != recovery) revert NotRecovery(msg.sender);
    }

    /// @dev A completed task needs no check here: its last round is no longer Open, so
    ///      `_currentRound` refuses it with `RoundEnded`.
    function _taskOfMode(uint256 taskId, Mode mode) private view returns (TaskRecord storage task) {
        task = _requireTask(taskId);
        Mode taskMode = _configs[taskId].mode;
        if (taskMode != mode) revert WrongMode(taskId, taskMode);
    }

    /// @dev The caller must be a member of the governance now: a member removed by vote
    ///      joins and submits nothing more (it counts as a dropout in running rounds,
    ///      and its neighbours remove their masks with it as with any dropout).
    function _requireMember() private view {
        if (!IModelGovernance(governance).isMember(msg.sender)) revert NotMember(msg.sender);
    }

    function _memberIndex(uint256 taskId, address account) private view returns (uint256) {
        uint256 slot = _memberSlot[taskId][account];
        if (slot == 0) revert NotTaskMember(taskId, account);
        // slot ≥ 1 here.
        unchecked {
            return slot - 1;
        }
    }

    /// @dev The task's current round, still neither finalized nor aborted.
    function _currentRound(uint256 taskId, TaskRecord storage task, uint256 round)
        private
        view
        returns (Round storage r)
    {
        uint256 current = task.currentRound;
        if (round != current) revert NotCurrentRound(taskId, round, current);
        r = _rounds[taskId][round];
        RoundStatus stored = r.status;
        if (stored != RoundStatus.Open) revert RoundEnded(taskId, round, stored);
    }

    /// @dev Every refusal of `submitChunk` before the proof: returns the caller's member index
    ///      and the chunk's record for this round.
    function _checkSubmission(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        uint256 length,
        uint256 escrowLength
    ) private view returns (uint256 index, ChunkRecord storage record) {
        TaskRecord storage task = _taskOfMode(taskId, Mode.SecAgg);
        index = _memberIndex(taskId, msg.sender);
        _requireMember();
        Round storage r = _currentRound(taskId, task, round);
        if (block.timestamp >= r.submissionDeadline) {
            revert RoundClosed(taskId, round, r.submissionDeadline);
        }
        if (chunk >= task.chunks) revert ChunkOutOfRange(taskId, chunk, task.chunks);
        uint256 w = _circuits[taskId].words;
        if (length != w) revert WrongWordCount(w, length);
        uint256 k = _circuits[taskId].neighbors;
        if (escrowLength != k * (k - 1)) revert WrongEscrowCount(k * (k - 1), escrowLength);
        record = _chunks[taskId][round][chunk];
        if ((record.contributors >> index) & 1 == 1) {
            revert ChunkAlreadySubmitted(taskId, round, chunk, msg.sender);
        }
    }

    /// @dev Every refusal of `joinTask` before the proofs: returns the caller's member index and
    ///      its number of active slots.
    function _checkJoin(uint256 taskId, uint256[] calldata commitments, uint256 proofCount)
        private
        view
        returns (uint256 index, uint256 active)
    {
        TaskRecord storage task = _taskOfMode(taskId, Mode.SecAgg);
        TaskStatus status = task.status;
        if (status != TaskStatus.Active) revert TaskNotActive(taskId, status);
        index = _memberIndex(taskId, msg.sender);
        _requireMember();
        if (_commitments[taskId][msg.sender][0] != 0) revert AlreadyJoined(taskId, msg.sender);
        if (_graph(taskId).length == 0) revert GraphNotDrawn(taskId);
        active = Ring.activeSlots(_circuits[taskId].neighbors, _members[taskId].length);
        if (commitments.length != active) revert WrongCommitmentCount(active, commitments.length);
        if (proofCount != active) revert WrongCommitmentCount(active, proofCount);
        for (uint256 s; s < active; ++s) {
            uint256 commitment = commitments[s];
            if (commitment == 0 || commitment >= _P) revert InvalidCommitment(commitment);
        }
    }

    /// @dev Every refusal of `revealMask` before the proof: returns the caller's commitment of
    ///      the pair, whether the caller added the pair's mask (coefficient +1: its index is below
    ///      the dropped neighbour's, circuits/README.md "Mask") and the chunk's record.
    function _checkReveal(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address dropped,
        uint256 length
    ) private view returns (uint256 commitment, bool added, ChunkRecord storage record) {
        TaskRecord storage task = _taskOfMode(taskId, Mode.SecAgg);
        uint256 index = _memberIndex(taskId, msg.sender);
        Round storage r = _currentRound(taskId, task, round);
        _requireRevealWindow(taskId, round, r);
        if (chunk >= task.chunks) revert ChunkOutOfRange(taskId, chunk, task.chunks);
        uint256 droppedIndex;
        (droppedIndex, commitment) = _pairCommitment(taskId, index, dropped);
        added = index < droppedIndex;
        record = _chunks[taskId][round][chunk];
        _requireRecoverablePair(taskId, round, chunk, record, index, droppedIndex, dropped);
        if (_revealed[_pairKey(taskId, round, chunk, msg.sender, dropped)]) {
            revert MaskAlreadyRevealed(taskId, round, chunk, msg.sender, dropped);
        }
        uint256 w = _circuits[taskId].words;
        if (length != w) revert WrongWordCount(w, length);
    }

    function _requireRevealWindow(uint256 taskId, uint256 round, Round storage r) private view {
        if (block.timestamp < r.submissionDeadline) {
            revert RoundStillOpen(taskId, round, r.submissionDeadline);
        }
        if (block.timestamp >= r.revealDeadline) {
            revert RevealWindowClosed(taskId, round, r.revealDeadline);
        }
    }

    /// @dev The neighbour `dropped` of the caller (member `index`) and the caller's commitment of
    ///      the active slot that holds it.
    function _pairCommitment(uint256 taskId, uint256 index, address dropped)
        private
        view
        returns (uint256 droppedIndex, uint256 commitment)
    {
        droppedIndex = _memberIndex(taskId, dropped);
        (bool found, uint256 slot) =
            Ring.slotOf(_graph(taskId), index, droppedIndex, _circuits[taskId].neighbors);
        if (!found) revert NotNeighbor(taskId, msg.sender, dropped);
        // The slot is active, so its commitment is non-zero once the caller has joined.
        commitment = _commitments[taskId][msg.sender][slot];
        if (commitment == 0) revert NotJoined(taskId, msg.sender);
    }

    function _requireRecoverablePair(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        ChunkRecord storage record,
        uint256 index,
        uint256 droppedIndex,
        address dropped
    ) private view {
        uint256 contributors = record.contributors;
        if ((contributors >> index) & 1 == 0) {
            revert NotContributor(taskId, round, chunk, msg.sender);
        }
        if ((contributors >> droppedIndex) & 1 == 1) {
            revert NeighborContributed(taskId, round, chunk, dropped);
        }
        uint256 required = _configs[taskId].minContributors;
        if (record.count < required) {
            revert ChunkVoid(taskId, round, chunk, record.count, required);
        }
    }

    /// @dev A SecAgg task's registered variant (checked) and chunk count; for a CKKS task, which
    ///      has no circuit, its key holder and context are checked and both are zero.
    function _circuitFor(TaskConfig calldata config, uint256 n)
        private
        view
        returns (CircuitVariant memory v, uint256 chunks)
    {
        if (config.mode == Mode.Ckks) {
            if (config.keyHolder == address(0)) revert MissingKeyHolder();
            if (bytes(config.contextCid).length == 0) revert MissingContext();
            return (v, 0);
        }
        v = IVerifierRegistry(registry).circuit(config.variant);
        _checkVariant(v, n);
        uint256 perChunk = uint256(v.words) * v.lanes;
        chunks = (uint256(config.paramCount) + perChunk - 1) / perChunk;
        if (chunks > type(uint32).max) revert TooManyChunks(chunks, type(uint32).max);
    }

    /// @dev What a task adds to the registry's checks: W and K within this contract's storage
    ///      layout, at least three members, and lane headroom for every member.
    function _checkVariant(CircuitVariant memory v, uint256 n) private pure {
        if (v.words > MAX_WORDS || v.neighbors > MAX_NEIGHBORS) {
            revert InvalidCircuitVariant(v.words, v.neighbors);
        }
        // A ring needs three members; n ≤ K is fine (the surplus slots are inactive).
        if (n < 3) revert TooFewMembers(n, 3);
        // A lane must hold the sum of n values of valueBits bits without carrying.
        uint256 headroom = 2 ** (uint256(v.laneBits) - v.valueBits);
        if (n > headroom) revert TooManyMembers(n, headroom);
    }

    // ---------------------------------------------------------------------------------------
    // Internals: effects
    // ---------------------------------------------------------------------------------------

    function _openRound(uint256 taskId, TaskRecord storage task, uint256 round) private {
        TaskConfig storage config = _configs[taskId];
        uint64 submissionDeadline = uint64(block.timestamp) + config.submissionPeriod;
        uint64 revealDeadline = submissionDeadline + config.revealPeriod;
        Round storage r = _rounds[taskId][round];
        r.status = RoundStatus.Open;
        r.submissionDeadline = submissionDeadline;
        r.revealDeadline = revealDeadline;
        // casting to 'uint32' is safe because round ≤ config.rounds, a uint32
        // forge-lint: disable-next-line(unsafe-typecast)
        task.currentRound = uint32(round);
        emit RoundOpened(taskId, round, submissionDeadline, revealDeadline);
    }

    function _advance(uint256 taskId, TaskRecord storage task, uint256 round, uint256 rounds)
        private
    {
        if (round >= rounds) {
            task.status = TaskStatus.Completed;
            emit TaskCompleted(taskId);
        } else {
            _openRound(taskId, task, round + 1);
        }
    }

    /// @dev Member `index` no longer contributes to the chunk, which keeps at least
    ///      minContributors (so `chunksAtThreshold` never changes): a withdrawal that would leave
    ///      fewer is refused, since the chunk is void either way.
    function _leave(uint256 taskId, uint256 round, uint256 chunk, uint256 index) private {
        ChunkRecord storage record = _chunks[taskId][round][chunk];
        uint32 count = record.count;
        if (count <= _configs[taskId].minContributors) {
            revert TooFewWouldRemain(taskId, round, chunk, count);
        }
        record.count = count - 1;
        // casting to 'uint128' is safe because index < MAX_MEMBERS = 128
        // forge-lint: disable-next-line(unsafe-typecast)
        record.contributors ^= uint128(2 ** index);
    }

    function _recordContribution(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        ChunkRecord storage record,
        uint256 index,
        uint256[] calldata words
    ) private {
        uint32 count = record.count + 1;
        // casting to 'uint128' is safe because index < MAX_MEMBERS = 128
        // forge-lint: disable-next-line(unsafe-typecast)
        record.contributors |= uint128(2 ** index);
        record.count = count;
        if (count == _configs[taskId].minContributors) ++_rounds[taskId][round].chunksAtThreshold;
        _accumulate(_acc[taskId][chunk], words, count == 1);
    }

    /// @dev Adds the words into the accumulator mod p, or overwrites it for the round's first
    ///      contribution (the slot still holds an earlier round's sum).
    function _accumulate(uint256[MAX_WORDS] storage acc, uint256[] calldata words, bool first)
        private
    {
        uint256 w = words.length;
        if (first) {
            for (uint256 i; i < w; ++i) {
                acc[i] = words[i];
            }
        } else {
            for (uint256 i; i < w; ++i) {
                acc[i] = addmod(acc[i], words[i], _P);
            }
        }
    }

    /// @dev The W words of a chunk's accumulator slot.
    function _accumulatorWords(uint256 taskId, uint256 chunk)
        private
        view
        returns (uint256[] memory words)
    {
        uint256 w = _circuits[taskId].words;
        words = new uint256[](w);
        uint256[MAX_WORDS] storage acc = _acc[taskId][chunk];
        for (uint256 i; i < w; ++i) {
            words[i] = acc[i];
        }
    }

    /// @dev Takes a revealed mask out of the accumulator mod p: subtracts it when the revealer
    ///      had added it (`added`), adds it back otherwise.
    function _unmask(uint256[MAX_WORDS] storage acc, uint256[] calldata masks, bool added) private {
        uint256 w = masks.length;
        for (uint256 i; i < w; ++i) {
            // masks[i] < p was checked, so p − masks[i] is in (0, p].
            acc[i] = addmod(acc[i], added ? _P - masks[i] : masks[i], _P);
        }
    }

    /// @dev Seals chunk c of the round: emits its aggregate (the exact sum when Recoverable, no
    ///      words when Void) and extends the digest chain. Before the recovery deadline a chunk
    ///      still awaiting reveals is refused; after it, such a chunk is Void.
    function _seal(
        uint256 taskId,
        uint256 round,
        uint256 c,
        Round storage r,
        bytes32 digest,
        uint256 aggregated
    ) private returns (bytes32, uint256) {
        ChunkRecord storage record = _chunks[taskId][round][c];
        uint256 count = record.count;
        bool enough = count >= _configs[taskId].minContributors;
        bool recoverable = enough && record.reveals == _requiredReveals(taskId, record.contributors);
        if (enough && !recoverable) {
            uint256 deadline = _recoveryDeadline(taskId, r);
            if (block.timestamp < deadline) revert RevealsPending(taskId, round, c, deadline);
        }
        uint256[] memory words = recoverable ? _accumulatorWords(taskId, c) : new uint256[](0);
        if (recoverable) ++aggregated;
        else count = 0;
        digest = keccak256(abi.encode(digest, c, count, words));
        emit ChunkAggregated(taskId, round, c, count, words, digest);
        return (digest, aggregated);
    }

    // ---------------------------------------------------------------------------------------
    // Internals: public inputs
    // ---------------------------------------------------------------------------------------

    /// @dev `MaskedUpdate` public signals in the order of record (circuits/README.md): task,
    ///      round, chunk, commitments[K] by slot (0 for an inactive slot), slots, bound, y[W],
    ///      then K·(K−1) zeros that `submitChunk` overwrites with the escrow entries. Refuses
    ///      out-of-field words, then a caller that has not joined.
    function _maskedUpdateCall(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        uint256 index,
        uint256[] calldata words,
        Proof calldata proof
    ) private view returns (bytes memory input) {
        uint256 k = _circuits[taskId].neighbors;
        input = Groth16Call.encode(_tasks[taskId].verifySelector, proof, _signals(k, words.length));
        Groth16Call.setInput(input, 0, _domain(taskId));
        Groth16Call.setInput(input, 1, round);
        Groth16Call.setInput(input, 2, chunk);
        for (uint256 i; i < words.length; ++i) {
            uint256 word = words[i];
            if (word >= _P) revert WordOutOfField(i, word);
            Groth16Call.setInput(input, _FIXED_SIGNALS + k + i, word);
        }
        {
            // Inactive slots keep the zero that `encode` wrote.
            uint256 active = Ring.activeSlots(k, _members[taskId].length);
            uint256[MAX_NEIGHBORS] storage stored = _commitments[taskId][msg.sender];
            uint256 first = stored[0];
            if (first == 0) revert NotJoined(taskId, msg.sender);
            Groth16Call.setInput(input, 3, first);
            for (uint256 s = 1; s < active; ++s) {
                Groth16Call.setInput(input, 3 + s, stored[s]);
            }
        }
        Groth16Call.setInput(input, 3 + k, _slotsWord(_drawnGraph(taskId), index, k));
        Groth16Call.setInput(input, 4 + k, _configs[taskId].bound);
    }

    /// @dev `PairCommit` public signals: D, pk[2] of the caller, neighbor[2] of the slot's
    ///      neighbour, commitment.
    function _pairCommitCall(
        uint256 taskId,
        uint256 domain,
        address neighbor,
        uint256 commitment,
        Proof calldata proof
    ) private view returns (bytes memory input) {
        // Every member of a SecAgg task was assigned a masking key at its creation, and an
        // assignment never changes; `keys` is the registry this contract deployed.
        // slither-disable-next-line unused-return,calls-loop
        (, uint256 ownX, uint256 ownY) = IKeyRegistry(keys).maskingKey(taskId, msg.sender);
        // slither-disable-next-line unused-return,calls-loop
        (, uint256 otherX, uint256 otherY) = IKeyRegistry(keys).maskingKey(taskId, neighbor);
        input = Groth16Call.encode(_PAIR_COMMIT_SELECTOR, proof, _PAIR_COMMIT_SIGNALS);
        Groth16Call.setInput(input, 0, domain);
        Groth16Call.setInput(input, 1, ownX);
        Groth16Call.setInput(input, 2, ownY);
        Groth16Call.setInput(input, 3, otherX);
        Groth16Call.setInput(input, 4, otherY);
        Groth16Call.setInput(input, 5, commitment);
    }

    /// @dev `MaskReveal(W)` public signals: D, round, chunk, commitment, mask[W]. Refuses
    ///      out-of-field mask words.
    function _maskRevealCall(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        uint256 commitment,
        uint256[] calldata masks,
        Proof calldata proof
    ) private view returns (bytes memory input) {
        uint256 w = masks.length;
        input = Groth16Call.encode(
            _tasks[taskId].revealSelector, proof, _MASK_REVEAL_FIXED_SIGNALS + w
        );
        Groth16Call.setInput(input, 0, _domain(taskId));
        Groth16Call.setInput(input, 1, round);
        Groth16Call.setInput(input, 2, chunk);
        Groth16Call.setInput(input, 3, commitment);
        for (uint256 i; i < w; ++i) {
            uint256 mask = masks[i];
            if (mask >= _P) revert WordOutOfField(i, mask);
            Groth16Call.setInput(input, _MASK_REVEAL_FIXED_SIGNALS + i, mask);
        }
    }

    /// @dev Public signals of a `MaskedUpdate(W, ·, ·, ·, K)` statement: 5 + K + W + K·(K−1).
    function _signals(uint256 k, uint256 w) private pure returns (uint256) {
        return _FIXED_SIGNALS + w + k * k;
    }

    /// @dev The task's domain D (see `taskDomain`).
    function _domain(uint256 taskId) private view returns (uint256) {
        return
            uint256(keccak256(abi.encode(_DOMAIN_TAG, block.chainid, address(this), taskId))) % _P;
    }

    // ---------------------------------------------------------------------------------------
    // Internals: ring and views
    // ---------------------------------------------------------------------------------------

    /// @dev The task's ring as `keys` stores it (empty until drawn; see `IKeyRegistry.graph`).
    function _graph(uint256 taskId) private view returns (bytes memory) {
        // `keys` is the registry this contract deployed.
        // slither-disable-next-line calls-loop
        return IKeyRegistry(keys).graph(taskId);
    }

    function _drawnGraph(uint256 taskId) private view returns (bytes memory graph) {
        graph = _graph(taskId);
        if (graph.length == 0) revert GraphNotDrawn(taskId);
    }

    /// @dev The slots word of member i: bit s = sign of slot s (set when i is below the
    ///      neighbour), bit k + s = slot s active (both zero for an inactive slot), bit 2k = the
    ///      task escrows its seeds (at least 3 active slots).
    function _slotsWord(bytes memory graph, uint256 i, uint256 k)
        private
        pure
        returns (uint256 slots)
    {
        uint256 active = Ring.activeSlots(k, graph.length / 2);
        for (uint256 s; s < active; ++s) {
            if (i < Ring.neighbor(graph, i, s)) slots |= 2 ** s;
            slots |= 2 ** (k + s);
        }
        if (active >= _MIN_ESCROW_SLOTS) slots |= 2 ** (2 * k);
    }

    /// @dev The first second after a round's recovery window: the reveal deadline plus one
    ///      reveal period when the task escrows its seeds, the reveal deadline otherwise.
    function _recoveryDeadline(uint256 taskId, Round storage r) private view returns (uint256) {
        uint256 deadline = r.revealDeadline;
        uint256 active = Ring.activeSlots(_circuits[taskId].neighbors, _members[taskId].length);
        if (active >= _MIN_ESCROW_SLOTS) deadline += _configs[taskId].revealPeriod;
        return deadline;
    }

    /// @dev Number of (contributor, non-contributing active neighbour) pairs of a contributor
    ///      set: each pair of distinct members once per direction, however small the ring.
    function _requiredReveals(uint256 taskId, uint256 contributors)
        private
        view
        returns (uint256 required)
    {
        if (contributors == 0) return 0;
        // Contributors joined, so the graph is drawn.
        bytes memory graph = _graph(taskId);
        uint256 n = graph.length / 2;
        uint256 active = Ring.activeSlots(_circuits[taskId].neighbors, n);
        for (uint256 i; i < n; ++i) {
            if ((contributors >> i) & 1 == 0) continue;
            for (uint256 s; s < active; ++s) {
                if ((contributors >> Ring.neighbor(graph, i, s)) & 1 == 0) ++required;
            }
        }
    }

    function _pairKey(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address revealer,
        address dropped
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(taskId, round, chunk, revealer, dropped));
    }

    /// @dev A round of a SecAgg task (a CKKS task's rounds live on `ckks`).
    function _startedRound(uint256 taskId, uint256 round) private view returns (Round storage) {
        TaskRecord storage task = _taskOfMode(taskId, Mode.SecAgg);
        if (round == 0 || round > task.currentRound) revert RoundNotStarted(taskId, round);
        return _rounds[taskId][round];
    }

    function _chunkRecord(uint256 taskId, uint256 round, uint256 chunk)
        private
        view
        returns (ChunkRecord storage)
    {
        _startedRound(taskId, round);
        uint256 chunks = _tasks[taskId].chunks;
        if (chunk >= chunks) revert ChunkOutOfRange(taskId, chunk, chunks);
        return _chunks[taskId][round][chunk];
    }

    function _status(Round storage r) private view returns (RoundStatus) {
        RoundStatus stored = r.status;
        if (stored == RoundStatus.Open && block.timestamp >= r.submissionDeadline) {
            return RoundStatus.Recovery;
        }
        return stored;
    }
}
