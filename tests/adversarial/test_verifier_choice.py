"""Findings 3 and 4 of the integrity review: a proposal picked its own verifiers and packing.

In protocol v1 a task's configuration carried verifier addresses and packing parameters, and the
contract only checked that the addresses held code: a proposal with an accept-everything
verifier passed the vote and junk join and submit proofs were then accepted. Now a deployment's
`VerifierRegistry` fixes its variants (verifiers, packing, verification-key hashes); a proposal
names a variant id, and clients refuse a deployment whose verifiers are not the code they
generated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from adversarial_helpers import VOTING_PERIOD, Consortium

from zkfed.chain import Zkfed, companion_circuits
from zkfed.circuits import KEY_POSSESSION, PAIR_COMMIT, TEST_VARIANT, load_circuit
from zkfed.exceptions import ChainError
from zkfed.groth16 import Proof
from zkfed.proving import Prover


def test_a_proposal_names_a_variant_never_a_verifier(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare
    consortium = deploy()
    zk, members = consortium.zk, consortium.members
    fields = [c.name for c in zk.aggregator.createTask.abis[0].inputs[0].components]
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    registered = zk.registry.circuit(consortium.variant.id)
    from zkfed.protocol import join_task

    join_task(zk, prover, load_circuit(PAIR_COMMIT), members[0], 0xA77AC4, task)
    junk = Proof((1, 2), ((0, 0), (0, 0)), (1, 2))

    # Execute / Assert: no address can be proposed; the task runs the registry's verifier,
    # which refuses a junk proof (v1: an accept-all verifier took it).
    assert fields[:2] == ["variant", "scaleBits"]
    assert not any("erifier" in name for name in fields)
    assert zk.aggregator.taskCircuit(task.task_id) == registered
    with ape.reverts(zk.aggregator.InvalidProof):
        zk.submit_chunk(members[0], task.task_id, 1, 0, [1, 2], [0, 0], junk)


def test_clients_refuse_a_registry_with_an_accept_all_verifier(project: Any, accounts: Any) -> None:
    # Prepare: a deployer registers a mock that accepts every proof as the MaskedUpdate verifier.
    deployer, *members = accounts[:7]
    # The test variant's MaskedUpdate has 11 public signals: task, round, chunk,
    # commitments[2], slots, bound, y[2], escrow[2].
    accept_all = deployer.deploy(project.MockGroth16Verifier, 11)
    circuit = load_circuit(TEST_VARIANT)
    p = circuit.packing(0)
    companions = companion_circuits(p.words)  # MaskReveal(2), PairCommit, EscrowPad, SeedMask(2)
    real = {
        c.name: deployer.deploy(getattr(project, c.verifier_contract))
        for c in (load_circuit(KEY_POSSESSION), *companions)
    }
    entry = (
        TEST_VARIANT,
        (
            accept_all.address,
            p.words,
            circuit.neighbors,
            p.lanes,
            p.lane_bits,
            p.value_bits,
            *(real[c.name].address for c in companions),
        ),
        circuit.vkey_hash,
        *(c.vkey_hash for c in companions),
    )
    registry = deployer.deploy(
        project.VerifierRegistry,
        real[KEY_POSSESSION].address,
        load_circuit(KEY_POSSESSION).vkey_hash,
        True,
        [entry],
    )
    zk = Zkfed.deploy(project, deployer, members, VOTING_PERIOD, registry.address)

    # Execute / Assert
    with pytest.raises(ChainError, match="is not the MaskedUpdateTestVerifier"):
        Zkfed.at(project, zk.aggregator.address)
