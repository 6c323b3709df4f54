"""Content identifiers (CIDs) as IPFS writes them: varints, multihash, multibase, CIDv0 and CIDv1.

Only what zkfed's storage needs is implemented, from the multiformats specifications:

* unsigned LEB128 varints;
* multihash with sha2-256 (code ``0x12``, 32-byte digest), the only hash zkfed stores with;
* multibase base32 lower-case without padding (prefix ``b``, how CIDv1 is printed) and
  base58btc (prefix ``z``, and the bare encoding of CIDv0 ``Qm…``) for parsing;
* CIDv1 ``<0x01><codec varint><multihash>`` and CIDv0 (a bare sha2-256 multihash of dag-pb).

A :class:`Cid` always prints as CIDv1 base32, so one content has one spelling in zkfed (on chain,
in the embedded store's file names, in reports), whichever form a node answered with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from zkfed.exceptions import InvalidCidError

__all__ = [
    "Cid",
    "Codec",
    "MultihashCode",
    "decode_varint",
    "encode_varint",
    "parse_cid",
    "sha256_cid",
]


class Codec:
    """Multicodec codes of the two block formats an IPFS file is made of."""

    RAW = 0x55
    """A block whose bytes are file content (a "raw leaf")."""
    DAG_PB = 0x70
    """A protobuf ``PBNode`` linking to other blocks (UnixFS)."""


class MultihashCode:
    """Multihash function codes."""

    SHA2_256 = 0x12
    SHA2_256_LENGTH = 32


_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {char: index for index, char in enumerate(_BASE58_ALPHABET)}
_CID_V1 = 1
_MAX_VARINT_BYTES = 9  # multiformats caps unsigned varints at 63 bits


def encode_varint(value: int) -> bytes:
    """Encode a non-negative integer as an unsigned LEB128 varint.

    Parameters
    ----------
    value : int
        The integer, ``0 <= value < 2**63``.

    Returns
    -------
    bytes
        Seven bits per byte, least significant group first, high bit set on all but the last.
    """
    if not 0 <= value < 1 << 63:
        raise ValueError(f"varint out of range: {value}")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(data: bytes | memoryview, offset: int = 0) -> tuple[int, int]:
    """Decode an unsigned LEB128 varint.

    Parameters
    ----------
    data : bytes or memoryview
        The buffer.
    offset : int, optional
        Where the varint starts.

    Returns
    -------
    tuple of (int, int)
        The value and the offset just past it.

    Raises
    ------
    ValueError
        If the buffer ends inside the varint or the varint is longer than 63 bits.
    """
    value = 0
    for index in range(_MAX_VARINT_BYTES):
        if offset + index >= len(data):
            raise ValueError("truncated varint")
        byte = data[offset + index]
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return value, offset + index + 1
    raise ValueError("varint longer than 63 bits")


def _base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _BASE58_INDEX:
            raise ValueError(f"{char!r} is not a base58btc character")
        number = number * 58 + _BASE58_INDEX[char]
    leading_zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * leading_zeros + body


def _base32_decode(text: str) -> bytes:
    if text != text.lower():
        raise ValueError("base32 CIDs are lower-case")
    padded = text.upper() + "=" * (-len(text) % 8)
    try:
        return base64.b32decode(padded)
    except binascii.Error:
        raise ValueError("it is not base32") from None


@dataclass(frozen=True)
class Cid:
    """A CIDv1: codec plus sha2-256 digest; ``str()`` gives the base32 form (``bafk…``, ``bafy…``).

    Attributes
    ----------
    codec : int
        :attr:`Codec.RAW` or :attr:`Codec.DAG_PB`.
    digest : bytes
        The 32-byte sha2-256 digest of the block.
    """

    codec: int
    digest: bytes

    def __post_init__(self) -> None:
        if self.codec not in (Codec.RAW, Codec.DAG_PB):
            raise InvalidCidError(f"CID codec 0x{self.codec:x} is neither raw nor dag-pb.")
        if len(self.digest) != MultihashCode.SHA2_256_LENGTH:
            raise InvalidCidError("A sha2-256 CID digest has 32 bytes.")

    @property
    def multihash(self) -> bytes:
        """The multihash: hash code, digest length, digest."""
        return bytes([MultihashCode.SHA2_256, MultihashCode.SHA2_256_LENGTH]) + self.digest

    def to_bytes(self) -> bytes:
        """The binary CIDv1, as dag-pb links carry it."""
        return encode_varint(_CID_V1) + encode_varint(self.codec) + self.multihash

    def matches(self, block: bytes) -> bool:
        """Tell whether ``block`` hashes to this CID's digest."""
        return hashlib.sha256(block).digest() == self.digest

    def __str__(self) -> str:
        return "b" + base64.b32encode(self.to_bytes()).decode("ascii").rstrip("=").lower()


def sha256_cid(codec: int, block: bytes) -> Cid:
    """Compute the CIDv1 of a block.

    Parameters
    ----------
    codec : int
        :attr:`Codec.RAW` for content, :attr:`Codec.DAG_PB` for a UnixFS node.
    block : bytes
        The block's bytes.

    Returns
    -------
    Cid
        The CID with the block's sha2-256 digest.
    """
    return Cid(codec, hashlib.sha256(block).digest())


def _parse_multihash(multihash: bytes, text: str) -> bytes:
    try:
        code, offset = decode_varint(multihash)
        length, offset = decode_varint(multihash, offset)
    except ValueError as error:
        raise InvalidCidError(f"{text!r} is not a valid CID: {error}.") from None
    if code != MultihashCode.SHA2_256:
        raise InvalidCidError(f"CID {text} uses hash 0x{code:x}; zkfed reads sha2-256 CIDs only.")
    digest = multihash[offset:]
    if length != MultihashCode.SHA2_256_LENGTH or len(digest) != length:
        raise InvalidCidError(f"{text!r} is not a valid CID: its digest length is wrong.")
    return digest


def parse_cid(text: str) -> Cid:
    """Parse a CID written as CIDv1 (base32 ``b…`` or base58btc ``z…``) or CIDv0 (``Qm…``).

    Parameters
    ----------
    text : str
        The CID string; surrounding white space and an ``/ipfs/`` prefix are accepted.

    Returns
    -------
    Cid
        The CID; a CIDv0 becomes the CIDv1 of the same dag-pb block.

    Raises
    ------
    InvalidCidError
        If ``text`` is not a sha2-256 CID of a raw or dag-pb block.
    """
    cleaned = text.strip().removeprefix("/ipfs/")
    if len(cleaned) == 46 and cleaned.startswith("Qm"):
        try:
            multihash = _base58_decode(cleaned)
        except ValueError as error:
            raise InvalidCidError(f"{text!r} is not a valid CID: {error}.") from None
        return Cid(Codec.DAG_PB, _parse_multihash(multihash, text))
    try:
        if cleaned.startswith("b"):
            raw = _base32_decode(cleaned[1:])
        elif cleaned.startswith("z"):
            raw = _base58_decode(cleaned[1:])
        else:
            raise ValueError("unknown multibase prefix (expected 'b' or 'z')")
        version, offset = decode_varint(raw)
        codec, offset = decode_varint(raw, offset)
    except ValueError as error:
        raise InvalidCidError(f"{text!r} is not a valid CID: {error}.") from None
    if version != _CID_V1:
        raise InvalidCidError(f"{text!r} is not a valid CID: version {version} is unknown.")
    if codec not in (Codec.RAW, Codec.DAG_PB):
        raise InvalidCidError(f"CID {text} has codec 0x{codec:x}; zkfed reads raw and dag-pb only.")
    return Cid(codec, _parse_multihash(raw[offset:], text))
