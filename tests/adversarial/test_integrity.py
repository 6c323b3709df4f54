"""The integrity review: no member can impose a model, and every round stays verifiable.

In protocol v1 `finalizeRound` took any CID and hash from any task member after the deadline
(first transaction wins) and clients trained on whatever `globalModel()` returned; verify-round
re-read old rounds from calldata and, under ape's foundry provider, failed as soon as a later
round reused the accumulator. Now the contract removes dropped members' masks itself (with
`MaskReveal` proofs), seals every chunk's exact sum in `ChunkAggregated` events under a stored
digest, and every model is derived from those aggregates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import numpy as np
from adversarial_helpers import Consortium
from ape import chain

from zkfed.circuits import PAIR_COMMIT, TEST_VARIANT, load_circuit, mask_reveal_circuit
from zkfed.field import P
from zkfed.groth16 import Proof
from zkfed.protocol import (
    finalize,
    join_task,
    reveal_for_dropouts,
    round_model,
    store_model,
    submit_update,
    verify_round,
)
from zkfed.proving import Prover
from zkfed.quantize import dequantize, quantize
from zkfed.secagg import SecaggTask, mask_reveal_inputs


def _round(
    consortium: Consortium,
    prover: Prover,
    task: SecaggTask,
    r: int,
    contributors: list[int],
) -> dict[int, Any]:
    """Every contributor trains (a fixed update), masks, proves and submits; returns the
    updates."""
    circuit = load_circuit(TEST_VARIANT)
    updates = {}
    for i in contributors:
        updates[i] = np.random.default_rng(100 * r + i).normal(0, 0.02, task.n_params)
        submit_update(
            consortium.zk,
            prover,
            circuit,
            consortium.members[i],
            consortium.secret(task, i),
            task,
            r,
            updates[i],
            np.random.default_rng(1000 * r + i),
        )
    return updates


def _close(consortium: Consortium, prover: Prover, task: SecaggTask, r: int, who: list[int]) -> Any:
    zk = consortium.zk
    chain.pending_timestamp = zk.round_state(task.task_id, r).submission_deadline
    for i in who:
        reveal_for_dropouts(zk, prover, consortium.members[i], consortium.secret(task, i), task, r)
    result, _ = finalize(zk, consortium.store, consortium.members[who[0]], task, r)
    return result


def _expected(task: SecaggTask, base: Any, updates: dict[int, Any], r: int) -> Any:
    """The round's model computed off-chain from the members' own quantised updates."""
    q = [
        quantize(u, task.packing, np.random.default_rng(1000 * r + i), task.clip_norm)
        for i, u in updates.items()
    ]
    return base + dequantize(np.sum(q, axis=0), task.packing) / len(q)


def test_no_member_can_impose_a_model(deploy: Callable[..., Consortium], prover: Prover) -> None:
    # Prepare: round 1 with member 5 dropping out after the others submitted.
    consortium = deploy()
    zk, store = consortium.zk, consortium.store
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    honest = list(range(5))
    updates = _round(consortium, prover, task, 1, honest)
    inputs = [p.name for p in zk.aggregator.finalizeRound.abis[0].inputs]

    # Execute: member 4 finalizes (anyone may: the outcome is fixed) and publishes a
    # backdoored model, first; member 0 publishes the honest one afterwards.
    result = _close(consortium, prover, task, 1, honest[::-1])
    backdoor = result.weights + 0.5
    bad_cid, bad_hash = store_model(store, backdoor)
    zk.publish_model(consortium.members[4], task.task_id, 1, bad_cid, bad_hash)

    # Assert: nothing to choose at finalization; the model of round 2 is the chain's, equal to
    # the members' own mean; verify-round names the backdoored claim.
    assert inputs == ["taskId", "round", "maxChunks"]
    derived = round_model(zk, store, task, 2)
    np.testing.assert_array_equal(derived, _expected(task, np.zeros(task.n_params), updates, 1))
    np.testing.assert_array_equal(derived, result.weights)
    verdict = verify_round(zk, store, task.task_id, 1)
    assert not verdict.match
    assert bad_cid in verdict.detail and consortium.members[4].address in verdict.detail
    claims = zk.published_models(task.task_id, 1)
    assert [c.cid for c in claims] == [result.cid, bad_cid]


def test_the_chain_holds_the_exact_sum_after_a_dropout(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare
    consortium = deploy()
    zk = consortium.zk
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    ring = zk.ring_order(task.task_id)
    contributors = sorted(ring[2:])  # the two dropped sit side by side: nobody is isolated
    _round(consortium, prover, task, 1, contributors)

    # Execute: two members dropped; their neighbours remove the masks on-chain.
    _close(consortium, prover, task, 1, contributors)

    # Assert: the sealed words are exactly the packed sum of the contributors' chunks.
    (aggregate,) = zk.chunk_aggregates(task.task_id, 1)
    from zkfed.packing import pack_chunk

    q = [
        quantize(
            np.random.default_rng(100 + i).normal(0, 0.02, task.n_params),
            task.packing,
            np.random.default_rng(1000 + i),
            task.clip_norm,
        )
        for i in contributors
    ]
    packed = [pack_chunk(qi, task.packing) for qi in q]
    assert aggregate.count == 4
    assert list(aggregate.words) == [sum(ws) % P for ws in zip(*packed, strict=True)]
    assert zk.round_state(task.task_id, 1).aggregate_digest == aggregate.digest


def test_a_forged_mask_is_refused(deploy: Callable[..., Consortium], prover: Prover) -> None:
    # Prepare: a neighbour of dropped member 5 would like to take other words than its mask
    # with 5 out of the sum (which would shift the aggregate): it proves the true mask but
    # posts others.
    consortium = deploy()
    zk, members = consortium.zk, consortium.members
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    dropped = 5
    contributors = [i for i in range(len(members)) if i != dropped]
    revealer = task.neighbor_indices(dropped)[0]
    other = next(j for j in task.neighbor_indices(revealer) if j != dropped)
    _round(consortium, prover, task, 1, contributors)
    chain.pending_timestamp = zk.round_state(task.task_id, 1).submission_deadline
    masks, inputs = mask_reveal_inputs(task, 1, 0, consortium.secret(task, revealer), dropped)
    circuit = mask_reveal_circuit(task.packing.words)
    proof = prover.prove(circuit.wasm, circuit.zkey, dict(inputs)).proof
    forged = [(masks[0] + 1) % P, *masks[1:]]
    account, gone = members[revealer], members[dropped].address

    # Execute / Assert
    with ape.reverts(zk.aggregator.InvalidProof, member=account.address):
        zk.reveal_mask(account, task.task_id, 1, 0, gone, forged, proof)
    with ape.reverts(zk.aggregator.NeighborContributed):
        zk.reveal_mask(account, task.task_id, 1, 0, members[other].address, masks, proof)
    zk.reveal_mask(account, task.task_id, 1, 0, gone, masks, proof)
    assert zk.revealed_masks(task, 1, 0, set(contributors)) == {(revealer, dropped)}


def test_an_earlier_round_verifies_after_later_rounds_reuse_its_slots(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: rounds 1 and 2 finalized, round 3 under way (its submissions overwrite the
    # accumulator slots rounds 1 and 2 used).
    consortium = deploy()
    zk, store = consortium.zk, consortium.store
    task = consortium.open_task(2 * consortium.variant.packing.params_per_chunk)
    everyone = list(range(6))
    for r in (1, 2):
        _round(consortium, prover, task, r, everyone)
        _close(consortium, prover, task, r, everyone)
    _round(consortium, prover, task, 3, [0, 1, 2])

    # Execute
    verdicts = [verify_round(zk, store, task.task_id, r) for r in (1, 2)]

    # Assert
    assert [str(v) for v in verdicts] == ["MATCH", "MATCH"]
    with ape.reverts(zk.aggregator.AccumulatorOverwritten):
        zk.aggregator.accumulator(task.task_id, 1, 0)


def test_a_malformed_proof_costs_at_most_the_verifier_cap(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: a proof whose points are off the curve makes the pairing precompile fail, which
    # consumes every unit of gas the call was given (v1: 15.5 M of a 16 M limit).
    consortium = deploy()
    zk, members = consortium.zk, consortium.members
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    off_curve = Proof((1, 3), ((1, 3), (1, 3)), (1, 3))

    # Execute
    with ape.reverts(zk.aggregator.InvalidPairProof):
        zk.aggregator.joinTask(
            task.task_id,
            [5, 6],
            [off_curve.solidity_arguments()] * 2,
            sender=members[0],
            gas_limit=16_000_000,
        )
    receipt = chain.history[members[0].address][-1]

    # Assert
    assert receipt.gas_used < 2_000_000


def test_votes_on_an_executed_proposal_are_refused(deploy: Callable[..., Consortium]) -> None:
    # Prepare: a proposal passes with four of six votes and is executed before its vote ends.
    consortium = deploy()
    zk, members = consortium.zk, consortium.members
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    proposal = int(zk.governance.proposalCount())

    # Execute / Assert
    with ape.reverts(zk.governance.ProposalAlreadyExecuted, proposalId=proposal):
        zk.vote(members[5], proposal, False)
    assert task.task_id == 1


def test_a_member_removed_by_vote_leaves_its_running_tasks(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: every member has joined the task; then the others vote member 5 out.
    consortium = deploy()
    zk, store, members = consortium.zk, consortium.store, consortium.members
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    pair_circuit = load_circuit(PAIR_COMMIT)
    for i, member in enumerate(members):
        join_task(zk, prover, pair_circuit, member, consortium.secret(task, i), task)
    zk.governance.proposeMembership(members[5].address, False, sender=members[0])
    proposal = int(zk.governance.proposalCount())
    for member in members[:4]:
        zk.vote(member, proposal, True)
    zk.governance.execute(proposal, sender=members[0])

    # Execute: the removed member still tries to contribute a proven chunk (v1 accepted it).
    updates = _round(consortium, prover, task, 1, [0, 1, 2, 3, 4])
    with ape.reverts(zk.aggregator.NotMember, account=members[5].address):
        _round(consortium, prover, task, 1, [5])
    _close(consortium, prover, task, 1, [0, 1, 2, 3, 4])

    # Assert: the round completes without it, as if it had dropped out.
    assert not zk.governance.isMember(members[5].address)
    assert zk.contributors(task.task_id, 1, 0) == {0, 1, 2, 3, 4}
    np.testing.assert_array_equal(
        round_model(zk, store, task, 2), _expected(task, np.zeros(task.n_params), updates, 1)
    )
