"""The one thin wrapper through which the client reaches the zkfed contracts (via ape)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any

from eth_utils.crypto import keccak

from zkfed.babyjubjub import Point
from zkfed.exceptions import ChainError, ConfigurationError
from zkfed.groth16 import Proof
from zkfed.quantize import Packing
from zkfed.secagg import SecaggTask

ZERO_ADDRESS = "0x" + "00" * 20
LOCAL_CHAIN_IDS = (31337, 1337)
"""Chain ids of development nodes (anvil, ganache): the only chains the insecure development
keys may be deployed to without an explicit rehearsal flag."""


class Mode(IntEnum):
    """Aggregation mode of a task (IFederatedAggregator.Mode)."""

    SECAGG = 0
    CKKS = 1


class TaskStatus(IntEnum):
    """IFederatedAggregator.TaskStatus."""

    NONE = 0
    ACTIVE = 1
    COMPLETED = 2


class RoundStatus(IntEnum):
    """IFederatedAggregator.RoundStatus."""

    NONE = 0
    OPEN = 1
    RECOVERY = 2
    FINALIZED = 3
    ABORTED = 4


class ProposalKind(IntEnum):
    """IModelGovernance.ProposalKind: what a proposal asks for."""

    TASK = 0
    ADD_MEMBER = 1
    REMOVE_MEMBER = 2


class ProposalState(IntEnum):
    """IModelGovernance.ProposalState."""

    NONE = 0
    ACTIVE = 1
    SUCCEEDED = 2
    DEFEATED = 3
    EXECUTED = 4


_STATE_PHRASES = {
    ProposalState.ACTIVE: "is open for votes",
    ProposalState.SUCCEEDED: "has succeeded",
    ProposalState.DEFEATED: "was defeated",
    ProposalState.EXECUTED: "was executed",
}


class ChunkStatus(IntEnum):
    """IFederatedAggregator.ChunkStatus."""

    OPEN = 0
    VOID = 1
    AWAITING_REVEALS = 2
    RECOVERABLE = 3


@dataclass(frozen=True)
class Variant:
    """A circuit variant of the deployment's `VerifierRegistry`, with a task's fixed-point scale.

    `id` is what a proposal names; the verifiers and key hashes are the registry's, never the
    proposer's. `packing.scale_bits` is the proposal's choice (it never affects a proof).
    """

    id: int
    name: str
    packing: Packing
    neighbors: int
    verifier: str
    reveal_verifier: str
    pair_verifier: str
    escrow_verifier: str = ""
    seed_mask_verifier: str = ""
    vkey_hashes: tuple[bytes, ...] = ()

    def with_scale(self, scale_bits: int) -> Variant:
        """The same variant with another fixed-point scale."""
        p = self.packing
        packing = Packing(p.words, p.lanes, p.lane_bits, p.value_bits, scale_bits)
        return replace(self, packing=packing)


def _registry_entry(circuit: Any, companions: Sequence[Any], verifier: Any) -> tuple[Any, ...]:
    """IVerifierRegistry.Variant of a `MaskedUpdate` circuit and its deployed verifiers:
    `companions` are its `MaskReveal`, `PairCommit`, `EscrowPad` and `SeedMask` circuits and
    `verifier(circuit)` the address of a circuit's deployed verifier."""
    p = circuit.packing(0)
    reveal, pair, escrow, seed_mask = companions
    return (
        circuit.name,
        (verifier(circuit), p.words, circuit.neighbors, p.lanes, p.lane_bits, p.value_bits,
         verifier(reveal), verifier(pair), verifier(escrow), verifier(seed_mask)),
        circuit.vkey_hash,
        reveal.vkey_hash,
        pair.vkey_hash,
        escrow.vkey_hash,
        seed_mask.vkey_hash,
    )  # fmt: skip


def companion_circuits(words: int, root: Any = None) -> list[Any]:
    """The circuits every `MaskedUpdate` variant of `words` words is registered with, in the
    registry's order: `MaskReveal(W)`, `PairCommit`, `EscrowPad`, `SeedMask(W)`."""
    from zkfed.circuits import (
        ESCROW_PAD,
        PAIR_COMMIT,
        load_circuit,
        mask_reveal_circuit,
        seed_mask_circuit,
    )

    return [
        mask_reveal_circuit(words, root),
        load_circuit(PAIR_COMMIT, root),
        load_circuit(ESCROW_PAD, root),
        seed_mask_circuit(words, root),
    ]


def deploy_registry(
    project: Any, deployer: Any, names: Sequence[str] | None = None, root: Any = None
) -> Any:
    """Deploy the generated verifiers of `MaskedUpdate` variants (all in circuits.json by
    default), their companions' (:func:`companion_circuits`), the `KeyPossession` verifier, and
    the `VerifierRegistry` that fixes them; returns the registry.

    The registry records each verification key's hash and whether the keys come from the
    insecure development setup.
    """
    from zkfed.circuits import (
        KEY_POSSESSION,
        development_keys,
        load_circuit,
        masked_update_variants,
    )

    names = list(names or masked_update_variants(root))
    circuits = [load_circuit(n, root) for n in names]
    key = load_circuit(KEY_POSSESSION, root)
    deployed: dict[str, str] = {}

    def verifier(circuit: Any) -> str:
        if circuit.name not in deployed:
            contract = deployer.deploy(getattr(project, circuit.verifier_contract))
            deployed[circuit.name] = str(contract.address)
        return deployed[circuit.name]

    entries = [
        _registry_entry(c, companion_circuits(c.packing(0).words, root), verifier) for c in circuits
    ]
    development = development_keys(names, root)
    return deployer.deploy(
        project.VerifierRegistry, verifier(key), key.vkey_hash, development, entries
    )


@dataclass(frozen=True)
class TaskSpec:
    """What a task proposal asks the aggregator to create (IFederatedAggregator.TaskConfig):
    a registered variant (by id) and its scale, the schedule, the model, the mode."""

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
            self.variant.id,
            self.variant.packing.scale_bits,
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
class Proposal:
    """A governance proposal as the contract reports it (IModelGovernance.ProposalInfo and
    its state).

    `account` is the subject of a membership proposal (empty for a model proposal) and
    `task_id` the task an executed model proposal opened (0 otherwise). The electorate (the
    members when it was made) is fixed: more than half of it voting for carries it.
    """

    proposal_id: int
    kind: ProposalKind
    state: ProposalState
    proposer: str
    vote_end: int
    electorate: int
    for_votes: int
    against_votes: int
    account: str = ""
    task_id: int = 0

    @property
    def is_membership(self) -> bool:
        """Whether it adds or removes a member (rather than proposing a model)."""
        return self.kind != ProposalKind.TASK

    @property
    def majority(self) -> int:
        """Votes for it that carry it: more than half of its electorate."""
        return self.electorate // 2 + 1

    @property
    def asks(self) -> str:
        """What it asks, as a phrase: "add 0x… as a member", "remove 0x… from the members",
        "a model (task)"."""
        if self.kind == ProposalKind.ADD_MEMBER:
            return f"add {self.account} as a member"
        if self.kind == ProposalKind.REMOVE_MEMBER:
            return f"remove {self.account} from the members"
        return "a model (task)"

    @property
    def state_phrase(self) -> str:
        """Its state as English: "is open for votes", "has succeeded", "was defeated", "was
        executed"."""
        return _STATE_PHRASES.get(self.state, "does not exist")

    @property
    def tally(self) -> str:
        """Its votes so far: "2 for, 1 against, of 5 members"."""
        return f"{self.for_votes} for, {self.against_votes} against, of {self.electorate} members"


@dataclass(frozen=True)
class RoundState:
    """A SecAgg round as the contract reports it.

    `aggregate_digest` is the digest chain over the round's sealed chunk aggregates; the
    round's model is derived from them (:func:`zkfed.protocol.round_model`).
    """

    status: RoundStatus
    submission_deadline: int
    reveal_deadline: int
    recovery_deadline: int = 0
    sealed_chunks: int = 0
    aggregated_chunks: int = 0
    aggregate_digest: bytes = b"\x00" * 32


@dataclass(frozen=True)
class SubmittedChunk:
    """What a member submitted for one chunk of a round: its masked words and the escrow of its
    pair seeds (circuits/README.md, "Seed escrow"), as its `ChunkSubmitted` event carries them."""

    round_index: int
    words: tuple[int, ...]
    escrow: tuple[int, ...]

    @property
    def words_hash(self) -> bytes:
        """keccak256(abi.encodePacked(round, words)): the first half of the submission hash
        the contract stores."""
        from eth_utils.crypto import keccak

        packed = b"".join(v.to_bytes(32, "big") for v in (self.round_index, *self.words))
        return keccak(packed)


@dataclass(frozen=True)
class CkksRound:
    """A CKKS round as its `CkksAggregator` reports it.

    `contributors` are the member indices whose revealed ciphertext matched their commitment;
    once finalized, those in the sum: `excluded` are the reveals the key holder could not use,
    `aggregate_digest` the sha256 of the sum it decrypted, and `sum_cid` / `sum_hash` locate the
    decrypted, noise-flooded sum.
    """

    status: RoundStatus
    submission_deadline: int
    reveal_deadline: int
    committed: int
    contributors: frozenset[int]
    excluded: frozenset[int]
    aggregate_digest: bytes
    sum_cid: str
    sum_hash: bytes


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


def _without_metadata(code: bytes) -> bytes:
    """Runtime code without solc's CBOR metadata (its last two bytes give its length)."""
    if len(code) < 2:
        return code
    length = int.from_bytes(code[-2:], "big") + 2
    return code[:-length] if length <= len(code) else code


def _address(account: Any) -> str:
    """The address of an ape account, or the address itself."""
    return str(getattr(account, "address", account))


def _bits(bitmap: int) -> set[int]:
    return {i for i in range(bitmap.bit_length()) if bitmap >> i & 1}


class Zkfed:
    """The aggregator and governance contracts of one deployment.

    Parameters
    ----------
    aggregator, governance
        ape contract instances of `FederatedAggregator` and `ModelGovernance`.
    """

    def __init__(
        self,
        aggregator: Any,
        governance: Any,
        registry: Any = None,
        ckks: Any = None,
        keys: Any = None,
        recovery: Any = None,
        project: Any = None,
    ) -> None:
        self.aggregator = aggregator
        self._project = project  # whose contract types the lazily attached contracts take
        self.governance = governance
        self._registry = registry
        self._ckks = ckks
        self._keys = keys
        self._recovery = recovery
        # Sealed aggregates never change: read each finalized round's events once.
        self._aggregates: dict[tuple[int, int], list[ChunkAggregate]] = {}
        self._checked: set[int] = set()  # tasks whose registered keys matched ours

    @classmethod
    def deploy(
        cls,
        project: Any,
        deployer: Any,
        founders: Sequence[Any],
        voting_period: int,
        registry: str | None = None,
    ) -> Zkfed:
        """Deploy governance (bound to the aggregator's future address), then the aggregator.

        `registry` is the address of a deployed `VerifierRegistry`; by default one with every
        `MaskedUpdate` variant of circuits.json is deployed first (:func:`deploy_registry`).
        """
        if registry is None:
            registry = str(deploy_registry(project, deployer).address)
        predicted = deployer.get_deployment_address(deployer.nonce + 1)
        governance = deployer.deploy(
            project.ModelGovernance,
            predicted,
            [getattr(f, "address", f) for f in founders],
            voting_period,
        )
        aggregator = deployer.deploy(project.FederatedAggregator, governance.address, registry)
        if aggregator.address != predicted:
            raise ChainError("the aggregator was not deployed at the address governance expects.")
        return cls(aggregator, governance, project.VerifierRegistry.at(registry), project=project)

    @classmethod
    def at(cls, project: Any, aggregator_address: str, *, check: bool = True) -> Zkfed:
        """Attach to a deployment by the aggregator's address, after checking that every
        verifier its registry names runs exactly the code this client generated
        (:meth:`check_verifiers`; ``check=False`` skips that for a reader that sends nothing
        and relies on no proof, such as a status view)."""
        aggregator = project.FederatedAggregator.at(aggregator_address)
        governance = project.ModelGovernance.at(aggregator.governance())
        registry = project.VerifierRegistry.at(aggregator.registry())
        zk = cls(aggregator, governance, registry, project=project)
        if check:
            zk.check_verifiers(project)
        return zk

    def _contracts(self) -> Any:
        """The project whose contract types this deployment was attached with (ape's current
        project when none was given)."""
        if self._project is None:
            from ape import project

            return project
        return self._project

    @property
    def ckks(self) -> Any:
        """The deployment's `CkksAggregator`, which runs CKKS tasks' rounds."""
        if self._ckks is None:
            self._ckks = self._contracts().CkksAggregator.at(self.aggregator.ckks())
        return self._ckks

    @property
    def keys(self) -> Any:
        """The deployment's `KeyRegistry`: members' keys."""
        if self._keys is None:
            self._keys = self._contracts().KeyRegistry.at(self.aggregator.keys())
        return self._keys

    @property
    def recovery(self) -> Any:
        """The deployment's `ChunkRecovery`: withdrawals and recovery from escrowed seeds."""
        if self._recovery is None:
            self._recovery = self._contracts().ChunkRecovery.at(self.aggregator.recovery())
        return self._recovery

    # --- the verifier registry -----------------------------------------------------------------

    @property
    def registry(self) -> Any:
        """The deployment's `VerifierRegistry` contract."""
        if self._registry is None:
            from ape import Contract

            self._registry = Contract(self.aggregator.registry())
        return self._registry

    def variants(self) -> list[Variant]:
        """Every registered circuit variant, by id (scale 0: a task sets its own)."""
        registry = self.registry
        return [self._variant(i, registry.variant(i)) for i in range(int(registry.variantCount()))]

    @staticmethod
    def _variant(index: int, raw: Any) -> Variant:
        c = raw.circuit
        return Variant(
            index,
            str(raw.name),
            Packing(int(c.words), int(c.lanes), int(c.laneBits), int(c.valueBits), 0),
            int(c.neighbors),
            str(c.verifier),
            str(c.revealVerifier),
            str(c.pairVerifier),
            str(c.escrowVerifier),
            str(c.seedMaskVerifier),
            (
                bytes(raw.vkeyHash),
                bytes(raw.revealVkeyHash),
                bytes(raw.pairVkeyHash),
                bytes(raw.escrowVkeyHash),
                bytes(raw.seedMaskVkeyHash),
            ),
        )

    def variant(self, name: str) -> Variant:
        """A registered variant by its circuits.json name."""
        found = {v.name: v for v in self.variants()}
        if name not in found:
            raise ConfigurationError(
                f"This deployment's registry has no circuit variant {name!r} "
                f"(it has {', '.join(found) or 'none'})."
            )
        return found[name]

    def task_variant(self, task_id: int) -> Variant:
        """The registered variant a task uses, with the task's scale.

        Refuses a task whose copied circuit (what the aggregator verifies with) is not the
        registry's entry, so the verifiers :meth:`check_verifiers` checked are the ones used.
        """
        config = self.aggregator.taskConfig(task_id)
        variant = self._variant(int(config.variant), self.registry.variant(int(config.variant)))
        used = self.aggregator.taskCircuit(task_id)
        registered = (
            variant.verifier,
            variant.reveal_verifier,
            variant.pair_verifier,
            variant.escrow_verifier,
            variant.seed_mask_verifier,
        )
        in_use = (
            used.verifier,
            used.revealVerifier,
            used.pairVerifier,
            used.escrowVerifier,
            used.seedMaskVerifier,
        )
        if tuple(str(a) for a in in_use) != registered:
            raise ChainError(
                f"Task {task_id} verifies with other contracts than its registered variant "
                f"{variant.name}."
            )
        return variant.with_scale(int(config.scaleBits))

    def development_keys(self) -> bool:
        """Whether the deployment's verification keys are the forgeable development ones."""
        return bool(self.registry.development())

    def check_keys(self, variant: Variant, root: Any = None) -> None:
        """Refuse a variant whose registered verification keys are not those this client
        proves with (circuits/keys): its proofs could never verify, or the deployment trusts
        other keys than the ones this client knows."""
        from zkfed.circuits import load_circuit

        local = [
            load_circuit(variant.name, root),
            *companion_circuits(variant.packing.words, root),
        ]
        for circuit, registered in zip(local, variant.vkey_hashes, strict=True):
            if circuit.vkey_hash != registered:
                raise ChainError(
                    f"The deployment's {circuit.name} verification key is not the one this "
                    f"client holds (circuits/keys/{circuit.name}.vkey.json)."
                )

    def check_verifiers(self, project: Any) -> None:
        """Refuse a deployment whose registry names a verifier that does not run the code this
        client generated for it (the key is compiled into the code, so equal code, metadata
        aside, means the same key)."""
        from ape import chain as ape_chain

        from zkfed.circuits import KEY_POSSESSION, load_circuit

        # The aggregator's own key verifier (fixed at its construction), not the registry's word.
        key_verifier = self.keys.keyVerifier()
        # Every (address, role) pair: one address registered in two roles is checked for both.
        expected = [(key_verifier, load_circuit(KEY_POSSESSION).verifier_contract)]
        for v in self.variants():
            circuit = load_circuit(v.name)
            if (v.packing, v.neighbors) != (circuit.packing(0), circuit.neighbors):
                raise ChainError(
                    f"The deployment registers {v.name} with other parameters than its circuit."
                )
            companions = companion_circuits(v.packing.words)
            addresses = (v.reveal_verifier, v.pair_verifier, v.escrow_verifier)
            expected += [
                (v.verifier, circuit.verifier_contract),
                *(
                    (address, c.verifier_contract)
                    for address, c in zip(
                        (*addresses, v.seed_mask_verifier), companions, strict=True
                    )
                ),
            ]
        for address, contract in expected:
            deployed = bytes(ape_chain.provider.get_code(address))
            compiled = bytes.fromhex(
                str(getattr(project, contract).contract_type.runtime_bytecode.bytecode)[2:]
            )
            if _without_metadata(deployed) != _without_metadata(compiled):
                raise ChainError(
                    f"The verifier at {address} is not the {contract} this client generated."
                )

    # --- membership and governance -------------------------------------------------------------

    def key_binding(self, member: Any) -> int:
        """The `binding` input of a member's `KeyPossession` proof (chain, contract, account)."""
        return int(self.keys.keyBinding(getattr(member, "address", member)))

    def key_owner(self, pk: Point) -> str | None:
        """The member that registered a key, if any."""
        owner = str(self.keys.keyOwner(pk[0], pk[1]))
        return None if int(owner, 16) == 0 else owner

    def register_key(self, member: Any, pk: Point, proof: Proof) -> Any:
        """Add a BabyJubJub public key to a member's unused masking keys, with its
        `KeyPossession` proof."""
        return self.keys.registerKey(pk[0], pk[1], proof.solidity_arguments(), sender=member)

    def unused_keys(self, member: Any) -> int:
        """How many of a member's registered masking keys no task has taken yet: each SecAgg
        task created takes one, and a member without one is left out of the task."""
        return int(self.keys.unusedKeys(getattr(member, "address", member)))

    def masking_key(self, task_id: int, member: Any) -> Point | None:
        """The masking key a SecAgg task assigned to a member at its creation, if any."""
        assigned, x, y = self.keys.maskingKey(task_id, getattr(member, "address", member))
        return (int(x), int(y)) if assigned else None

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
        """Cast a member's vote (the contract's checks apply: :meth:`vote_refusal` tells
        beforehand, in a sentence, why a vote would be refused or would change nothing)."""
        return self.governance.vote(proposal_id, support, sender=member)

    def task_count(self) -> int:
        """How many tasks were created (their ids are 1 to this)."""
        return int(self.aggregator.taskCount())

    def members(self) -> list[str]:
        """The consortium's members (addresses), in the contract's order."""
        return [str(a) for a in self.governance.members()]

    def is_member(self, account: Any) -> bool:
        """Whether an account is a member of the consortium."""
        return bool(self.governance.isMember(_address(account)))

    def proposal_count(self) -> int:
        """How many proposals were made (their ids are 1 to this)."""
        return int(self.governance.proposalCount())

    def proposal(self, proposal_id: int) -> Proposal:
        """A proposal: what it asks, its votes and its state.

        Raises
        ------
        ConfigurationError
            If governance knows no such proposal.
        """
        count = self.proposal_count()
        if not 1 <= proposal_id <= count:
            known = f"proposals 1 to {count}" if count else "no proposals yet"
            raise ConfigurationError(
                f"Proposal {proposal_id} does not exist on this deployment (it has {known})."
            )
        info = self.governance.proposal(proposal_id)
        kind = ProposalKind(int(info.kind))
        return Proposal(
            proposal_id,
            kind,
            ProposalState(int(self.governance.state(proposal_id))),
            str(info.proposer),
            int(info.voteEnd),
            int(info.electorate),
            int(info.forVotes),
            int(info.againstVotes),
            str(info.account) if kind != ProposalKind.TASK else "",
            int(info.taskId),
        )

    def proposals(self) -> list[Proposal]:
        """Every proposal, oldest first."""
        return [self.proposal(i) for i in range(1, self.proposal_count() + 1)]

    def has_voted(self, proposal_id: int, voter: Any) -> bool:
        """Whether an account has voted on a proposal."""
        return bool(self.governance.hasVoted(proposal_id, _address(voter)))

    def vote_refusal(self, proposal_id: int, voter: Any) -> str | None:
        """Why an account may not vote on a proposal, as one sentence, or None if it may.

        A proposal takes votes while it is active (a decided one, carried or not, takes no
        more: the contract would count a vote on a carried proposal, but it changes nothing);
        only members who joined before it was made vote on it, once each.
        """
        proposal = self.proposal(proposal_id)
        address = _address(voter)
        if proposal.state == ProposalState.SUCCEEDED:
            return (
                f"Proposal {proposal_id} has succeeded already ({proposal.tally}), so it takes "
                "no more votes; any member can execute it."
            )
        if proposal.state == ProposalState.DEFEATED:
            return (
                f"Proposal {proposal_id} was defeated ({proposal.tally} when its vote ended), "
                "so it takes no more votes."
            )
        if proposal.state == ProposalState.EXECUTED:
            return f"Proposal {proposal_id} was executed, so it takes no more votes."
        if not self.is_member(address):
            return f"{address} is not a member of the consortium, so it cannot vote."
        if self.has_voted(proposal_id, address):
            return f"{address} has already voted on proposal {proposal_id}."
        if self.proposals_before_joining(address) >= proposal_id:
            return (
                f"{address} joined the consortium after proposal {proposal_id} was made, so it "
                "cannot vote on it (only the members at the time vote)."
            )
        return None

    def proposals_before_joining(self, member: Any) -> int:
        """How many proposals had been made when a member (last) joined: it votes on the later
        ones only (the contract's rule; 0 for a founder). Read from the `MemberAdded` and
        `ProposalCreated` events.

        Raises
        ------
        ConfigurationError
            If the account is not a member.
        """
        from ape import chain as ape_chain

        address = _address(member)
        if not self.is_member(address):
            raise ConfigurationError(f"{address} is not a member of the consortium.")
        end = ape_chain.blocks.height + 1
        added = self.governance.MemberAdded.range(0, end, search_topics={"account": address})
        joined = max(((int(log.block_number), int(log.log_index)) for log in added), default=(0, 0))
        created = self.governance.ProposalCreated.range(0, joined[0] + 1)
        return sum((int(log.block_number), int(log.log_index)) < joined for log in created)

    def propose_membership(self, member: Any, account: Any, add: bool = True) -> int:
        """Propose to add `account` to the consortium (or, with `add` False, to remove it);
        returns the proposal id.

        Raises
        ------
        ConfigurationError
            If `member` is not a member, or the change cannot be made: adding a member, removing
            a non-member or the last member, the zero address.
        """
        proposer, subject = _address(member), _address(account)
        if not self.is_member(proposer):
            raise ConfigurationError(
                f"{proposer} is not a member of the consortium, so it cannot make proposals."
            )
        if int(subject, 16) == 0:
            raise ConfigurationError("The zero address cannot be a member.")
        members = {m.lower() for m in self.members()}
        if add and subject.lower() in members:
            raise ConfigurationError(f"{subject} is a member already.")
        if not add and subject.lower() not in members:
            raise ConfigurationError(f"{subject} is not a member, so it cannot be removed.")
        if not add and len(members) == 1:
            raise ConfigurationError(f"{subject} is the last member, so it cannot be removed.")
        receipt = self.governance.proposeMembership(subject, add, sender=member)
        return int(receipt.return_value or self.proposal_count())

    def execute(self, member: Any, proposal_id: int) -> int:
        """Execute a succeeded proposal: a model proposal opens its task and, for a SecAgg task,
        draws its neighbour graph (a second transaction: the draw needs the creation block's
        hash); a membership proposal adds or removes its member. Returns the task id (0 for a
        membership proposal)."""
        self.governance.execute(proposal_id, sender=member)
        info = self.governance.proposal(proposal_id)
        if int(info.kind) != ProposalKind.TASK:
            return 0
        task_id = int(info.taskId)
        if self.task_mode(task_id) == Mode.SECAGG:
            self.draw_graph(member, task_id)
        return task_id

    def draw_graph(self, member: Any, task_id: int) -> Any:
        """Draw a SecAgg task's ring from the hash of its creation block (anyone may, once);
        returns the receipt, or None when it was drawn already.

        If that block is older than `blockhash` remembers, the first call anchors the draw to
        its own block and this method calls again (the next block's)."""
        receipt = None
        for _ in range(2):
            if self.ring_order(task_id):
                return receipt
            receipt = self.keys.drawGraph(task_id, sender=member)
        if not self.ring_order(task_id):
            raise ChainError(f"the neighbour graph of task {task_id} could not be drawn.")
        return receipt

    def ring_order(self, task_id: int) -> tuple[int, ...]:
        """A SecAgg task's ring: the member index at each ring position (empty until drawn)."""
        return tuple(int(i) for i in self.keys.ringOrder(task_id))

    # --- reading a task ------------------------------------------------------------------------

    def task_members(self, task_id: int) -> list[str]:
        """The task's member addresses, by member index (ring positions: :meth:`ring_order`)."""
        return [str(a) for a in self.aggregator.taskMembers(task_id)]

    def member_index(self, task_id: int, account: Any) -> int:
        """A member's index in a task (of contributor bitmaps and signs; not its ring position)."""
        address = str(getattr(account, "address", account))
        members = self.task_members(task_id)
        if address not in members:
            raise ConfigurationError(f"{address} is not a member of task {task_id}.")
        return members.index(address)

    def secagg_task(self, task_id: int) -> SecaggTask:
        """The task as the secure-aggregation code sees it, read from the chain."""
        if not 1 <= task_id <= self.task_count():
            raise ConfigurationError(f"task {task_id} does not exist on this deployment.")
        config = self.aggregator.taskConfig(task_id)
        if int(config.mode) != Mode.SECAGG:
            raise ConfigurationError(f"task {task_id} runs in CKKS mode, not secure aggregation.")
        if task_id not in self._checked:
            self.check_keys(self.task_variant(task_id))
            self._checked.add(task_id)
        v = self.aggregator.taskCircuit(task_id)
        packing = Packing(
            int(v.words), int(v.lanes), int(v.laneBits), int(v.valueBits), int(config.scaleBits)
        )
        ring = self.ring_order(task_id)
        if not ring:
            raise ConfigurationError(
                f"Task {task_id}'s neighbour graph is not drawn yet; anyone can draw it "
                "(the executor of its proposal does, right after creating it)."
            )
        keys = []
        for member in self.task_members(task_id):
            key = self.masking_key(task_id, member)
            if key is None:
                raise ChainError(f"task {task_id}'s member {member} has no masking key.")
            keys.append(key)
        return SecaggTask(
            task_id=task_id,
            packing=packing,
            n_params=int(config.paramCount),
            neighbors=int(v.neighbors),
            bound=int(config.bound),
            members=tuple(keys),
            t_min=int(config.minContributors),
            domain=int(self.aggregator.taskDomain(task_id)),
            ring=ring,
        )

    def current_round(self, task_id: int) -> int:
        """The task's current round number."""
        _, current, _ = self.aggregator.taskState(task_id)
        return int(current)

    def task_status(self, task_id: int) -> TaskStatus:
        """Whether a task still runs rounds (Active) or has ended."""
        status, _, _ = self.aggregator.taskState(task_id)
        return TaskStatus(int(status))

    def round_state(self, task_id: int, round_index: int) -> RoundState:
        """Schedule, status and sealing progress of a SecAgg round."""
        info = self.aggregator.roundInfo(task_id, round_index)
        return RoundState(
            RoundStatus(int(info.status)),
            int(info.submissionDeadline),
            int(info.revealDeadline),
            int(info.recoveryDeadline),
            int(info.sealedChunks),
            int(info.aggregatedChunks),
            bytes(info.aggregateDigest),
        )

    def round_schedule(self, task_id: int, round_index: int) -> tuple[RoundStatus, tuple[int, ...]]:
        """(status, deadlines in order) of a round of either mode: submission and reveal, and
        for a SecAgg task that escrows, recovery."""
        if self.task_mode(task_id) == Mode.CKKS:
            ckks = self.ckks_round(task_id, round_index)
            return ckks.status, (ckks.submission_deadline, ckks.reveal_deadline)
        state = self.round_state(task_id, round_index)
        deadlines = [state.submission_deadline, state.reveal_deadline]
        if state.recovery_deadline > state.reveal_deadline:
            deadlines.append(state.recovery_deadline)
        return state.status, tuple(deadlines)

    def global_model(self, task_id: int, round_index: int) -> tuple[str, bytes, int]:
        """CID and hash of the model the chain records for a SecAgg task, and the round whose
        result it is: always its initial model (round 0); later models are derived from the
        aggregates."""
        cid, digest, source = self.aggregator.globalModel(task_id, round_index)
        return str(cid), bytes(digest), int(source)

    def initial_model(self, task_id: int) -> tuple[str, bytes]:
        """CID and hash of a task's initial model, as its proposal fixed them."""
        config = self.aggregator.taskConfig(task_id)
        return str(config.modelCid), bytes(config.modelHash)

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
        escrow: Sequence[int],
        proof: Proof,
    ) -> Any:
        """Submit one masked chunk, its escrowed seed shares and its proof."""
        return self.aggregator.submitChunk(
            task_id,
            round_index,
            chunk,
            list(words),
            list(escrow),
            proof.solidity_arguments(),
            sender=member,
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

    def withdraw_chunk(
        self,
        member: Any,
        task_id: int,
        round_index: int,
        chunk: int,
        contributor: str,
        submitted: SubmittedChunk,
    ) -> Any:
        """Take an isolated contributor's words back out of a chunk (anyone may, with what it
        submitted), so the rest of the chunk aggregates without it."""
        return self.recovery.withdrawChunk(
            task_id,
            round_index,
            chunk,
            contributor,
            list(submitted.words),
            list(submitted.escrow),
            sender=member,
        )

    def submitted_chunk(
        self, task_id: int, round_index: int, chunk: int, contributor: str
    ) -> SubmittedChunk | None:
        """The words and escrow a member submitted for a chunk of a round, from its
        `ChunkSubmitted` event (the contract checks them against the hash it stored when they
        were submitted)."""
        from ape import chain as ape_chain

        logs = self.aggregator.ChunkSubmitted.range(
            0,
            ape_chain.blocks.height + 1,
            search_topics={"taskId": task_id, "round": round_index, "member": contributor},
        )
        for log in logs:
            if int(log.chunk) == chunk:
                words = tuple(int(w) for w in log.words)
                return SubmittedChunk(round_index, words, tuple(int(e) for e in log.escrow))
        return None

    def escrowed_seed(
        self, task_id: int, round_index: int, chunk: int, owner: str, dropped: str
    ) -> tuple[int, int, bool]:
        """(running sum of the revealed shares, bitmap of the owner's slots whose holders
        revealed, whether every holder did) of the seed `owner` shares with `dropped`."""
        total, holders, complete = self.recovery.escrowedSeed(
            task_id, round_index, chunk, owner, dropped
        )
        return int(total), int(holders), bool(complete)

    def reveal_share(
        self,
        member: Any,
        task_id: int,
        round_index: int,
        chunk: int,
        owner: str,
        dropped: str,
        holder: str,
        submitted: SubmittedChunk,
        pad: int,
        proof: Proof,
    ) -> Any:
        """Open a holder's share of the seed `owner` did not remove with `dropped` (recovery
        window), with its `EscrowPad` proof."""
        return self.recovery.revealShare(
            task_id,
            round_index,
            chunk,
            owner,
            dropped,
            holder,
            submitted.words_hash,
            list(submitted.escrow),
            pad,
            proof.solidity_arguments(),
            sender=member,
        )

    def recover_mask(
        self,
        member: Any,
        task_id: int,
        round_index: int,
        chunk: int,
        owner: str,
        dropped: str,
        masks: Sequence[int],
        proof: Proof,
    ) -> Any:
        """Remove `owner`'s mask with `dropped` from a chunk once the holders opened the seed,
        with a `SeedMask` proof that the words are its PRG stream (anyone may)."""
        return self.recovery.recoverMask(
            task_id,
            round_index,
            chunk,
            owner,
            dropped,
            list(masks),
            proof.solidity_arguments(),
            sender=member,
        )

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

    # --- CKKS rounds ---------------------------------------------------------------------------

    def ckks_round(self, task_id: int, round_index: int) -> CkksRound:
        """Schedule, contributors and outcome of a CKKS round."""
        info = self.ckks.roundInfo(task_id, round_index)
        return CkksRound(
            RoundStatus(int(info.status)),
            int(info.submissionDeadline),
            int(info.revealDeadline),
            int(info.committed),
            frozenset(_bits(int(info.contributors))),
            frozenset(_bits(int(info.excluded))),
            bytes(info.aggregateDigest),
            str(info.sumCid),
            bytes(info.sumHash),
        )

    def ciphertext_commitment(
        self, task_id: int, round_index: int, member: Any, digest: bytes
    ) -> bytes:
        """keccak256(abi.encode(D, round, member, sha256)): what a member commits to before the
        deadline (D the task's domain, so a commitment serves one task, round and member)."""
        from eth_abi.abi import encode

        address = str(getattr(member, "address", member))
        return bytes(
            keccak(
                encode(
                    ["uint256", "uint256", "address", "bytes32"],
                    [self.task_domain(task_id), round_index, address, digest],
                )
            )
        )

    def commit_ciphertext(
        self, member: Any, task_id: int, round_index: int, commitment: bytes
    ) -> Any:
        """CKKS: commit to a ciphertext's sha256 before the submission deadline."""
        return self.ckks.commitCiphertext(task_id, round_index, commitment, sender=member)

    def reveal_ciphertext(
        self, member: Any, task_id: int, round_index: int, cid: str, digest: bytes
    ) -> Any:
        """CKKS: reveal the committed ciphertext's CID and sha256 after the deadline."""
        return self.ckks.revealCiphertext(task_id, round_index, cid, digest, sender=member)

    def ciphertexts(
        self, task_id: int, round_index: int, indices: Iterable[int] | None = None
    ) -> dict[int, tuple[str, bytes]]:
        """CKKS: (CID, sha256) of revealed ciphertexts of a round, by member index: the round's
        contributors, or the members `indices` (e.g. those the key holder excluded)."""
        if indices is None:
            indices = self.ckks_round(task_id, round_index).contributors
        members = self.task_members(task_id)
        found = {}
        for index in sorted(indices):
            cid, digest = self.ckks.ciphertext(task_id, round_index, members[index])
            found[index] = (str(cid), bytes(digest))
        return found

    def finalize_ckks_round(
        self,
        key_holder: Any,
        task_id: int,
        round_index: int,
        excluded: int,
        aggregate_digest: bytes,
        sum_cid: str,
        sum_hash: bytes,
    ) -> Any:
        """CKKS: the key holder records the reveals it excluded (a bitmap over member indices),
        the aggregate it decrypted and the flooded sum."""
        return self.ckks.finalizeRound(
            task_id, round_index, excluded, aggregate_digest, sum_cid, sum_hash, sender=key_holder
        )

    def abort_ckks_round(self, member: Any, task_id: int, round_index: int) -> Any:
        """CKKS: end a round without a new model once the contract allows it."""
        return self.ckks.abortRound(task_id, round_index, sender=member)
