"""Where the `zkfed` command line keeps its state, and the documents it keeps there.

Everything lives under one home directory, ``.zkfed`` in the working directory unless
``--home`` or ``$ZKFED_HOME`` says otherwise::

    .zkfed/
      deployment.json          network, chain id, contract addresses, storage location
      members.json             member name -> ape account (test account index, address or alias)
      keys/<name>.json         a member's BabyJubJub keystore (zkfed.keystore, encrypted)
      updates/<address>/       a member's trained updates, kept until they are on-chain
        task-<T>-round-<R>.json
      locks/<address>-<T>.lock one command at a time sends a member's transactions for a task
      store/                   the embedded content-addressed store (unless IPFS is chosen)

Files are written atomically (a temporary file renamed into place), so an interrupted command
never leaves a truncated document behind, and nothing a command needs later is ever deleted.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from zkfed.exceptions import ConfigurationError

__all__ = [
    "DEFAULT_HOME",
    "Deployment",
    "Home",
    "OutdatedUpdateError",
    "SavedUpdate",
    "write_json",
]

DEFAULT_HOME = ".zkfed"
"""The home directory, relative to the working directory, unless configured."""

DEPLOYMENT_VERSION = 4
UPDATE_VERSION = 2
"""Version 2 binds an update to the global model's hash; version 1 files are refused (retrain)."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def write_json(path: Path, document: Mapping[str, Any], *, private: bool = False) -> None:
    """Write a JSON document atomically; ``private`` makes it readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if private:
            os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigurationError(f"The {what} {path} cannot be read as JSON ({error}).") from None
    if not isinstance(document, dict):
        raise ConfigurationError(f"The {what} {path} is not a JSON object.")
    return document


def check_name(name: str) -> str:
    """A member name usable as a file name: letters, digits, ``_ . -``, at most 64 characters."""
    if not _NAME.match(name):
        raise ConfigurationError(
            f"The member name {name!r} must start with a letter or digit and use only letters, "
            "digits, '_', '.' and '-' (at most 64 characters)."
        )
    return name


@dataclass(frozen=True)
class Deployment:
    """One deployment of zkfed's contracts, as `zkfed deploy` recorded it.

    Attributes
    ----------
    network
        The ape network choice the contracts were deployed on (or an RPC URL).
    chain_id
        The chain id seen at deployment; a later connection to another chain is refused.
    aggregator, governance
        Contract addresses.
    store
        Where models and specs are stored: a directory or an IPFS RPC address
        (:func:`zkfed.storage.open_store`).
    registry
        The `VerifierRegistry` (circuit variants and verifiers, fixed at deployment; the
        aggregator names it too).
    variants
        Names of the registered circuit variants, for display (the chain is the record).
    deployer
        Address that deployed the contracts.
    block
        Block number of the deployment (where event scans may start).
    """

    network: str
    chain_id: int
    aggregator: str
    governance: str
    store: str
    registry: str = ""
    variants: tuple[str, ...] = ()
    deployer: str = ""
    block: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return {"version": DEPLOYMENT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, document: Mapping[str, Any], source: Path) -> Deployment:
        """Parse a deployment document, naming the file in any complaint."""
        if document.get("version") != DEPLOYMENT_VERSION:
            raise ConfigurationError(
                f"The deployment file {source} has version {document.get('version')!r}, "
                f"not {DEPLOYMENT_VERSION}."
            )
        try:
            return cls(
                network=str(document["network"]),
                chain_id=int(document["chain_id"]),
                aggregator=str(document["aggregator"]),
                governance=str(document["governance"]),
                store=str(document["store"]),
                registry=str(document["registry"]),
                variants=tuple(str(v) for v in document.get("variants", ())),
                deployer=str(document.get("deployer", "")),
                block=int(document.get("block", 0)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigurationError(
                f"The deployment file {source} is malformed (missing or invalid {error!s})."
            ) from None


class OutdatedUpdateError(ConfigurationError):
    """A saved update written before updates were bound to their global model (version 1).

    Attributes
    ----------
    path
        The file.
    dataset
        The dataset it was trained on, as recorded (for the command that trains again).
    """

    def __init__(self, path: Path, dataset: str) -> None:
        super().__init__(
            f"The saved update {path} predates the binding of updates to their global model's "
            "hash, so it cannot be checked against the round; train again."
        )
        self.path = path
        self.dataset = dataset


@dataclass(frozen=True, eq=False)
class SavedUpdate:
    """A member's trained update, saved before it is masked so that nothing is lost.

    Attributes
    ----------
    task, round
        Where it goes.
    aggregator, chain_id
        The deployment it was trained for.
    member
        The member's address.
    global_model
        CID of the global model it was trained from.
    model_hash
        sha256 of that model's bytes as hex (`zkfed.protocol.model_hash`: the hash the chain
        records for a task's initial model, and of every model derived from the chain); empty
        when the writer did not record it, and the CID (a content address) binds the model then.
    delta
        Δ = w_local - w_global.
    quantization_seed
        Seed of the stochastic rounding; re-running a submission rebuilds identical chunks.
    train_loss, samples, dataset
        What the member learnt about its own training (stays local).
    """

    task: int
    round: int
    aggregator: str
    chain_id: int
    member: str
    global_model: str
    delta: npt.NDArray[np.float64]
    quantization_seed: int
    train_loss: float = 0.0
    samples: int = 0
    dataset: str = ""
    model_hash: str = ""

    @classmethod
    def trained(
        cls,
        deployment: Deployment,
        member: str,
        task: int,
        round_index: int,
        model_cid: str,
        model_hash: bytes,
        delta: npt.NDArray[np.float64],
        quantization_seed: int,
        *,
        train_loss: float = 0.0,
        samples: int = 0,
        dataset: str = "",
    ) -> SavedUpdate:
        """An update trained for a round of a deployment, bound to all that `submit` checks:
        the chain, the aggregator, the task, the round and the global model (CID and hash,
        as `zkfed.protocol.store_model` returns them)."""
        return cls(
            task=task,
            round=round_index,
            aggregator=deployment.aggregator,
            chain_id=deployment.chain_id,
            member=member,
            global_model=model_cid,
            model_hash=model_hash.hex(),
            delta=np.asarray(delta, dtype=np.float64),
            quantization_seed=quantization_seed,
            train_loss=train_loss,
            samples=samples,
            dataset=dataset,
        )

    def mismatch(
        self,
        deployment: Deployment,
        member: str,
        task: int,
        round_index: int,
        model_cid: str,
        model_hash: bytes,
    ) -> str | None:
        """What this update was made for that differs from a round about to be submitted to
        (a phrase, e.g. ``"chain 5 rather than 31337"``), or None when it belongs there."""
        if self.chain_id != deployment.chain_id:
            return f"chain {self.chain_id} rather than {deployment.chain_id}"
        if self.aggregator.lower() != deployment.aggregator.lower():
            return f"aggregator {self.aggregator} rather than {deployment.aggregator}"
        if self.member.lower() != member.lower():
            return f"member {self.member} rather than {member}"
        if (self.task, self.round) != (task, round_index):
            return f"round {self.round} of task {self.task}"
        if self.global_model != model_cid:
            return f"another global model ({self.global_model}; the round's is {model_cid})"
        if self.model_hash and self.model_hash != model_hash.hex():
            return (
                f"another global model (sha256 {self.model_hash[:16]}…; the round's is "
                f"{model_hash.hex()[:16]}…)"
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (floats written with repr, so they read back exactly)."""
        return {
            "version": UPDATE_VERSION,
            "task": self.task,
            "round": self.round,
            "aggregator": self.aggregator,
            "chain_id": self.chain_id,
            "member": self.member,
            "global_model": self.global_model,
            "delta": [float(v) for v in self.delta],
            "quantization_seed": self.quantization_seed,
            "train_loss": self.train_loss,
            "samples": self.samples,
            "dataset": self.dataset,
            "model_hash": self.model_hash,
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, Any], source: Path) -> SavedUpdate:
        """Parse a saved update, naming the file in any complaint."""
        if document.get("version") == 1:
            raise OutdatedUpdateError(source, str(document.get("dataset", "")))
        if document.get("version") != UPDATE_VERSION:
            raise ConfigurationError(f"The saved update {source} has an unknown version.")
        try:
            delta = np.asarray(document["delta"], dtype=np.float64)
            return cls(
                task=int(document["task"]),
                round=int(document["round"]),
                aggregator=str(document["aggregator"]),
                chain_id=int(document["chain_id"]),
                member=str(document["member"]),
                global_model=str(document["global_model"]),
                delta=delta,
                quantization_seed=int(document["quantization_seed"]),
                train_loss=float(document.get("train_loss", 0.0)),
                samples=int(document.get("samples", 0)),
                dataset=str(document.get("dataset", "")),
                model_hash=str(document["model_hash"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigurationError(
                f"The saved update {source} is malformed (missing or invalid {error!s})."
            ) from None


class Home:
    """The CLI's state directory.

    Parameters
    ----------
    path
        The directory; ``$ZKFED_HOME`` or ``.zkfed`` when omitted. Created on first write.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path or os.environ.get("ZKFED_HOME") or DEFAULT_HOME)

    def __repr__(self) -> str:
        return f"Home({str(self.path)!r})"

    @property
    def deployment_file(self) -> Path:
        """deployment.json."""
        return self.path / "deployment.json"

    @property
    def members_file(self) -> Path:
        """members.json: member name -> ape account."""
        return self.path / "members.json"

    @property
    def default_store(self) -> Path:
        """The embedded store's directory."""
        return self.path / "store"

    def keystore(self, name: str) -> Path:
        """A member's keystore file."""
        return self.path / "keys" / f"{check_name(name)}.json"

    def lock_file(self, member: str, task: int) -> Path:
        """The lock one command holds while it sends a member's transactions for a task."""
        return self.path / "locks" / f"{member.lower()}-{task}.lock"

    def update_file(self, member: str, task: int, round_index: int) -> Path:
        """Where a member's trained update for a round is kept."""
        return self.path / "updates" / member.lower() / f"task-{task}-round-{round_index}.json"

    # --- the deployment --------------------------------------------------------------------

    def has_deployment(self) -> bool:
        """Whether `zkfed deploy` has written a deployment here."""
        return self.deployment_file.is_file()

    def deployment(self) -> Deployment:
        """The recorded deployment.

        Raises
        ------
        ConfigurationError
            If there is none or it cannot be read.
        """
        path = self.deployment_file
        if not path.is_file():
            raise ConfigurationError(
                f"There is no deployment in {self.path}; run 'zkfed deploy' or pass --home."
            )
        return Deployment.from_dict(_read_json(path, "deployment file"), path)

    def save_deployment(self, deployment: Deployment) -> None:
        """Record a deployment."""
        write_json(self.deployment_file, deployment.to_dict())

    # --- members ---------------------------------------------------------------------------

    def members(self) -> dict[str, str]:
        """Member name -> ape account (test account index, address or alias)."""
        if not self.members_file.is_file():
            return {}
        document = _read_json(self.members_file, "member list")
        return {str(name): str(account) for name, account in document.items()}

    def bind_member(self, name: str, account: str) -> None:
        """Remember which ape account a member name transacts with."""
        members = self.members()
        members[check_name(name)] = account
        write_json(self.members_file, members)

    def member_account(self, name: str) -> str:
        """The ape account a member name was bound to by `zkfed keygen`."""
        members = self.members()
        if check_name(name) not in members:
            known = ", ".join(sorted(members)) or "none yet"
            raise ConfigurationError(
                f"No member named {name!r} in {self.path} (known: {known}); "
                "create it with 'zkfed keygen --name NAME --account ACCOUNT'."
            )
        return members[name]

    # --- saved updates ---------------------------------------------------------------------

    def save_update(self, update: SavedUpdate) -> Path:
        """Keep a trained update until it is on-chain; returns the file.

        Refuses to replace an update that a submission has started to sign (see
        :meth:`mark_signed`): a second update under the same masks would reveal the difference.
        """
        path = self.update_file(update.member, update.task, update.round)
        if self.signed_chunks(update.member, update.task, update.round):
            raise ConfigurationError(
                f"The update of {update.member} for round {update.round} of task {update.task} "
                "has been signed for submission, so it stays as it is (a second update under "
                "the same masks would reveal their difference); run 'zkfed submit' to send it."
            )
        write_json(path, update.to_dict(), private=True)
        return path

    def _signed_file(self, member: str, task: int, round_index: int) -> Path:
        path = self.update_file(member, task, round_index)
        return path.with_name(path.stem + ".signed.json")

    def mark_signed(self, member: str, task: int, round_index: int, chunks: list[int]) -> None:
        """Record, before a transaction carrying them is signed, that these chunks of the saved
        update are on their way: from then on the update can no longer be replaced."""
        signed = sorted(set(self.signed_chunks(member, task, round_index)) | set(chunks))
        write_json(self._signed_file(member, task, round_index), {"chunks": signed}, private=True)

    def signed_chunks(self, member: str, task: int, round_index: int) -> list[int]:
        """Chunks of a saved update that a submission has signed (empty when none)."""
        path = self._signed_file(member, task, round_index)
        if not path.is_file():
            return []
        return [int(c) for c in json.loads(path.read_text())["chunks"]]

    def load_update(self, member: str, task: int, round_index: int) -> SavedUpdate:
        """A member's saved update for a round.

        Raises
        ------
        ConfigurationError
            If none was saved (train first) or it cannot be read.
        """
        path = self.update_file(member, task, round_index)
        if not path.is_file():
            raise ConfigurationError(
                f"No trained update of {member} for round {round_index} of task {task} is in "
                f"{path.parent}; run 'zkfed train {task}' first."
            )
        return SavedUpdate.from_dict(_read_json(path, "saved update"), path)
