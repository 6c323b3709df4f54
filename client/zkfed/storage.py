"""Content-addressed storage of global models: an embedded store and a real IPFS node.

Both backends give the same bytes the same CID, the one ``ipfs add --cid-version 1 --raw-leaves``
prints (see :mod:`zkfed.unixfs`), so a CID recorded on chain names the model wherever it is kept:

* :class:`LocalStore`, the default, needs no set-up: blocks are files named by their CID under one
  directory (``.zkfed/store``), and every read checks every block against its hash;
* :class:`IpfsStore` talks to an IPFS node (Kubo, or anything serving the Kubo RPC API) with
  ipfshttpclient; it checks that the node computed the CID zkfed computes, and that what the node
  returns hashes to the CID asked for.

:func:`open_store` picks the backend from one string, as a ``--storage`` option would give it.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlsplit

from zkfed.cid import Cid, Codec, parse_cid
from zkfed.exceptions import (
    ConfigurationError,
    ContentNotFoundError,
    CorruptContentError,
    StorageError,
    StorageUnavailableError,
)
from zkfed.unixfs import Layout, import_file, node_links, read_file

__all__ = [
    "DEFAULT_IPFS_API",
    "DEFAULT_STORE_DIR",
    "ContentStore",
    "IpfsStore",
    "LocalStore",
    "open_store",
    "sha256_hex",
]

DEFAULT_STORE_DIR = ".zkfed/store"
"""Where :class:`LocalStore` keeps its blocks unless told otherwise (relative to the cwd)."""

DEFAULT_IPFS_API = "/ip4/127.0.0.1/tcp/5001"
"""The RPC API address a Kubo daemon listens on by default."""

_T = TypeVar("_T")
_MULTIADDR_PREFIXES = ("/ip4/", "/ip6/", "/dns/", "/dns4/", "/dns6/")
# How Kubo and js-ipfs say that a block is not there (offline) or was not found in time.
_NOT_FOUND_WORDS = ("not found", "could not find", "timed out", "deadline exceeded")


def sha256_hex(data: bytes) -> str:
    """The sha2-256 digest of ``data`` as 64 lower-case hex digits, the hash recorded on chain.

    Parameters
    ----------
    data : bytes
        The content.

    Returns
    -------
    str
        The hex digest, without a ``0x`` prefix.
    """
    return hashlib.sha256(data).hexdigest()


@runtime_checkable
class ContentStore(Protocol):
    """What zkfed needs from a storage backend: put bytes, get them back by CID."""

    def add(self, data: bytes) -> str:
        """Store ``data`` and return its CIDv1 (base32)."""
        ...

    def get(self, cid: str) -> bytes:
        """Return the content named by ``cid``, checked against it."""
        ...

    def has(self, cid: str) -> bool:
        """Tell whether the content named by ``cid`` can be read from this store."""
        ...


class LocalStore:
    """The embedded store: IPFS blocks as files in one directory, named by CID.

    Blocks live at ``<path>/blocks/<shard>/<cid>``, the shard being the two characters before
    the last one of the CID (the ``next-to-last/2`` sharding of Kubo's flatfs), so no directory
    grows huge. Writes are atomic (a temporary file renamed into place), so a crash never leaves
    a partial block under a CID.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The store's directory, created on the first write. Defaults to ``.zkfed/store``.
    """

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_STORE_DIR) -> None:
        self._path = Path(path)

    @property
    def path(self) -> Path:
        """The store's directory."""
        return self._path

    def __repr__(self) -> str:
        return f"LocalStore({str(self._path)!r})"

    def add(self, data: bytes) -> str:
        """Store ``data`` and return its CID, the one an IPFS node would give it.

        Parameters
        ----------
        data : bytes
            The content.

        Returns
        -------
        str
            The CIDv1 in base32 (``bafk…`` for up to 256 KiB, ``bafy…`` above).

        Raises
        ------
        StorageError
            If the store's directory cannot be written.
        """
        dag = import_file(bytes(data))
        for cid, block in dag.blocks:
            self._write_block(cid, block)
        return str(dag.root)

    def get(self, cid: str) -> bytes:
        """Read the content named by ``cid``, checking every block against its hash.

        Parameters
        ----------
        cid : str
            A CID as :meth:`add` returned it (CIDv0 and base58 spellings are accepted too).

        Returns
        -------
        bytes
            The content.

        Raises
        ------
        InvalidCidError
            If ``cid`` is not a CID.
        ContentNotFoundError
            If a block of the content is not in the store.
        CorruptContentError
            If a block does not hash to its CID or the blocks do not form a file.
        """
        root = parse_cid(cid)
        return read_file(root, lambda block_cid: self._read_block(block_cid, root))

    def has(self, cid: str) -> bool:
        """Tell whether every block of the content named by ``cid`` is in the store.

        Leaves are only looked up; the nodes that link them are read and checked.

        Parameters
        ----------
        cid : str
            The CID.

        Returns
        -------
        bool
            True if :meth:`get` finds every block.

        Raises
        ------
        InvalidCidError
            If ``cid`` is not a CID.
        CorruptContentError
            If a linking node is damaged, so its links cannot be followed.
        """
        root = parse_cid(cid)
        pending = [root]
        while pending:
            current = pending.pop()
            if current.codec == Codec.RAW:
                if not self._block_path(current).is_file():
                    return False
                continue
            try:
                block = self._read_block(current, root)
            except ContentNotFoundError:
                return False
            pending.extend(node_links(current, block))
        return True

    def _block_path(self, cid: Cid) -> Path:
        name = str(cid)
        return self._path / "blocks" / name[-3:-1] / name

    def _read_block(self, cid: Cid, root: Cid) -> bytes:
        path = self._block_path(cid)
        try:
            block = path.read_bytes()
        except FileNotFoundError:
            if cid == root:
                message = f"No content with CID {cid} is in the store at {self._path}."
            else:
                message = (
                    f"Content {root} is incomplete in the store at {self._path}: "
                    f"block {cid} is missing."
                )
            raise ContentNotFoundError(message) from None
        except OSError as error:
            raise StorageError(f"Cannot read {path}: {error.strerror or error}.") from None
        if not cid.matches(block):
            raise CorruptContentError(
                f"Block {cid} in the store at {self._path} is corrupt: its bytes do not hash to "
                "its CID (add the content again to repair it)."
            )
        return block

    def _write_block(self, cid: Cid, block: bytes) -> None:
        path = self._block_path(cid)
        try:
            if path.is_file() and cid.matches(path.read_bytes()):
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(block)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise StorageError(
                f"Cannot write to the store at {self._path}: {error.strerror or error}."
            ) from None


class IpfsStore:
    """A real IPFS node reached over the Kubo RPC API (Kubo itself, or js-ipfs).

    The client is ipfshttpclient, constructed directly: its ``connect()`` refuses every daemon
    newer than 0.8 (current Kubo is 0.3x), a check that is about the client's test matrix, not
    about the few RPC calls used here (``add``, ``cat``, ``block/stat``, ``version``), which
    current Kubo serves in the same form. Nothing is sent until the first call.

    Parameters
    ----------
    api_addr : str, optional
        The node's RPC API as a multiaddr, e.g. ``/ip4/127.0.0.1/tcp/5001`` (the default) or
        ``/dns/ipfs.example/tcp/443/https``.
    timeout : float, optional
        Seconds the node is given to read a file (it is asked to give up then, so it never
        keeps working for a caller who has left); the client also stops waiting when the
        node sends nothing for this long plus a grace of up to 5 s. Default 60.
    find_timeout : float, optional
        Seconds the node may search for a CID it does not hold before :meth:`get` reports it
        missing and :meth:`has` says False. Default 10.
    offline : bool, optional
        Ask the node not to consult the network: Kubo then reports a CID it does not hold at
        once. Leave False where content is fetched from other peers.
    verify : bool, optional
        Check that :meth:`get` returns bytes that hash to the CID asked for, by rebuilding their
        DAG (default). This assumes the content was added with zkfed's layout; turn it off to
        read content that other tools added with other settings.
    """

    def __init__(
        self,
        api_addr: str = DEFAULT_IPFS_API,
        *,
        timeout: float = 60.0,
        find_timeout: float = 10.0,
        offline: bool = False,
        verify: bool = True,
    ) -> None:
        if timeout <= 0 or find_timeout <= 0:
            raise ConfigurationError("IPFS timeouts must be positive numbers of seconds.")
        import ipfshttpclient  # type: ignore[import-untyped]  # deferred: 0.2 s to import

        self._api_addr = api_addr
        self._timeout = timeout
        self._find_timeout = find_timeout
        self._verify = verify
        self._errors: Any = ipfshttpclient.exceptions
        try:
            # Connecting is quick or hopeless; reading may stream a large model. The grace lets
            # the node's own deadline (see _deadline) answer first, with its reason.
            self._client: Any = ipfshttpclient.Client(
                api_addr,
                offline=offline,
                timeout=(min(timeout, 10.0), timeout + min(timeout, 5.0)),
            )
        except ipfshttpclient.exceptions.AddressError:
            raise ConfigurationError(
                f"{api_addr!r} is not an IPFS API address (a multiaddr like {DEFAULT_IPFS_API})."
            ) from None

    @property
    def api_addr(self) -> str:
        """The node's RPC API address."""
        return self._api_addr

    def __repr__(self) -> str:
        return f"IpfsStore({self._api_addr!r})"

    def add(self, data: bytes) -> str:
        """Add ``data`` to the node (pinned) and return its CID.

        Parameters
        ----------
        data : bytes
            The content.

        Returns
        -------
        str
            The CIDv1 in base32, the same :class:`LocalStore` gives the same bytes.

        Raises
        ------
        StorageUnavailableError
            If the node cannot be reached or does not answer in time.
        StorageError
            If the node refuses the content or builds a DAG with other settings than zkfed's.
        """
        expected = import_file(bytes(data)).root
        options = {"hash": "sha2-256", "cid-base": "base32"}
        answer = self._call(
            "add the content",
            lambda: self._client.add(
                io.BytesIO(data),
                cid_version=1,
                raw_leaves=True,
                chunker=f"size-{Layout.CHUNK_SIZE}",
                pin=True,
                opts=options,
            ),
        )
        try:
            answered = parse_cid(str(answer["Hash"]))
        except (KeyError, TypeError, ValueError):
            raise StorageError(
                f"The IPFS node at {self._api_addr} answered add without a CID."
            ) from None
        if answered != expected:
            raise StorageError(
                f"The IPFS node at {self._api_addr} stored the content as {answered} where zkfed "
                f"computes {expected}: its import settings (max links per node) differ from "
                "Kubo's defaults."
            )
        return str(expected)

    def get(self, cid: str) -> bytes:
        """Read the content named by ``cid`` from the node.

        Parameters
        ----------
        cid : str
            The CID.

        Returns
        -------
        bytes
            The content.

        Raises
        ------
        InvalidCidError
            If ``cid`` is not a CID.
        ContentNotFoundError
            If the node does not find the content within ``find_timeout``.
        CorruptContentError
            If ``verify`` is on and the bytes do not hash to ``cid``.
        StorageUnavailableError
            If the node cannot be reached or does not answer in time.
        """
        root = parse_cid(cid)
        if not self.has(str(root)):
            raise ContentNotFoundError(
                f"The IPFS node at {self._api_addr} did not find CID {root} "
                f"within {self._find_timeout:g} s."
            )
        data: bytes = self._call(
            f"read {root}",
            lambda: self._client.cat(str(root), opts=self._deadline(self._timeout)),
            missing=root,
            deadline=self._timeout,
        )
        if self._verify and import_file(data).root != root:
            raise CorruptContentError(
                f"The IPFS node at {self._api_addr} returned bytes for {root} that do not hash "
                "to it (content added with other settings needs verify=False)."
            )
        return data

    def has(self, cid: str) -> bool:
        """Tell whether the node finds the root block of ``cid`` within ``find_timeout``.

        Parameters
        ----------
        cid : str
            The CID.

        Returns
        -------
        bool
            True if the node holds or found the block.

        Raises
        ------
        InvalidCidError
            If ``cid`` is not a CID.
        StorageUnavailableError
            If the node cannot be reached or does not answer in time.
        """
        root = parse_cid(cid)
        try:
            self._call(
                f"look up {root}",
                lambda: self._client.block.stat(str(root), opts=self._deadline(self._find_timeout)),
                missing=root,
                deadline=self._find_timeout,
            )
        except ContentNotFoundError:
            return False
        return True

    def node_version(self) -> str:
        """Ask the node for its version, e.g. to check that it is up.

        Returns
        -------
        str
            The version the node reports (``0.3x.y`` for Kubo).

        Raises
        ------
        StorageUnavailableError
            If the node cannot be reached or does not answer in time.
        """
        answer = self._call("ask its version", lambda: self._client.version())
        return str(answer["Version"])

    @staticmethod
    def _deadline(seconds: float) -> dict[str, str]:
        # Kubo and js-ipfs both take a per-request `timeout` (a Go-style duration) and answer
        # with an error when it passes, which is how a CID no peer has becomes "not found".
        return {"timeout": f"{max(1, round(seconds * 1000))}ms"}

    def _call(
        self,
        action: str,
        request: Callable[[], _T],
        *,
        missing: Cid | None = None,
        deadline: float | None = None,
    ) -> _T:
        """Run one RPC request; turn the client's exceptions into one-sentence zkfed errors.

        ``missing`` is the CID the request looks for and ``deadline`` the seconds the node was
        given to find it: a not-found or timed-out answer then means that CID is missing.
        """
        errors = self._errors
        try:
            with _quiet_client():
                return request()
        except errors.ConnectionError:
            raise StorageUnavailableError(
                f"No IPFS node answers at {self._api_addr}: start one (ipfs daemon) or choose "
                "another storage."
            ) from None
        except errors.TimeoutError:
            raise StorageUnavailableError(
                f"The IPFS node at {self._api_addr} stopped answering while trying to {action}."
            ) from None
        except errors.ErrorResponse as error:
            message = str(error).rstrip(".")
            if missing is not None and any(word in message.lower() for word in _NOT_FOUND_WORDS):
                within = f" within {deadline:g} s" if deadline is not None else ""
                raise ContentNotFoundError(
                    f"The IPFS node at {self._api_addr} did not find CID {missing}{within} "
                    f"({message})."
                ) from None
            raise StorageError(
                f"The IPFS node at {self._api_addr} could not {action}: {message}."
            ) from None
        except errors.Error as error:
            raise StorageError(
                f"The IPFS node at {self._api_addr} could not {action}: {error}."
            ) from None


@contextmanager
def _quiet_client() -> Iterator[None]:
    # ipfshttpclient 0.7 passes urllib3 a `strict` argument that urllib3 2.x warns about on
    # every new connection; the warning is about the client's code, not the user's.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*'strict' parameter", category=FutureWarning)
        yield


def _url_to_multiaddr(url: str) -> str:
    parts = urlsplit(url)
    if not parts.hostname:
        raise ConfigurationError(f"The IPFS API URL {url!r} names no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ConfigurationError(f"{url!r} has an invalid port.") from None
    try:
        family = "ip6" if ipaddress.ip_address(parts.hostname).version == 6 else "ip4"
    except ValueError:
        family = "dns"
    return f"/{family}/{parts.hostname}/tcp/{port}/{parts.scheme}"


def open_store(location: str | os.PathLike[str] | None = None) -> ContentStore:
    """Open the store a ``--storage`` option names.

    Parameters
    ----------
    location : str or os.PathLike, optional
        One of:

        * nothing or ``""``: the embedded store in ``.zkfed/store``;
        * ``ipfs``: the IPFS node at :data:`DEFAULT_IPFS_API`;
        * a multiaddr (``/ip4/127.0.0.1/tcp/5001``) or an ``http(s)://host:port`` URL of an IPFS
          node's RPC API;
        * a directory (``file://`` prefix optional): an embedded store there.

    Returns
    -------
    ContentStore
        A :class:`LocalStore` or an :class:`IpfsStore`.

    Raises
    ------
    ConfigurationError
        If an IPFS address is malformed.
    """
    if location is None:
        return LocalStore()
    text = os.fspath(location)
    if not text:
        return LocalStore()
    if text == "ipfs":
        return IpfsStore()
    if text.startswith(_MULTIADDR_PREFIXES):
        return IpfsStore(text)
    if text.startswith(("http://", "https://")):
        return IpfsStore(_url_to_multiaddr(text))
    return LocalStore(text.removeprefix("file://"))
