"""CKKS mode: homomorphic aggregation with TenSEAL for models too large for secagg.

Roles
-----
* The **key holder** (`KeyHolder`) creates a CKKS context and publishes only its public part
  (`KeyHolder.public_bytes`, no secret key, no relinearisation or Galois keys).
* **Members** load that context (`PublicContext`), clip their update and encrypt it
  (`PublicContext.encrypt`); the result is one self-describing byte string. A member commits to
  its sha256 on-chain before the deadline and publishes the bytes only after it
  (`zkfed.protocol.commit_ciphertext`, circuits/README.md "CKKS mode"): ciphertexts under one
  public key add up, so one seen early could be cancelled out of the sum by another member.
* **Anyone** sums the revealed ciphertexts of a round with the public context
  (`PublicContext.aggregate`). Ciphertext addition is exact modular arithmetic, so the sum's bytes
  depend only on the set of inputs, not on who computes it or in which order: re-checkable
  against the digest the key holder records.
* The key holder decrypts **only the aggregate** and publishes the sum with noise flooding
  (`KeyHolder.decrypt_sum`): a CKKS decryption carries the encryption error, and published
  decryptions of chosen ciphertexts let an observer solve for the secret key (Li and Micciancio,
  EUROCRYPT 2021). Gaussian noise `FLOOD_FACTOR` times larger than the decryption error's bound
  hides that error.

Trust: nothing but the key holder's honesty stops it from decrypting a single member's
ciphertext or from publishing a wrong sum; what anyone can check is that the sum it decrypted is
the sum of the committed ciphertexts. `decrypt_sum` refuses sums of fewer than
`MIN_CONTRIBUTORS` updates, which guards against mistakes, not against a malicious key holder.
Nor is there a proof that a ciphertext encrypts a clipped vector: a member can poison the sum in
this mode.

Parameters
----------
The aggregate needs additions only, never a multiplication, so no rescaling happens and the
modulus chain needs no intermediate primes: ``coeff_mod_bit_sizes = (60, 60)`` is one 60-bit
ciphertext prime plus the special prime for key switching. With scale 2^40 a slot then holds
sums up to ``2^(60 - 40 - 1) = 2^19`` in magnitude with ~1e-8 absolute error. Against the
``(60, 40, 40, 60)`` chain of the TenSEAL tutorials, which pays for two multiplicative levels this
mode never uses, a ciphertext shrinks from ~99 to ~39 bytes per value and encryption speeds up by
about 40 %; the total modulus (120 bits) is far below the 218 bits that N = 8192 allows at 128-bit
security (HE security standard), so security only gains. Slots per ciphertext: N / 2 = 4,096.

Wire format of an encrypted vector (all integers big-endian)
-------------------------------------------------------------
``b"ZKCKKS01"`` | SHA-256 of the public context bytes (32) | value count (u32) | contributor
count (u32) | chunk count (u32) | checksum (32) | per chunk: length (u32) and TenSEAL
``CKKSVector`` bytes. The checksum is the SHA-256 of everything else, with its own field zeroed.
The context hash binds a ciphertext to one task's keys (a ciphertext under other keys would load
and decrypt to garbage); the checksum catches corruption that TenSEAL's parser would accept. It is
not a signature: the key holder should recompute the aggregate itself from the ciphertexts whose
CIDs the chain recorded (aggregation is deterministic) rather than trust a posted one's count.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import tenseal as ts  # type: ignore[import-untyped]
from numpy.typing import NDArray

from zkfed.exceptions import CkksError
from zkfed.quantize import clip_l2

MAGIC = b"ZKCKKS01"
MIN_CONTRIBUTORS = 3
"""Fewest updates `KeyHolder.decrypt_sum` accepts in one aggregate, as t_min in secagg mode."""

MAX_CONTRIBUTORS = 1024
"""Most updates one aggregate may sum; with the slot capacity it fixes the per-value bound."""

FRESH_ERROR_UNITS = 2.0**14
"""Bound on the decryption error of one fresh encryption, per value, in units of 2^-scale_bits.

Measured on the default parameters: the largest error of a sum of three fresh encryptions was
1.1e-8 = 0.74 * 2^14 / 2^40, and the error of a sum of n grows like sqrt(n) (std 2.2e-9, 3.5e-9
and 5.0e-9 for n = 3, 8 and 16)."""

FLOOD_FACTOR = 2.0**20
"""Standard deviation of the flooding noise over the decryption error's bound: a published value
then tells apart its error from none by a Kullback-Leibler divergence below 2^-41."""

_HEADER = struct.Struct(">8s32sIII32s")
_LENGTH = struct.Struct(">I")

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class CkksParams:
    """CKKS encryption parameters of a task (see the module docstring for the choice).

    Attributes
    ----------
    poly_modulus_degree : int
        Ring dimension N; a ciphertext holds N / 2 values.
    coeff_mod_bit_sizes : tuple of int
        Bit sizes of the modulus chain; the last prime is the special key-switching prime.
    scale_bits : int
        Fixed-point scale 2^scale_bits of encoded values.
    """

    poly_modulus_degree: int = 8192
    coeff_mod_bit_sizes: tuple[int, ...] = (60, 60)
    scale_bits: int = 40

    @property
    def slots(self) -> int:
        """Values per ciphertext."""
        return self.poly_modulus_degree // 2

    @property
    def max_abs_value(self) -> float:
        """Largest magnitude a member may encrypt, so `MAX_CONTRIBUTORS` of them cannot overflow."""
        return _max_abs_value(sum(self.coeff_mod_bit_sizes[:-1]), self.scale_bits)


@dataclass(frozen=True, eq=False)
class EncryptedVector:
    """A vector encrypted in chunks of ``slots`` values, or the sum of several such vectors.

    Attributes
    ----------
    context_hash : bytes
        SHA-256 of the public context bytes the chunks were made with.
    length : int
        Number of plaintext values.
    count : int
        Number of member updates summed into it (1 for a fresh encryption).
    chunks : tuple of bytes
        Serialised TenSEAL ``CKKSVector`` of each chunk.
    """

    context_hash: bytes
    length: int
    count: int
    chunks: tuple[bytes, ...]

    def to_bytes(self) -> bytes:
        """The wire format of the module docstring."""
        body = b"".join(_LENGTH.pack(len(chunk)) + chunk for chunk in self.chunks)
        fields = (MAGIC, self.context_hash, self.length, self.count, len(self.chunks))
        checksum = _checksum(_HEADER.pack(*fields, bytes(32)), body)
        return _HEADER.pack(*fields, checksum) + body

    @classmethod
    def from_bytes(cls, data: bytes) -> EncryptedVector:
        """Parse the wire format, checking structure and checksum (not the ciphertexts).

        Raises
        ------
        CkksError
            If the bytes are not an encrypted vector or were corrupted.
        """
        if len(data) < _HEADER.size or data[: len(MAGIC)] != MAGIC:
            raise CkksError("These bytes are not a zkfed CKKS ciphertext.")
        _, context_hash, length, count, n_chunks, checksum = _HEADER.unpack_from(data)
        body = data[_HEADER.size :]
        blank = data[: _HEADER.size - 32] + bytes(32)
        if _checksum(blank, body) != checksum:
            raise CkksError("The CKKS ciphertext is corrupted: its checksum does not match.")
        chunks = []
        offset = 0
        for _ in range(n_chunks):
            if offset + _LENGTH.size > len(body):
                raise CkksError("The CKKS ciphertext is truncated.")
            (size,) = _LENGTH.unpack_from(body, offset)
            offset += _LENGTH.size
            chunks.append(body[offset : offset + size])
            offset += size
        if offset != len(body) or (chunks and len(chunks[-1]) == 0):
            raise CkksError("The CKKS ciphertext's chunk lengths do not add up.")
        return cls(context_hash=context_hash, length=length, count=count, chunks=tuple(chunks))


class PublicContext:
    """The task's public CKKS context: enough to encrypt and to aggregate, never to decrypt."""

    def __init__(self, context: Any, data: bytes) -> None:
        self._context = context
        self._hash = hashlib.sha256(data).digest()
        first = context.seal_context().data.first_context_data()
        self._slots = int(first.parms().poly_modulus_degree()) // 2
        self._max_abs_value = _max_abs_value(
            int(first.total_coeff_modulus_bit_count()), math.log2(context.global_scale)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> PublicContext:
        """Load the context the key holder published.

        Raises
        ------
        CkksError
            If the bytes are not a CKKS context, lack a public key or scale, or hold a secret key
            (a published context with a secret key would let anyone decrypt every update).
        """
        try:
            context = ts.context_from(data, n_threads=1)
        except (ValueError, RuntimeError, TypeError):
            raise CkksError("These bytes are not a TenSEAL CKKS context.") from None
        scheme = context.seal_context().data.key_context_data().parms().scheme().name
        if scheme != "CKKS":
            raise CkksError(f"The context uses the {scheme} scheme, not CKKS.")
        if context.has_secret_key():
            raise CkksError("The published CKKS context contains its secret key; refuse to use it.")
        if not context.has_public_key():
            raise CkksError("The CKKS context has no public key, so members cannot encrypt.")
        try:
            context.global_scale  # noqa: B018 -- raises when the context carries no scale
        except ValueError:
            raise CkksError("The CKKS context has no global scale.") from None
        return cls(context, data)

    @property
    def hash(self) -> bytes:
        """SHA-256 of the published context bytes; every ciphertext of the task carries it."""
        return self._hash

    @property
    def slots(self) -> int:
        """Values per ciphertext: half the ring dimension."""
        return self._slots

    @property
    def max_abs_value(self) -> float:
        """Largest magnitude a member may encrypt (see `CkksParams.max_abs_value`)."""
        return self._max_abs_value

    def encrypt(
        self, vector: NDArray[np.floating[Any]], *, clip_norm: float | None = None
    ) -> bytes:
        """Clip (optionally) and encrypt a member's update.

        Parameters
        ----------
        vector : ndarray
            The flat update Δ.
        clip_norm : float, optional
            L2 bound applied to the whole vector before encryption.

        Returns
        -------
        bytes
            An `EncryptedVector` in wire format, ``ceil(len / slots)`` ciphertexts.

        Raises
        ------
        CkksError
            If the vector is empty or a value exceeds `max_abs_value`.
        QuantizationError
            If the vector is not a finite flat vector or the clip norm is not positive.
        """
        values = clip_l2(vector, clip_norm) if clip_norm is not None else _finite(vector)
        if values.size == 0:
            raise CkksError("Cannot encrypt an empty vector.")
        bound = self._max_abs_value
        if np.max(np.abs(values)) > bound:
            raise CkksError(
                f"A value of magnitude {np.max(np.abs(values)):.3g} exceeds the bound {bound:g} "
                "that keeps the aggregate decodable; clip the update."
            )
        slots = self._slots
        chunks = tuple(
            ts.ckks_vector(self._context, values[start : start + slots].tolist()).serialize()
            for start in range(0, values.size, slots)
        )
        return EncryptedVector(self._hash, values.size, 1, chunks).to_bytes()

    def aggregate(self, updates: Sequence[bytes]) -> bytes:
        """Sum encrypted updates (or partial aggregates) of one round.

        The result is a deterministic function of the set of inputs: equal inputs, in any order,
        give byte-identical output.

        Raises
        ------
        CkksError
            If there are no updates, one is repeated, corrupted, made for another context or
            has another length, or the contributor count would exceed `MAX_CONTRIBUTORS`.
        """
        if not updates:
            raise CkksError("There are no encrypted updates to aggregate.")
        seen: dict[bytes, int] = {}
        for position, data in enumerate(updates):
            digest = hashlib.sha256(data).digest()
            if digest in seen:
                raise CkksError(f"Update {position} repeats update {seen[digest]}.")
            seen[digest] = position
        parsed = [self.parse(data) for data in updates]
        first = parsed[0]
        for position, other in enumerate(parsed[1:], start=1):
            if other.length != first.length:
                raise CkksError(
                    f"Update {position} holds {other.length} values, update 0 holds {first.length}."
                )
        count = sum(vector.count for vector in parsed)
        if count > MAX_CONTRIBUTORS:
            raise CkksError(
                f"An aggregate may sum at most {MAX_CONTRIBUTORS} updates, not {count}."
            )
        sums = []
        for index in range(len(first.chunks)):
            total = self._load(first.chunks[index])
            for vector in parsed[1:]:
                total = total + self._load(vector.chunks[index])
            sums.append(total.serialize())
        return EncryptedVector(self._hash, first.length, count, tuple(sums)).to_bytes()

    def parse(self, data: bytes) -> EncryptedVector:
        """Parse an encrypted vector and check it belongs to this context (see `aggregate`)."""
        vector = EncryptedVector.from_bytes(data)
        if vector.context_hash != self._hash:
            raise CkksError(
                f"The ciphertext was made for context {vector.context_hash.hex()[:16]}, not for "
                f"this task's context {self._hash.hex()[:16]}."
            )
        expected = -(-vector.length // self._slots)
        if len(vector.chunks) != expected or not 1 <= vector.count <= MAX_CONTRIBUTORS:
            raise CkksError("The CKKS ciphertext's header does not fit its chunks.")
        return vector

    def _load(self, chunk: bytes) -> Any:
        try:
            return ts.ckks_vector_from(self._context, chunk)
        except (ValueError, RuntimeError, TypeError):
            raise CkksError("A CKKS ciphertext chunk is malformed for this context.") from None


class KeyHolder:
    """Holder of the task's CKKS secret key; decrypts round aggregates and nothing else."""

    def __init__(self, context: Any, public_bytes: bytes) -> None:
        self._context = context
        self._public = PublicContext.from_bytes(public_bytes)
        self._public_bytes = public_bytes

    @classmethod
    def create(cls, params: CkksParams | None = None) -> KeyHolder:
        """Generate fresh keys.

        Raises
        ------
        CkksError
            If SEAL rejects the parameters (e.g. a modulus chain too long for the ring).
        """
        params = params or CkksParams()
        try:
            context = ts.context(
                ts.SCHEME_TYPE.CKKS,
                poly_modulus_degree=params.poly_modulus_degree,
                coeff_mod_bit_sizes=list(params.coeff_mod_bit_sizes),
                n_threads=1,
            )
        except (ValueError, RuntimeError, TypeError) as error:
            raise CkksError(f"SEAL rejects the CKKS parameters {params}: {error}.") from None
        context.global_scale = 2.0**params.scale_bits
        public = context.copy()
        public.make_context_public()
        # Aggregation only adds, so relinearisation and Galois keys would be dead weight on IPFS.
        public_bytes = public.serialize(save_relin_keys=False, save_galois_keys=False)
        return cls(context, public_bytes)

    @classmethod
    def from_secret_bytes(cls, secret: bytes, public: bytes) -> KeyHolder:
        """Restore a key holder from `secret_bytes` and the public bytes it published.

        Raises
        ------
        CkksError
            If the secret bytes hold no secret key or do not belong to the public context.
        """
        try:
            context = ts.context_from(secret, n_threads=1)
        except (ValueError, RuntimeError, TypeError):
            raise CkksError("These bytes are not a TenSEAL CKKS context.") from None
        if not context.has_secret_key():
            raise CkksError("The key holder's context bytes hold no secret key.")
        holder = cls(context, public)
        probe = np.arange(1.0, 5.0)
        encrypted = EncryptedVector.from_bytes(holder.public.encrypt(probe))
        if not np.allclose(holder._decrypt(encrypted), probe, atol=1e-3):
            raise CkksError("The secret key does not belong to the published public context.")
        return holder

    @property
    def public(self) -> PublicContext:
        """The public context, as members load it."""
        return self._public

    @property
    def public_bytes(self) -> bytes:
        """Bytes to publish (IPFS): public key and parameters, no secret key."""
        return self._public_bytes

    def secret_bytes(self) -> bytes:
        """The full context with its secret key, for the key holder's own encrypted storage."""
        serialized: bytes = self._context.serialize(
            save_secret_key=True, save_relin_keys=False, save_galois_keys=False
        )
        return serialized

    def flooding_sigma(self, count: int) -> float:
        """Standard deviation of the noise `decrypt_sum` adds to each value of a sum of `count`
        fresh encryptions: `FLOOD_FACTOR` times the bound sqrt(count) * `FRESH_ERROR_UNITS` *
        2^-scale."""
        scale = float(self._context.global_scale)
        return FLOOD_FACTOR * FRESH_ERROR_UNITS * math.sqrt(count) / scale

    def decrypt_sum(
        self,
        aggregate: bytes,
        *,
        count: int,
        min_count: int = MIN_CONTRIBUTORS,
        rng: np.random.Generator | None = None,
    ) -> FloatArray:
        """Decrypt a round's aggregate and flood it with Gaussian noise before it is published.

        Parameters
        ----------
        aggregate : bytes
            Output of `PublicContext.aggregate`.
        count : int
            Contributor count the chain recorded; the aggregate's own count must equal it.
        min_count : int
            Fewest contributors accepted, so a single update is never decrypted by mistake.
        rng : numpy Generator, optional
            Source of the flooding noise; by default one seeded from the operating system.

        Returns
        -------
        ndarray of float64
            The sum of the updates plus N(0, `flooding_sigma(count)`^2) per value.

        Raises
        ------
        CkksError
            If the bytes are not an aggregate of this context or the count is wrong or too small.
        """
        vector = self._public.parse(aggregate)
        if vector.count != count:
            raise CkksError(
                f"The aggregate sums {vector.count} updates, but the chain recorded {count}."
            )
        if count < min_count:
            raise CkksError(
                f"The key holder decrypts only aggregates of at least {min_count} updates; "
                f"this one sums {count}."
            )
        noise = rng if rng is not None else np.random.default_rng(secrets.randbits(128))
        values = self._decrypt(vector)
        flooded: FloatArray = values + noise.normal(0.0, self.flooding_sigma(count), values.size)
        return flooded

    def _decrypt(self, vector: EncryptedVector) -> FloatArray:
        parts = []
        for chunk in vector.chunks:
            try:
                encrypted = ts.ckks_vector_from(self._context, chunk)
            except (ValueError, RuntimeError, TypeError):
                raise CkksError("A CKKS ciphertext chunk is malformed for this context.") from None
            parts.append(np.asarray(encrypted.decrypt(), dtype=np.float64))
        values = np.concatenate(parts)
        if values.shape[0] != vector.length:
            raise CkksError(
                f"The ciphertext decrypts to {values.shape[0]} values, not {vector.length}."
            )
        return values


def _max_abs_value(data_bits: float, scale_bits: float) -> float:
    # A slot decodes correctly while |sum| * 2^scale_bits < q / 2 with q the data modulus.
    return float(2 ** (data_bits - scale_bits - 1)) / MAX_CONTRIBUTORS


def _checksum(header: bytes, body: bytes) -> bytes:
    return hashlib.sha256(header + body).digest()


def _finite(vector: NDArray[np.floating[Any]]) -> FloatArray:
    values = np.asarray(vector, dtype=np.float64)
    if values.ndim != 1 or not np.isfinite(values).all():
        raise CkksError("The update must be a flat vector of finite values.")
    return values
