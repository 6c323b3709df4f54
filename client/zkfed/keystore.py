"""A member's BabyJubJub secret key, encrypted at rest.

The keystore is a JSON document::

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
like a wrong password. The public key can be read without the password.

AES-GCM comes from pycryptodome (installed with eth-ape through eth-keyfile).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from Crypto.Cipher import AES

from zkfed.babyjubjub import Point, check_public_key, generate_secret_key, public_key
from zkfed.exceptions import CryptoError, KeystoreError

__all__ = [
    "DEFAULT_SCRYPT_N",
    "KEYSTORE_KIND",
    "KEYSTORE_VERSION",
    "create_keystore",
    "decrypt_secret_key",
    "encrypt_secret_key",
    "load_public_key",
    "load_secret_key",
    "read_public_key",
    "save_keystore",
]

KEYSTORE_VERSION: int = 1
"""Format version written and accepted."""

KEYSTORE_KIND: str = "zkfed-babyjubjub-secret-key"
"""What the document holds; guards against decrypting another tool's JSON."""

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


def save_keystore(
    path: Path,
    sk: int,
    password: str,
    *,
    scrypt_n: int = DEFAULT_SCRYPT_N,
    overwrite: bool = False,
) -> None:
    """Encrypt a secret key and write it to a file only its owner can read.

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
    text = json.dumps(encrypt_secret_key(sk, password, scrypt_n=scrypt_n), indent=2) + "\n"
    # Write then rename, so a crash never leaves a truncated keystore behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create_keystore(path: Path, password: str, *, scrypt_n: int = DEFAULT_SCRYPT_N) -> Point:
    """Generate a fresh secret key, save it encrypted at ``path`` and return its public key.

    Raises
    ------
    KeystoreError
        If the file exists or the password is empty.
    """
    sk = generate_secret_key()
    save_keystore(path, sk, password, scrypt_n=scrypt_n)
    return public_key(sk)


def load_secret_key(path: Path, password: str) -> int:
    """Read and decrypt the secret key of a keystore file.

    Raises
    ------
    KeystoreError
        If the file is missing or malformed, or the password is wrong.
    """
    return decrypt_secret_key(_read_document(Path(path)), password)


def load_public_key(path: Path) -> Point:
    """Read the public key of a keystore file (no password needed).

    Raises
    ------
    KeystoreError
        If the file is missing or malformed.
    """
    return read_public_key(_read_document(Path(path)))
