"""CIDs, varints and multibase, checked against values IPFS implementations print."""

from __future__ import annotations

import hashlib

import pytest

from zkfed.cid import Cid, Codec, decode_varint, encode_varint, parse_cid, sha256_cid
from zkfed.exceptions import InvalidCidError

# `ipfs add --cid-version 1 --raw-leaves` of an empty file, the same CID in every IPFS.
EMPTY_RAW_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
# The same CID in base58btc, as js-ipfs's RPC API prints CIDv1 unless asked for base32.
EMPTY_RAW_CID_BASE58 = "zb2rhmy65F3REf8SZp7De11gxtECBGgUKaLdiDj7MCGCHxbDW"


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (300, b"\xac\x02"),
        (262_144, b"\x80\x80\x10"),
        (2**63 - 1, b"\xff" * 8 + b"\x7f"),
    ],
)
def test_varint_round_trip(value: int, encoded: bytes) -> None:
    # Execute
    written = encode_varint(value)
    read, end = decode_varint(b"\xaa" + written, 1)

    # Assert
    assert written == encoded
    assert (read, end) == (value, 1 + len(encoded))


@pytest.mark.parametrize("bad", [b"", b"\x80", b"\xff" * 9 + b"\x01"])
def test_varint_rejects_truncated_and_overlong(bad: bytes) -> None:
    # Execute / Assert
    with pytest.raises(ValueError, match="varint"):
        decode_varint(bad)


def test_empty_block_cid_is_the_well_known_one() -> None:
    # Execute
    cid = sha256_cid(Codec.RAW, b"")

    # Assert
    assert str(cid) == EMPTY_RAW_CID
    assert cid.digest == hashlib.sha256(b"").digest()
    assert cid.to_bytes()[:4] == b"\x01\x55\x12\x20"


@pytest.mark.parametrize(
    "spelling", [EMPTY_RAW_CID, EMPTY_RAW_CID_BASE58, f"/ipfs/{EMPTY_RAW_CID} "]
)
def test_parse_accepts_base32_base58_and_ipfs_paths(spelling: str) -> None:
    # Execute
    cid = parse_cid(spelling)

    # Assert
    assert str(cid) == EMPTY_RAW_CID


def test_parse_cidv0_gives_the_cidv1_of_the_same_block() -> None:
    # Prepare: the empty UnixFS directory, a PBNode with Data = UnixFS{Type: Directory}, whose
    # CIDv0 and CIDv1 every IPFS implementation prints.
    block = b"\x0a\x02\x08\x01"

    # Execute
    cid = parse_cid("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")

    # Assert
    assert cid == sha256_cid(Codec.DAG_PB, block)
    assert str(cid) == "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "multibase"),
        ("hello", "multibase"),
        ("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevte", "digest length"),
        ("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk", "base32"),
        ("BAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU", "multibase"),
        ("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk0", "valid CID"),
        ("baguqeera", "codec"),
        ("bafkrmihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "hash"),
        ("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3N0", "base58btc"),
    ],
)
def test_parse_rejects_what_is_not_a_sha256_cid(text: str, reason: str) -> None:
    # Execute / Assert
    with pytest.raises(InvalidCidError, match=reason):
        parse_cid(text)


def test_cid_rejects_unknown_codec_and_short_digest() -> None:
    # Execute / Assert
    with pytest.raises(InvalidCidError, match="codec"):
        Cid(0x71, bytes(32))
    with pytest.raises(InvalidCidError, match="32 bytes"):
        Cid(Codec.RAW, bytes(31))
