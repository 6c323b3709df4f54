// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @title IFederatedAggregator
/// @notice Coordinator and bulletin board of zkfed's federated-learning rounds: member keys,
///         tasks, pair-secret commitments, rounds, Groth16-checked masked submissions, on-chain
///         removal of dropped members' masks, and the exact aggregate of every round (the
///         protocol of record is circuits/README.md). CKKS-mode tasks are created here too (one
///         id space) and run on the `CkksAggregator` this contract deploys (`ckks`); withdrawals
///         of isolated contributors and the recovery of escrowed seeds run on the
///         `ChunkRecovery` it deploys (`recovery`), which changes a chunk only through this
///         contract's two recovery hooks.
/// @dev Rounds and task ids start at 1. The rules here are mirrored by the off-chain client; where
///      a rule decides what enters a model (chunk status), a view exposes it so both sides agree.
///
///      Neighbour slots: the n members of a SecAgg task sit on a ring in the random order
///      `IKeyRegistry.drawGraph` draws (`ringOrder` there); slot s of member i holds the member at ring offset +1, −1,
///      +2, −2, … from i's position (slot s ↦ ±(s/2 + 1) mod n). A slot is
///      active when its neighbour is neither i itself nor the neighbour of an earlier slot, which
///      makes exactly the slots s < min(K, n − 1) active; with n ≥ K + 1 every slot is. The active
///      relation is symmetric. Only active slots carry a pair secret, a commitment and a mask.
interface IFederatedAggregator {
    // ---------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------

    /// @notice How a task aggregates: on-chain masked sums (default) or CKKS ciphertexts off-chain.
    enum Mode {
        SecAgg,
        Ckks
    }

    enum TaskStatus {
        None,
        Active,
        Completed
    }

    /// @notice Open until the submission deadline, then Recovery (reveals, aggregation) until the
    ///         round is Finalized (new model recorded) or Aborted (model unchanged).
    enum RoundStatus {
        None,
        Open,
        Recovery,
        Finalized,
        Aborted
    }

    /// @notice Whether a chunk of a round enters the aggregate.
    /// @dev Open: submissions still accepted. Void: fewer than `minContributors` contributors, or
    ///      a required mask was not removed in time (by the recovery deadline), or the round was
    ///      aborted — the chunk's weights stay as they were. AwaitingReveals: enough
    ///      contributors, before the recovery deadline, masks still to remove. Recoverable: enough contributors and the mask of every
    ///      (contributor, dropped neighbour) pair removed — the chunk enters the aggregate.
    enum ChunkStatus {
        Open,
        Void,
        AwaitingReveals,
        Recoverable
    }

    /// @notice A compiled circuit variant (circuits/circuits.json) and its verifier contracts, as
    ///         the deployment's `VerifierRegistry` holds it and a task copies it.
    /// @param verifier `MaskedUpdate` Groth16 verifier: snarkjs ABI with
    ///        5 + neighbors + words + neighbors·(neighbors − 1) public signals (task, round,
    ///        chunk, commitments[K], slots, bound, y[W], escrow[K·(K−1)]).
    /// @param words W, masked words per chunk (= per proof).
    /// @param neighbors K, neighbour slots per member (even, at most `MAX_NEIGHBORS`).
    /// @param lanes L, quantised values per word.
    /// @param laneBits B, bits per lane.
    /// @param valueBits R, bits per quantised value.
    /// @param revealVerifier `MaskReveal(W)` Groth16 verifier (4 + words public signals).
    /// @param pairVerifier `PairCommit` Groth16 verifier (6 public signals).
    /// @param escrowVerifier `EscrowPad` Groth16 verifier (6 public signals: task, round, chunk,
    ///        commitment, tag, pad), one per deployment.
    /// @param seedMaskVerifier `SeedMask(W)` Groth16 verifier (1 + words public signals: seed,
    ///        mask[W]).
    struct CircuitVariant {
        address verifier;
        uint16 words;
        uint8 neighbors;
        uint8 lanes;
        uint8 laneBits;
        uint8 valueBits;
        address revealVerifier;
        address pairVerifier;
        address escrowVerifier;
        address seedMaskVerifier;
    }

    /// @notice Everything a task is created with (fields ordered for storage packing).
    /// @param variant Id of a circuit variant of the deployment's `VerifierRegistry`; ignored in
    ///        CKKS mode. The task copies the registered variant (`taskCircuit`).
    /// @param scaleBits S, fixed-point scale 2^S of the quantiser (the proposal's choice for its
    ///        clipping norm; it never affects a proof).
    /// @param mode SecAgg or Ckks.
    /// @param keyHolder CKKS key holder (decrypts only the aggregate); zero in SecAgg mode.
    /// @param paramCount d, parameters of the model.
    /// @param bound Per-chunk L2 bound in squared quantised units (a public input of every proof).
    /// @param minContributors t_min ≥ 3: a chunk (or a CKKS round) with fewer contributors is void.
    /// @param rounds Number of rounds the task runs (aborted rounds count).
    /// @param submissionPeriod Seconds from a round's opening to its submission deadline.
    /// @param revealPeriod Seconds from the submission deadline to the reveal deadline (CKKS: the
    ///        reveal window; the same span again is the key holder's decryption window). A
    ///        SecAgg task that escrows its seeds has a recovery window of the same span after
    ///        the reveal deadline.
    /// @param contextCid CKKS: CID of the public TenSEAL context (no secret key); empty in SecAgg.
    /// @param modelCid CID of the initial global model.
    /// @param modelHash Hash of the initial global model's bytes.
    struct TaskConfig {
        uint32 variant;
        uint8 scaleBits;
        Mode mode;
        address keyHolder;
        uint64 paramCount;
        uint64 bound;
        uint16 minContributors;
        uint32 rounds;
        uint64 submissionPeriod;
        uint64 revealPeriod;
        string contextCid;
        string modelCid;
        bytes32 modelHash;
    }

    /// @notice A Groth16 proof exactly as snarkjs' `exportSolidityCallData` prints it (`b` with
    ///         its coordinate pairs already swapped for the pairing precompile).
    struct Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    /// @notice A round's schedule and outcome.
    /// @param status Open, Recovery (derived from the submission deadline), Finalized or Aborted.
    /// @param submissionDeadline First second at which submissions are refused.
    /// @param revealDeadline First second at which `revealMask` is refused; the recovery window
    ///        (`IChunkRecovery.revealShare`, `recoverMask`) opens then.
    /// @param recoveryDeadline First second after the recovery window: revealDeadline +
    ///        revealPeriod when the task escrows its seeds (at least 3 active slots, see
    ///        `neighbors`), revealDeadline otherwise (no recovery window). A chunk still awaiting
    ///        reveals is sealed (as Void) only from then on.
    /// @param chunksAtThreshold SecAgg chunks that reached `minContributors`.
    /// @param sealedChunks SecAgg chunks whose aggregate `finalizeRound` has fixed so far.
    /// @param aggregatedChunks Sealed chunks that enter the model (the others are void).
    /// @param aggregateDigest SecAgg: the digest chain over the sealed chunks' aggregates (see
    ///        `ChunkAggregated`); complete once the round is Finalized.
    struct RoundInfo {
        RoundStatus status;
        uint64 submissionDeadline;
        uint64 revealDeadline;
        uint64 recoveryDeadline;
        uint32 chunksAtThreshold;
        uint32 sealedChunks;
        uint32 aggregatedChunks;
        bytes32 aggregateDigest;
    }

    // ---------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------

    event TaskCreated(
        uint256 indexed taskId, Mode mode, uint256 members, uint256 chunks, uint256 rounds
    );
    /// @notice `member` committed to its pair secrets of the task, in active-slot order.
    event TaskJoined(uint256 indexed taskId, address indexed member, uint256[] commitments);
    event RoundOpened(
        uint256 indexed taskId,
        uint256 indexed round,
        uint64 submissionDeadline,
        uint64 revealDeadline
    );
    /// @notice `member` submitted a chunk's masked `words` and the `escrow` of its pair seeds
    ///         (kept here so anyone can withdraw the words with `IChunkRecovery.withdrawChunk`
    ///         should the member end up isolated, and reveal escrow shares with `revealShare`).
    event ChunkSubmitted(
        uint256 indexed taskId,
        uint256 indexed round,
        address indexed member,
        uint256 chunk,
        uint256[] words,
        uint256[] escrow
    );
    /// @notice `revealer` removed from a chunk's accumulator the mask it shares with `dropped`.
    event MaskRevealed(
        uint256 indexed taskId,
        uint256 indexed round,
        address indexed revealer,
        uint256 chunk,
        address dropped
    );
    /// @notice A chunk's aggregate of a round is fixed: the exact packed sum of its `count`
    ///         contributors' words (every mask removed), or, for a void chunk, count 0 and no
    ///         words. `digest` is the round's digest chain after this chunk.
    event ChunkAggregated(
        uint256 indexed taskId,
        uint256 indexed round,
        uint256 indexed chunk,
        uint256 count,
        uint256[] words,
        bytes32 digest
    );
    /// @notice A member published the CID of a SecAgg round's resulting model. A convenience:
    ///         the model is a pure function of the initial model and the chain's aggregates, and
    ///         clients check a published model against that function before they use it.
    event ModelPublished(
        uint256 indexed taskId,
        uint256 indexed round,
        address indexed publisher,
        string modelCid,
        bytes32 modelHash
    );
    /// @notice `digest` is the round's aggregate digest (`RoundInfo.aggregateDigest`).
    event RoundFinalized(
        uint256 indexed taskId, uint256 indexed round, address indexed finalizer, bytes32 digest
    );
    event RoundAborted(uint256 indexed taskId, uint256 indexed round, address indexed caller);
    event TaskCompleted(uint256 indexed taskId);

    // ---------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------

    /// @notice The governance contract was not deployed for this aggregator's address.
    error GovernanceMismatch(address governance, address boundAggregator);
    /// @notice The registry gave no `KeyPossession` verifier with code.
    error MissingKeyVerifier(address registry);
    error NotGovernance(address caller);
    error NotMember(address account);

    // Task configuration (the variant itself was checked by the registry).
    error InvalidCircuitVariant(uint256 words, uint256 neighbors);
    error InvalidMinContributors(uint256 minContributors, uint256 members);
    error TooFewMembers(uint256 members, uint256 required);
    error TooManyMembers(uint256 members, uint256 maximum);
    error InvalidSchedule(uint256 rounds, uint256 submissionPeriod, uint256 revealPeriod);
    error ZeroParameterCount();
    error TooManyChunks(uint256 chunks, uint256 maximum);
    error MissingKeyHolder();
    error MissingContext();
    error MissingModel();

    // The ring (`IKeyRegistry.drawGraph`) must be drawn before joining.
    error GraphNotDrawn(uint256 taskId);

    // joinTask.
    error TaskNotActive(uint256 taskId, TaskStatus status);
    error AlreadyJoined(uint256 taskId, address member);
    error WrongCommitmentCount(uint256 expected, uint256 actual);
    error InvalidCommitment(uint256 commitment);
    error InvalidPairProof(uint256 taskId, address member, uint256 slot);

    // Rounds.
    error UnknownTask(uint256 taskId);
    error WrongMode(uint256 taskId, Mode mode);
    error NotTaskMember(uint256 taskId, address account);
    error NotCurrentRound(uint256 taskId, uint256 round, uint256 currentRound);
    error RoundClosed(uint256 taskId, uint256 round, uint256 submissionDeadline);
    error RoundStillOpen(uint256 taskId, uint256 round, uint256 submissionDeadline);
    error RevealWindowClosed(uint256 taskId, uint256 round, uint256 revealDeadline);
    error RoundEnded(uint256 taskId, uint256 round, RoundStatus status);
    error RoundNotStarted(uint256 taskId, uint256 round);
    /// @notice The member has not posted its pair commitments with `joinTask` yet.
    error NotJoined(uint256 taskId, address member);

    // submitChunk.
    error ChunkOutOfRange(uint256 taskId, uint256 chunk, uint256 chunks);
    error WrongWordCount(uint256 expected, uint256 actual);
    /// @notice A chunk carries K·(K−1) escrow entries (zero where escrow is off).
    error WrongEscrowCount(uint256 expected, uint256 actual);
    error WordOutOfField(uint256 index, uint256 word);
    error ChunkAlreadySubmitted(uint256 taskId, uint256 round, uint256 chunk, address member);
    error InvalidProof(uint256 taskId, uint256 round, uint256 chunk, address member);
    /// @notice Too little gas is left to give the proof's verifier its cap: send more gas.
    error VerifierGasTooLow(uint256 required, uint256 left);

    // revealMask.
    error NotNeighbor(uint256 taskId, address member, address neighbor);
    error NotContributor(uint256 taskId, uint256 round, uint256 chunk, address member);
    error ChunkSealed(uint256 taskId, uint256 round, uint256 chunk);
    /// @notice The words given are not the ones `member` submitted for this chunk and round.
    error NotTheSubmittedWords(uint256 taskId, uint256 round, uint256 chunk, address member);
    /// @notice The chunk has `count` contributors: without one it would fall below
    ///         minContributors and be void anyway, so nobody is withdrawn.
    error TooFewWouldRemain(uint256 taskId, uint256 round, uint256 chunk, uint256 count);
    /// @notice `member`'s component of contributors holds at least minContributors: it stays.
    ///         `size` is a lower bound, at least minContributors (the count stops there).
    error ComponentNotIsolated(
        uint256 taskId, uint256 round, uint256 chunk, address member, uint256 size
    );
    error NeighborContributed(uint256 taskId, uint256 round, uint256 chunk, address neighbor);
    error ChunkVoid(
        uint256 taskId, uint256 round, uint256 chunk, uint256 contributors, uint256 required
    );
    error MaskAlreadyRevealed(
        uint256 taskId, uint256 round, uint256 chunk, address revealer, address dropped
    );

    // Recovery hooks.
    /// @notice Only the `ChunkRecovery` this contract deployed (`recovery`) may call.
    error NotRecovery(address caller);

    // finalizeRound / abortRound.
    /// @notice The chunk still awaits reveals and cannot be sealed before `recoveryDeadline`.
    error RevealsPending(uint256 taskId, uint256 round, uint256 chunk, uint256 recoveryDeadline);
    error NothingToAggregate(uint256 taskId, uint256 round);
    error RoundNotAbortable(uint256 taskId, uint256 round);
    error EmptyCid();
    /// @notice `finalizeRound` was asked to seal no chunk.
    error ZeroBatch();
    /// @notice A model can be published only for a finalized SecAgg round.
    error RoundNotFinalized(uint256 taskId, uint256 round);

    /// @notice A past round's accumulator was reused by a later round that touched the chunk;
    ///         the round's aggregate is in its `ChunkAggregated` event.
    error AccumulatorOverwritten(uint256 taskId, uint256 round, uint256 chunk, uint256 laterRound);

    // ---------------------------------------------------------------------------------------
    // Tasks and rounds
    // ---------------------------------------------------------------------------------------

    /// @notice Creates a task and opens its round 1; only governance (an executed proposal).
    /// @dev Members are a snapshot, in governance order, of the governance members that have an
    ///      unused masking key in `keys`, each of which the task takes (`IKeyRegistry.assignKeys`;
    ///      SecAgg), or of all governance members (CKKS). A SecAgg task's circuit variant is
    ///      the registry's entry `config.variant` (`UnknownVariant` otherwise).
    ///      A CKKS task is opened on `ckks` (`ICkksAggregator.openTask`), which runs its rounds.
    /// @param config Task parameters; see `TaskConfig`.
    /// @return taskId The new task's id.
    function createTask(TaskConfig calldata config) external returns (uint256 taskId);

    /// @notice Commits the caller to its pair secrets of a task, once: one commitment
    ///         c_ij = Poseidon2(ECDH(sk_i, pk_j).x, D) per active neighbour slot (D is the
    ///         task's domain, `taskDomain`; sk_i and pk_j the masking keys the task assigned, see
    ///         `IKeyRegistry.maskingKey`), each with a
    ///         `PairCommit` proof. Chunks and mask reveals are then proven against them.
    /// @dev SecAgg tasks only, once its graph is drawn, while the task is Active (also in a
    ///      later round), by a task member that has not joined yet. Both arrays hold exactly one entry per active slot, in slot
    ///      order (s = 0, 1, …); each commitment is non-zero and below p. The `PairCommit` public
    ///      inputs of slot s are D, the caller's task key (x, y), slot s's neighbour's (x, y),
    ///      commitment.
    /// @param taskId Task.
    /// @param commitments c_ij of each active slot, in slot order.
    /// @param proofs Groth16 proofs of the `PairCommit` statements, in the same order.
    function joinTask(uint256 taskId, uint256[] calldata commitments, Proof[] calldata proofs)
        external;

    /// @notice Submits one masked chunk with its `MaskedUpdate` proof and adds it to the
    ///         chunk's accumulator mod p.
    /// @dev The caller must have joined the task. Public inputs are assembled from storage:
    ///      D (`taskDomain`), round, chunk, the caller's commitments by slot (0 for an inactive
    ///      slot), the slots word (see `neighbors`; bit 2K set iff the task escrows), bound, then
    ///      the words, then the escrow entries. The contract keeps
    ///      keccak256(abi.encodePacked(keccak256(abi.encodePacked(round, words)), escrow))
    ///      (`submissionHash`) for `IChunkRecovery`.
    /// @param taskId Task.
    /// @param round Current round of the task.
    /// @param chunk Chunk index, below `chunkCount`.
    /// @param words The W masked words, each below p.
    /// @param escrow The K·(K−1) escrow entries (circuits/README.md): entry
    ///        e(j, h) = j·(K−1) + h − (h > j ? 1 : 0) is the share of slot j's seed for the
    ///        holder in slot h, plus the pad only that pair can open; 0 where escrow is off.
    /// @param proof Groth16 proof of the caller's `MaskedUpdate` statement.
    function submitChunk(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        uint256[] calldata words,
        uint256[] calldata escrow,
        Proof calldata proof
    ) external;

    /// @notice Removes from a chunk's accumulator the mask the caller shares with a neighbour
    ///         that did not submit the chunk, so the chain holds the exact sum.
    /// @dev Only between the submission and the reveal deadline, only by a contributor of the
    ///      chunk for an active neighbour that did not contribute, only for a chunk with at least
    ///      `minContributors` contributors, once per pair. The `MaskReveal` proof's public inputs
    ///      are D, round, chunk, the caller's commitment of the slot holding `dropped`, the W
    ///      mask words; the contract subtracts them with the caller's sign for that slot.
    /// @param taskId Task.
    /// @param round Current round.
    /// @param chunk Chunk index.
    /// @param dropped The neighbour that did not contribute the chunk.
    /// @param masks PRG(Poseidon4(ECDH(sk_caller, pk_dropped), D, round, chunk), w) for w < W.
    /// @param proof Groth16 proof of the `MaskReveal` statement.
    function revealMask(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address dropped,
        uint256[] calldata masks,
        Proof calldata proof
    ) external;

    /// @notice Recovery hook: removes the mask of the pair (owner, dropped) from the chunk's
    ///         accumulator, as `revealMask` by `owner` would (marks the pair revealed with
    ///         `owner` as revealer, counts the reveal, subtracts the masks when `added`, adds
    ///         them back otherwise).
    /// @dev Only `recovery`, which checked everything (`IChunkRecovery.recoverMask`).
    function removeRecoveredMask(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address owner,
        address dropped,
        bool added,
        uint256[] calldata masks
    ) external;

    /// @notice Recovery hook: member `index` no longer contributes to the chunk and its `words`
    ///         leave the accumulator. Refuses (`TooFewWouldRemain`) when the chunk would keep
    ///         fewer than minContributors.
    /// @dev Only `recovery`, which checked everything else (`IChunkRecovery.withdrawChunk`).
    function withdrawContributor(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        uint256 index,
        uint256[] calldata words
    ) external;

    /// @notice Fixes a SecAgg round's aggregate, chunk by chunk, then ends the round and opens
    ///         the next one (or completes the task after its last round). Anyone may call it.
    /// @dev Seals up to `maxChunks` chunks, in order, from where the last call stopped, so no
    ///      call's gas grows with the task's chunk count. A chunk can be sealed after the
    ///      recovery deadline (`RoundInfo.recoveryDeadline`), or earlier once its status is no
    ///      longer AwaitingReveals. Sealing emits
    ///      `ChunkAggregated` with the chunk's exact sum (Recoverable) or no words (Void) and
    ///      extends the round's digest chain, which starts at keccak256(abi.encode(D, round)):
    ///      digest = keccak256(abi.encode(digest, chunk, count, words)). When the last chunk is
    ///      sealed the round is Finalized: its result is the pure function of the previous model
    ///      and these aggregates given in circuits/README.md, so there is nothing to choose.
    /// @param taskId A SecAgg task.
    /// @param round Current round.
    /// @param maxChunks Most chunks to seal in this call (at least 1).
    function finalizeRound(uint256 taskId, uint256 round, uint256 maxChunks) external;

    /// @notice Publishes where a finalized SecAgg round's model can be fetched.
    /// @dev Any task member, any number of times: the contract cannot check a model, clients do
    ///      (against the aggregates), so a wrong CID misleads nobody who checks.
    /// @param taskId A SecAgg task.
    /// @param round A finalized round.
    /// @param modelCid CID of the model.
    /// @param modelHash sha256 of the model's bytes.
    function publishModel(
        uint256 taskId,
        uint256 round,
        string calldata modelCid,
        bytes32 modelHash
    ) external;

    /// @notice Ends a round without a new model; anyone may call it.
    /// @dev Allowed after the submission deadline when no chunk reached `minContributors`. A
    ///      round with something to aggregate is never aborted: anyone can finalize it after the
    ///      recovery deadline. Then the next round opens from the same model (or the task
    ///      completes).
    /// @param taskId A SecAgg task.
    /// @param round Current round.
    function abortRound(uint256 taskId, uint256 round) external;

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @notice The governance contract: membership and task creation.
    function governance() external view returns (address);

    /// @notice The `CkksAggregator` this contract deployed, which runs CKKS tasks' rounds.
    function ckks() external view returns (address);

    /// @notice The `KeyRegistry` this contract deployed: members' keys.
    function keys() external view returns (address);

    /// @notice The `ChunkRecovery` this contract deployed: withdrawals of isolated contributors
    ///         and the recovery of escrowed seeds; the only caller of the recovery hooks.
    function recovery() external view returns (address);

    /// @notice The deployment's `VerifierRegistry`: the only circuit variants a task may use.
    function registry() external view returns (address);

    /// @notice The circuit variant a SecAgg task copied from the registry at its creation.
    function taskCircuit(uint256 taskId) external view returns (CircuitVariant memory);

    /// @notice A task's domain D = keccak256(abi.encode(keccak256("zkfed.task-domain"), chainid,
    ///         this contract, taskId)) mod p: the `task` public input of every proof of the task,
    ///         so commitments, seeds and masks of the same keys differ across tasks, contracts
    ///         and chains.
    function taskDomain(uint256 taskId) external view returns (uint256);

    /// @notice Number of tasks created so far (ids are 1..taskCount).
    function taskCount() external view returns (uint256);

    /// @notice The configuration a task was created with.
    function taskConfig(uint256 taskId) external view returns (TaskConfig memory);

    /// @notice A task's status, current round and chunk count (a CKKS task's status and round
    ///         are its `CkksAggregator`'s, its chunk count 0).
    function taskState(uint256 taskId)
        external
        view
        returns (TaskStatus status, uint256 currentRound, uint256 chunks);

    /// @notice The task's member snapshot; the index in this list is the member index (of
    ///         contributor bitmaps and signs), its ring position is in `IKeyRegistry.ringOrder`.
    function taskMembers(uint256 taskId) external view returns (address[] memory);

    /// @notice A member's K neighbour slots in public-input order (+1, −1, +2, −2, …) and the
    ///         slots word of its `MaskedUpdate` statements.
    /// @dev `ring` holds every slot's neighbour, an inactive slot's too (a repeat or the member
    ///      itself). `slots`: bit s (s < K) is the sign of slot s, set when the member's index is
    ///      below the neighbour's (0 for an inactive slot); bit K + s is set when slot s is active;
    ///      bit 2K is set when the task escrows its seeds (at least 3 active slots:
    ///      min(K, n − 1) ≥ 3). It is exactly the `slots` public input of the member's chunks.
    ///      SecAgg tasks only (`WrongMode`), once the ring is drawn (`GraphNotDrawn`).
    function neighbors(uint256 taskId, address member)
        external
        view
        returns (address[] memory ring, uint256 slots);

    /// @notice A member's pair commitments by slot (K entries; 0 for an inactive slot or before
    ///         the member joined), as its `MaskedUpdate` statements take them.
    /// @dev Reverts with `NotTaskMember` for an account outside the task.
    function pairCommitments(uint256 taskId, address member)
        external
        view
        returns (uint256[] memory);

    /// @notice Whether `member` joined the task (false for an account outside the task).
    function hasJoined(uint256 taskId, address member) external view returns (bool);

    /// @notice A SecAgg round's schedule, status (time-derived) and sealing progress.
    function roundInfo(uint256 taskId, uint256 round) external view returns (RoundInfo memory);

    /// @notice The model the chain records for a SecAgg task: its initial model (the proposal
    ///         fixed its hash); every later model is derived from the aggregates.
    /// @return cid CID of the recorded model.
    /// @return modelHash sha256 of its bytes.
    /// @return round_ The round whose result it is (0: the initial model).
    function globalModel(uint256 taskId, uint256 round)
        external
        view
        returns (string memory cid, bytes32 modelHash, uint256 round_);

    /// @notice Contributors of a chunk in a round: bitmap over member indices and count.
    function chunkContributors(uint256 taskId, uint256 round, uint256 chunk)
        external
        view
        returns (uint256 bitmap, uint256 count);

    /// @notice Reveals received for a chunk and how many the contributor set requires.
    function chunkReveals(uint256 taskId, uint256 round, uint256 chunk)
        external
        view
        returns (uint256 revealed, uint256 required);

    /// @notice The rule of record for what enters a round's aggregate; see `ChunkStatus`.
    function chunkStatus(uint256 taskId, uint256 round, uint256 chunk)
        external
        view
        returns (ChunkStatus);

    /// @notice The chunk's accumulator (Σ accepted words mod p, less the revealed masks) for
    ///         `round`.
    /// @dev Accumulator slots are reused: reverts with `AccumulatorOverwritten` once a later round
    ///      has contributions to the chunk (its `ChunkAggregated` event keeps the round's sum).
    ///      All zero when the round has none.
    function accumulator(uint256 taskId, uint256 round, uint256 chunk)
        external
        view
        returns (uint256[] memory words);

    /// @notice The task's minContributors (`taskConfig`), 0 for an unknown task.
    function minContributors(uint256 taskId) external view returns (uint256);

    /// @notice The index of `account` in `taskMembers` (reverts with `NotTaskMember`).
    function memberIndex(uint256 taskId, address account) external view returns (uint256);

    /// @notice keccak256(abi.encodePacked(keccak256(abi.encodePacked(round, words)), escrow)) of
    ///         the chunk member `index` last submitted (in any round; 0 before its first).
    function submissionHash(uint256 taskId, uint256 chunk, uint256 index)
        external
        view
        returns (bytes32);

    /// @notice Whether `revealer` removed the mask of its pair with `dropped` from the chunk
    ///         (with `revealMask`, or `IChunkRecovery.recoverMask` for `revealer` as owner).
    function maskRevealed(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address revealer,
        address dropped
    ) external view returns (bool);
}
