"""The encrypted key file (zkfed.keystore)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from zkfed.babyjubjub import BASE8, generate_secret_key, mul, public_key
from zkfed.exceptions import KeystoreError, ZkfedError
from zkfed.keystore import (
    DEFAULT_SCRYPT_N,
    create_keystore,
    decrypt_secret_key,
    encrypt_secret_key,
    load_public_key,
    load_secret_key,
    save_keystore,
)

FAST_N = 1 << 10  # the default cost makes a test take half a second


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    # Prepare
    path = tmp_path / "member.json"
    sk = generate_secret_key()

    # Execute
    save_keystore(path, sk, "correct horse", scrypt_n=FAST_N)
    loaded = load_secret_key(path, "correct horse")

    # Assert
    assert loaded == sk
    assert load_public_key(path) == mul(BASE8, sk)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(sk) not in path.read_text()
    assert list(tmp_path.iterdir()) == [path]


def test_create_keystore_returns_the_stored_public_key(tmp_path: Path) -> None:
    # Execute
    pk = create_keystore(tmp_path / "k.json", "pw", scrypt_n=FAST_N)

    # Assert
    assert public_key(load_secret_key(tmp_path / "k.json", "pw")) == pk


def test_wrong_password_raises_keystore_error() -> None:
    # Prepare
    document = encrypt_secret_key(12345, "right", scrypt_n=FAST_N)

    # Execute / Assert
    with pytest.raises(KeystoreError, match="password is wrong") as raised:
        decrypt_secret_key(document, "wrong")
    assert isinstance(raised.value, ZkfedError) and isinstance(raised.value, ValueError)


def _tamper_public_key(d: dict[str, Any]) -> None:
    other = public_key(7)
    d["public_key"] = [str(other[0]), str(other[1])]


def _tamper_cost(d: dict[str, Any]) -> None:
    d["kdf"]["n"] = FAST_N * 2


def _tamper_ciphertext(d: dict[str, Any]) -> None:
    d["ciphertext"] = ("0" if d["ciphertext"][0] != "0" else "1") + d["ciphertext"][1:]


@pytest.mark.parametrize("tamper", [_tamper_public_key, _tamper_cost, _tamper_ciphertext])
def test_modified_document_is_rejected(tamper: Any) -> None:
    # Prepare
    document = encrypt_secret_key(12345, "pw", scrypt_n=FAST_N)
    tamper(document)

    # Execute / Assert
    with pytest.raises(KeystoreError, match="modified"):
        decrypt_secret_key(document, "pw")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot be read as JSON"),
        ("[]", "not a JSON object"),
        ('{"version": 1}', "malformed"),
        (
            '{"version": 2, "kind": "zkfed-babyjubjub-secret-key", "public_key": ["0", "1"]}',
            "not a version 1",
        ),
        (
            '{"version": 1, "kind": "zkfed-babyjubjub-secret-key", "public_key": ["1", "2"]}',
            "not a valid member key",
        ),
    ],
)
def test_malformed_files_raise_keystore_error(tmp_path: Path, content: str, message: str) -> None:
    # Prepare
    path = tmp_path / "bad.json"
    path.write_text(content)

    # Execute / Assert
    with pytest.raises(KeystoreError, match=message):
        load_secret_key(path, "pw")


def test_refuses_to_overwrite_and_reports_missing_files(tmp_path: Path) -> None:
    # Prepare
    path = tmp_path / "k.json"
    save_keystore(path, 5, "pw", scrypt_n=FAST_N)
    before = path.read_text()

    # Execute / Assert
    with pytest.raises(KeystoreError, match="already exists"):
        save_keystore(path, 6, "pw", scrypt_n=FAST_N)
    assert path.read_text() == before
    save_keystore(path, 6, "pw", scrypt_n=FAST_N, overwrite=True)
    assert load_secret_key(path, "pw") == 6
    with pytest.raises(KeystoreError, match="no keystore"):
        load_secret_key(tmp_path / "missing.json", "pw")


@pytest.mark.parametrize(("password", "n"), [("", FAST_N), ("pw", 1000), ("pw", 1 << 19)])
def test_bad_encryption_parameters_raise_keystore_error(password: str, n: int) -> None:
    # Execute / Assert
    with pytest.raises(KeystoreError):
        encrypt_secret_key(5, password, scrypt_n=n)


def test_documents_are_json_and_salted() -> None:
    # Execute
    first = encrypt_secret_key(5, "pw", scrypt_n=FAST_N)
    second = encrypt_secret_key(5, "pw", scrypt_n=FAST_N)

    # Assert
    assert json.loads(json.dumps(first)) == first
    assert first["kdf"]["salt"] != second["kdf"]["salt"]
    assert first["ciphertext"] != second["ciphertext"]


def test_default_cost_round_trip() -> None:
    # Execute
    document = encrypt_secret_key(99, "pw")

    # Assert
    assert document["kdf"]["n"] == DEFAULT_SCRYPT_N
    assert decrypt_secret_key(document, "pw") == 99


@pytest.mark.slow
def test_highest_accepted_cost_fits_scrypt_memory_limit() -> None:
    # Execute
    document = encrypt_secret_key(99, "pw", scrypt_n=1 << 18)

    # Assert
    assert decrypt_secret_key(document, "pw") == 99
