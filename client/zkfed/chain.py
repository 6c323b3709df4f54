"""The one thin wrapper through which the client reaches the zkfed contracts (via ape)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_utils.crypto import keccak

from zkfed.babyjubjub import Point
from zkfed.exceptions import ChainError, ConfigurationError
from zkfed.groth16 import Proof
from zkfed.quantize import Packing
from zkfed.secagg import SecaggTask

ZERO_ADDRESS = "0x" + "00" * 20


class Mode(IntEnum):
    """Aggregation mode of a task (IFederatedAggregator.Mode)."""

    SECAGG = 0
    CKKS = 1


class RoundStatus(IntEnum):
    """IFederatedAggregator.RoundStatus."""

    NONE = 0
    OPEN = 1
    RECOVERY = 2
    FINALIZED = 3
    ABORTED = 4


class ChunkStatus(IntEnum):
    """IFederatedAggregator.ChunkStatus."""

    OPEN = 0
    VOID = 1
    AWAITING_REVEALS = 2
    RECOVERABLE = 3


@dataclass(frozen=True)
class Variant:
    """A `MaskedUpdate` circuit variant with the verifiers deployed for it: its own, the
    `MaskReveal` verifier of its word count and the shared `PairCommit` verifier."""

    verifier: str
    reveal_verifier: str
    pair_verifier: str
    packing: Packing
    neighbors: int

    def as_tuple(self) -> tuple[Any, ...]:
        """IFederatedAggregator.CircuitVariant."""
        p = self.packing
        return (
            self.verifier,
            p.words,
            self.neighbors,
            p.lanes,
            p.lane_bits,
            p.value_bits,
            p.scale_bits,
            self.reveal_verifier,
            self.pair_verifier,
        )


def deploy_variant(
    project: Any, deployer: Any, circuit: Any, scale_bits: int | None = None
) -> Variant:
    """Deploy a `MaskedUpdate` variant's generated verifier with the `MaskReveal` verifier of
    its word count and the shared `PairCommit` verifier.

    `circuit` is a `zkfed.circuits.Circuit` entry of the registry; `scale_bits` defaults to
    the variant's fitting scale (`Circuit.packing`).
    """
    from zkfed.circuits import PAIR_COMMIT, load_circuit, mask_reveal_circuit

    verifier = deployer.deploy(getattr(project, circuit.verifier_contract))
    reveal = mask_reveal_circuit(circuit.packing().words, circuit.root)
    reveal_verifier = deployer.deploy(getattr(project, reveal.verifier_contract))
    pair_verifier = deployer.deploy(
        getattr(project, load_circuit(PAIR_COMMIT, circuit.root).verifier_contract)
    )
    return Variant(
        verifier.address,
        reveal_verifier.address,
        pair_verifier.address,
        circuit.packing(scale_bits),
        circuit.neighbors,
    )


@dataclass(frozen=True)
class TaskSpec:
    """What a task proposal asks the aggregator to create (IFederatedAggregator.TaskConfig)."""

    variant: Variant
    param_count: int
    bound: int
    rounds: int
    submission_period: int
    reveal_period: int
    model_cid: str
    model_hash: bytes
    min_contributors: int = 3
    mode: Mode = Mode.SECAGG
    key_holder: str = ZERO_ADDRESS
    context_cid: str = ""

    def as_tuple(self) -> tuple[Any, ...]:
        """The TaskConfig tuple, in the interface's field order."""
        return (
            self.variant.as_tuple(),
            int(self.mode),
            self.key_holder,
            self.param_count,
            self.bound,
            self.min_contributors,
            self.rounds,
            self.submission_period,
            self.reveal_period,
            self.context_cid,
            self.model_cid,
            self.model_hash,
        )


@dataclass(frozen=True)
class RoundState:
    """A round as the contract reports it.

    `aggregate_digest` (SecAgg) is the digest chain over the round's sealed chunk aggregates;
    `model_cid` and `model_hash` are set for finalized CKKS rounds only: a SecAgg round's model
    is derived from the aggregates (:func:`zkfed.protocol.round_model`).
    """

    status: RoundStatus
    submission_deadline: int
    reveal_deadline: int
    contributions: int
    model_cid: str
    model_hash: bytes
    sealed_chunks: int = 0
    aggregated_chunks: int = 0
    aggregate_digest: bytes = b"\x00" * 32


@dataclass(frozen=True)
class ChunkAggregate:
    """A chunk's sealed aggregate of a round (`ChunkAggregated`): the exact packed sum of its
    `count` contributors' words, or count 0 and no words for a void chunk."""

    chunk: int
    count: int
    words: tuple[int, ...]
    digest: bytes


@dataclass(frozen=True)
class PublishedModel:
    """A `ModelPublished` event: where someone says a round's model can be fetched."""

    publisher: str
    cid: str
    model_hash: bytes


def _bits(bitmap: int) -> set[int]:
    return {i for i in range(bitmap.bit_length()) if bitmap >> i & 1}


class Zkfed:
    """The aggregator and governance contracts of one deployment.

    Parameters
    ----------
    aggregator, governance
        ape contract instances of `FederatedAggregator` and `ModelGovernance`.
    """

    def __init__(self, aggregator: Any, governance: Any) -> None:
        self.aggregator = aggregator
        self.governance = governance
        # Sealed aggregates never change: read each finalized round's events once.
        self._aggregates: dict[tuple[int, int], list[ChunkAggregate]] = {}

    @classmethod
    def deploy(
        cls,
        project: Any,
        deployer: Any,
        founders: Sequence[Any],
        voting_period: int,
        key_verifier: str | None = None,
    ) -> Zkfed:
        """Deploy governance (bound to the aggregator's future address), then the aggregator.

        `key_verifier` is the address of a deployed `KeyPossession` verifier; by default the
        registry's generated one is deployed first.
        """
        if key_verifier is None:
            from zkfed.circuits import KEY_POSSESSION, load_circuit

            contract = load_circuit(KEY_POSSESSION).verifier_contract
            key_verifier = str(deployer.deploy(getattr(project, contract)).address)
        predicted = deployer.get_deployment_address(deployer.nonce + 1)
        governance = deployer.deploy(
            project.ModelGovernance,
            predicted,
            [getattr(f, "address", f) for f in founders],
            voting_period,
        )
        aggregator = deployer.deploy(project.FederatedAggregator, governance.address, key_verifier)
        if aggregator.address != predicted:
            raise ChainError("the aggregator was not deployed at the address governance expects.")
        return cls(aggregator, governance)

    @classmethod
    def at(cls, project: Any, aggregator_address: str) -> Zkfed:
        """Attach to a deployment by the aggregator's address."""
        aggregator = project.FederatedAggregator.at(aggregator_address)
        governance = project.ModelGovernance.at(aggregator.governance())
        return cls(aggregator, governance)

    # --- membership and governance -------------------------------------------------------------

    def key_binding(self, member: Any) -> int:
        """The `binding` input of a member's `KeyPossession` proof (chain, contract, account)."""
        return int(self.aggregator.keyBinding(getattr(member, "address", member)))

    def key_owner(self, pk: Point) -> str | None:
        """The member that registered a key, if any."""
        owner = str(self.aggregator.keyOwner(pk[0], pk[1]))
        return None if int(owner, 16) == 0 else owner

    def register_key(self, member: Any, pk: Point, proof: Proof) -> Any:
        """Register a member's BabyJubJub public key with its `KeyPossession` proof."""
        return self.aggregator.registerKey(pk[0], pk[1], proof.solidity_arguments(), sender=member)

    def propose_task(
        self,
        member: Any,
        spec: TaskSpec,
        spec_cid: str,
        spec_hash: bytes,
        hyper_param_hash: bytes,
    ) -> int:
        """Propose a task; returns the proposal id."""
        receipt = self.governance.proposeTask(
            (spec_cid, spec_hash, hyper_param_hash, spec.as_tuple()), sender=member
        )
        return int(receipt.return_value or self.governance.proposalCount())

    def vote(self, member: Any, proposal_id: int, support: bool) -> Any:
        """Cast a member's vote."""
        return self.governance.vote(proposal_id, support, sender=member)

    def execute(self, member: Any, proposal_id: int) -> int:
        """Execute a succeeded task proposal; returns the new task id."""
        self.governance.execute(proposal_id, sender=member)
        return int(self.governance.proposal(proposal_id).taskId)

    # --- reading a task ------------------------------------------------------------------------

    def task_members(self, task_id: int) -> list[str]:
        """The task's member addresses; the index is the member's ring position."""
        return [str(a) for a in self.aggregator.taskMembers(task_id)]

    def member_index(self, task_id: int, account: Any) -> int:
        """A member's ring position in a task."""
        address = str(getattr(account, "address", account))
        members = self.task_members(task_id)
        if address not in members:
            raise ConfigurationError(f"{address} is not a member of task {task_id}.")
        return members.index(address)

    def secagg_task(self, task_id: int) -> SecaggTask:
        """The task as the secure-aggregation code sees it, read from the chain."""
        if not 1 <= task_id <= int(self.aggregator.taskCount()):
            raise ConfigurationError(f"task {task_id} does not exist on this deployment.")
        config = self.aggregator.taskConfig(task_id)
        if int(config.mode) != Mode.SECAGG:
            raise ConfigurationError(f"task {task_id} runs in CKKS mode, not secure aggregation.")
        v = config.variant
        packing = Packing(
            int(v.words), int(v.lanes), int(v.laneBits), int(v.valueBits), int(v.scaleBits)
        )
        keys = []
        for member in self.task_members(task_id):
            _, x, y = self.aggregator.publicKey(member)
            keys.append((int(x), int(y)))
        return SecaggTask(
            task_id=task_id,
            packing=packing,
            n_params=int(config.paramCount),
            neighbors=int(v.neighbors),
            bound=int(config.bound),
            members=tuple(keys),
            t_min=int(config.minContributors),
            domain=int(self.aggregator.taskDomain(task_id)),
        )

    def current_round(self, task_id: int) -> int:
        """The task's current round number."""
        _, current, _ = self.aggregator.taskState(task_id)
        return int(current)

    def round_state(self, task_id: int, round_index: int) -> RoundState:
        """Schedule, status and result of a round."""
        info = self.aggregator.roundInfo(task_id, round_index)
        return RoundState(
            RoundStatus(int(info.status)),
            int(info.submissionDeadline),
            int(info.revealDeadline),
            int(info.contributions),
            str(info.modelCid),
            bytes(info.modelHash),
            int(info.sealedChunks),
            int(info.aggregatedChunks),
            bytes(info.aggregateDigest),
        )

    def global_model(self, task_id: int, round_index: int) -> tuple[str, bytes, int]:
        """CID and hash of the model the chain records for a round to train on, and the round
        whose result it is: a SecAgg task's initial model (round 0; later models are derived
        from the aggregates), a CKKS task's latest finalized model."""
        cid, digest, source = self.aggregator.globalModel(task_id, round_index)
        return str(cid), bytes(digest), int(source)

    def task_domain(self, task_id: int) -> int:
        """The task's domain D, the `task` input of its proofs."""
        return int(self.aggregator.taskDomain(task_id))

    def chunk_aggregates(self, task_id: int, round_index: int) -> list[ChunkAggregate]:
        """The sealed aggregates of a round, in chunk order, from its `ChunkAggregated` events.

        Raises `ChainError` unless the events form exactly the digest chain the contract stored
        for the round (one per chunk sealed so far, in order).
        """
        from ape import chain as ape_chain
        from eth_abi.abi import encode

        key = (task_id, round_index)
        if key in self._aggregates:
            return self._aggregates[key]
        state = self.round_state(task_id, round_index)
        logs = self.aggregator.ChunkAggregated.range(
            0,
            ape_chain.blocks.height + 1,
            search_topics={"taskId": task_id, "round": round_index},
        )
        found = sorted(
            (
                ChunkAggregate(
                    int(log.chunk),
                    int(log.count),
                    tuple(int(w) for w in log.words),
                    bytes(log.digest),
                )
                for log in logs
            ),
            key=lambda a: a.chunk,
        )
        digest = keccak(encode(["uint256", "uint256"], [self.task_domain(task_id), round_index]))
        for expected, aggregate in enumerate(found):
            digest = keccak(
                encode(
                    ["bytes32", "uint256", "uint256", "uint256[]"],
                    [digest, aggregate.chunk, aggregate.count, list(aggregate.words)],
                )
            )
            if aggregate.chunk != expected or aggregate.digest != digest:
                raise ChainError(
                    f"the aggregate events of round {round_index} of task {task_id} do not form "
                    "the contract's digest chain."
                )
        if len(found) != state.sealed_chunks or (found and digest != state.aggregate_digest):
            raise ChainError(
                f"round {round_index} of task {task_id} has {state.sealed_chunks} sealed chunks "
                f"on-chain but {len(found)} aggregate events match them."
            )
        if state.status == RoundStatus.FINALIZED:
            self._aggregates[key] = found
        return found

    def published_models(self, task_id: int, round_index: int) -> list[PublishedModel]:
        """Every `ModelPublished` claim for a round, oldest first."""
        from ape import chain as ape_chain

        logs = self.aggregator.ModelPublished.range(
            0,
            ape_chain.blocks.height + 1,
            search_topics={"taskId": task_id, "round": round_index},
        )
        return [
            PublishedModel(str(log.publisher), str(log.modelCid), bytes(log.modelHash))
            for log in logs
        ]

    def contributors(self, task_id: int, round_index: int, chunk: int) -> set[int]:
        """Member indices that submitted a chunk in a round."""
        bitmap, _ = self.aggregator.chunkContributors(task_id, round_index, chunk)
        return _bits(int(bitmap))

    def chunk_status(self, task_id: int, round_index: int, chunk: int) -> ChunkStatus:
        """The contract's rule of record for whether a chunk enters the aggregate."""
        return ChunkStatus(int(self.aggregator.chunkStatus(task_id, round_index, chunk)))

    def accumulator(self, task_id: int, round_index: int, chunk: int) -> list[int]:
        """The chunk's accumulator of the current round: Σ accepted words less revealed masks."""
        return [int(w) for w in self.aggregator.accumulator(task_id, round_index, chunk)]

    def revealed_masks(
        self, task: SecaggTask, round_index: int, chunk: int, contributors: set[int]
    ) -> set[tuple[int, int]]:
        """(contributor, dropped neighbour) pairs of a chunk whose mask was removed on-chain."""
        members = self.task_members(task.task_id)
        return {
            (i, j)
            for i in sorted(contributors)
            for j in task.neighbor_indices(i)
            if j not in contributors
            and self.aggregator.maskRevealed(
                task.task_id, round_index, chunk, members[i], members[j]
            )
        }

    def has_joined(self, task_id: int, account: Any) -> bool:
        """Whether a member has posted its pair commitments for a task."""
        return bool(self.aggregator.hasJoined(task_id, getattr(account, "address", account)))

    # --- a member's transactions ---------------------------------------------------------------

    def join_task(
        self,
        member: Any,
        task_id: int,
        commitments: Sequence[int],
        proofs: Sequence[Proof],
    ) -> Any:
        """Post a member's pair commitments (active slots, in slot order) with their proofs."""
        return self.aggregator.joinTask(
            task_id,
            list(commitments),
            [proof.solidity_arguments() for proof in proofs],
            sender=member,
        )

    def submit_chunk(
        self,
        member: Any,
        task_id: int,
        round_index: int,
        chunk: int,
        words: Sequence[int],
        proof: Proof,
    ) -> Any:
        """Submit one masked chunk with its proof."""
        return self.aggregator.submitChunk(
            task_id, round_index, chunk, list(words), proof.solidity_arguments(), sender=member
        )

    def reveal_mask(
        self,
        member: Any,
        task_id: int,
        round_index: int,
        chunk: int,
        dropped: str,
        masks: Sequence[int],
        proof: Proof,
    ) -> Any:
        """Remove the mask shared with a dropped neighbour from a chunk, with its `MaskReveal`
        proof."""
        return self.aggregator.revealMask(
            task_id,
            round_index,
            chunk,
            dropped,
            list(masks),
            proof.solidity_arguments(),
            sender=member,
        )

    def submit_ciphertext(
        self, member: Any, task_id: int, round_index: int, cid: str, digest: bytes
    ) -> Any:
        """CKKS: record the CID and sha256 of a member's encrypted update."""
        return self.aggregator.submitCiphertext(task_id, round_index, cid, digest, sender=member)

    def post_aggregate(
        self, member: Any, task_id: int, round_index: int, cid: str, digest: bytes
    ) -> Any:
        """CKKS: record the CID and sha256 of the round's summed ciphertext."""
        return self.aggregator.postAggregate(task_id, round_index, cid, digest, sender=member)

    def ciphertexts(self, task_id: int, round_index: int) -> dict[int, tuple[str, bytes]]:
        """CKKS: (CID, sha256) of every member's ciphertext of a round, by member index."""
        found = {}
        for index, member in enumerate(self.task_members(task_id)):
            cid, digest = self.aggregator.ciphertext(task_id, round_index, member)
            if cid:
                found[index] = (str(cid), bytes(digest))
        return found

    def aggregate(self, task_id: int, round_index: int) -> tuple[str, bytes]:
        """CKKS: (CID, sha256) of a round's posted aggregate ("" when none)."""
        cid, digest = self.aggregator.aggregate(task_id, round_index)
        return str(cid), bytes(digest)

    def task_mode(self, task_id: int) -> Mode:
        """A task's aggregation mode."""
        return Mode(int(self.aggregator.taskConfig(task_id).mode))

    def finalize_round(self, member: Any, task_id: int, round_index: int, max_chunks: int) -> Any:
        """Seal up to `max_chunks` more chunks of a SecAgg round; the call that seals the last
        one finalizes the round."""
        return self.aggregator.finalizeRound(task_id, round_index, max_chunks, sender=member)

    def publish_model(
        self, member: Any, task_id: int, round_index: int, cid: str, model_hash: bytes
    ) -> Any:
        """Publish where a finalized SecAgg round's model can be fetched."""
        return self.aggregator.publishModel(task_id, round_index, cid, model_hash, sender=member)

    def finalize_ckks_round(
        self, member: Any, task_id: int, round_index: int, cid: str, model_hash: bytes
    ) -> Any:
        """CKKS: the key holder records a round's decrypted model."""
        return self.aggregator.finalizeCkksRound(
            task_id, round_index, cid, model_hash, sender=member
        )
