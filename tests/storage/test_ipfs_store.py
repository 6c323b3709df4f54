"""IpfsStore against a real IPFS node, and the embedded store's CIDs against the node's."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import ipfshttpclient  # type: ignore[import-untyped]
import pytest

from zkfed.exceptions import (
    ConfigurationError,
    ContentNotFoundError,
    StorageUnavailableError,
)
from zkfed.storage import IpfsStore, LocalStore
from zkfed.unixfs import Layout, import_file

CHUNK = Layout.CHUNK_SIZE
SIZES = {
    "empty": 0,
    "1 byte": 1,
    "chunk - 1": CHUNK - 1,
    "exactly 256 KiB": CHUNK,
    "256 KiB + 1": CHUNK + 1,
    "2 chunks": 2 * CHUNK,
    "174 chunks (one full node)": 174 * CHUNK,
    "175 chunks (two levels)": 175 * CHUNK,
    "175 chunks + 1 (two levels)": 175 * CHUNK + 1,
}
RANDOM_SIZES = [random.Random(seed).randrange(0, 12 * CHUNK) for seed in range(8)]
NEVER_ADDED = str(import_file(b"zkfed: content that no test adds").root)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def ipfs(ipfs_api: str) -> IpfsStore:
    """The test node, with a short search for CIDs it does not hold."""
    return IpfsStore(ipfs_api, timeout=30, find_timeout=1)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that is bound but not listening, so connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_both_backends_give_the_same_cid(ipfs: IpfsStore, tmp_path: Path, size: int) -> None:
    # Prepare
    data = random.Random(size).randbytes(size)
    local = LocalStore(tmp_path)

    # Execute
    node_cid = ipfs.add(data)
    local_cid = local.add(data)

    # Assert
    assert node_cid == local_cid
    assert ipfs.get(local_cid) == data == local.get(node_cid)


@pytest.mark.parametrize("size", RANDOM_SIZES)
def test_random_sizes_give_the_same_cid(ipfs: IpfsStore, tmp_path: Path, size: int) -> None:
    # Prepare
    data = random.Random(-size).randbytes(size)

    # Execute
    node_cid = ipfs.add(data)

    # Assert
    assert node_cid == LocalStore(tmp_path).add(data)
    assert ipfs.get(node_cid) == data


def test_the_node_answers_cids_in_its_own_base_too(ipfs_api: str) -> None:
    # Prepare: the raw client, which gets js-ipfs's base58btc CIDs unless asked for base32.
    client = ipfshttpclient.Client(ipfs_api, timeout=10)
    data = b"zkfed: base check"

    # Execute
    with pytest.warns(FutureWarning, match="strict"):
        answer = client.add_bytes(data, opts={"cid-version": 1, "raw-leaves": "true"})

    # Assert
    assert answer.startswith("z")
    assert IpfsStore(ipfs_api).add(data) == str(import_file(data).root)


def test_connect_refuses_the_node_but_the_store_does_not(ipfs_api: str) -> None:
    # Execute / Assert: ipfshttpclient.connect() only accepts daemons older than 0.8.0.
    with pytest.raises(ipfshttpclient.exceptions.VersionMismatch), pytest.warns(FutureWarning):
        ipfshttpclient.connect(ipfs_api, timeout=10)
    assert IpfsStore(ipfs_api).node_version().startswith("0.")


def test_has_tells_added_from_missing(ipfs: IpfsStore) -> None:
    # Prepare
    cid = ipfs.add(b"zkfed: present")

    # Execute / Assert
    assert ipfs.has(cid)
    assert not ipfs.has(NEVER_ADDED)


def test_a_missing_cid_is_reported_by_both_backends(ipfs: IpfsStore, tmp_path: Path) -> None:
    # Execute
    started = time.monotonic()
    with pytest.raises(ContentNotFoundError, match=f"did not find CID {NEVER_ADDED} within 1 s"):
        ipfs.get(NEVER_ADDED)
    elapsed = time.monotonic() - started
    with pytest.raises(ContentNotFoundError, match=f"No content with CID {NEVER_ADDED}"):
        LocalStore(tmp_path).get(NEVER_ADDED)

    # Assert
    assert elapsed < 5


@pytest.mark.parametrize("operation", ["add", "get", "has", "node_version"])
def test_an_unreachable_node_fails_fast(closed_port: int, operation: str) -> None:
    # Prepare
    store = IpfsStore(f"/ip4/127.0.0.1/tcp/{closed_port}")
    calls = {
        "add": lambda: store.add(b"data"),
        "get": lambda: store.get(NEVER_ADDED),
        "has": lambda: store.has(NEVER_ADDED),
        "node_version": store.node_version,
    }

    # Execute
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError, match=f"No IPFS node answers at .*{closed_port}"):
        calls[operation]()

    # Assert
    assert time.monotonic() - started < 3


def test_a_node_that_never_answers_times_out() -> None:
    # Prepare: a loopback socket that takes connections into its backlog and never replies.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        store = IpfsStore(f"/ip4/127.0.0.1/tcp/{silent.getsockname()[1]}", timeout=0.5)

        # Execute
        started = time.monotonic()
        with pytest.raises(StorageUnavailableError, match="stopped answering while trying to"):
            store.get(NEVER_ADDED)
        elapsed = time.monotonic() - started

    # Assert
    assert elapsed < 3


def test_a_malformed_api_address_is_a_configuration_error() -> None:
    # Execute / Assert
    with pytest.raises(ConfigurationError, match="not an IPFS API address"):
        IpfsStore("/ip4/not-an-ip/tcp/5001")
