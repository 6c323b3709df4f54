"""The encrypted key file, a keyring of one-time masking keys (zkfed.keystore)."""

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
    KEYRING_KIND,
    KEYRING_VERSION,
    add_key,
    create_keystore,
    decrypt_secret_key,
    encrypt_secret_key,
    forget_key,
    load_public_key,
    load_public_keys,
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


# --- keyrings ----------------------------------------------------------------------------------


def test_a_version_1_file_is_a_keyring_of_one_key(tmp_path: Path) -> None:
    # Prepare
    path = tmp_path / "member.json"
    save_keystore(path, 5, "pw", scrypt_n=FAST_N)

    # Execute
    keys = load_public_keys(path)

    # Assert
    assert json.loads(path.read_text())["version"] == 1
    assert keys == [public_key(5)] == [load_public_key(path)]
    assert load_secret_key(path, "pw", public_key(5)) == load_secret_key(path, "pw") == 5


def test_add_key_grows_a_keyring_and_each_secret_is_found_by_its_public_key(
    tmp_path: Path,
) -> None:
    # Prepare: a keyring from an earlier client's one-key file.
    path = tmp_path / "member.json"
    save_keystore(path, 5, "pw", scrypt_n=FAST_N)

    # Execute
    added = [add_key(path, "pw"), add_key(path, "pw")]

    # Assert
    document = json.loads(path.read_text())
    assert (document["version"], document["kind"]) == (KEYRING_VERSION, KEYRING_KIND)
    assert [entry["version"] for entry in document["keys"]] == [1, 1, 1]
    # New keys take the cost of the keyring's first key.
    assert {entry["kdf"]["n"] for entry in document["keys"]} == {FAST_N}
    assert load_public_keys(path) == [public_key(5), *added]
    assert len(set(added)) == 2
    for pk in added:
        assert public_key(load_secret_key(path, "pw", pk)) == pk
    assert load_public_key(path) == public_key(5)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [path]


def test_add_key_creates_a_missing_keyring(tmp_path: Path) -> None:
    # Prepare
    path = tmp_path / "new.json"

    # Execute
    pk = add_key(path, "pw", scrypt_n=FAST_N)

    # Assert
    assert json.loads(path.read_text())["kind"] == KEYRING_KIND
    assert load_public_keys(path) == [pk]
    assert public_key(load_secret_key(path, "pw")) == pk
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_add_key_checks_the_password_before_adding(tmp_path: Path) -> None:
    # Prepare
    path = tmp_path / "member.json"
    first = add_key(path, "pw", scrypt_n=FAST_N)
    before = path.read_text()

    # Execute / Assert
    with pytest.raises(KeystoreError, match="password is wrong"):
        add_key(path, "another password")
    assert path.read_text() == before
    assert load_public_keys(path) == [first]


def test_a_keyring_of_several_keys_needs_the_public_key_named(tmp_path: Path) -> None:
    # Prepare
    path = tmp_path / "member.json"
    add_key(path, "pw", scrypt_n=FAST_N)
    add_key(path, "pw")

    # Execute / Assert
    with pytest.raises(KeystoreError, match="holds 2 keys; name the public key"):
        load_secret_key(path, "pw")


def test_a_key_not_in_the_keyring_is_named_in_the_error(tmp_path: Path) -> None:
    # Prepare
    path = tmp_path / "member.json"
    add_key(path, "pw", scrypt_n=FAST_N)
    other = public_key(7)

    # Execute / Assert
    for action in (lambda: load_secret_key(path, "pw", other), lambda: forget_key(path, other)):
        with pytest.raises(KeystoreError, match=rf"holds no secret for key \({other[0]}, "):
            action()


def test_forget_key_deletes_only_that_secret(tmp_path: Path) -> None:
    # Prepare
    path = tmp_path / "member.json"
    keys = [add_key(path, "pw", scrypt_n=FAST_N) for _ in range(3)]
    gone = load_secret_key(path, "pw", keys[1])

    # Execute
    forget_key(path, keys[1])

    # Assert
    assert load_public_keys(path) == [keys[0], keys[2]]
    assert str(keys[1][0]) not in path.read_text()
    assert all(public_key(load_secret_key(path, "pw", pk)) == pk for pk in (keys[0], keys[2]))
    with pytest.raises(KeystoreError, match="holds no secret for key"):
        load_secret_key(path, "pw", public_key(gone))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(tmp_path.iterdir()) == [path]


def test_a_keyring_whose_keys_were_all_forgotten_is_empty(tmp_path: Path) -> None:
    # Prepare
    path = tmp_path / "member.json"
    pk = add_key(path, "pw", scrypt_n=FAST_N)

    # Execute
    forget_key(path, pk)

    # Assert
    assert load_public_keys(path) == []
    with pytest.raises(KeystoreError, match="holds no keys"):
        load_secret_key(path, "pw")
    with pytest.raises(KeystoreError, match="holds no keys"):
        load_public_key(path)
    again = add_key(path, "pw", scrypt_n=FAST_N)
    assert load_public_keys(path) == [again]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"version": 3, "kind": "zkfed-babyjubjub-keyring", "keys": []}', "is version 3"),
        ('{"version": 2, "kind": "zkfed-babyjubjub-keyring", "keys": {}}', "not a list of keys"),
        ('{"version": 2, "kind": "zkfed-babyjubjub-keyring", "keys": [1]}', "not a list of keys"),
        ('{"version": 2, "kind": "zkfed-babyjubjub-keyring", "keys": [{}]}', "malformed"),
    ],
)
def test_malformed_keyrings_raise_keystore_error(
    tmp_path: Path, content: str, message: str
) -> None:
    # Prepare
    path = tmp_path / "bad.json"
    path.write_text(content)

    # Execute / Assert
    with pytest.raises(KeystoreError, match=message):
        load_public_keys(path)
    with pytest.raises(KeystoreError, match=message):
        add_key(path, "pw", scrypt_n=FAST_N)
    assert path.read_text() == content


def test_keys_added_at_once_by_several_writers_are_all_kept(tmp_path: Path) -> None:
    # Prepare
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "member.json"
    first = add_key(path, "pw", scrypt_n=FAST_N)

    # Execute
    with ThreadPoolExecutor(max_workers=8) as pool:
        added = list(pool.map(lambda _: add_key(path, "pw"), range(16)))

    # Assert
    assert sorted(load_public_keys(path)) == sorted([first, *added])
