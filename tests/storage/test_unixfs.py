"""The UnixFS importer: block layout, node encoding, and reading a file back."""

from __future__ import annotations

import subprocess

import pytest

from zkfed.cid import Codec, encode_varint, sha256_cid
from zkfed.exceptions import CorruptContentError
from zkfed.unixfs import Layout, import_file, node_links, read_file

CHUNK = Layout.CHUNK_SIZE

# CIDs that js-ipfs 0.66.1 printed for `add(cidVersion: 1, rawLeaves: true)` of
# `pattern(size)`; test_ipfs_store.py checks these sizes and more against a live node.
RECORDED = {
    0: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    1: "bafkreidogqfzz75tpkmjzjke425xqcrmpcib2p5tg44hnbirumdbpl5adu",
    CHUNK: "bafkreibdci4uxwmvixm54ey4etx3paphmwwbv3beh4xnsndvs6tzhjav5e",
    CHUNK + 1: "bafybeibp4affrl5svfd2wwp3l2srpu76awzmvyc37zmrtap5iqydfxffuy",
    300_000: "bafybeiaibkutez6or7cjmgoej6f3q5ktukrarcpegwg6hymd7cgdz2o5wu",
    175 * CHUNK: "bafybeigdblb2whhz3pivianyb6ruzkrtmypoutvnely5tj5nk3nv6ailam",
}


MIB = 1 << 20

# Kubo's own deterministic vectors (its test/cli add and CID-profile tests): the bytes are the
# ChaCha20 keystream under key sha256(seed) with a zero nonce, added with the import settings
# named. They pin the balanced layout (174 or 1024 links, one level and two) to Kubo itself.
KUBO_VECTORS = {
    "test-cid-v1, 174 x 1 MiB": (
        "v1-seed",
        174 * MIB,
        MIB,
        174,
        "bafybeigwduxcf2aawppv3isnfeshnimkyplvw3hthxjhr2bdeje4tdaicu",
    ),
    "test-cid-v1, 175 x 1 MiB": (
        "v1-seed",
        175 * MIB,
        MIB,
        174,
        "bafybeidhd7lo2n2v7lta5yamob3xwhbxcczmmtmhquwhjesi35jntf7mpu",
    ),
}
KUBO_WIDE_VECTORS = {
    "unixfs-v1-2025, 1024 x 1 MiB": (
        "v1-2025-seed",
        1024 * MIB,
        MIB,
        1024,
        "bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm",
    ),
    "unixfs-v1-2025, 1025 x 1 MiB": (
        "v1-2025-seed",
        1025 * MIB,
        MIB,
        1024,
        "bafybeihmzokxxjqwxjcryerhp5ezpcog2wcawfryb2xm64xiakgm4a5jue",
    ),
}
_KEYSTREAM_JS = """
const crypto = require("crypto");
const [seed, size] = [process.argv[1], Number(process.argv[2])];
const key = crypto.createHash("sha256").update(seed).digest();
const cipher = crypto.createCipheriv("chacha20", key, Buffer.alloc(16));  // counter 0, nonce 0
const step = 1 << 20;
for (let done = 0; done < size; done += step) {
  process.stdout.write(cipher.update(Buffer.alloc(Math.min(step, size - done))));
}
"""


def kubo_deterministic_bytes(seed: str, size: int) -> bytes:
    """Kubo's `DeterministicRandomReader(size, seed)`, computed by Node's OpenSSL ChaCha20."""
    command = ["node", "-e", _KEYSTREAM_JS, seed, str(size)]
    return subprocess.run(command, capture_output=True, check=True, timeout=120).stdout


def pattern(size: int) -> bytes:
    """Bytes 0, 1, …, 255 repeated, then zeros: cheap, and different in every chunk position."""
    return bytes(range(256)) * (size // 256) + bytes(size % 256)


@pytest.mark.parametrize(("size", "expected"), RECORDED.items(), ids=[str(s) for s in RECORDED])
def test_cid_matches_the_one_js_ipfs_printed(size: int, expected: str) -> None:
    # Execute
    dag = import_file(pattern(size))

    # Assert
    assert str(dag.root) == expected


@pytest.mark.parametrize(
    ("seed", "size", "chunk_size", "max_links", "expected"),
    KUBO_VECTORS.values(),
    ids=KUBO_VECTORS.keys(),
)
def test_cid_matches_kubo(
    seed: str, size: int, chunk_size: int, max_links: int, expected: str
) -> None:
    # Prepare
    data = kubo_deterministic_bytes(seed, size)

    # Execute
    dag = import_file(data, chunk_size=chunk_size, max_links=max_links)

    # Assert
    assert str(dag.root) == expected


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "size", "chunk_size", "max_links", "expected"),
    KUBO_WIDE_VECTORS.values(),
    ids=KUBO_WIDE_VECTORS.keys(),
)
def test_cid_matches_kubo_wide(
    seed: str, size: int, chunk_size: int, max_links: int, expected: str
) -> None:
    # Prepare: a GiB of data, hence slow.
    data = kubo_deterministic_bytes(seed, size)

    # Execute
    dag = import_file(data, chunk_size=chunk_size, max_links=max_links)

    # Assert
    assert str(dag.root) == expected


@pytest.mark.parametrize("size", [0, 1, CHUNK])
def test_one_chunk_is_a_single_raw_block(size: int) -> None:
    # Prepare
    data = pattern(size)

    # Execute
    dag = import_file(data)

    # Assert
    assert dag.blocks == [(sha256_cid(Codec.RAW, data), data)]
    assert str(dag.root).startswith("bafk")


def test_two_chunks_make_a_dag_pb_root_in_canonical_encoding() -> None:
    # Prepare
    data = pattern(CHUNK + 1)
    first, second = sha256_cid(Codec.RAW, data[:CHUNK]), sha256_cid(Codec.RAW, data[CHUNK:])
    link_1 = b"\x0a\x24" + first.to_bytes() + b"\x12\x00\x18" + encode_varint(CHUNK)
    link_2 = b"\x0a\x24" + second.to_bytes() + b"\x12\x00\x18\x01"
    unixfs = (
        b"\x08\x02\x18" + encode_varint(CHUNK + 1) + b"\x20" + encode_varint(CHUNK) + b"\x20\x01"
    )
    expected_root = (
        b"\x12\x2c" + link_1 + b"\x12\x2a" + link_2 + b"\x0a" + bytes([len(unixfs)]) + unixfs
    )

    # Execute
    dag = import_file(data)

    # Assert
    assert [cid for cid, _ in dag.blocks] == [first, second, dag.root]
    assert dag.blocks[-1][1] == expected_root
    assert dag.root == sha256_cid(Codec.DAG_PB, expected_root)


def test_174_chunks_fit_one_node() -> None:
    # Prepare
    data = bytes(174 * CHUNK)

    # Execute
    dag = import_file(data)

    # Assert
    root_block = dag.blocks[-1][1]
    assert len(dag.blocks) == 175
    assert len(node_links(dag.root, root_block)) == 174


def test_175_chunks_make_a_two_level_tree() -> None:
    # Prepare
    data = bytes(175 * CHUNK)

    # Execute
    dag = import_file(data)

    # Assert: the root links a full node of 174 leaves and a node holding the last leaf.
    blocks = dict(dag.blocks)
    children = node_links(dag.root, blocks[dag.root])
    assert len(dag.blocks) == 175 + 2 + 1
    assert [len(node_links(child, blocks[child])) for child in children] == [174, 1]
    assert all(child.codec == Codec.DAG_PB for child in children)


@pytest.mark.parametrize("size", [0, 7, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_read_file_reassembles_the_content(size: int) -> None:
    # Prepare
    data = pattern(size)
    dag = import_file(data)
    blocks = dict(dag.blocks)

    # Execute
    content = read_file(dag.root, blocks.__getitem__)

    # Assert
    assert content == data


def test_read_file_rejects_a_node_whose_sizes_do_not_add_up() -> None:
    # Prepare: a root that claims one byte more than its leaves hold.
    dag = import_file(pattern(CHUNK + 1))
    blocks = dict(dag.blocks)
    tampered = blocks[dag.root].replace(b"\x20\x01", b"\x20\x02")
    tampered_cid = sha256_cid(Codec.DAG_PB, tampered)
    blocks[tampered_cid] = tampered

    # Execute / Assert
    with pytest.raises(CorruptContentError, match="says 2"):
        read_file(tampered_cid, blocks.__getitem__)


def test_read_file_rejects_a_block_that_is_not_unixfs() -> None:
    # Prepare
    junk = b"\xff\xff\xff"
    cid = sha256_cid(Codec.DAG_PB, junk)

    # Execute / Assert
    with pytest.raises(CorruptContentError, match="not a UnixFS file node"):
        read_file(cid, {cid: junk}.__getitem__)
