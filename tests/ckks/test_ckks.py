"""CKKS mode: public context, chunked encryption, deterministic sums, aggregate-only decryption."""

import numpy as np
import pytest
import tenseal as ts  # type: ignore[import-untyped]

from zkfed.ckks import (
    MIN_CONTRIBUTORS,
    CkksParams,
    EncryptedVector,
    KeyHolder,
    PublicContext,
)
from zkfed.exceptions import CkksError, ZkfedError

N_VALUES = 10_000
N_MEMBERS = 5


@pytest.fixture(scope="module")
def holder() -> KeyHolder:
    """The task's key holder, with default parameters."""
    return KeyHolder.create()


@pytest.fixture(scope="module")
def public(holder: KeyHolder) -> PublicContext:
    """The public context as a member loads it from the published bytes."""
    return PublicContext.from_bytes(holder.public_bytes)


@pytest.fixture(scope="module")
def updates() -> list[np.ndarray]:
    """Five members' clipped-size updates of 10,000 values."""
    rng = np.random.default_rng(42)
    return [rng.normal(scale=0.05, size=N_VALUES) for _ in range(N_MEMBERS)]


@pytest.fixture(scope="module")
def ciphertexts(public: PublicContext, updates: list[np.ndarray]) -> list[bytes]:
    """Each member's encrypted update."""
    return [public.encrypt(update) for update in updates]


def test_aggregate_decrypts_to_the_plain_mean(
    holder: KeyHolder, public: PublicContext, updates: list[np.ndarray], ciphertexts: list[bytes]
) -> None:
    # Prepare
    plain_sum = np.sum(updates, axis=0)

    # Execute
    aggregate = public.aggregate(ciphertexts)
    mean = holder.decrypt_mean(aggregate, expected_count=N_MEMBERS)

    # Assert
    error = np.max(np.abs(mean * N_MEMBERS - plain_sum))
    assert mean.shape == (N_VALUES,)
    assert error <= 1e-4 * np.max(np.abs(plain_sum))
    assert np.allclose(mean, plain_sum / N_MEMBERS, rtol=0, atol=1e-6)


def test_vectors_longer_than_the_slots_span_several_ciphertexts(
    public: PublicContext, ciphertexts: list[bytes]
) -> None:
    # Prepare
    slots = CkksParams().slots

    # Execute
    sizes = {
        n: len(EncryptedVector.from_bytes(public.encrypt(np.ones(n))).chunks)
        for n in (1, slots, slots + 1)
    }

    # Assert
    assert slots == public.slots == 4096
    assert sizes == {1: 1, slots: 1, slots + 1: 2}
    assert len(EncryptedVector.from_bytes(ciphertexts[0]).chunks) == 3


def test_public_context_cannot_decrypt(holder: KeyHolder, ciphertexts: list[bytes]) -> None:
    # Prepare
    context = ts.context_from(holder.public_bytes)
    chunk = EncryptedVector.from_bytes(ciphertexts[0]).chunks[0]

    # Execute
    loaded = ts.ckks_vector_from(context, chunk)

    # Assert
    assert not context.has_secret_key()
    assert context.is_public()
    with pytest.raises(ValueError, match="secret_key"):
        loaded.decrypt()


def test_a_context_with_its_secret_key_is_refused_as_public(holder: KeyHolder) -> None:
    # Execute / Assert
    with pytest.raises(CkksError, match="contains its secret key"):
        PublicContext.from_bytes(holder.secret_bytes())


def test_aggregation_is_deterministic_and_order_independent(
    holder: KeyHolder, public: PublicContext, ciphertexts: list[bytes]
) -> None:
    # Execute
    first = public.aggregate(ciphertexts)
    again = public.aggregate(list(ciphertexts))
    reversed_order = public.aggregate(ciphertexts[::-1])
    by_someone_else = PublicContext.from_bytes(holder.public_bytes).aggregate(ciphertexts)

    # Assert
    assert first == again == reversed_order == by_someone_else
    assert EncryptedVector.from_bytes(first).count == N_MEMBERS


def test_partial_aggregates_combine(
    holder: KeyHolder, public: PublicContext, ciphertexts: list[bytes]
) -> None:
    # Execute
    left = public.aggregate(ciphertexts[:2])
    right = public.aggregate(ciphertexts[2:])
    combined = public.aggregate([left, right])

    # Assert
    assert combined == public.aggregate(ciphertexts)


def test_serialisation_round_trip(ciphertexts: list[bytes]) -> None:
    # Execute
    parsed = EncryptedVector.from_bytes(ciphertexts[0])

    # Assert
    assert parsed.to_bytes() == ciphertexts[0]
    assert (parsed.length, parsed.count) == (N_VALUES, 1)


def test_key_holder_restores_from_secret_bytes(
    holder: KeyHolder, public: PublicContext, ciphertexts: list[bytes]
) -> None:
    # Prepare
    aggregate = public.aggregate(ciphertexts)

    # Execute
    restored = KeyHolder.from_secret_bytes(holder.secret_bytes(), holder.public_bytes)

    # Assert
    assert np.array_equal(restored.decrypt_mean(aggregate), holder.decrypt_mean(aggregate))


def test_clipping_bounds_the_encrypted_update(holder: KeyHolder, public: PublicContext) -> None:
    # Prepare
    rng = np.random.default_rng(1)
    big = [rng.normal(size=500) for _ in range(MIN_CONTRIBUTORS)]

    # Execute
    aggregate = public.aggregate([public.encrypt(v, clip_norm=1.0) for v in big])
    mean = holder.decrypt_mean(aggregate)

    # Assert
    clipped = [v / np.linalg.norm(v) for v in big]
    assert np.allclose(mean, np.mean(clipped, axis=0), atol=1e-6)


def _bfv_public_bytes() -> bytes:
    context = ts.context(ts.SCHEME_TYPE.BFV, 4096, plain_modulus=1032193)
    context.make_context_public()
    return context.serialize()  # type: ignore[no-any-return]


def _unscaled_public_bytes() -> bytes:
    context = ts.context(ts.SCHEME_TYPE.CKKS, 8192, coeff_mod_bit_sizes=[60, 60])
    context.make_context_public()
    return context.serialize()  # type: ignore[no-any-return]


def _flip(data: bytes, position: int) -> bytes:
    corrupted = bytearray(data)
    corrupted[position] ^= 0x01
    return bytes(corrupted)


def test_errors_are_one_clear_sentence(
    holder: KeyHolder, public: PublicContext, ciphertexts: list[bytes]
) -> None:
    # Prepare
    stranger = KeyHolder.create()
    foreign = stranger.public.encrypt(np.zeros(N_VALUES))
    single = public.aggregate(ciphertexts[:1])
    cases = [
        (lambda: public.aggregate([_flip(ciphertexts[0], len(ciphertexts[0]) // 2)]), "corrupted"),
        (lambda: public.aggregate([_flip(ciphertexts[0], 20)]), "corrupted"),
        (lambda: public.aggregate([b"random bytes" * 10]), "not a zkfed CKKS ciphertext"),
        (lambda: public.aggregate([ciphertexts[0], foreign]), "made for context"),
        (lambda: holder.decrypt_mean(foreign), "made for context"),
        (lambda: public.aggregate([ciphertexts[0], ciphertexts[0]]), "Update 1 repeats update 0"),
        (lambda: public.aggregate([ciphertexts[0], public.encrypt(np.ones(5))]), "holds 5 values"),
        (lambda: public.aggregate([]), "no encrypted updates"),
        (lambda: PublicContext.from_bytes(b"\x00" * 64), "not a TenSEAL CKKS context"),
        (lambda: PublicContext.from_bytes(_bfv_public_bytes()), "BFV scheme, not CKKS"),
        (lambda: PublicContext.from_bytes(_unscaled_public_bytes()), "no global scale"),
        (lambda: holder.decrypt_mean(single), "at least 3 updates; this one sums 1"),
        (lambda: holder.decrypt_mean(public.aggregate(ciphertexts), expected_count=4), "recorded"),
        (lambda: public.encrypt(np.full(3, 1e4)), "exceeds the bound"),
        (lambda: public.encrypt(np.zeros(0)), "empty vector"),
        (
            lambda: KeyHolder.from_secret_bytes(holder.secret_bytes(), stranger.public_bytes),
            "does not belong",
        ),
    ]

    for action, message in cases:
        # Execute
        with pytest.raises(CkksError, match=message) as caught:
            action()

        # Assert
        text = str(caught.value)
        assert isinstance(caught.value, ZkfedError)
        assert "\n" not in text and text.endswith(".")
