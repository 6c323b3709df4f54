"""A member's BabyJubJub secret keys, encrypted at rest: its keyring.

Masking keys are one-time: each SecAgg task takes one unused registered key of every member
(`IKeyRegistry`), so a member holds several secret keys, registers some ahead of the tasks that
will take them, and deletes each one's secret once its task has ended (:func:`forget_key`), so
that a later leak of the file exposes no finished task. The keyring is a JSON document::

    {"version": 2, "kind": "zkfed-babyjubjub-keyring", "keys": [<entry>, ...]}

and each entry, one encrypted secret key, is the version-1 document below. A file holding a
version-1 document alone (what earlier clients and :func:`save_keystore` write) is read as a
keyring of one key; :func:`add_key` and :func:`forget_key` rewrite it as a keyring. An entry::

    {
      "version": 1,
      "kind": "zkfed-babyjubjub-secret-key",
      "public_key": ["<x>", "<y>"],
      "kdf": {"name": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "<hex>"},
      "cipher": {"name": "aes-256-gcm", "nonce": "<hex>", "tag": "<hex>"},
      "ciphertext": "<hex>"
    }

The 32-byte key of AES-256-GCM is ``scrypt(password, salt, n, r, p)``; the plaintext is the
secret key as 32 big-endian bytes. Every field but the ciphertext and tag is authenticated as
associated data, so a changed public key or weakened KDF parameters make decryption fail just
like a wrong password. The public keys can be read without the password. Every key of a
keyring is encrypted under the same password (:func:`add_key` checks it against the first).

AES-GCM comes from pycryptodome (installed with eth-ape through eth-keyfile).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from Crypto.Cipher import AES

from zkfed.babyjubjub import Point, check_public_key, generate_secret_key, public_key
from zkfed.exceptions import CryptoError, KeystoreError

__all__ = [
    "DEFAULT_SCRYPT_N",
    "KEYRING_KIND",
    "KEYRING_VERSION",
    "KEYSTORE_KIND",
    "KEYSTORE_VERSION",
    "add_key",
    "create_keystore",
    "decrypt_secret_key",
    "encrypt_secret_key",
    "forget_key",
    "load_public_key",
    "load_public_keys",
    "load_secret_key",
    "read_public_key",
    "save_keystore",
]

KEYSTORE_VERSION: int = 1
"""Format version of one encrypted key (a keyring entry, or a file of one key)."""

KEYSTORE_KIND: str = "zkfed-babyjubjub-secret-key"
"""What the document holds; guards against decrypting another tool's JSON."""

KEYRING_VERSION: int = 2
"""Format version of a keyring document."""

KEYRING_KIND: str = "zkfed-babyjubjub-keyring"
"""What a keyring document holds."""

DEFAULT_SCRYPT_N: int = 1 << 17
"""scrypt cost: 2^17 with r = 8 takes 128 MiB and about half a second."""

_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_N_RANGE = (1 << 10, 1 << 18)
_SALT_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_BYTES = 32


def _derive_key(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    if not isinstance(password, str) or not password:
        raise KeystoreError("A keystore password must be a non-empty string.")
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=_KEY_BYTES,
        maxmem=128 * r * (n + p + 2) + (1 << 20),
    )


def _associated_data(document: Mapping[str, Any]) -> bytes:
    header = {
        "version": document["version"],
        "kind": document["kind"],
        "public_key": document["public_key"],
        "kdf": document["kdf"],
        "cipher": {"name": document["cipher"]["name"], "nonce": document["cipher"]["nonce"]},
    }
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def encrypt_secret_key(
    sk: int, password: str, *, scrypt_n: int = DEFAULT_SCRYPT_N
) -> dict[str, Any]:
    """Encrypt a secret key into a keystore document.

    Parameters
    ----------
    sk : int
        The secret key, in ``[1, l)``.
    password : str
        A non-empty password.
    scrypt_n : int, optional
        scrypt cost parameter, a power of two in ``[2^10, 2^18]``.

    Returns
    -------
    dict[str, Any]
        The JSON-serialisable keystore document.

    Raises
    ------
    CryptoError
        If ``sk`` is out of range.
    KeystoreError
        If the password is empty or ``scrypt_n`` is invalid.
    """
    pk = public_key(sk)
    _check_scrypt_params(scrypt_n, _SCRYPT_R, _SCRYPT_P)
    salt = secrets.token_bytes(_SALT_BYTES)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    document: dict[str, Any] = {
        "version": KEYSTORE_VERSION,
        "kind": KEYSTORE_KIND,
        "public_key": [str(pk[0]), str(pk[1])],
        "kdf": {
            "name": "scrypt",
            "n": scrypt_n,
            "r": _SCRYPT_R,
            "p": _SCRYPT_P,
            "salt": salt.hex(),
        },
        "cipher": {"name": "aes-256-gcm", "nonce": nonce.hex()},
    }
    key = _derive_key(password, salt, scrypt_n, _SCRYPT_R, _SCRYPT_P)
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=_TAG_BYTES)
    cipher.update(_associated_data(document))
    ciphertext, tag = cipher.encrypt_and_digest(sk.to_bytes(_KEY_BYTES, "big"))
    document["cipher"]["tag"] = tag.hex()
    document["ciphertext"] = ciphertext.hex()
    return document


def _check_scrypt_params(n: object, r: object, p: object) -> None:
    low, high = _SCRYPT_N_RANGE
    if not (isinstance(n, int) and low <= n <= high and n & (n - 1) == 0):
        raise KeystoreError(f"The scrypt cost n must be a power of two in [{low}, {high}].")
    if not (isinstance(r, int) and 1 <= r <= 32 and isinstance(p, int) and 1 <= p <= 16):
        raise KeystoreError("The scrypt parameters r and p are out of range.")


def _hex(value: object, n_bytes: int | None, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else None
    except ValueError:
        raw = None
    if raw is None or (n_bytes is not None and len(raw) != n_bytes):
        raise KeystoreError(f"The keystore's {what} is not valid hex of the right length.")
    return raw


def read_public_key(document: Mapping[str, Any]) -> Point:
    """Read the public key stored in clear in a keystore document.

    Parameters
    ----------
    document : Mapping[str, Any]
        A keystore document.

    Returns
    -------
    Point
        The public key (checked to be a valid member key, not authenticated: only
        :func:`decrypt_secret_key` proves it matches the secret key).

    Raises
    ------
    KeystoreError
        If the document is not a zkfed keystore of a supported version.
    """
    try:
        version, kind = document["version"], document["kind"]
        x, y = (int(c) for c in document["public_key"])
    except (KeyError, TypeError, ValueError) as error:
        raise KeystoreError(f"The keystore is malformed: missing or invalid {error!s}.") from error
    if version != KEYSTORE_VERSION or kind != KEYSTORE_KIND:
        raise KeystoreError(
            f"This is not a version {KEYSTORE_VERSION} zkfed keystore "
            f"(version {version!r}, kind {kind!r})."
        )
    try:
        return check_public_key((x, y))
    except CryptoError as error:
        raise KeystoreError("The keystore's public key is not a valid member key.") from error


def decrypt_secret_key(document: Mapping[str, Any], password: str) -> int:
    """Decrypt the secret key of a keystore document.

    Parameters
    ----------
    document : Mapping[str, Any]
        A keystore document.
    password : str
        The password it was encrypted with.

    Returns
    -------
    int
        The secret key.

    Raises
    ------
    KeystoreError
        If the password is wrong, the document was modified, or it is malformed.
    """
    stored_pk = read_public_key(document)
    try:
        kdf, cipher_params = document["kdf"], document["cipher"]
        if kdf["name"] != "scrypt" or cipher_params["name"] != "aes-256-gcm":
            raise KeystoreError("The keystore uses an unsupported KDF or cipher.")
        n, r, p = kdf["n"], kdf["r"], kdf["p"]
        _check_scrypt_params(n, r, p)
        salt = _hex(kdf["salt"], None, "salt")
        nonce = _hex(cipher_params["nonce"], _NONCE_BYTES, "nonce")
        tag = _hex(cipher_params["tag"], _TAG_BYTES, "tag")
        ciphertext = _hex(document["ciphertext"], _KEY_BYTES, "ciphertext")
        associated = _associated_data(document)
    except (KeyError, TypeError) as error:
        raise KeystoreError(f"The keystore is malformed: missing or invalid {error!s}.") from error

    key = _derive_key(password, salt, n, r, p)
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=_TAG_BYTES)
    cipher.update(associated)
    try:
        plaintext = cipher.decrypt_and_verify(ciphertext, tag)
    except ValueError as error:
        raise KeystoreError("The keystore password is wrong, or the file was modified.") from error

    sk = int.from_bytes(plaintext, "big")
    try:
        matches = public_key(sk) == stored_pk
    except CryptoError:
        matches = False
    if not matches:
        raise KeystoreError("The keystore's secret key does not match its public key.")
    return sk


def _read_document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise KeystoreError(f"There is no keystore at {path}.") from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise KeystoreError(f"The keystore {path} cannot be read as JSON: {error}.") from error
    if not isinstance(document, dict):
        raise KeystoreError(f"The keystore {path} is not a JSON object.")
    return document


def _read_entries(path: Path) -> list[dict[str, Any]]:
    """The encrypted keys of a keyring file, or the one key of a version-1 file."""
    document = _read_document(path)
    if document.get("kind") != KEYRING_KIND:
        return [document]  # read_public_key and decrypt_secret_key check it as an entry
    if document.get("version") != KEYRING_VERSION:
        raise KeystoreError(
            f"The keyring {path} is version {document.get('version')!r}; this client reads "
            f"version {KEYRING_VERSION}."
        )
    entries = document.get("keys")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise KeystoreError(f"The keyring {path} is malformed: 'keys' is not a list of keys.")
    return entries


def _index(entries: list[dict[str, Any]], pk: Point, path: Path) -> int:
    """Where the entry of public key ``pk`` is, or one sentence saying there is none."""
    wanted = (int(pk[0]), int(pk[1]))
    for index, entry in enumerate(entries):
        if read_public_key(entry) == wanted:
            return index
    raise KeystoreError(f"The keystore {path} holds no secret for key ({wanted[0]}, {wanted[1]}).")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the keystore's directory locked while a keyring is read, changed and written back.

    Two processes adding keys at once would otherwise each write the keyring without the
    other's key; a registered key whose secret is lost leaves its member out of its task.
    """
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _write(path: Path, document: Mapping[str, Any]) -> None:
    """Write a document that only its owner can read, replacing the file in one step."""
    text = json.dumps(document, indent=2) + "\n"
    # Write then rename, so a crash never leaves a truncated keystore behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _keyring(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": KEYRING_VERSION, "kind": KEYRING_KIND, "keys": entries}


def save_keystore(
    path: Path,
    sk: int,
    password: str,
    *,
    scrypt_n: int = DEFAULT_SCRYPT_N,
    overwrite: bool = False,
) -> None:
    """Encrypt one secret key and write it to a file only its owner can read.

    The file is a version-1 document, which this module reads as a keyring of one key; use
    :func:`add_key` to grow a member's keyring.

    Parameters
    ----------
    path : Path
        Destination file.
    sk : int
        The secret key.
    password : str
        A non-empty password.
    scrypt_n : int, optional
        scrypt cost parameter.
    overwrite : bool, optional
        Replace an existing file (default: refuse).

    Raises
    ------
    KeystoreError
        If the file exists and ``overwrite`` is false, or encryption parameters are invalid.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise KeystoreError(f"A keystore already exists at {path}; refusing to overwrite it.")
    _write(path, encrypt_secret_key(sk, password, scrypt_n=scrypt_n))


def create_keystore(path: Path, password: str, *, scrypt_n: int = DEFAULT_SCRYPT_N) -> Point:
    """Generate a fresh secret key, save it encrypted at ``path`` as a keyring of one key
    (:func:`save_keystore`) and return its public key.

    Parameters
    ----------
    path : Path
        Destination file, which must not exist.
    password : str
        A non-empty password.
    scrypt_n : int, optional
        scrypt cost parameter.

    Returns
    -------
    Point
        The new key's public key.

    Raises
    ------
    KeystoreError
        If the file exists or the password is empty.
    """
    sk = generate_secret_key()
    save_keystore(path, sk, password, scrypt_n=scrypt_n)
    return public_key(sk)


def load_public_keys(path: Path) -> list[Point]:
    """Read the public keys of a keyring file, in the order they were added (no password).

    Parameters
    ----------
    path : Path
        A keyring, or a version-1 keystore (a keyring of one key).

    Returns
    -------
    list[Point]
        The public keys whose secrets the file holds (empty once every one was forgotten).

    Raises
    ------
    KeystoreError
        If the file is missing or malformed.
    """
    path = Path(path)
    return [read_public_key(entry) for entry in _read_entries(path)]


def load_public_key(path: Path) -> Point:
    """Read the first public key of a keyring file (no password needed).

    Parameters
    ----------
    path : Path
        A keyring, or a version-1 keystore.

    Returns
    -------
    Point
        The public key added first (:func:`load_public_keys` gives them all).

    Raises
    ------
    KeystoreError
        If the file is missing, malformed or holds no key.
    """
    keys = load_public_keys(path)
    if not keys:
        raise KeystoreError(f"The keyring {path} holds no keys.")
    return keys[0]


def load_secret_key(path: Path, password: str, pk: Point | None = None) -> int:
    """Read and decrypt one secret key of a keyring file.

    Parameters
    ----------
    path : Path
        A keyring, or a version-1 keystore.
    password : str
        The keyring's password.
    pk : Point, optional
        The public key whose secret is wanted; by default the file's only key.

    Returns
    -------
    int
        The secret key (checked to match its public key).

    Raises
    ------
    KeystoreError
        If the file is missing or malformed, the password is wrong, ``pk`` is None and the
        file does not hold exactly one key, or the file holds no secret for ``pk``.
    """
    path = Path(path)
    entries = _read_entries(path)
    if pk is not None:
        return decrypt_secret_key(entries[_index(entries, pk, path)], password)
    if not entries:
        raise KeystoreError(f"The keyring {path} holds no keys.")
    if len(entries) > 1:
        raise KeystoreError(
            f"The keyring {path} holds {len(entries)} keys; name the public key whose secret "
            "is wanted."
        )
    return decrypt_secret_key(entries[0], password)


def add_key(path: Path, password: str, *, scrypt_n: int | None = None) -> Point:
    """Generate a fresh secret key and add it, encrypted, to a keyring file.

    The password is first checked against the keyring's first key, so that every key stays
    under one password. The file is replaced in one step and only its owner can read it; it is
    created (a keyring of one key) when absent.

    Parameters
    ----------
    path : Path
        The keyring (a version-1 keystore becomes a keyring).
    password : str
        The keyring's password (a non-empty one for a new file).
    scrypt_n : int, optional
        scrypt cost parameter of the new key; by default that of the keyring's first key, or
        `DEFAULT_SCRYPT_N` for an empty keyring.

    Returns
    -------
    Point
        The new key's public key.

    Raises
    ------
    KeystoreError
        If the file is malformed, the password is wrong or empty, or ``scrypt_n`` is invalid.
    """
    path = Path(path)
    with _locked(path):
        entries = _read_entries(path) if path.exists() else []
        if entries:
            decrypt_secret_key(entries[0], password)
            if scrypt_n is None:
                scrypt_n = int(entries[0]["kdf"]["n"])
        sk = generate_secret_key()
        entry = encrypt_secret_key(sk, password, scrypt_n=scrypt_n or DEFAULT_SCRYPT_N)
        _write(path, _keyring([*entries, entry]))
    return public_key(sk)


def forget_key(path: Path, pk: Point) -> None:
    """Delete the secret of one key from a keyring file (no password needed).

    Once the task that took a key has ended its secret serves nothing, and deleting it keeps a
    later leak of the keyring (and its password) from exposing that task's pair secrets. The
    file is replaced in one step; copies made earlier (backups) keep the secret.

    Parameters
    ----------
    path : Path
        The keyring.
    pk : Point
        The public key whose secret to delete.

    Raises
    ------
    KeystoreError
        If the file is missing or malformed, or it holds no secret for ``pk``.
    """
    path = Path(path)
    with _locked(path):
        entries = _read_entries(path)
        index = _index(entries, pk, path)
        _write(path, _keyring(entries[:index] + entries[index + 1 :]))
