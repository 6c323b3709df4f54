"""Files as IPFS stores them: fixed-size raw leaves under a balanced UnixFS (dag-pb) tree.

The layout is exactly what ``ipfs add --cid-version 1 --raw-leaves`` builds in Kubo (and js-ipfs
with ``cidVersion: 1, rawLeaves: true``), so the embedded store and a real node agree on every CID:

* the file is cut into chunks of 256 KiB (``size-262144``), the last one shorter; an empty file is
  one empty chunk;
* each chunk is a raw block (codec ``0x55``); a file of one chunk *is* that block (``bafk…``);
* otherwise chunks are grouped 174 at a time under dag-pb nodes, those nodes again 174 at a time,
  and so on until one root remains (the balanced layout, filled left to right);
* a node is a ``PBNode`` whose links (``Hash``, ``Name = ""``, ``Tsize`` = the bytes of the whole
  sub-DAG) come before its ``Data``: a UnixFS ``Data`` message with ``Type = File``, ``filesize``
  and one ``blocksizes`` entry (the file bytes under that link) per link.

Protobuf is written by hand: two messages with a handful of fields do not justify a dependency.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from zkfed.cid import Cid, Codec, decode_varint, encode_varint, sha256_cid
from zkfed.exceptions import CorruptContentError

__all__ = ["FileDag", "Layout", "UnixFsType", "import_file", "node_links", "read_file"]


class Layout:
    """The importer parameters that fix a file's CID (Kubo's and js-ipfs's defaults)."""

    CHUNK_SIZE = 262_144
    """Bytes per leaf, the ``size-262144`` chunker."""
    MAX_LINKS = 174
    """Links per dag-pb node of the balanced layout."""


class UnixFsType:
    """Values of the UnixFS ``Data.Type`` enum that can hold file content."""

    RAW = 0
    FILE = 2


class _Wire:
    VARINT = 0
    FIXED64 = 1
    LENGTH_DELIMITED = 2
    FIXED32 = 5


@dataclass(frozen=True)
class FileDag:
    """The blocks of one imported file.

    Attributes
    ----------
    root : Cid
        The file's CID.
    blocks : list of (Cid, bytes)
        Every block, leaves before the nodes that link to them, the root last.
    """

    root: Cid
    blocks: list[tuple[Cid, bytes]] = field(repr=False)


@dataclass(frozen=True)
class _Child:
    cid: Cid
    tsize: int  # bytes of every block in the sub-DAG, as dag-pb's Tsize counts them
    filesize: int  # file bytes under the sub-DAG


def _key(number: int, wire: int) -> bytes:
    return encode_varint(number << 3 | wire)


def _varint_field(number: int, value: int) -> bytes:
    return _key(number, _Wire.VARINT) + encode_varint(value)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _key(number, _Wire.LENGTH_DELIMITED) + encode_varint(len(payload)) + payload


def _link(child: _Child) -> bytes:
    # PBLink fields in number order: Hash, Name (empty but present), Tsize.
    link = _bytes_field(1, child.cid.to_bytes()) + _bytes_field(2, b"")
    return _bytes_field(2, link + _varint_field(3, child.tsize))


def _file_node(children: list[_Child]) -> bytes:
    filesize = sum(child.filesize for child in children)
    unixfs = _varint_field(1, UnixFsType.FILE) + _varint_field(3, filesize)
    unixfs += b"".join(_varint_field(4, child.filesize) for child in children)
    # Canonical dag-pb puts the Links (field 2) before the Data (field 1).
    return b"".join(_link(child) for child in children) + _bytes_field(1, unixfs)


def import_file(
    data: bytes, *, chunk_size: int = Layout.CHUNK_SIZE, max_links: int = Layout.MAX_LINKS
) -> FileDag:
    """Cut ``data`` into the blocks IPFS would store for it and compute its CID.

    Parameters
    ----------
    data : bytes
        The file content (may be empty).
    chunk_size : int, optional
        Bytes per leaf; zkfed always uses the default, ``Layout.CHUNK_SIZE``.
    max_links : int, optional
        Links per node; zkfed always uses the default, ``Layout.MAX_LINKS``. Other values
        reproduce Kubo's import profiles (e.g. ``unixfs-v1-2025``: 1 MiB chunks, 1024 links).

    Returns
    -------
    FileDag
        The root CID and every block.
    """
    if chunk_size < 1 or max_links < 2:
        raise ValueError("chunk_size must be positive and max_links at least 2")
    blocks: list[tuple[Cid, bytes]] = []
    level: list[_Child] = []
    for start in range(0, max(len(data), 1), chunk_size):
        chunk = data[start : start + chunk_size]
        cid = sha256_cid(Codec.RAW, chunk)
        blocks.append((cid, chunk))
        level.append(_Child(cid, len(chunk), len(chunk)))
    if len(level) == 1:
        return FileDag(level[0].cid, blocks)
    while True:
        parents: list[_Child] = []
        for start in range(0, len(level), max_links):
            children = level[start : start + max_links]
            node = _file_node(children)
            cid = sha256_cid(Codec.DAG_PB, node)
            blocks.append((cid, node))
            parents.append(
                _Child(
                    cid,
                    len(node) + sum(child.tsize for child in children),
                    sum(child.filesize for child in children),
                )
            )
        if len(parents) == 1:
            return FileDag(parents[0].cid, blocks)
        level = parents


def _fields(message: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield ``(field number, wire type, value)`` of a protobuf message; raise ValueError if bad."""
    offset = 0
    while offset < len(message):
        key, offset = decode_varint(message, offset)
        number, wire = key >> 3, key & 0x7
        value: int | bytes
        if wire == _Wire.VARINT:
            value, offset = decode_varint(message, offset)
        elif wire == _Wire.LENGTH_DELIMITED:
            length, offset = decode_varint(message, offset)
            if offset + length > len(message):
                raise ValueError("truncated field")
            value, offset = message[offset : offset + length], offset + length
        elif wire in (_Wire.FIXED64, _Wire.FIXED32):
            width = 8 if wire == _Wire.FIXED64 else 4
            if offset + width > len(message):
                raise ValueError("truncated field")
            value = int.from_bytes(message[offset : offset + width], "little")
            offset += width
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if number == 0:
            raise ValueError("field number 0")
        yield number, wire, value


@dataclass(frozen=True)
class _FileNode:
    links: list[Cid]
    inline: bytes
    filesize: int | None
    blocksizes: list[int]


def _decode_node(block: bytes) -> _FileNode:
    links: list[Cid] = []
    unixfs: bytes | None = None
    for number, _, value in _fields(block):
        if number == 2 and isinstance(value, bytes):
            hashes = [v for n, _, v in _fields(value) if n == 1 and isinstance(v, bytes)]
            if len(hashes) != 1:
                raise ValueError("a link without exactly one Hash")
            links.append(_cid_from_bytes(hashes[0]))
        elif number == 1 and isinstance(value, bytes):
            unixfs = value
    if unixfs is None:
        raise ValueError("a dag-pb node without UnixFS data")
    kind: int | None = None
    inline = b""
    filesize: int | None = None
    blocksizes: list[int] = []
    for number, wire, value in _fields(unixfs):
        if number == 1 and isinstance(value, int):
            kind = value
        elif number == 2 and isinstance(value, bytes):
            inline = value
        elif number == 3 and isinstance(value, int):
            filesize = value
        elif number == 4 and isinstance(value, int):
            blocksizes.append(value)
        elif number == 4 and wire == _Wire.LENGTH_DELIMITED and isinstance(value, bytes):
            offset = 0  # some encoders pack repeated varints
            while offset < len(value):
                size, offset = decode_varint(value, offset)
                blocksizes.append(size)
    if kind not in (UnixFsType.FILE, UnixFsType.RAW):
        raise ValueError(f"UnixFS type {kind} is not a file")
    return _FileNode(links, inline, filesize, blocksizes)


def _cid_from_bytes(raw: bytes) -> Cid:
    if raw[:2] == b"\x12\x20":  # a CIDv0 link: a bare sha2-256 multihash of a dag-pb block
        return Cid(Codec.DAG_PB, raw[2:])
    version, offset = decode_varint(raw)
    codec, offset = decode_varint(raw, offset)
    if version != 1 or raw[offset : offset + 2] != b"\x12\x20":
        raise ValueError("a link that is not a sha2-256 CID")
    return Cid(codec, raw[offset + 2 :])


def node_links(cid: Cid, block: bytes) -> list[Cid]:
    """List the children of a UnixFS file node.

    Parameters
    ----------
    cid : Cid
        The node's CID (for the error message).
    block : bytes
        The node's bytes, a dag-pb ``PBNode``.

    Returns
    -------
    list of Cid
        The linked blocks, in file order.

    Raises
    ------
    CorruptContentError
        If the block is not a UnixFS file node.
    """
    return _decode_checked(cid, block).links


def _decode_checked(cid: Cid, block: bytes) -> _FileNode:
    try:
        return _decode_node(block)
    except ValueError as error:
        raise CorruptContentError(f"Block {cid} is not a UnixFS file node ({error}).") from None


def read_file(root: Cid, fetch: Callable[[Cid], bytes]) -> bytes:
    """Reassemble a file from its blocks.

    Parameters
    ----------
    root : Cid
        The file's CID.
    fetch : callable
        Returns the bytes of a block, already checked against its CID.

    Returns
    -------
    bytes
        The file content.

    Raises
    ------
    CorruptContentError
        If a dag-pb node is malformed, is not a UnixFS file, or its sizes do not add up.
    """
    parts: list[bytes] = []

    def visit(cid: Cid) -> int:
        block = fetch(cid)
        if cid.codec == Codec.RAW:
            parts.append(block)
            return len(block)
        node = _decode_checked(cid, block)
        if node.links and len(node.blocksizes) != len(node.links):
            raise CorruptContentError(
                f"Block {cid} has {len(node.links)} links but {len(node.blocksizes)} block sizes."
            )
        parts.append(node.inline)
        total = len(node.inline)
        for child, expected in zip(node.links, node.blocksizes, strict=False):
            size = visit(child)
            if size != expected:
                raise CorruptContentError(
                    f"Block {child} holds {size} bytes where its parent {cid} says {expected}."
                )
            total += size
        if node.filesize is not None and node.filesize != total:
            raise CorruptContentError(f"Block {cid} says {node.filesize} bytes but holds {total}.")
        return total

    visit(root)
    return b"".join(parts)
