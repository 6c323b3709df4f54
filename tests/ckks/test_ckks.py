"""CKKS mode: public context, chunked encryption, deterministic sums, aggregate-only decryption
flooded with Gaussian noise."""

import numpy as np
import pytest
import tenseal as ts  # type: ignore[import-untyped]

from zkfed.ckks import (
    FLOOD_FACTOR,
    FRESH_ERROR_UNITS,
    MIN_CONTRIBUTORS,
    CkksParams,
    EncryptedVector,
    KeyHolder,
    PublicContext,
)
from zkfed.exceptions import CkksError, ZkfedError

N_VALUES = 10_000
N_MEMBERS = 5
SIGMAS = 7
"""Tolerance of a flooded value, in flooding standard deviations: 10,000 Gaussian values all stay
within 7 sigma but with probability 3e-8."""


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


@pytest.fixture(scope="module")
def aggregate(public: PublicContext, ciphertexts: list[bytes]) -> bytes:
    """The sum of the five members' ciphertexts."""
    return public.aggregate(ciphertexts)


def test_aggregate_decrypts_to_the_plain_sum(
    holder: KeyHolder, updates: list[np.ndarray], aggregate: bytes
) -> None:
    # Prepare
    plain_sum = np.sum(updates, axis=0)
    tolerance = SIGMAS * holder.flooding_sigma(N_MEMBERS)

    # Execute
    total = holder.decrypt_sum(aggregate, count=N_MEMBERS)

    # Assert
    assert total.shape == (N_VALUES,)
    assert total.dtype == np.float64
    assert np.max(np.abs(total - plain_sum)) <= tolerance


def test_flooding_noise_has_the_stated_deviation(
    holder: KeyHolder, updates: list[np.ndarray], aggregate: bytes
) -> None:
    # Prepare
    plain_sum = np.sum(updates, axis=0)
    sigma = holder.flooding_sigma(N_MEMBERS)

    # Execute
    noise = holder.decrypt_sum(aggregate, count=N_MEMBERS) - plain_sum

    # Assert: the std of 10,000 draws is within 0.7 % of sigma (one standard error), so 10 % is
    # 14 standard errors; the mean is within 5 standard errors (sigma / 100) of zero.
    assert abs(np.std(noise) / sigma - 1) <= 0.10
    assert abs(np.mean(noise)) <= 5 * sigma / np.sqrt(N_VALUES)


def test_flooding_deviation_grows_with_the_square_root_of_the_count(holder: KeyHolder) -> None:
    # Execute
    sigmas = [holder.flooding_sigma(n) for n in (MIN_CONTRIBUTORS, 4 * MIN_CONTRIBUTORS)]

    # Assert
    assert sigmas[1] == pytest.approx(2 * sigmas[0])


def test_fresh_error_units_bound_the_decryption_error(
    holder: KeyHolder, updates: list[np.ndarray], aggregate: bytes
) -> None:
    # Prepare: the noise is drawn from the given generator, so a twin generator reproduces it
    # and what remains is CKKS's own decryption error, which the flooding must dwarf.
    plain_sum = np.sum(updates, axis=0)
    sigma = holder.flooding_sigma(N_MEMBERS)
    noise = np.random.default_rng(11).normal(0.0, sigma, N_VALUES)
    bound = FRESH_ERROR_UNITS * np.sqrt(N_MEMBERS) / 2.0 ** CkksParams().scale_bits

    # Execute
    total = holder.decrypt_sum(aggregate, count=N_MEMBERS, rng=np.random.default_rng(11))

    # Assert
    error = np.max(np.abs(total - noise - plain_sum))
    assert 0 < error <= bound
    assert sigma == pytest.approx(FLOOD_FACTOR * bound)


def test_each_decryption_draws_fresh_noise_and_a_seeded_one_repeats(
    holder: KeyHolder, aggregate: bytes
) -> None:
    # Execute
    first = holder.decrypt_sum(aggregate, count=N_MEMBERS)
    second = holder.decrypt_sum(aggregate, count=N_MEMBERS)
    seeded = holder.decrypt_sum(aggregate, count=N_MEMBERS, rng=np.random.default_rng(3))
    again = holder.decrypt_sum(aggregate, count=N_MEMBERS, rng=np.random.default_rng(3))

    # Assert
    assert np.all(first != second)
    assert np.array_equal(seeded, again)
    assert not np.array_equal(seeded, first)


def test_a_count_other_than_the_aggregates_is_refused(holder: KeyHolder, aggregate: bytes) -> None:
    # Execute
    with pytest.raises(CkksError) as caught:
        holder.decrypt_sum(aggregate, count=N_MEMBERS - 1)

    # Assert
    assert str(caught.value) == (
        f"The aggregate sums {N_MEMBERS} updates, but the chain recorded {N_MEMBERS - 1}."
    )


def test_fewer_than_min_contributors_are_refused(
    holder: KeyHolder, public: PublicContext, ciphertexts: list[bytes]
) -> None:
    # Prepare: a sum of one fewer than the minimum, recorded as such.
    too_few = MIN_CONTRIBUTORS - 1
    aggregate = public.aggregate(ciphertexts[:too_few])

    # Execute
    with pytest.raises(CkksError) as caught:
        holder.decrypt_sum(aggregate, count=too_few)

    # Assert
    assert str(caught.value) == (
        f"The key holder decrypts only aggregates of at least {MIN_CONTRIBUTORS} updates; "
        f"this one sums {too_few}."
    )


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


def test_key_holder_restores_from_secret_bytes(holder: KeyHolder, aggregate: bytes) -> None:
    # Execute
    restored = KeyHolder.from_secret_bytes(holder.secret_bytes(), holder.public_bytes)

    # Assert: with the same noise, the restored key decrypts bit for bit as the original.
    by_restored = restored.decrypt_sum(aggregate, count=N_MEMBERS, rng=np.random.default_rng(5))
    by_original = holder.decrypt_sum(aggregate, count=N_MEMBERS, rng=np.random.default_rng(5))
    assert np.array_equal(by_restored, by_original)


def test_clipping_bounds_the_encrypted_update(holder: KeyHolder, public: PublicContext) -> None:
    # Prepare: norms near 2,200 clipped to 50, so clipped values (about 2.2) dwarf the noise.
    rng = np.random.default_rng(1)
    big = [rng.normal(scale=100.0, size=500) for _ in range(MIN_CONTRIBUTORS)]
    clip_norm = 50.0

    # Execute
    aggregate = public.aggregate([public.encrypt(v, clip_norm=clip_norm) for v in big])
    total = holder.decrypt_sum(aggregate, count=MIN_CONTRIBUTORS)

    # Assert
    clipped_sum = np.sum([v * clip_norm / np.linalg.norm(v) for v in big], axis=0)
    tolerance = SIGMAS * holder.flooding_sigma(MIN_CONTRIBUTORS)
    assert np.max(np.abs(total - clipped_sum)) <= tolerance


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
        (lambda: holder.decrypt_sum(foreign, count=1), "made for context"),
        (lambda: public.aggregate([ciphertexts[0], ciphertexts[0]]), "Update 1 repeats update 0"),
        (lambda: public.aggregate([ciphertexts[0], public.encrypt(np.ones(5))]), "holds 5 values"),
        (lambda: public.aggregate([]), "no encrypted updates"),
        (lambda: PublicContext.from_bytes(b"\x00" * 64), "not a TenSEAL CKKS context"),
        (lambda: PublicContext.from_bytes(_bfv_public_bytes()), "BFV scheme, not CKKS"),
        (lambda: PublicContext.from_bytes(_unscaled_public_bytes()), "no global scale"),
        (lambda: holder.decrypt_sum(single, count=1), "at least 3 updates; this one sums 1"),
        (
            lambda: holder.decrypt_sum(public.aggregate(ciphertexts), count=4),
            "sums 5 updates, but the chain recorded 4",
        ),
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
