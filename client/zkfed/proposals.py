"""Model proposals: the spec document members vote on, and reading it back for a task.

A proposal puts two things on the store: the initial weights, and a spec document (canonical
JSON) naming the model, the local training hyper-parameters, the per-chunk clipping norm, the
initial weights' CID + sha256 and the task's feature scaling. The chain records the document's
CID and hash (governance) and the task configuration that executing the proposal creates
(aggregator). A member who trains for a task reads the document back through
:func:`task_proposal`, checked against that hash.

The feature scaling (``"feature_scaling"``: ``{"feature_mean": [...], "feature_std": [...]}`` or
``"none"``) is part of what is voted on because it is part of the model: the weights only mean
something for inputs scaled that way, so every member applies it to its raw data, training and
test parts alike, instead of standardising with its own statistics (`zkfed.datasets` explains
why). The proposer fits it on its reference data, e.g. a bundled set's training split. A
document without the key predates it; members then standardise with their own statistics, as
before, and are warned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zkfed.chain import ZERO_ADDRESS, Mode, TaskSpec, Variant, Zkfed
from zkfed.datasets import FeatureScaling
from zkfed.exceptions import ConfigurationError, CorruptContentError, ModelSpecError
from zkfed.models import ModelSpec, initial_weights
from zkfed.protocol import store_model
from zkfed.quantize import DEFAULT_CLIP_NORM, squared_norm_bound
from zkfed.storage import ContentStore
from zkfed.training import TrainConfig

__all__ = [
    "DEFAULT_CLIP_NORM",
    "DEV_PERIOD",
    "FeatureScaling",
    "ModelProposal",
    "propose_model",
    "spec_document",
    "task_proposal",
]

DEV_PERIOD = 3600
"""Voting, submission and reveal windows (seconds) of the demo and the embedded web app."""


@dataclass(frozen=True)
class ModelProposal:
    """What a task's spec document says.

    Attributes
    ----------
    spec
        The model architecture (and the seed of its initial weights).
    training
        Local training hyper-parameters.
    clip_norm
        Per-chunk L2 clipping norm in real units (the task's on-chain bound derives from it).
    initial_cid, initial_hash
        The initial global model on the store.
    classes
        Class labels in index order, when the proposer named them; members encode their
        labels with this order so that class ``k`` means the same thing everywhere.
    proposal_id
        The governance proposal the document belongs to (0 when not read from the chain).
    scaling
        The feature scaling every member applies to its raw data; None when the document
        predates it (members then standardise with their own statistics).
    """

    spec: ModelSpec
    training: TrainConfig
    clip_norm: float
    initial_cid: str
    initial_hash: bytes
    classes: tuple[str, ...] = ()
    proposal_id: int = 0
    scaling: FeatureScaling | None = None


def spec_document(
    spec: ModelSpec,
    config: TrainConfig,
    clip_norm: float,
    weights_cid: str,
    weights_hash: bytes,
    classes: Sequence[str] = (),
    title: str = "",
    scaling: FeatureScaling | None = None,
) -> bytes:
    """The canonical bytes of a spec document (sorted keys).

    Raises
    ------
    ModelSpecError
        If `scaling` is for another number of features than the model takes.
    """
    _check_scaling(spec, scaling)
    document: dict[str, Any] = {
        "model": json.loads(spec.to_json()),
        "training": config.to_dict(),
        "clip_norm": clip_norm,
        "initial_weights": {"cid": weights_cid, "sha256": weights_hash.hex()},
    }
    if classes:
        document["classes"] = list(classes)
    if title:
        document["title"] = title
    if scaling is not None:
        document["feature_scaling"] = scaling.to_json()
    return json.dumps(document, sort_keys=True).encode()


def propose_model(
    zk: Zkfed,
    store: ContentStore,
    proposer: Any,
    spec: ModelSpec,
    config: TrainConfig,
    variant: Variant,
    *,
    rounds: int,
    clip_norm: float,
    submission_period: int,
    reveal_period: int,
    mode: Mode = Mode.SECAGG,
    key_holder: str = ZERO_ADDRESS,
    context_cid: str = "",
    min_contributors: int = 3,
    classes: Sequence[str] = (),
    title: str = "",
    scaling: FeatureScaling | None = None,
) -> int:
    """Store the initial weights and the spec document, and propose the task; returns its id.

    Parameters
    ----------
    zk
        The deployment.
    store
        Where the initial weights and the document go.
    proposer
        A consortium member's ape account.
    spec, config
        The model and its local training hyper-parameters.
    variant
        The circuit variant (its packing fixes the chunk layout; CKKS ignores the verifiers).
    rounds, submission_period, reveal_period, min_contributors
        The task's schedule and threshold.
    clip_norm
        Per-chunk L2 clipping norm in real units.
    mode, key_holder, context_cid
        Aggregation mode; the CKKS key holder and public context.
    classes
        Class labels in index order, recorded in the document.
    title
        A human-readable name for the proposal, recorded in the document.
    scaling
        The task's feature scaling, fitted by the proposer on its reference data (e.g.
        ``load_dataset("digits").scaling``) or `FeatureScaling.none`; recorded in the document.
        Omitting it writes a document without one, whose members each standardise with their
        own statistics: kept for old callers, and wrong for non-IID members.
    """
    _check_scaling(spec, scaling)  # before anything is stored
    weights_cid, weights_hash = store_model(store, initial_weights(spec))
    document = spec_document(
        spec, config, clip_norm, weights_cid, weights_hash, classes, title, scaling
    )
    spec_cid = store.add(document)
    task = TaskSpec(
        variant=variant,
        param_count=spec.parameter_count,
        bound=squared_norm_bound(clip_norm, variant.packing),
        rounds=rounds,
        submission_period=submission_period,
        reveal_period=reveal_period,
        model_cid=weights_cid,
        model_hash=weights_hash,
        min_contributors=min_contributors,
        mode=mode,
        key_holder=key_holder,
        context_cid=context_cid,
    )
    hyper = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode()).digest()
    return zk.propose_task(proposer, task, spec_cid, hashlib.sha256(document).digest(), hyper)


def _check_scaling(spec: ModelSpec, scaling: FeatureScaling | None) -> None:
    if scaling is not None and scaling.n_features not in (None, spec.n_features):
        raise ModelSpecError(
            f"The feature scaling is for {scaling.n_features} features; the model takes "
            f"{spec.n_features}."
        )


def parse_spec_document(data: bytes, proposal_id: int = 0) -> ModelProposal:
    """Read a spec document.

    Raises
    ------
    ModelSpecError
        If it is not a spec document this version understands.
    """
    try:
        document = json.loads(data)
        weights = document["initial_weights"]
        scaling = None
        if "feature_scaling" in document:
            scaling = FeatureScaling.from_json(document["feature_scaling"])
        spec = ModelSpec.from_dict(document["model"])
        if scaling is not None and scaling.n_features not in (None, spec.n_features):
            raise ValueError(
                f"its feature scaling is for {scaling.n_features} features, the model takes "
                f"{spec.n_features}"
            )
        return ModelProposal(
            spec=spec,
            training=TrainConfig.from_dict(document["training"]),
            clip_norm=float(document["clip_norm"]),
            initial_cid=str(weights["cid"]),
            initial_hash=bytes.fromhex(weights["sha256"]),
            classes=tuple(str(c) for c in document.get("classes", ())),
            proposal_id=proposal_id,
            scaling=scaling,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ModelSpecError(
            f"The spec document of proposal {proposal_id} is malformed ({error!s})."
        ) from None


def task_proposal(zk: Zkfed, store: ContentStore, task_id: int) -> ModelProposal:
    """The spec document of the proposal that opened a task, checked against its on-chain hash.

    Raises
    ------
    ConfigurationError
        If no executed proposal opened the task.
    CorruptContentError
        If the stored document does not match the hash the proposal recorded.
    """
    governance = zk.governance
    for proposal_id in range(int(governance.proposalCount()), 0, -1):
        if int(governance.proposal(proposal_id).taskId) != task_id:
            continue
        recorded = governance.taskProposal(proposal_id)
        data = store.get(str(recorded.specCid))
        if hashlib.sha256(data).digest() != bytes(recorded.specHash):
            raise CorruptContentError(
                f"The spec document {recorded.specCid} does not match the hash proposal "
                f"{proposal_id} recorded."
            )
        return parse_spec_document(data, proposal_id)
    raise ConfigurationError(f"No executed proposal opened task {task_id} on this deployment.")
