"""Seed derivation and the sponge PRG (zkfed.prg) against circomlibjs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from reference_vectors import Cases

from zkfed.exceptions import CryptoError
from zkfed.field import P
from zkfed.poseidon import permute
from zkfed.prg import BLOCK_WORDS, derive_seed, escrow_pad, escrow_share, prg_block, prg_words


def test_prg_words_match_circomlibjs(circomlibjs: Cases) -> None:
    # Prepare
    cases = circomlibjs["prg"]
    assert any(request["nWords"] > 2 * BLOCK_WORDS for request, _ in cases)

    for request, expected in cases:
        # Execute
        words = prg_words(int(request["seed"]), request["nWords"])

        # Assert
        assert [str(w) for w in words] == expected, request["seed"]


@pytest.mark.parametrize(
    ("group", "derive"), [("escrow_pad", escrow_pad), ("escrow_share", escrow_share)]
)
def test_escrow_pads_and_shares_match_circomlibjs(
    circomlibjs: Cases, group: str, derive: Callable[..., int]
) -> None:
    # Prepare
    cases = circomlibjs[group]
    assert cases

    for request, expected in cases:
        # Execute
        value = derive(*(int(x) for x in request["inputs"]))

        # Assert
        assert [str(value)] == expected, request["inputs"]


def test_escrow_pads_and_shares_are_separate_from_seeds() -> None:
    # Prepare: the same leading inputs; widths 6 and 7 use their own constants.
    secret, task, round_index, chunk = 11, 7, 3, 1

    # Execute
    seed = derive_seed(secret, task, round_index, chunk)
    pads = {escrow_pad(secret, task, round_index, chunk, tag) for tag in range(1, 25)}
    shares = {
        escrow_share(secret, task, round_index, chunk, j, h) for j in range(4) for h in range(4)
    }

    # Assert
    assert len(pads) == 24 and len(shares) == 16
    assert seed not in pads | shares and not pads & shares


def test_block_is_rate_part_of_width_17_permutation() -> None:
    # Prepare
    seed, block = 123456789, 3
    state = [0, seed, block] + [0] * 14

    # Execute
    words = prg_block(seed, block)

    # Assert
    full = permute(state)
    assert words == full[1:]
    assert full[0] not in words


def test_word_index_selects_block_and_position() -> None:
    # Prepare
    seed = 42

    # Execute
    words = prg_words(seed, 2 * BLOCK_WORDS + 1)

    # Assert
    assert words[BLOCK_WORDS : 2 * BLOCK_WORDS] == prg_block(seed, 1)
    assert words[2 * BLOCK_WORDS] == prg_block(seed, 2)[0]
    assert prg_words(seed, 5) == words[:5]
    assert prg_words(seed, 0) == []


def test_seed_depends_on_every_context_field() -> None:
    # Prepare
    base = (7, 1, 2, 3)

    # Execute
    seeds = {derive_seed(*base)}
    for position in range(4):
        changed = list(base)
        changed[position] += 1
        seeds.add(derive_seed(*changed))

    # Assert
    assert len(seeds) == 5


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: derive_seed(P, 0, 0, 0), "shared secret"),
        (lambda: derive_seed(1, -1, 0, 0), "task id"),
        (lambda: prg_words(P, 3), "seed"),
        (lambda: prg_words(1, -1), "non-negative"),
    ],
)
def test_bad_inputs_raise_crypto_error(call: Callable[[], object], message: str) -> None:
    # Execute / Assert
    with pytest.raises(CryptoError, match=message):
        call()
