"""The embedded store: round trips, integrity checks, and opening stores by name."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from zkfed.cid import parse_cid
from zkfed.exceptions import (
    ContentNotFoundError,
    CorruptContentError,
    InvalidCidError,
    StorageError,
)
from zkfed.storage import (
    DEFAULT_IPFS_API,
    ContentStore,
    IpfsStore,
    LocalStore,
    open_store,
    sha256_hex,
)
from zkfed.unixfs import Layout, import_file

CHUNK = Layout.CHUNK_SIZE


def block_files(store: LocalStore) -> list[Path]:
    return sorted(path for path in (store.path / "blocks").rglob("*") if path.is_file())


@pytest.mark.parametrize("size", [0, 1, CHUNK, CHUNK + 1, 5 * CHUNK + 17])
def test_add_then_get_round_trips(tmp_path: Path, size: int) -> None:
    # Prepare
    store = LocalStore(tmp_path / "store")
    data = random.Random(size).randbytes(size)

    # Execute
    cid = store.add(data)

    # Assert
    assert cid == str(import_file(data).root)
    assert store.get(cid) == data
    assert store.has(cid)


def test_add_is_idempotent_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    # Prepare
    store = LocalStore(tmp_path)
    data = random.Random(1).randbytes(2 * CHUNK + 1)

    # Execute
    first, second = store.add(data), store.add(data)

    # Assert
    assert first == second
    assert sorted(path.name for path in block_files(store)) == sorted(
        str(cid) for cid, _ in import_file(data).blocks
    )  # three leaves and their root, no temporary file


def test_get_accepts_other_spellings_of_the_cid(tmp_path: Path) -> None:
    # Prepare
    store = LocalStore(tmp_path)
    cid = store.add(b"hello")

    # Execute
    content = store.get(f"/ipfs/{cid}")

    # Assert
    assert content == b"hello"
    assert parse_cid(cid).digest == hashlib.sha256(b"hello").digest()


def test_missing_content_is_reported(tmp_path: Path) -> None:
    # Prepare
    store = LocalStore(tmp_path)
    cid = str(import_file(b"never added").root)

    # Execute / Assert
    assert not store.has(cid)
    with pytest.raises(ContentNotFoundError, match=f"No content with CID {cid}"):
        store.get(cid)


def test_a_missing_leaf_makes_content_incomplete(tmp_path: Path) -> None:
    # Prepare
    store = LocalStore(tmp_path)
    data = bytes(2 * CHUNK)
    cid = store.add(data[:CHUNK] + b"\x01" * CHUNK)
    leaf = str(import_file(b"\x01" * CHUNK).root)
    next(path for path in block_files(store) if path.name == leaf).unlink()

    # Execute / Assert
    assert not store.has(cid)
    with pytest.raises(ContentNotFoundError, match=f"incomplete.*block {leaf} is missing"):
        store.get(cid)


@pytest.mark.parametrize("size", [10, 3 * CHUNK])
def test_a_corrupt_block_is_detected_and_repaired_by_adding_again(
    tmp_path: Path, size: int
) -> None:
    # Prepare: flip one byte of every block file.
    store = LocalStore(tmp_path)
    data = random.Random(size).randbytes(size)
    cid = store.add(data)
    for path in block_files(store):
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        path.write_bytes(bytes(raw))

    # Execute
    with pytest.raises(CorruptContentError, match="is corrupt"):
        store.get(cid)
    store.add(data)

    # Assert
    assert store.get(cid) == data


def test_an_unwritable_store_gives_a_storage_error(tmp_path: Path) -> None:
    # Prepare: the store's directory is a file.
    blocker = tmp_path / "store"
    blocker.write_text("not a directory")

    # Execute / Assert
    with pytest.raises(StorageError, match="Cannot write to the store"):
        LocalStore(blocker).add(b"data")


def test_an_invalid_cid_is_rejected(tmp_path: Path) -> None:
    # Execute / Assert
    with pytest.raises(InvalidCidError, match="not a valid CID"):
        LocalStore(tmp_path).get("not-a-cid")


def test_sha256_hex_is_the_plain_hex_digest() -> None:
    # Execute
    digest = sha256_hex(b"")

    # Assert
    assert digest == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(
    ("location", "kind", "where"),
    [
        (None, LocalStore, ".zkfed/store"),
        ("", LocalStore, ".zkfed/store"),
        ("models", LocalStore, "models"),
        ("file:///tmp/zkfed-models", LocalStore, "/tmp/zkfed-models"),
        ("ipfs", IpfsStore, DEFAULT_IPFS_API),
        ("/ip4/10.1.2.3/tcp/5001", IpfsStore, "/ip4/10.1.2.3/tcp/5001"),
        ("http://127.0.0.1:5001", IpfsStore, "/ip4/127.0.0.1/tcp/5001/http"),
        ("https://ipfs.example", IpfsStore, "/dns/ipfs.example/tcp/443/https"),
        ("http://[::1]:5001", IpfsStore, "/ip6/::1/tcp/5001/http"),
    ],
)
def test_open_store_picks_the_backend(
    location: str | None, kind: type[ContentStore], where: str
) -> None:
    # Execute: nothing is contacted or created until the first call.
    store = open_store(location)

    # Assert
    assert isinstance(store, kind)
    assert isinstance(store, ContentStore)
    if isinstance(store, LocalStore):
        assert str(store.path) == where
    else:
        assert isinstance(store, IpfsStore)
        assert store.api_addr == where
