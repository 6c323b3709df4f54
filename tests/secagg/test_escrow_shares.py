"""Seed escrow in Python (circuits/README.md, "Seed escrow"): who escrows, how seeds are shared,
who can open a share, and a dropout recovered without the contributor that withheld its reveal.

The member-side arithmetic is written out here from the design (entry index, tag, the dealing
rule) and compared with zkfed.secagg; tests/circuits checks the same entries against circomlibjs
and the compiled circuit.
"""

import numpy as np
import pytest

from zkfed.babyjubjub import public_key
from zkfed.exceptions import ConfigurationError, CryptoError
from zkfed.field import P
from zkfed.masking import escrow_entries, escrow_holders, escrow_index, escrow_tag, neighbor_sign
from zkfed.packing import pack_chunk
from zkfed.prg import derive_seed, escrow_pad, escrow_share, pair_commitment
from zkfed.quantize import Packing, squared_norm_bound
from zkfed.secagg import (
    SecaggTask,
    chunk_escrow,
    chunk_inputs,
    escrow_on,
    escrow_pad_inputs,
    escrow_slots,
    mask_reveal_inputs,
    mask_update,
    recovered_seed,
    required_reveals,
    seed_mask_inputs,
    share_holders,
    share_of,
)

PACKING = Packing(words=4, lanes=15, lane_bits=16, value_bits=12, scale_bits=8)
N_PARAMS = 130  # three chunks
ROUND = 3


def _secrets(n: int) -> list[int]:
    return [0xE5C0 + 7919 * i for i in range(n)]


def _task(n: int, k: int = 4) -> SecaggTask:
    members = tuple(public_key(sk) for sk in _secrets(n))
    bound = squared_norm_bound(2.0, PACKING)
    return SecaggTask(
        5, PACKING, N_PARAMS, neighbors=k, bound=bound, members=members, domain=P - 99
    )


def _q(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-2048, 2048, PACKING.params_per_chunk)


@pytest.mark.parametrize("k", [2, 4, 6])
@pytest.mark.parametrize("n", [3, 4, 5, 7, 9])
def test_escrow_is_on_iff_every_member_has_three_active_slots(n: int, k: int) -> None:
    # Prepare
    task = _task(n, k)
    on = min(k, n - 1) >= 3

    # Execute
    chunks = [chunk_inputs(task, ROUND, 0, i, _secrets(n)[i], _q(i)) for i in range(n)]

    # Assert
    assert task.escrows is escrow_on(task) is on
    for i, chunk in enumerate(chunks):
        active = sum(j is not None for j in task.slots(i))
        assert active == task.active_slots == min(k, n - 1)
        assert chunk.inputs["slots"] >> (2 * k) == int(on)
        assert chunk.escrow == chunk.inputs["escrow"]
        assert len(chunk.escrow) == len(chunk.inputs["shares"]) == k * (k - 1)
        assert sum(1 for x in chunk.escrow if x) == (active * (active - 1) if on else 0)
        if not on:
            assert chunk.inputs["shares"] == [0] * (k * (k - 1))


@pytest.mark.parametrize("k", [2, 4, 6])
def test_entries_and_tags_cover_every_pair_and_direction_once(k: int) -> None:
    # Prepare
    e_count = k * (k - 1)
    pairs = [(j, h) for j in range(k) for h in range(k) if h != j]

    # Execute
    indices = [escrow_index(j, h, k) for j, h in pairs]
    tags = [escrow_tag(j, h, k, bit) for j, h in pairs for bit in (0, 1)]

    # Assert: e(j, h) = j·(K - 1) + h - [h > j] enumerates the entries in order, and the tags
    # 1 + e + E·bit are 1..2E, each once.
    assert escrow_entries(k) == e_count
    assert indices == list(range(e_count))
    assert indices == [j * (k - 1) + h - (h > j) for j, h in pairs]
    assert sorted(tags) == list(range(1, 2 * e_count + 1))


@pytest.mark.parametrize(("j", "h", "k"), [(0, 0, 4), (4, 0, 4), (0, -1, 4), (1, 0, 1)], ids=str)
def test_bad_entries_are_refused(j: int, h: int, k: int) -> None:
    # Execute / Assert
    with pytest.raises(ConfigurationError):
        escrow_index(j, h, k)


@pytest.mark.parametrize("bit", [-1, 2])
def test_a_sign_bit_is_0_or_1(bit: int) -> None:
    # Execute / Assert
    with pytest.raises(ConfigurationError, match="sign bit"):
        escrow_tag(0, 1, 4, bit)


@pytest.mark.parametrize(("n", "member"), [(4, 1), (5, 2), (7, 6), (9, 0)])
def test_shares_sum_to_each_seed_and_follow_the_dealing_rule(n: int, member: int) -> None:
    # Prepare
    task = _task(n)
    k, domain, chunk = task.neighbors, task.seed_domain, 2
    secrets = task.pair_secrets(member, _secrets(n)[member])
    slots = task.slots(member)

    # Execute
    escrow, shares = chunk_escrow(task, ROUND, chunk, member, secrets)

    # Assert: holders are the other active slots in slot order; every one but the last gets
    # Poseidon6(secret_j, D, r, c, j, h), the last the rest of the seed; an entry is share + pad.
    for j in range(k):
        holders = [h for h in range(k) if h != j and slots[h] is not None]
        assert escrow_holders(slots, j) == holders
        entries = [escrow_index(j, h, k) for h in holders]
        if slots[j] is None:
            assert all(escrow[escrow_index(j, h, k)] == 0 for h in range(k) if h != j)
            continue
        seed = derive_seed(secrets[j], domain, ROUND, chunk)
        assert sum(shares[e] for e in entries) % P == seed
        for h, e in zip(holders[:-1], entries[:-1], strict=True):
            assert shares[e] == escrow_share(secrets[j], domain, ROUND, chunk, j, h)
        for h, e in zip(holders, entries, strict=True):
            assert slots[h] is not None
            tag = 1 + e + k * (k - 1) * int(member < slots[h])
            pad = escrow_pad(secrets[h], domain, ROUND, chunk, tag)
            assert escrow[e] == (shares[e] + pad) % P
    on = [e for e, x in enumerate(escrow) if x]
    assert all(shares[e] == 0 for e in range(k * (k - 1)) if e not in on)


def test_escrow_is_deterministic_and_bound_to_its_chunk() -> None:
    # Prepare
    task = _task(6)
    sk = _secrets(6)[3]

    # Execute
    first = chunk_inputs(task, ROUND, 1, 3, sk, _q(1))
    again = chunk_inputs(task, ROUND, 1, 3, sk, _q(2))  # a retry, even with other values
    next_chunk = chunk_inputs(task, ROUND, 2, 3, sk, _q(1))
    next_round = chunk_inputs(task, ROUND + 1, 1, 3, sk, _q(1))

    # Assert
    assert first.escrow == again.escrow and first.inputs["shares"] == again.inputs["shares"]
    for other in (next_chunk, next_round):
        assert not set(first.escrow) & set(other.escrow)


@pytest.mark.parametrize(("n", "owner"), [(4, 0), (5, 3), (8, 5)])
def test_holders_decrypt_their_shares_with_their_pair_secret(n: int, owner: int) -> None:
    # Prepare
    task = _task(n)
    sks = _secrets(n)
    chunk = chunk_inputs(task, ROUND, 1, owner, sks[owner], _q(owner))
    slots = task.slots(owner)

    for dropped in task.neighbor_indices(owner):
        j = slots.index(dropped)
        holders = share_holders(task, owner, dropped)
        shares = []
        for holder in holders:
            # Execute: the holder opens its pad with its own key; so could the owner.
            pad, inputs = escrow_pad_inputs(task, ROUND, 1, sks[holder], holder, owner, dropped)
            by_owner, _ = escrow_pad_inputs(task, ROUND, 1, sks[owner], holder, owner, dropped)
            e = escrow_index(j, slots.index(holder), task.neighbors)
            shares.append(share_of(chunk.escrow[e], pad))

            # Assert: the opening is of the commitment the owner posted for the holder's slot.
            assert escrow_slots(task, owner, dropped, holder) == (j, slots.index(holder))
            assert pad == by_owner == inputs["pad"]
            assert (
                inputs["commitment"]
                == task.pair_commitments(owner, sks[owner])[slots.index(holder)]
            )
            assert inputs["commitment"] == pair_commitment(inputs["secret"], task.seed_domain)
            assert shares[-1] == chunk.inputs["shares"][e]

        # Assert: all holders together have the seed; any one alone has a uniform share.
        seed = derive_seed(task.pair_secrets(owner, sks[owner])[j], task.seed_domain, ROUND, 1)
        assert holders == [m for m in slots if m is not None and m != dropped]
        assert len(holders) >= 2 and recovered_seed(shares) == seed
        assert all(s != seed for s in shares)


def test_nobody_but_owner_and_holder_opens_a_pad() -> None:
    # Prepare: 8 members: member 0's neighbours are 1, 7, 2, 6; member 4 is none of them.
    task = _task(8)
    sks = _secrets(8)
    assert task.slots(0) == [1, 7, 2, 6]

    # Execute / Assert
    with pytest.raises(ConfigurationError, match="neither"):
        escrow_pad_inputs(task, ROUND, 0, sks[4], 1, 0, 7)
    with pytest.raises(ConfigurationError):
        escrow_pad_inputs(task, ROUND, 0, sks[1], 4, 0, 7)  # 4 holds no share of 0's seeds
    with pytest.raises(ConfigurationError):
        escrow_pad_inputs(task, ROUND, 0, sks[7], 7, 0, 7)  # the dropped one holds none
    with pytest.raises(ConfigurationError, match="does not escrow"):
        escrow_slots(_task(3), 0, 1, 2)


@pytest.mark.parametrize("n", [4, 5, 6, 9])
def test_tags_and_pads_are_distinct_across_the_two_directions_of_a_pair(n: int) -> None:
    # Prepare: both members of a pair share one secret; i's entries at holder k and k's entries
    # at holder i must never use the same pad.
    task = _task(n)
    e_count = task.neighbors * (task.neighbors - 1)

    for i in range(n):
        for other in task.neighbor_indices(i):
            # Execute
            mine = _tags_at(task, i, other)
            theirs = _tags_at(task, other, i)
            secret = task.pair_secrets(i, _secrets(n)[i])[task.slots(i).index(other)]
            pads = {escrow_pad(secret, task.seed_domain, ROUND, 0, t) for t in mine + theirs}

            # Assert: one direction's tags are in [1, E], the other's in [E + 1, 2E].
            assert len(mine) == len(theirs) == task.active_slots - 1
            assert not set(mine) & set(theirs)
            assert len(pads) == len(mine) + len(theirs)
            low, high = (mine, theirs) if i > other else (theirs, mine)
            assert all(1 <= t <= e_count for t in low)
            assert all(e_count < t <= 2 * e_count for t in high)


def _tags_at(task: SecaggTask, owner: int, holder: int) -> list[int]:
    """Tags of `owner`'s entries that `holder` holds: one per other active seed slot."""
    slots = task.slots(owner)
    h = slots.index(holder)
    bit = int(owner < holder)
    return [
        escrow_tag(j, h, task.neighbors, bit)
        for j, m in enumerate(slots)
        if m is not None and j != h
    ]


@pytest.mark.parametrize("n", [5, 7])
def test_a_withheld_reveal_is_recovered_from_the_escrow(n: int) -> None:
    # Prepare: member 2 drops out; contributor 1 (the dropout's neighbour) withholds its
    # reveal, the other contributors reveal theirs.
    task = _task(n)
    sks = _secrets(n)
    dropped, staller = 2, 1
    who = set(range(n)) - {dropped}
    updates = np.random.default_rng(n).normal(0, 0.05, (n, N_PARAMS))
    masked = {
        i: mask_update(task, ROUND, i, sks[i], updates[i], np.random.default_rng(i)) for i in who
    }
    pairs = required_reveals(task, who)
    assert (staller, dropped) in pairs

    sums = []
    for c in range(task.n_chunks):
        acc = [sum(masked[i][c].words[w] for i in who) % P for w in range(PACKING.words)]
        for i, j in pairs:
            if i == staller:
                # Execute: the staller's other neighbours open their shares of its seed with 2;
                # the summed seed's words come off with the staller's sign.
                holders = share_holders(task, i, j)
                assert dropped not in holders and all(h in who for h in holders)
                slots = task.slots(i)
                shares = []
                for h in holders:
                    pad, _ = escrow_pad_inputs(task, ROUND, c, sks[h], h, i, j)
                    e = escrow_index(slots.index(j), slots.index(h), task.neighbors)
                    shares.append(share_of(masked[i][c].escrow[e], pad))
                masks, _ = seed_mask_inputs(recovered_seed(shares), PACKING.words)
            else:
                masks, _ = mask_reveal_inputs(task, ROUND, c, sks[i], j)
            acc = [(a - neighbor_sign(i, j) * m) % P for a, m in zip(acc, masks, strict=True)]
        sums.append(acc)

    # Assert: the exact packed sums of the contributors.
    for c, acc in enumerate(sums):
        packed = [pack_chunk(masked[i][c].inputs["q"], PACKING) for i in who]
        assert acc == [sum(column) % P for column in zip(*packed, strict=True)]


def test_share_of_and_recovered_seed_are_field_arithmetic() -> None:
    # Execute / Assert
    assert share_of(5, 7) == P - 2
    assert share_of(7, 5) == 2
    assert recovered_seed([P - 1, 2, P - 1]) == 0
    with pytest.raises(CryptoError):
        share_of(P, 0)
    with pytest.raises(CryptoError):
        recovered_seed([P])
