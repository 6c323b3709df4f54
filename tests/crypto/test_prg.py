"""Seed derivation and the sponge PRG (zkfed.prg) against circomlibjs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from reference_vectors import Cases

from zkfed.exceptions import CryptoError
from zkfed.field import P
from zkfed.poseidon import permute
from zkfed.prg import BLOCK_WORDS, derive_seed, prg_block, prg_words


def test_prg_words_match_circomlibjs(circomlibjs: Cases) -> None:
    # Prepare
    cases = circomlibjs["prg"]
    assert any(request["nWords"] > 2 * BLOCK_WORDS for request, _ in cases)

    for request, expected in cases:
        # Execute
        words = prg_words(int(request["seed"]), request["nWords"])

        # Assert
        assert [str(w) for w in words] == expected, request["seed"]


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
