"""Gas benchmark with real proofs: every transaction of a secure-aggregation round, on anvil.

    python bench/gas.py --out reports/gas.json [--prover snarkjs|native|groth16py]

Deploys governance, the aggregator and the generated Groth16 verifiers of the default variant
(W = 64, L = 21, K = 4: 1,344 parameters per chunk) on anvil (ape's `ethereum:local:foundry`),
registers the six members' keys (`registerKey` on the KeyRegistry, with a `KeyPossession`
proof), opens a one-chunk task through a governance vote (`createTask` takes one unused masking
key of each member), draws its ring (`KeyRegistry.drawGraph`), lets every member join
(`joinTask`: its four pair commitments with their `PairCommit` proofs, once per task) and runs the
rounds with real proofs from the client:

- round 1: members 0-4 submit (member 0 first: zero→non-zero accumulator slots), member 5
  drops, its four neighbours remove their masks with it on-chain (`revealMask` with a
  `MaskReveal` proof), then the round is finalized (`finalizeRound` seals the exact aggregate);
- round 2 (steady state: slots reused): all six submit, then it is finalized;
- round 3 (recovery from the seed escrow): members 0-4 submit, member 5 drops again, and one of
  its neighbours withholds its reveal (the others remove their masks with `revealMask`); after
  the reveal deadline, in the recovery window, that contributor's three other neighbours open
  their shares of the seed (`ChunkRecovery.revealShare`, an `EscrowPad` proof each) and a
  non-member removes the mask from the seed they sum to (`ChunkRecovery.recoverMask`, a
  `SeedMask(64)` proof), then the round is finalized.

Every chunk carries, besides its 64 words, the escrow of its four pair seeds (K·(K-1) = 12 field
elements, public inputs of the proof: six members give four active slots, so the task escrows).
Every submission stores the hash of its words and escrow and logs them (`ChunkSubmitted`), for
`ChunkRecovery.withdrawChunk` and `revealShare`. A withdrawal needs a contributor whose K = 4
neighbours all dropped while t_min others remain, which six members cannot give, so it is
measured on a deployment of its own over eight members: positions 0, 3, 4 and 5 of the drawn ring
submit (real proofs), and after the submission deadline a non-member withdraws position 0's
words and escrow, read from its `ChunkSubmitted` event (`Zkfed.submitted_chunk`).

Every submission is sent twice from the same chain state (anvil snapshot and revert): plain, and
with the EIP-2930 access list anvil's `eth_createAccessList` computes for it, so the access
list's saving is exact per transaction.
`createTask`'s cost per member is measured on a later task, from one chain state: half the
members register a second key and the same proposal is executed (a task of three), then, reverted,
every member does (a task of six); the difference over the three more members is what each member
adds (its key assignment and its place in the member list; the ring is drawn apart), and, from
anvil's call trace of the same transactions, what the `KeyRegistry.assignKeys` call adds.
`verify_only` is the verifier's `verifyProof` sent as a transaction. The floor is what storing the
same words costs at the least: calldata 16 gas per non-zero byte (4 per zero byte) of the words
(not the escrow) plus 5,000 per reused / 22,100 per fresh storage word; the ratio to it is
reported. Every transaction must stay under EIP-7825's cap of 2^24 gas.

JSON: `submit_chunk`, `reveal_gas` (`revealMask`), `finalize_gas` (`finalizeRound` sealing one
chunk), `register_gas` (a member's first key), `register_next_gas` (a later key),
`create_task_gas` (the governance's `execute` that creates the six-member task),
`create_task_gas_per_member` (of which `assign_keys_gas_per_member`), `draw_graph_gas`,
`join_task`, `withdraw_gas` (`withdrawChunk`), `reveal_share_gas` (`revealShare`, median of
three), `recover_mask_gas` (`recoverMask`), `escrow_recovery_gas` (every share of one seed plus
its `recoverMask`) and `verify_only` are gas per transaction
(`submit_chunk`: steady state, an adding contributor; every case in `submit_chunk_cases`, per
parameter in `submit_gas_per_param_cases`), `*_gas_per_param` the same per parameter of a chunk,
plus `floor_gas_per_param`, `max_tx_gas` and `dropout_round_gas_per_param` (every
transaction of round 1, which had a dropout, per parameter aggregated).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
from eth_utils.crypto import keccak

from zkfed.chain import TaskSpec, Zkfed, deploy_registry
from zkfed.circuits import (
    DEFAULT_VARIANT,
    ESCROW_PAD,
    KEY_POSSESSION,
    PAIR_COMMIT,
    Circuit,
    load_circuit,
    mask_reveal_circuit,
    project_root,
    seed_mask_circuit,
)
from zkfed.exceptions import ZkfedError
from zkfed.protocol import register_key
from zkfed.proving import PROVERS, ProofResult, SignalValue, open_prover
from zkfed.quantize import squared_norm_bound
from zkfed.secagg import (
    escrow_pad_inputs,
    join_inputs,
    mask_reveal_inputs,
    mask_update,
    required_reveals,
    seed_mask_inputs,
    share_holders,
)

TX_CAP = 1 << 24  # EIP-7825
TARGET_SUBMIT_GAS_PER_PARAM = 1200
N_MEMBERS = 6
PERIOD = 3600
SECRET_KEYS = [0x6A5_0000 + 104_729 * i for i in range(N_MEMBERS)]
NEXT_KEYS = [sk + 1 for sk in SECRET_KEYS]  # each member's second masking key
# The fewest members where a K = 4 member can lose its four neighbours with t_min = 3 others left.
WITHDRAW_MEMBERS = 8
WITHDRAW_KEYS = [0x71D_0000 + 104_729 * i for i in range(WITHDRAW_MEMBERS)]
WITHDRAW_POSITIONS = (0, 3, 4, 5)  # ring positions that submit; position 0 is alone
G_TX, G_ZERO_BYTE, G_NONZERO_BYTE = 21_000, 4, 16
SSTORE_FRESH, SSTORE_REUSED = 22_100, 5_000
ASSIGN_KEYS = keccak(text="assignKeys(uint256,address[])")[:4]


def loadavg() -> list[float]:
    """1, 5 and 15 minute load averages."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def calldata_gas(data: bytes) -> int:
    """EIP-2028 calldata cost."""
    return sum(G_NONZERO_BYTE if b else G_ZERO_BYTE for b in data)


def words_calldata_gas(words: Sequence[int]) -> int:
    """Calldata cost of the words alone, as 32-byte big-endian ABI words."""
    return calldata_gas(b"".join(w.to_bytes(32, "big") for w in words))


def floor_gas(words: Sequence[int], fresh: bool) -> int:
    """The least any contract could pay to take these words and store them."""
    per_word = SSTORE_FRESH if fresh else SSTORE_REUSED
    return words_calldata_gas(words) + per_word * len(words)


def call_gas(trace: dict[str, Any], to: str, selector: bytes) -> int:
    """Gas used by the calls to `to` with `selector` in a `callTracer` trace, nested or not."""
    used = 0
    if trace.get("to", "").lower() == to.lower() and trace.get("input", "").startswith(
        "0x" + selector.hex()
    ):
        used += int(trace["gasUsed"], 16)
    return used + sum(call_gas(call, to, selector) for call in trace.get("calls", []))


def _deployment_gas(contract: Any) -> int:
    from ape import chain

    txn_hash = getattr(contract, "txn_hash", None)
    return int(chain.provider.get_receipt(txn_hash).gas_used) if txn_hash else 0


class Bench:
    """One deployment and the gas of every transaction sent through it."""

    def __init__(
        self, prover: Any, circuit: Circuit, reveal_circuit: Circuit, pair_circuit: Circuit
    ) -> None:
        from ape import accounts, project

        self.prover = prover
        self.circuit = circuit
        self.reveal_circuit = reveal_circuit
        self.pair_circuit = pair_circuit
        self.escrow_circuit = load_circuit(ESCROW_PAD)
        self.seed_mask_circuit = seed_mask_circuit(circuit.packing().words)
        self.deployer, *self.members = accounts.test_accounts[: N_MEMBERS + 1]
        self.gas: dict[str, list[int]] = {}
        self.prove_seconds: list[float] = []
        self.access_list_addresses = self.access_list_keys = 0
        deployments: dict[str, int] = {}
        registry = deploy_registry(project, self.deployer, [circuit.name])
        self.zk = Zkfed.deploy(project, self.deployer, self.members, PERIOD, registry.address)
        variant = self.zk.variant(circuit.name)
        self.verifier = getattr(project, circuit.verifier_contract).at(variant.verifier)
        for name, contract in (
            ("FederatedAggregator", self.zk.aggregator),
            ("VerifierRegistry", registry),
        ):
            deployments[name] = _deployment_gas(contract)
        self.deployments = deployments
        self.key_circuit = load_circuit(KEY_POSSESSION)
        for member, sk in zip(self.members, SECRET_KEYS, strict=True):
            self.record("register_key", self.register(member, sk))
        packing = circuit.packing()
        self.spec = TaskSpec(
            variant=variant.with_scale(packing.scale_bits),
            param_count=packing.params_per_chunk,
            bound=squared_norm_bound(1.0, packing),
            rounds=3,
            submission_period=PERIOD,
            reveal_period=PERIOD,
            model_cid="bafkreibenchmarkinitialmodel",
            model_hash=b"\x11" * 32,
        )
        proposal = self.carry_proposal()
        self.record("create_task", self.zk.governance.execute(proposal, sender=self.members[0]))
        self.task_id = int(self.zk.governance.proposal(proposal).taskId)
        self.record("draw_graph", self.zk.keys.drawGraph(self.task_id, sender=self.members[0]))
        self.task = self.zk.secagg_task(self.task_id)
        self.rng = np.random.default_rng(2026)

    def register(self, member: Any, sk: int) -> Any:
        """The member registers one more masking key with a real `KeyPossession` proof."""
        return register_key(self.zk, self.prover, member, sk, self.key_circuit)

    def carry_proposal(self) -> int:
        """A proposal of the bench's task, carried by a majority but not executed."""
        proposal = self.zk.propose_task(
            self.members[0], self.spec, "bafkreibenchspec", b"\x22" * 32, b"\x33" * 32
        )
        for member in self.members[: N_MEMBERS // 2 + 1]:
            self.zk.vote(member, proposal, True)
        return proposal

    def create_task_per_member(self) -> tuple[float, float]:
        """`createTask`'s gas per member of a later SecAgg task, and the part of it its
        `assignKeys` call takes: one proposal executed from the same state once with half the
        members holding a second key and once with all of them; the difference per extra
        member. The chain is left as it was."""
        from ape import chain

        half = N_MEMBERS // 2
        before = chain.snapshot()
        proposal = self.carry_proposal()
        for member, sk in zip(self.members[:half], NEXT_KEYS[:half], strict=True):
            self.record("register_next_key", self.register(member, sk))
        halfway = chain.snapshot()
        few = self.execute(proposal, half)
        chain.restore(halfway)
        for member, sk in zip(self.members[half:], NEXT_KEYS[half:], strict=True):
            self.record("register_next_key", self.register(member, sk))
        every = self.execute(proposal, N_MEMBERS)
        chain.restore(before)
        extra = N_MEMBERS - half
        return (every[0] - few[0]) / extra, (every[1] - few[1]) / extra

    def execute(self, proposal: int, members: int) -> tuple[int, int]:
        """Executes a carried task proposal and checks the task took `members` members; the
        transaction's gas and its `assignKeys` call's."""
        from ape import chain

        receipt = self.zk.governance.execute(proposal, sender=self.members[0])
        task_id = int(self.zk.governance.proposal(proposal).taskId)
        if len(self.zk.task_members(task_id)) != members:
            raise ZkfedError(f"task {task_id} should have {members} members.")
        trace = chain.provider.make_request(
            "debug_traceTransaction", [receipt.txn_hash, {"tracer": "callTracer"}]
        )
        self.record(f"create_later_task_{members}_members", receipt)
        return int(receipt.gas_used), call_gas(trace, self.zk.keys.address, ASSIGN_KEYS)

    def join(self, member: int) -> None:
        """The member posts its pair commitments, each with a real `PairCommit` proof."""
        pairs = join_inputs(self.task, member, SECRET_KEYS[member])
        proofs = [self.prove(self.pair_circuit, dict(inputs)).proof for _, inputs in pairs]
        receipt = self.zk.join_task(
            self.members[member], self.task_id, [c for c, _ in pairs], proofs
        )
        self.record("join_task", receipt)

    def record(self, name: str, receipt: Any) -> int:
        used = int(receipt.gas_used)
        self.gas.setdefault(name, []).append(used)
        return used

    def prove(self, circuit: Circuit, inputs: dict[str, SignalValue]) -> ProofResult:
        result: ProofResult = self.prover.prove(circuit.wasm, circuit.zkey, inputs)
        self.prove_seconds.append(result.seconds)
        return result

    def submit(self, member: int, round_index: int, name: str) -> list[int]:
        """Prove member's chunk 0 and submit it, words and escrow, twice from the same state: once
        plain, then (after reverting the chain) with the EIP-2930 access list anvil computes for
        it. Records both (`name` and `name_access_list`); returns the words."""
        from ape import chain

        update = self.rng.normal(0.0, 0.02, self.task.n_params)
        (chunk,) = mask_update(
            self.task, round_index, member, SECRET_KEYS[member], update, self.rng
        )
        result = self.prove(self.circuit, dict(chunk.inputs))
        k = self.circuit.neighbors
        if len(chunk.escrow) != k * (k - 1) or not all(chunk.escrow):
            raise ZkfedError(f"a chunk of {N_MEMBERS} members should escrow its {k} seeds.")
        proof = result.proof.solidity_arguments()
        args = (self.task_id, round_index, 0, chunk.words, chunk.escrow, proof)
        account = self.members[member]
        txn = self.zk.aggregator.submitChunk.as_transaction(*args, sender=account)
        access_list = chain.provider.create_access_list(txn)
        snapshot = chain.snapshot()
        self.record(name, self.zk.aggregator.submitChunk(*args, sender=account))
        chain.restore(snapshot)
        receipt = self.zk.aggregator.submitChunk(*args, sender=account, access_list=access_list)
        self.record(f"{name}_access_list", receipt)
        self.access_list_keys = sum(len(entry.storage_keys) for entry in access_list)
        self.access_list_addresses = len(access_list)
        return list(chunk.words)

    def reveal(
        self, round_index: int, contributors: set[int], withheld: tuple[int, int] | None = None
    ) -> None:
        """Every contributor removes its masks with its dropped neighbours, but the pair
        `withheld` (owner, dropped)."""
        for i, j in required_reveals(self.task, contributors):
            if (i, j) == withheld:
                continue
            masks, inputs = mask_reveal_inputs(self.task, round_index, 0, SECRET_KEYS[i], j)
            result = self.prove(self.reveal_circuit, dict(inputs))
            receipt = self.zk.reveal_mask(
                self.members[i],
                self.task_id,
                round_index,
                0,
                self.members[j].address,
                masks,
                result.proof,
            )
            self.record("reveal_mask", receipt)

    def recover(self, round_index: int, owner: int, dropped: int) -> None:
        """In the recovery window: each holder of the seed `owner` escrowed for its pair with
        `dropped` opens its share with a real `EscrowPad` proof, then a non-member removes the
        mask with a real `SeedMask` proof. Records `reveal_share` and `recover_mask`."""
        from ape import chain

        zk, task_id = self.zk, self.task_id
        state = zk.round_state(task_id, round_index)
        if chain.pending_timestamp < state.reveal_deadline:
            chain.pending_timestamp = state.reveal_deadline
        owner_address, dropped_address = self.members[owner].address, self.members[dropped].address
        submitted = zk.submitted_chunk(task_id, round_index, 0, owner_address)
        if submitted is None:
            raise ZkfedError("the withholding contributor's ChunkSubmitted event was not found.")
        for holder in share_holders(self.task, owner, dropped):
            pad, inputs = escrow_pad_inputs(
                self.task, round_index, 0, SECRET_KEYS[holder], holder, owner, dropped
            )
            result = self.prove(self.escrow_circuit, dict(inputs))
            receipt = zk.reveal_share(
                self.members[holder], task_id, round_index, 0, owner_address, dropped_address,
                self.members[holder].address, submitted, pad, result.proof,
            )  # fmt: skip
            self.record("reveal_share", receipt)
        seed, _, complete = zk.escrowed_seed(
            task_id, round_index, 0, owner_address, dropped_address
        )
        if not complete:
            raise ZkfedError("the holders' shares did not complete the escrowed seed.")
        masks, inputs = seed_mask_inputs(seed, self.task.packing.words)
        result = self.prove(self.seed_mask_circuit, dict(inputs))
        receipt = zk.recover_mask(
            self.deployer, task_id, round_index, 0, owner_address, dropped_address, masks,
            result.proof,
        )  # fmt: skip
        self.record("recover_mask", receipt)

    def finalize(self, round_index: int) -> None:
        from ape import chain

        state = self.zk.round_state(self.task_id, round_index)
        if chain.pending_timestamp < state.submission_deadline:
            chain.pending_timestamp = state.submission_deadline
        receipt = self.zk.finalize_round(self.members[0], self.task_id, round_index, 1)
        self.record("finalize_round", receipt)

    def withdrawal(self) -> int:
        """Gas of one `ChunkRecovery.withdrawChunk` of a default chunk, on a deployment of its own
        (see the module's docstring): the words and escrow withdrawn are read from the
        `ChunkSubmitted` event."""
        from ape import accounts, chain, project

        members = accounts.test_accounts[1 : WITHDRAW_MEMBERS + 1]
        zk = Zkfed.deploy(project, self.deployer, members, PERIOD, self.zk.registry.address)
        for member, sk in zip(members, WITHDRAW_KEYS, strict=True):
            register_key(zk, self.prover, member, sk, self.key_circuit)
        proposal = zk.propose_task(
            members[0], self.spec, "bafkreibenchspec", b"\x22" * 32, b"\x33" * 32
        )
        for member in members[: WITHDRAW_MEMBERS // 2 + 1]:
            zk.vote(member, proposal, True)
        task_id = zk.execute(members[0], proposal)  # creates the task and draws its ring
        task = zk.secagg_task(task_id)
        for i, member in enumerate(members):
            pairs = join_inputs(task, i, WITHDRAW_KEYS[i])
            proofs = [self.prove(self.pair_circuit, dict(inputs)).proof for _, inputs in pairs]
            zk.join_task(member, task_id, [c for c, _ in pairs], proofs)
        ring = zk.ring_order(task_id)
        contributors = {ring[p] for p in WITHDRAW_POSITIONS}
        for i in sorted(contributors):
            update = self.rng.normal(0.0, 0.02, task.n_params)
            (chunk,) = mask_update(task, 1, i, WITHDRAW_KEYS[i], update, self.rng)
            proof = self.prove(self.circuit, dict(chunk.inputs)).proof
            zk.submit_chunk(members[i], task_id, 1, 0, chunk.words, chunk.escrow, proof)
        chain.pending_timestamp = zk.round_state(task_id, 1).submission_deadline
        alone = members[ring[WITHDRAW_POSITIONS[0]]].address
        submitted = zk.submitted_chunk(task_id, 1, 0, alone)
        if submitted is None:
            raise ZkfedError("the lone contributor's ChunkSubmitted event was not found.")
        receipt = zk.withdraw_chunk(self.deployer, task_id, 1, 0, alone, submitted)
        if zk.contributors(task_id, 1, 0) != contributors - {ring[WITHDRAW_POSITIONS[0]]}:
            raise ZkfedError("the withdrawal did not leave the chunk to the other three.")
        return self.record("withdraw_chunk", receipt)

    def verify_only(self) -> tuple[int, int]:
        """(transaction gas, execution gas) of `verifyProof` alone, with a real proof."""
        update = self.rng.normal(0.0, 0.02, self.task.n_params)
        # A round the task never runs, so no submitted chunk shares these masks.
        (chunk,) = mask_update(self.task, 4, 1, SECRET_KEYS[1], update, self.rng)
        result = self.prove(self.circuit, dict(chunk.inputs))
        args = (*result.proof.solidity_arguments(), result.public_signals)
        assert self.verifier.verifyProof(*args), "the real proof must verify"
        receipt = self.verifier.verifyProof.transact(*args, sender=self.deployer)
        data = bytes(self.verifier.verifyProof.encode_input(*args))
        total = int(receipt.gas_used)
        return total, total - G_TX - calldata_gas(data)


def per_param(gas: float, params: int) -> float:
    return round(gas / params, 1)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from ape import networks

    circuit = load_circuit(DEFAULT_VARIANT)
    reveal_circuit = mask_reveal_circuit(circuit.packing().words)
    pair_circuit = load_circuit(PAIR_COMMIT)
    escrow = (load_circuit(ESCROW_PAD), seed_mask_circuit(circuit.packing().words))
    for c in (circuit, reveal_circuit, pair_circuit, load_circuit(KEY_POSSESSION), *escrow):
        if not c.ready():
            raise ZkfedError(f"{c.name} is not built; run tools/dev.sh setup first.")
    params = circuit.packing().params_per_chunk
    report: dict[str, Any] = {
        "variant": DEFAULT_VARIANT,
        "params_per_chunk": params,
        "words_per_chunk": circuit.parameters["W"],
        "public_signals": 5
        + circuit.neighbors
        + circuit.parameters["W"]
        + circuit.neighbors * (circuit.neighbors - 1),
        "escrow_entries": circuit.neighbors * (circuit.neighbors - 1),
        "prover": args.prover,
        "machine": {"loadavg_before": loadavg()},
    }
    with (
        networks.parse_network_choice("ethereum:local:foundry"),
        closing(open_prover(args.prover)) as prover,
    ):
        bench = Bench(prover, circuit, reveal_circuit, pair_circuit)
        print(f"  task {bench.task_id} open; members join …", flush=True)
        for member in range(N_MEMBERS):
            bench.join(member)
        print("  round 1 …", flush=True)
        words = bench.submit(0, 1, "submit_chunk_round1_first")
        fresh_floor = floor_gas(words, fresh=True)
        for member in range(1, 5):
            bench.submit(member, 1, "submit_chunk_round1_adding")
        from ape import chain

        state = bench.zk.round_state(bench.task_id, 1)
        chain.pending_timestamp = state.submission_deadline
        bench.reveal(1, set(range(5)))
        bench.finalize(1)
        dropout_round = sum(
            sum(bench.gas[name])
            for name in (
                "submit_chunk_round1_first",
                "submit_chunk_round1_adding",
                "reveal_mask",
                "finalize_round",
            )
        )
        print("  round 2 …", flush=True)
        steady_words = [bench.submit(0, 2, "submit_chunk_steady_first")]
        for member in range(1, N_MEMBERS):
            steady_words.append(bench.submit(member, 2, "submit_chunk_steady_adding"))
        bench.finalize(2)
        print("  round 3 (recovery from the escrow) …", flush=True)
        for member in range(5):
            bench.submit(member, 3, "submit_chunk_round3")
        state = bench.zk.round_state(bench.task_id, 3)
        if state.recovery_deadline != state.reveal_deadline + PERIOD:
            raise ZkfedError("the six-member default task should have a recovery window.")
        chain.pending_timestamp = state.submission_deadline
        dropped = N_MEMBERS - 1
        owner = min(bench.task.neighbor_indices(dropped))
        bench.reveal(3, set(range(5)), withheld=(owner, dropped))
        bench.recover(3, owner, dropped)
        bench.finalize(3)
        verify_tx, verify_exec = bench.verify_only()
        create_per_member, assign_per_member = bench.create_task_per_member()
        print("  withdrawal …", flush=True)
        withdraw = bench.withdrawal()
        report["deployments"] = bench.deployments
        al_addresses, al_keys = bench.access_list_addresses, bench.access_list_keys
        gas = bench.gas
        prove_seconds = bench.prove_seconds
    savings = {
        name: [a - b for a, b in zip(values, gas[f"{name}_access_list"], strict=True)]
        for name, values in gas.items()
        if name.startswith("submit") and not name.endswith("_access_list")
    }
    reused_floor = statistics.median(floor_gas(w, fresh=False) for w in steady_words)
    median = {name: int(statistics.median(values)) for name, values in gas.items()}
    steady = median["submit_chunk_steady_adding"]
    steady_al = median["submit_chunk_steady_adding_access_list"]
    max_tx = max(max(values) for values in gas.values())
    report.update(
        {
            "submit_chunk": steady,
            "reveal_gas": median["reveal_mask"],
            "finalize_gas": median["finalize_round"],
            "register_gas": median["register_key"],
            "register_next_gas": median["register_next_key"],
            "create_task_gas": median["create_task"],
            "create_task_gas_per_member": round(create_per_member, 1),
            "assign_keys_gas_per_member": round(assign_per_member, 1),
            "draw_graph_gas": median["draw_graph"],
            "join_task": median["join_task"],
            "withdraw_gas": withdraw,
            "reveal_share_gas": median["reveal_share"],
            "recover_mask_gas": median["recover_mask"],
            "escrow_recovery_gas": sum(gas["reveal_share"]) + sum(gas["recover_mask"]),
            "verify_only": verify_tx,
            "verify_only_execution": verify_exec,
            "submit_chunk_cases": {
                "round1_first_contributor": median["submit_chunk_round1_first"],
                "round1_adding": median["submit_chunk_round1_adding"],
                "steady_first_contributor": median["submit_chunk_steady_first"],
                "steady_adding": steady,
                "round1_first_contributor_access_list": median[
                    "submit_chunk_round1_first_access_list"
                ],
                "round1_adding_access_list": median["submit_chunk_round1_adding_access_list"],
                "steady_first_contributor_access_list": median[
                    "submit_chunk_steady_first_access_list"
                ],
                "steady_adding_access_list": steady_al,
                "access_list_saving": steady - steady_al,
                "access_list_saving_per_tx": savings,
                "access_list": {"addresses": al_addresses, "storage_keys": al_keys},
            },
            "all_transactions": gas,
            "submit_gas_per_param": per_param(steady, params),
            "submit_gas_per_param_access_list": per_param(steady_al, params),
            "submit_gas_per_param_round1_first": per_param(
                median["submit_chunk_round1_first"], params
            ),
            "submit_gas_per_param_cases": {
                case: per_param(median[f"submit_chunk_{case}"], params)
                for case in ("round1_first", "round1_adding", "steady_first", "steady_adding")
            },
            "withdraw_gas_per_param": per_param(withdraw, params),
            "reveal_gas_per_param": per_param(median["reveal_mask"], params),
            "reveal_share_gas_per_param": per_param(median["reveal_share"], params),
            "recover_mask_gas_per_param": per_param(median["recover_mask"], params),
            "dropout_round_gas_per_param": per_param(dropout_round, params),
            "finalize_gas_per_param": per_param(median["finalize_round"], params),
            "join_gas_per_param": per_param(median["join_task"], params),
            "verify_gas_per_param": per_param(verify_tx, params),
            "floor_gas_per_chunk": {"reused_slots": int(reused_floor), "fresh_slots": fresh_floor},
            "floor_gas_per_param": per_param(reused_floor, params),
            "floor_gas_per_param_fresh": per_param(fresh_floor, params),
            "ratio_to_floor": round(steady / reused_floor, 2),
            "ratio_to_floor_access_list": round(steady_al / reused_floor, 2),
            "ratio_to_floor_round1_first": round(
                median["submit_chunk_round1_first"] / fresh_floor, 2
            ),
            "max_tx_gas": max_tx,
            "tx_cap": TX_CAP,
            "every_tx_under_cap": max_tx < TX_CAP,
            "target_submit_gas_per_param": TARGET_SUBMIT_GAS_PER_PARAM,
            "meets_target": steady / params <= TARGET_SUBMIT_GAS_PER_PARAM,
            "meets_target_access_list": steady_al / params <= TARGET_SUBMIT_GAS_PER_PARAM,
            "prove_seconds_total": round(sum(prove_seconds), 1),
        }
    )
    report["machine"]["loadavg_after"] = loadavg()
    return report


def table(report: dict[str, Any]) -> str:
    params = report["params_per_chunk"]
    s = report["submit_chunk_cases"]
    rows = [
        ("submitChunk, round 1, first (fresh slots)", s["round1_first_contributor"]),
        ("submitChunk, round 1, adding", s["round1_adding"]),
        ("submitChunk, steady state, first of round", s["steady_first_contributor"]),
        ("submitChunk, steady state, adding", s["steady_adding"]),
        ("  same tx with EIP-2930 access list", s["steady_adding_access_list"]),
        ("  first of round, with access list", s["steady_first_contributor_access_list"]),
        ("revealMask (removes one pair's mask)", report["reveal_gas"]),
        ("finalizeRound (seals one chunk)", report["finalize_gas"]),
        ("revealShare (one holder's share, EscrowPad)", report["reveal_share_gas"]),
        ("recoverMask (from the seed, SeedMask)", report["recover_mask_gas"]),
        ("  3 shares + recoverMask (one seed)", report["escrow_recovery_gas"]),
        ("withdrawChunk (an isolated contributor)", report["withdraw_gas"]),
        ("registerKey (KeyPossession proof)", report["register_gas"]),
        ("  a later key of the same member", report["register_next_gas"]),
        (f"createTask via execute ({N_MEMBERS} members)", report["create_task_gas"]),
        ("  per member of a later task", round(report["create_task_gas_per_member"])),
        ("    of which assignKeys", round(report["assign_keys_gas_per_member"])),
        (f"drawGraph ({N_MEMBERS} members, once per task)", report["draw_graph_gas"]),
        ("joinTask (4 pair proofs, once per task)", report["join_task"]),
        ("verifyProof alone (transaction)", report["verify_only"]),
        ("verifyProof alone (execution)", report["verify_only_execution"]),
        ("floor: calldata + 5k/word (reused)", report["floor_gas_per_chunk"]["reused_slots"]),
        ("floor: calldata + 22.1k/word (fresh)", report["floor_gas_per_chunk"]["fresh_slots"]),
    ]
    lines = [
        f"gas benchmark: {report['variant']} ({params} params/chunk, "
        f"{report['public_signals']} public signals, {report['escrow_entries']} of them escrow), "
        f"real proofs ({report['prover']})",
        f"{'transaction':44s} {'gas/chunk':>10s} {'gas/param':>10s}",
    ]
    lines += [f"{name:44s} {gas:>10,d} {gas / params:>10.1f}" for name, gas in rows]
    lines += [
        f"submit gas/param {report['submit_gas_per_param']} (target ≤ "
        f"{report['target_submit_gas_per_param']}: {report['meets_target']}); with access list "
        f"{report['submit_gas_per_param_access_list']} "
        f"({report['meets_target_access_list']}); access list saves "
        f"{s['access_list_saving']:,d} gas/chunk",
        f"ratio to floor {report['ratio_to_floor']} (access list "
        f"{report['ratio_to_floor_access_list']}; round-1 first vs fresh floor "
        f"{report['ratio_to_floor_round1_first']})",
        f"max tx gas {report['max_tx_gas']:,d} < 2^24 = {report['tx_cap']:,d}: "
        f"{report['every_tx_under_cap']}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/gas.py", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="JSON report to write")
    parser.add_argument("--prover", choices=PROVERS, default="snarkjs")
    args = parser.parse_args(argv)
    os.chdir(project_root())
    try:
        report = run(args)
    except ZkfedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
