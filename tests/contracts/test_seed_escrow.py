"""Seed escrow: a contributor's withheld mask is removed from its escrowed seed.

A task of the default variant (K = 4) over the six members escrows (every member has
min(K, n - 1) = 4 active slots, so every seed has three holders): each chunk carries its four
seeds, additively shared among the owner's other active neighbours, each share under a pad of the
owner's pair secret with that holder. If the owner does not remove its mask with a dropped
neighbour in the reveal window, then in the recovery window (`roundInfo.recoveryDeadline`, a
reveal period after the reveal deadline) each holder opens its pad on the `ChunkRecovery`
(`revealShare`), the contract sums the shares into the seed (`escrowedSeed`), and anyone removes
the mask with the PRG words of that seed (`recoverMask`), exactly as the owner's `revealMask`
would have. The masking, the escrow, the pads and the seeds are the client's (`zkfed.secagg`);
the proofs are mock-verified (tests/contracts/test_public_signal_order.py checks the public
inputs the contracts pass).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from ape import chain
from contract_helpers import (
    ACCEPT_ALL,
    CHUNK_AWAITING_REVEALS,
    CHUNK_RECOVERABLE,
    CHUNK_VOID,
    DEFAULT_VARIANT,
    REJECT_ALL,
    REVEAL_PERIOD,
    ROUND_FINALIZED,
    TEST_VARIANT,
    ZERO_PROOF,
    P,
    dummy_masks,
    escrow,
    strict_reverts,
    task_config,
)

from zkfed.babyjubjub import Point
from zkfed.chain import SubmittedChunk
from zkfed.masking import escrow_index, neighbor_sign
from zkfed.packing import pack_chunk, unpack_chunk
from zkfed.prg import derive_seed
from zkfed.secagg import (
    MaskedChunk,
    SecaggTask,
    chunk_inputs,
    escrow_pad_inputs,
    join_inputs,
    mask_reveal_inputs,
    seed_mask_inputs,
    share_holders,
)

V = DEFAULT_VARIANT
N_PARAMS = V.words * V.lanes  # one chunk
T_MIN = 3
ALL_CHUNKS = 2**256 - 1


@dataclass(frozen=True)
class EscrowRound:
    """Round 1 of an escrowing task after the submissions: every member but `dropped`
    contributed chunk 0; `withheld` are contributors that owe a reveal with `dropped` and never
    make it (one below `dropped`'s index, one above); the others made theirs."""

    task: SecaggTask
    dropped: int
    withheld: tuple[int, int]
    chunks: dict[int, MaskedChunk]
    q: dict[int, Any]

    @property
    def task_id(self) -> int:
        return self.task.task_id

    @property
    def contributors(self) -> set[int]:
        return set(self.chunks)

    def submitted(self, owner: int) -> SubmittedChunk:
        chunk = self.chunks[owner]
        return SubmittedChunk(1, tuple(chunk.words), tuple(chunk.escrow))


def _field_sum(vectors: list[list[int]]) -> list[int]:
    return [sum(column) % P for column in zip(*vectors, strict=True)]


@pytest.fixture
def escrow_task(
    aggregator: Any,
    key_registry: Any,
    create_task: Callable[[tuple[Any, ...]], int],
    members: list[Any],
    secret_keys: list[int],
    public_keys: list[Point],
) -> SecaggTask:
    """A default-variant task every member joined with its real pair commitments, as the
    client sees it."""
    config = task_config(V.id, V.scale_bits, param_count=N_PARAMS, min_contributors=T_MIN)
    task_id = create_task(config)
    task = SecaggTask(
        task_id=task_id,
        packing=V.packing,
        n_params=N_PARAMS,
        neighbors=V.neighbors,
        bound=1 << 40,
        members=tuple(public_keys),
        t_min=T_MIN,
        domain=int(aggregator.taskDomain(task_id)),
        ring=tuple(int(i) for i in key_registry.ringOrder(task_id)),
    )
    assert task.escrows
    for i, member in enumerate(members):
        commitments = [c for c, _ in join_inputs(task, i, secret_keys[i])]
        aggregator.joinTask(task_id, commitments, [ZERO_PROOF] * len(commitments), sender=member)
    return task


@pytest.fixture
def escrow_round(
    aggregator: Any, members: list[Any], secret_keys: list[int], escrow_task: SecaggTask
) -> EscrowRound:
    """`EscrowRound` of `escrow_task`, left at the reveal deadline (the recovery window opens):
    every owner of a reveal with `dropped` but the two `withheld` removed its mask."""
    task = escrow_task
    # A dropped member with neighbours on both sides of its index (member 0 and 5 have none).
    dropped = next(
        d
        for d in range(len(members))
        if min(task.neighbor_indices(d)) < d < max(task.neighbor_indices(d))
    )
    owners = sorted(task.neighbor_indices(dropped))
    withheld = (max(o for o in owners if o < dropped), min(o for o in owners if o > dropped))
    packing, rng = task.packing, np.random.default_rng(2026)
    contributors = [i for i in range(len(members)) if i != dropped]
    q = {
        i: rng.integers(packing.q_min, packing.q_max + 1, packing.params_per_chunk)
        for i in contributors
    }
    chunks = {i: chunk_inputs(task, 1, 0, i, secret_keys[i], q[i]) for i in contributors}
    for i in contributors:
        aggregator.submitChunk(
            task.task_id, 1, 0, chunks[i].words, chunks[i].escrow, ZERO_PROOF, sender=members[i]
        )
    chain.pending_timestamp = aggregator.roundInfo(task.task_id, 1).submissionDeadline
    for i in owners:
        if i not in withheld:
            masks, _ = mask_reveal_inputs(task, 1, 0, secret_keys[i], dropped)
            aggregator.revealMask(
                task.task_id, 1, 0, members[dropped], masks, ZERO_PROOF, sender=members[i]
            )
    chain.pending_timestamp = aggregator.roundInfo(task.task_id, 1).revealDeadline
    return EscrowRound(task, dropped, withheld, chunks, q)


@pytest.fixture
def plain_task(
    create_task: Callable[[tuple[Any, ...]], int], register_keys: Callable[[int], list[Point]]
) -> Callable[[], int]:
    """Creates a task of the test variant (K = 2: no escrow) on the members' next keys, after
    the escrowing task took their first."""

    def create() -> int:
        register_keys(1)
        return create_task(task_config())

    return create


def _reveal_share(
    recovery: Any,
    members: list[Any],
    secret_keys: list[int],
    r: EscrowRound,
    owner: int,
    opener: int,
    **overrides: Any,
) -> Any:
    """Member `opener` opens its share of the seed `owner` escrowed for its pair with the
    dropped member (the opener's real pad; `overrides` replace arguments, `holder` included)."""
    pad, _ = escrow_pad_inputs(r.task, 1, 0, secret_keys[opener], opener, owner, r.dropped)
    submitted = r.submitted(owner)
    arguments = {
        "owner": members[owner],
        "dropped": members[r.dropped],
        "holder": members[opener],
        "words_hash": submitted.words_hash,
        "escrow": list(submitted.escrow),
        "pad": pad,
    } | overrides
    return recovery.revealShare(
        r.task_id, 1, 0, *arguments.values(), ZERO_PROOF, sender=members[opener]
    )


def test_escrowing_tasks_post_their_escrow_and_a_recovery_window(
    aggregator: Any,
    members: list[Any],
    escrow_round: EscrowRound,
    plain_task: Callable[[], int],
) -> None:
    # Prepare
    r, k = escrow_round, V.neighbors
    secagg_task = plain_task()

    # Execute
    info = aggregator.roundInfo(r.task_id, 1)
    plain = aggregator.roundInfo(secagg_task, 1)  # the test variant: K = 2, no escrow
    events = aggregator.ChunkSubmitted.range(
        0, chain.blocks.height + 1, search_topics={"taskId": r.task_id}
    )

    # Assert: bit 2K of `slots` is on for the escrowing task only; every entry of a seed slot
    # and another holder slot is set (all slots are active); the recovery window is one
    # reveal period long, and empty without escrow.
    for i, member in enumerate(members):
        _, slots = aggregator.neighbors(r.task_id, member)
        assert int(slots) >> (2 * k) == 1
        _, plain_slots = aggregator.neighbors(secagg_task, member)
        assert int(plain_slots) >> (2 * TEST_VARIANT.neighbors) == 0
        if i in r.chunks:
            assert len(r.chunks[i].escrow) == V.escrow_entries
            assert all(0 < e < P for e in r.chunks[i].escrow)
    assert {[m.address for m in members].index(e.member): list(e.escrow) for e in events} == {
        i: c.escrow for i, c in r.chunks.items()
    }
    assert info.recoveryDeadline == info.revealDeadline + REVEAL_PERIOD
    assert plain.recoveryDeadline == plain.revealDeadline


def test_holders_shares_sum_to_the_seed_and_recovery_unmasks_exactly(
    aggregator: Any,
    recovery: Any,
    members: list[Any],
    outsider: Any,
    secret_keys: list[int],
    escrow_round: EscrowRound,
) -> None:
    # Prepare
    r, task = escrow_round, escrow_round.task
    dropped = members[r.dropped]
    removed: dict[int, list[int]] = {}

    # Execute: for each withheld pair, every holder opens its share (in reverse slot order),
    # then a non-member removes the mask with the PRG words of the seed they sum to.
    for owner in r.withheld:
        j = task.slots(owner).index(r.dropped)
        holders = share_holders(task, owner, r.dropped)
        assert len(holders) == V.neighbors - 1
        opened = 0  # bitmap of the owner's slots whose holder opened its share
        for count, holder in enumerate(reversed(holders), start=1):
            tx = _reveal_share(recovery, members, secret_keys, r, owner, holder)
            opened |= 1 << task.slots(owner).index(holder)
            (event,) = tx.events.filter(recovery.ShareRevealed)
            e = escrow_index(j, task.slots(owner).index(holder), V.neighbors)
            assert (event.owner, event.dropped, event.holder) == (
                members[owner].address,
                dropped.address,
                members[holder].address,
            )
            assert event.share == r.chunks[owner].inputs["shares"][e]
            assert tuple(recovery.escrowedSeed(r.task_id, 1, 0, members[owner], dropped))[1:] == (
                opened,
                count == len(holders),
            )
        seed, _, complete = recovery.escrowedSeed(r.task_id, 1, 0, members[owner], dropped)
        secret = task.pair_secrets(owner, secret_keys[owner])[j]
        assert complete and seed == derive_seed(secret, task.seed_domain, 1, 0)
        masks, _ = seed_mask_inputs(seed, V.words)
        before = list(aggregator.accumulator(r.task_id, 1, 0))
        tx = recovery.recoverMask(
            r.task_id, 1, 0, members[owner], dropped, masks, ZERO_PROOF, sender=outsider
        )
        (event,) = tx.events.filter(recovery.MaskRecovered)
        assert (event.owner, event.dropped) == (members[owner].address, dropped.address)
        after = list(aggregator.accumulator(r.task_id, 1, 0))
        removed[owner] = [(b - a) % P for a, b in zip(after, before, strict=True)]
        assert aggregator.maskRevealed(r.task_id, 1, 0, members[owner], dropped)
        # The owner added sign(owner, dropped) · PRG(seed); exactly that left the accumulator.
        sign = neighbor_sign(owner, r.dropped)
        assert removed[owner] == [sign * m % P for m in masks]
    status = aggregator.chunkStatus(r.task_id, 1, 0)
    tx = aggregator.finalizeRound(r.task_id, 1, ALL_CHUNKS, sender=outsider)

    # Assert: one owner is below the dropped member and one above, so both signs were taken;
    # every mask is gone, the chunk seals (before the recovery deadline) with the exact sum.
    assert {neighbor_sign(o, r.dropped) for o in r.withheld} == {-1, +1}
    assert status == CHUNK_RECOVERABLE
    revealed, required = aggregator.chunkReveals(r.task_id, 1, 0)
    assert revealed == required == len(task.neighbor_indices(r.dropped))
    packed = _field_sum([pack_chunk(r.q[i], task.packing) for i in sorted(r.contributors)])
    (sealed,) = tx.events.filter(aggregator.ChunkAggregated)
    assert (sealed.count, list(sealed.words)) == (len(r.contributors), packed)
    exact = sum(r.q[i] for i in r.contributors)
    assert np.array_equal(unpack_chunk(packed, task.packing, len(r.contributors)), exact)
    assert aggregator.roundInfo(r.task_id, 1).status == ROUND_FINALIZED


def test_only_the_owners_other_neighbours_hold_shares(
    aggregator: Any,
    recovery: Any,
    recovery_error: Callable[[str], Any],
    members: list[Any],
    outsider: Any,
    secret_keys: list[int],
    escrow_round: EscrowRound,
) -> None:
    # Prepare
    r, task = escrow_round, escrow_round.task
    owner = r.withheld[0]
    holder = share_holders(task, owner, r.dropped)[0]
    (stranger,) = set(range(len(members))) - {owner, *task.neighbor_indices(owner)}
    address = {i: m.address for i, m in enumerate(members)}

    def refused_holder(who: int) -> Any:
        return strict_reverts(
            recovery.NotAHolder,
            taskId=r.task_id,
            owner=address[owner],
            dropped=address[r.dropped],
            holder=address[who],
        )

    # Execute / Assert: the dropped member itself, the owner, and the member that is not the
    # owner's neighbour hold nothing.
    for who in (r.dropped, owner, stranger):
        with refused_holder(who):
            _reveal_share(recovery, members, secret_keys, r, owner, holder, holder=members[who])
    with strict_reverts(
        recovery_error("NotTaskMember"), taskId=r.task_id, account=outsider.address
    ):
        _reveal_share(recovery, members, secret_keys, r, owner, holder, holder=outsider)


def test_only_a_withheld_mask_of_a_dropped_neighbour_is_recovered(
    aggregator: Any,
    recovery: Any,
    recovery_error: Callable[[str], Any],
    members: list[Any],
    secret_keys: list[int],
    escrow_round: EscrowRound,
) -> None:
    # Prepare
    r, task = escrow_round, escrow_round.task
    owner = r.withheld[0]
    holder = share_holders(task, owner, r.dropped)[0]
    (stranger,) = set(range(len(members))) - {owner, *task.neighbor_indices(owner)}
    revealer = next(o for o in task.neighbor_indices(r.dropped) if o not in r.withheld)
    revealers_holder = share_holders(task, revealer, r.dropped)[0]
    address = {i: m.address for i, m in enumerate(members)}
    base = {"taskId": r.task_id, "round": 1, "chunk": 0}

    # Execute / Assert: `dropped` must be a neighbour of the owner that did not contribute.
    with strict_reverts(
        recovery_error("NotNeighbor"),
        taskId=r.task_id,
        member=address[owner],
        neighbor=address[stranger],
    ):
        _reveal_share(recovery, members, secret_keys, r, owner, holder, dropped=members[stranger])
    with strict_reverts(recovery_error("NeighborContributed"), **base, neighbor=address[holder]):
        _reveal_share(recovery, members, secret_keys, r, owner, holder, dropped=members[holder])
    # The owner must have contributed: the dropped member owes nothing.
    with strict_reverts(recovery_error("NotContributor"), **base, member=address[r.dropped]):
        recovery.revealShare(
            r.task_id,
            1,
            0,
            members[r.dropped],
            members[owner],
            members[holder],
            b"\x00" * 32,
            escrow(V),
            1,
            ZERO_PROOF,
            sender=members[holder],
        )
    # A mask its owner removed in the reveal window is not recovered again.
    with strict_reverts(
        recovery_error("MaskAlreadyRevealed"),
        **base,
        revealer=address[revealer],
        dropped=address[r.dropped],
    ):
        _reveal_share(recovery, members, secret_keys, r, revealer, revealers_holder)


def test_a_share_needs_the_submitted_escrow_a_valid_pad_and_is_opened_once(
    aggregator: Any,
    recovery: Any,
    recovery_error: Callable[[str], Any],
    escrow_verifier: Any,
    deployer: Any,
    members: list[Any],
    outsider: Any,
    secret_keys: list[int],
    escrow_round: EscrowRound,
) -> None:
    # Prepare
    r, task = escrow_round, escrow_round.task
    owner = r.withheld[1]
    first, *others = share_holders(task, owner, r.dropped)
    address = {i: m.address for i, m in enumerate(members)}
    base = {"taskId": r.task_id, "round": 1, "chunk": 0}
    submitted = r.submitted(owner)
    wrong_escrow = list(submitted.escrow)
    wrong_escrow[-1] = (wrong_escrow[-1] + 1) % P
    other_words = r.submitted(first).words_hash

    # Execute / Assert: the words hash and escrow must be the owner's submission.
    for overrides in ({"escrow": wrong_escrow}, {"escrow": []}, {"words_hash": other_words}):
        with strict_reverts(recovery.NotTheSubmittedEscrow, **base, owner=address[owner]):
            _reveal_share(recovery, members, secret_keys, r, owner, first, **overrides)
    # The proof must verify (the holder is named), and a pad is a field element.
    with strict_reverts(recovery_error("InvalidProof"), **base, member=address[first]):
        _reveal_share(recovery, members, secret_keys, r, owner, first, pad=P)
    escrow_verifier.setMode(REJECT_ALL, sender=deployer)
    with strict_reverts(recovery_error("InvalidProof"), **base, member=address[first]):
        _reveal_share(recovery, members, secret_keys, r, owner, first)
    escrow_verifier.setMode(ACCEPT_ALL, sender=deployer)
    # Until every holder opened its share, the mask cannot be recovered.
    masks = dummy_masks(owner, r.dropped, V.words)
    incomplete = {"owner": address[owner], "dropped": address[r.dropped], "required": 3}
    with strict_reverts(recovery.SharesIncomplete, **base, **incomplete, revealed=0):
        recovery.recoverMask(
            r.task_id, 1, 0, members[owner], members[r.dropped], masks, ZERO_PROOF, sender=outsider
        )
    _reveal_share(recovery, members, secret_keys, r, owner, first)
    with strict_reverts(
        recovery.ShareAlreadyRevealed,
        **base,
        owner=address[owner],
        dropped=address[r.dropped],
        holder=address[first],
    ):
        _reveal_share(recovery, members, secret_keys, r, owner, first)
    with strict_reverts(recovery.SharesIncomplete, **base, **incomplete, revealed=1):
        recovery.recoverMask(
            r.task_id, 1, 0, members[owner], members[r.dropped], masks, ZERO_PROOF, sender=outsider
        )
    for holder in others:
        _reveal_share(recovery, members, secret_keys, r, owner, holder)
    # Once recovered, neither a share nor the mask is taken again.
    seed, holders, complete = recovery.escrowedSeed(
        r.task_id, 1, 0, members[owner], members[r.dropped]
    )
    owner_slots = task.slots(owner)
    opened = sum(1 << s for s, j in enumerate(owner_slots) if j not in (None, r.dropped))
    assert (holders, complete) == (opened, True)
    masks, _ = seed_mask_inputs(seed, V.words)
    recovery.recoverMask(
        r.task_id, 1, 0, members[owner], members[r.dropped], masks, ZERO_PROOF, sender=outsider
    )
    already = {"revealer": address[owner], "dropped": address[r.dropped]}
    with strict_reverts(recovery_error("MaskAlreadyRevealed"), **base, **already):
        recovery.recoverMask(
            r.task_id, 1, 0, members[owner], members[r.dropped], masks, ZERO_PROOF, sender=outsider
        )
    with strict_reverts(recovery_error("MaskAlreadyRevealed"), **base, **already):
        _reveal_share(recovery, members, secret_keys, r, owner, first)


def test_shares_are_opened_only_in_the_recovery_window(
    aggregator: Any,
    recovery: Any,
    members: list[Any],
    outsider: Any,
    secret_keys: list[int],
    escrow_round: EscrowRound,
    plain_task: Callable[[], int],
) -> None:
    # Prepare
    r, task = escrow_round, escrow_round.task
    secagg_task = plain_task()
    owner = r.withheld[0]
    holders = share_holders(task, owner, r.dropped)
    info = aggregator.roundInfo(r.task_id, 1)
    window = {
        "taskId": r.task_id,
        "round": 1,
        "opens": info.revealDeadline,
        "closes": info.recoveryDeadline,
    }
    masks, _ = mask_reveal_inputs(task, 1, 0, secret_keys[owner], r.dropped)

    # Execute / Assert: the owner's own reveal window is closed now.
    with strict_reverts(
        aggregator.RevealWindowClosed,
        taskId=r.task_id,
        round=1,
        revealDeadline=info.revealDeadline,
    ):
        aggregator.revealMask(
            r.task_id, 1, 0, members[r.dropped], masks, ZERO_PROOF, sender=members[owner]
        )
    # The holders open their shares up to the last second of the window, not after it.
    for holder in holders[:-1]:
        _reveal_share(recovery, members, secret_keys, r, owner, holder)
    chain.pending_timestamp = info.recoveryDeadline
    with strict_reverts(recovery.NotInRecoveryWindow, **window):
        _reveal_share(recovery, members, secret_keys, r, owner, holders[-1])
    with strict_reverts(recovery.NotInRecoveryWindow, **window):
        recovery.recoverMask(
            r.task_id, 1, 0, members[owner], members[r.dropped], masks, ZERO_PROOF, sender=outsider
        )
    # A task that does not escrow (the test variant, K = 2) has no recovery at all.
    plain = aggregator.roundInfo(secagg_task, 1)
    chain.pending_timestamp = max(plain.revealDeadline, info.recoveryDeadline)
    with strict_reverts(recovery.EscrowOff, taskId=secagg_task):
        recovery.revealShare(
            secagg_task,
            1,
            0,
            members[0],
            members[1],
            members[2],
            b"\x00" * 32,
            escrow(TEST_VARIANT),
            1,
            ZERO_PROOF,
            sender=members[2],
        )
    with strict_reverts(recovery.EscrowOff, taskId=secagg_task):
        recovery.recoverMask(
            secagg_task, 1, 0, members[0], members[1], [1, 2], ZERO_PROOF, sender=outsider
        )


def test_shares_are_not_opened_before_the_reveal_deadline(
    aggregator: Any,
    recovery: Any,
    members: list[Any],
    secret_keys: list[int],
    escrow_task: SecaggTask,
) -> None:
    # Prepare: every member but one contributes; the reveal window is open.
    task = escrow_task
    dropped = task.ring[0] if task.ring else 0
    owner = task.neighbor_indices(dropped)[0]
    holder = share_holders(task, owner, dropped)[0]
    rng = np.random.default_rng(5)
    chunks = {}
    for i in range(len(members)):
        if i == dropped:
            continue
        q = rng.integers(task.packing.q_min, task.packing.q_max + 1, task.packing.params_per_chunk)
        chunks[i] = chunk_inputs(task, 1, 0, i, secret_keys[i], q)
        aggregator.submitChunk(
            task.task_id, 1, 0, chunks[i].words, chunks[i].escrow, ZERO_PROOF, sender=members[i]
        )
    info = aggregator.roundInfo(task.task_id, 1)
    chain.pending_timestamp = info.submissionDeadline
    pad, _ = escrow_pad_inputs(task, 1, 0, secret_keys[holder], holder, owner, dropped)
    submitted = SubmittedChunk(1, tuple(chunks[owner].words), tuple(chunks[owner].escrow))

    # Execute / Assert
    with strict_reverts(
        recovery.NotInRecoveryWindow,
        taskId=task.task_id,
        round=1,
        opens=info.revealDeadline,
        closes=info.recoveryDeadline,
    ):
        recovery.revealShare(
            task.task_id,
            1,
            0,
            members[owner],
            members[dropped],
            members[holder],
            submitted.words_hash,
            list(submitted.escrow),
            pad,
            ZERO_PROOF,
            sender=members[holder],
        )


def test_sealing_waits_for_the_recovery_deadline(
    aggregator: Any, members: list[Any], outsider: Any, escrow_round: EscrowRound
) -> None:
    # Prepare: the two withheld masks are never recovered.
    r = escrow_round
    info = aggregator.roundInfo(r.task_id, 1)

    # Execute / Assert: in the recovery window the chunk still awaits its reveals.
    chain.mine(timestamp=int(info.revealDeadline))
    assert aggregator.chunkStatus(r.task_id, 1, 0) == CHUNK_AWAITING_REVEALS
    with strict_reverts(
        aggregator.RevealsPending,
        taskId=r.task_id,
        round=1,
        chunk=0,
        recoveryDeadline=info.recoveryDeadline,
    ):
        aggregator.finalizeRound(r.task_id, 1, ALL_CHUNKS, sender=outsider)
    chain.mine(timestamp=int(info.revealDeadline) + REVEAL_PERIOD // 2)
    assert aggregator.chunkStatus(r.task_id, 1, 0) == CHUNK_AWAITING_REVEALS
    # From the recovery deadline on, it is void and seals so.
    chain.mine(timestamp=int(info.recoveryDeadline))
    assert aggregator.chunkStatus(r.task_id, 1, 0) == CHUNK_VOID
    tx = aggregator.finalizeRound(r.task_id, 1, ALL_CHUNKS, sender=outsider)
    (sealed,) = tx.events.filter(aggregator.ChunkAggregated)
    assert (sealed.count, list(sealed.words)) == (0, [])
    assert aggregator.roundInfo(r.task_id, 1).status == ROUND_FINALIZED
