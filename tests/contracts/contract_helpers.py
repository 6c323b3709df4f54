"""Constants and builders shared by the contract suites (imported by their conftest and tests)."""

import ast
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ape
import pytest
from ape.exceptions import CustomError
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from zkfed.chain import Zkfed, companion_circuits, deploy_registry
from zkfed.circuits import KEY_POSSESSION, load_circuit
from zkfed.quantize import Packing

ROOT = Path(__file__).resolve().parents[2]

P = 21888242871839275222246405745257275088548364400416034343698204186575808495617
VOTING_PERIOD = 3 * 24 * 3600
SUBMISSION_PERIOD = 24 * 3600
REVEAL_PERIOD = 12 * 3600
N_MEMBERS = 6
ZERO_PROOF = ((0, 0), ((0, 0), (0, 0)), (0, 0))
INITIAL_MODEL = ("bafkreiinitialmodel", b"\x11" * 32)

# Mock verifier modes (contracts/test/MockGroth16Verifier.sol).
ACCEPT_ALL, REJECT_ALL, STRICT = 0, 1, 2

# IFederatedAggregator enums.
SECAGG, CKKS = 0, 1
TASK_CONFIG_MODE = 2  # the position of `mode` in a TaskConfig tuple (see `task_config`)
ROUND_OPEN, ROUND_RECOVERY, ROUND_FINALIZED, ROUND_ABORTED = 1, 2, 3, 4
CHUNK_OPEN, CHUNK_VOID, CHUNK_AWAITING_REVEALS, CHUNK_RECOVERABLE = 0, 1, 2, 3


@dataclass(frozen=True)
class Variant:
    """A `MaskedUpdate` circuit variant as the session's `VerifierRegistry` holds it (`id`,
    `name`, the packing and K), with the scale its tasks propose (`scale_bits`)."""

    id: int
    name: str
    words: int
    neighbors: int
    lanes: int = 15
    lane_bits: int = 16
    value_bits: int = 12
    scale_bits: int = 8

    @property
    def escrow_entries(self) -> int:
        """E = K·(K-1): the escrow entries of a chunk (circuits/README.md, "Seed escrow")."""
        return self.neighbors * (self.neighbors - 1)

    @property
    def signals(self) -> int:
        """Public signals of the variant's `MaskedUpdate` verifier: task, round, chunk,
        commitments[K], slots, bound, y[W], escrow[K·(K-1)]."""
        return 5 + self.neighbors + self.words + self.escrow_entries

    @property
    def reveal_signals(self) -> int:
        """Public signals of its `MaskReveal(W)` verifier: task, round, chunk, commitment,
        mask[W]."""
        return 4 + self.words

    @property
    def seed_mask_signals(self) -> int:
        """Public signals of its `SeedMask(W)` verifier: seed, mask[W]."""
        return 1 + self.words

    @property
    def packing(self) -> Packing:
        """The client's view of the same variant."""
        return Packing(self.words, self.lanes, self.lane_bits, self.value_bits, self.scale_bits)


TEST_VARIANT = Variant(0, "masked_update_test", words=2, neighbors=2)
DEFAULT_VARIANT = Variant(
    1,
    "masked_update_default",
    words=64,
    neighbors=4,
    lanes=21,
    lane_bits=12,
    value_bits=8,
    scale_bits=4,
)
REGISTERED = (TEST_VARIANT, DEFAULT_VARIANT)
"""The session registry's variants, in id order."""
KEY_POSSESSION_SIGNALS = 3  # pk[2], binding
PAIR_COMMIT_SIGNALS = 6  # task, pk[2], neighbor[2], commitment
ESCROW_PAD_SIGNALS = 6  # task, round, chunk, commitment, tag, pad
GENERATED = (
    "KeyPossessionVerifier",
    "PairCommitVerifier",
    "MaskedUpdateTestVerifier",
    "MaskRevealTestVerifier",
    "EscrowPadVerifier",
    "SeedMaskTestVerifier",
)
"""The generated verifiers of the test variant that a deployment on real proofs needs."""
_KEY_STRIDE = 1 << 20  # apart enough that no member's key k is another's key k'


def member_secret_key(member: int, key: int = 0) -> int:
    """The `key`-th fixed BabyJubJub secret key of member `member` (tests only).

    Masking keys are one-time: each SecAgg task takes the next unused key of every member. The
    fixtures register key 0; a test that creates more SecAgg tasks registers keys 1, 2, … first.
    """
    return 0xC0FFEE + 7919 * member + _KEY_STRIDE * key


def key_vkey_hash() -> bytes:
    """The recorded hash of the committed `KeyPossession` verification key."""
    return load_circuit(KEY_POSSESSION).vkey_hash


def escrow(variant: Variant) -> list[int]:
    """The all-zero escrow of a chunk of `variant` (K·(K-1) entries): what a chunk posts when
    the task does not escrow, and a stand-in for mock-verified submissions."""
    return [0] * variant.escrow_entries


def vkey_hashes(variant: Variant) -> tuple[bytes, ...]:
    """The recorded hashes of the committed `MaskedUpdate`, `MaskReveal(W)`, `PairCommit`,
    `EscrowPad` and `SeedMask(W)` verification keys of a variant, in the registry's order."""
    return (
        load_circuit(variant.name).vkey_hash,
        *(c.vkey_hash for c in companion_circuits(variant.words)),
    )


def circuit_tuple(
    variant: Variant,
    verifier: Any,
    reveal_verifier: Any,
    pair_verifier: Any,
    escrow_verifier: Any,
    seed_mask_verifier: Any,
) -> tuple[Any, ...]:
    """An `IFederatedAggregator.CircuitVariant` tuple, as the registry returns it."""
    return (
        _address(verifier),
        variant.words,
        variant.neighbors,
        variant.lanes,
        variant.lane_bits,
        variant.value_bits,
        _address(reveal_verifier),
        _address(pair_verifier),
        _address(escrow_verifier),
        _address(seed_mask_verifier),
    )


def registry_entry(
    variant: Variant,
    verifier: Any,
    reveal_verifier: Any,
    pair_verifier: Any,
    escrow_verifier: Any,
    seed_mask_verifier: Any,
    hashes: Sequence[bytes] | None = None,
) -> tuple[Any, ...]:
    """An `IVerifierRegistry.Variant` tuple; the five key hashes default to the committed
    keys'."""
    circuit = circuit_tuple(
        variant, verifier, reveal_verifier, pair_verifier, escrow_verifier, seed_mask_verifier
    )
    return (variant.name, circuit, *(hashes or vkey_hashes(variant)))


def _address(contract: Any) -> str:
    return str(getattr(contract, "address", contract))


def dummy_commitments(member: int, count: int) -> list[int]:
    """Non-zero stand-in pair commitments for a mock-verified `joinTask`."""
    return [1_000 * (member + 1) + slot for slot in range(count)]


def dummy_masks(revealer: int, dropped: int, words: int) -> list[int]:
    """Stand-in mask words below p for a mock-verified `revealMask`, at the field's ends too."""
    return [(P - 1 - 31 * revealer - dropped - w) % P for w in range(words)]


def task_domain(chain_id: int, aggregator: str, task_id: int) -> int:
    """A task's domain D recomputed from its definition:
    keccak256(abi.encode(keccak256("zkfed.task-domain"), chainid, aggregator, taskId)) mod p."""
    return _field_hash(b"zkfed.task-domain", chain_id, aggregator, ["uint256"], [task_id])


def key_binding(chain_id: int, aggregator: str, account: str) -> int:
    """An account's `KeyPossession` binding recomputed from its definition:
    keccak256(abi.encode(keccak256("zkfed.key-binding"), chainid, aggregator, account)) mod p."""
    return _field_hash(b"zkfed.key-binding", chain_id, aggregator, ["address"], [account])


def _field_hash(
    tag: bytes, chain_id: int, aggregator: str, types: list[str], values: list[Any]
) -> int:
    data = encode(
        ["bytes32", "uint256", "address", *types], [keccak(tag), chain_id, aggregator, *values]
    )
    return int.from_bytes(keccak(data), "big") % P


def digest_start(domain: int, round_index: int) -> bytes:
    """First link of a round's aggregate digest chain: keccak256(abi.encode(D, round))."""
    return keccak(encode(["uint256", "uint256"], [domain, round_index]))


def digest_next(digest: bytes, chunk: int, count: int, words: Sequence[int]) -> bytes:
    """The digest chain after sealing a chunk:
    keccak256(abi.encode(digest, chunk, count, words))."""
    return keccak(
        encode(["bytes32", "uint256", "uint256", "uint256[]"], [digest, chunk, count, list(words)])
    )


def raised_by(name: str, *contracts: Any) -> Any:
    """The custom error `name` of the first of `contracts` whose ABI declares it.

    ape decodes a revert with the ABI of the contract called, which declares the errors it
    raises itself; a `ChunkRecovery` call also reverts with the aggregator's errors (from its
    views and hooks), which only the aggregator's ABI may declare. `strict_reverts` compares the
    revert data either way.
    """
    for contract in contracts:
        try:
            return getattr(contract, name)
        except AttributeError:
            continue
    raise AttributeError(f"no contract declares the error {name}")


@contextmanager
def strict_reverts(error: Any, **inputs: Any) -> Iterator[Any]:
    """`ape.reverts(error, **inputs)` that also holds when ape cannot decode the revert.

    ape checks the error and its inputs only if it decoded the revert data, and checks the
    error's type only for an instance's error class; it cannot decode a constructor's revert on
    anvil, a call's on anvil, or an error a transaction's callee raised through its caller on
    eth-tester. So the revert data is compared with `error(**inputs)`'s encoding too; every
    input must be given.
    """
    with ape.reverts(error, **inputs) as info:
        yield info
    abi = error.abi
    assert {i.name for i in abi.inputs} == set(inputs), "give every input of the error"
    expected = _error_data(abi, inputs)
    actual = _revert_data(info.value)
    assert expected in actual, f"expected {abi.name}{inputs}, reverted with {actual}"


def _error_data(abi: Any, inputs: dict[str, Any]) -> bytes:
    selector = keccak(text=abi.selector)[:4]
    return selector + encode(
        [i.canonical_type for i in abi.inputs], [inputs[i.name] for i in abi.inputs]
    )


def _revert_data(error: Exception) -> list[bytes]:
    """Readings of a revert's data, from the ways providers report it: decoded by ape, as hex,
    as the repr of the raw bytes (eth-tester, when ape does not decode them), or as anvil's
    `custom error 0x<selector>: <arguments>` (text if they are UTF-8, else hex)."""
    if isinstance(error, CustomError):
        return [_error_data(error.abi, error.inputs)]
    raw = getattr(error, "revert_message", "")
    if isinstance(raw, bytes):
        return [raw]
    message = str(raw)
    if re.fullmatch(r"b(['\"]).*\1", message, re.DOTALL):
        value = ast.literal_eval(message)
        if isinstance(value, bytes):
            return [value]
    if re.fullmatch(r"0x([0-9a-fA-F]{2})*", message):
        return [bytes.fromhex(message[2:])]
    match = re.fullmatch(r"custom error 0x([0-9a-f]{8}): (.*)", message, re.DOTALL)
    if match is None:
        return []
    selector, arguments = bytes.fromhex(match[1]), match[2]
    readings = [selector + arguments.encode()]
    if re.fullmatch(r"([0-9a-fA-F]{2})*", arguments):
        readings.append(selector + bytes.fromhex(arguments))
    return readings


def pass_proposal(governance: Any, voters: Sequence[Any], config: tuple[Any, ...]) -> int:
    """Proposes a task and carries it by the votes of a majority of `voters` (the governance's
    members), without executing it. Returns the proposal id."""
    proposal = ("bafkreispec", b"\x22" * 32, b"\x33" * 32, config)
    tx = governance.proposeTask(proposal, sender=voters[0])
    # Read ids from events: a simulated `return_value` may be replayed on the later state.
    proposal_id = int(tx.events.filter(governance.ProposalCreated)[0].proposalId)
    for voter in voters[: len(voters) // 2 + 1]:
        governance.vote(proposal_id, True, sender=voter)
    return proposal_id


def open_task(
    governance: Any, voters: Sequence[Any], config: tuple[Any, ...], *, draw: bool = True
) -> int:
    """Opens a task the way members do: a proposal, votes of a majority of `voters` (the
    governance's members), execution; then, unless `draw` is False, the executor draws a
    SecAgg task's ring (`KeyRegistry.drawGraph`, from the next block). Returns the task id."""
    proposal_id = pass_proposal(governance, voters, config)
    tx = governance.execute(proposal_id, sender=voters[0])
    task_id = int(tx.events.filter(governance.ProposalExecuted)[0].taskId)
    if draw and config[TASK_CONFIG_MODE] == SECAGG:
        key_registry_of(governance).drawGraph(task_id, sender=voters[0])
    return task_id


def key_registry_of(governance: Any) -> Any:
    """The `KeyRegistry` of a governance's aggregator, which draws SecAgg tasks' rings."""
    aggregator = ape.project.FederatedAggregator.at(governance.aggregator())
    return ape.project.KeyRegistry.at(aggregator.keys())


def members_on_ring(aggregator: Any, task_id: int, members: Sequence[Any]) -> list[Any]:
    """A SecAgg task's `members` (in task order) rearranged in the order of its drawn ring
    (`KeyRegistry.ringOrder`): entry p is the member at ring position p, so with K = 2 the
    neighbours of entry p are entries p ± 1 (mod n)."""
    keys = ape.project.KeyRegistry.at(aggregator.keys())
    return [members[int(i)] for i in keys.ringOrder(task_id)]


def admit_member(governance: Any, voters: Sequence[Any], account: Any) -> None:
    """Adds `account` to the governance by a majority of `voters` (its current members)."""
    _change_membership(governance, voters, account, add=True)


def remove_member(governance: Any, voters: Sequence[Any], account: Any) -> None:
    """Removes `account` from the governance by a majority of `voters` (its current members)."""
    _change_membership(governance, voters, account, add=False)
    assert not governance.isMember(account)


def _change_membership(governance: Any, voters: Sequence[Any], account: Any, *, add: bool) -> None:
    tx = governance.proposeMembership(account, add, sender=voters[0])
    proposal_id = tx.events.filter(governance.ProposalCreated)[0].proposalId
    for voter in voters[: len(voters) // 2 + 1]:
        governance.vote(proposal_id, True, sender=voter)
    governance.execute(proposal_id, sender=voters[0])


def task_config(
    variant: int = TEST_VARIANT.id,
    scale_bits: int = TEST_VARIANT.scale_bits,
    *,
    param_count: int = 100,
    bound: int = 1 << 40,
    min_contributors: int = 3,
    rounds: int = 2,
    mode: int = SECAGG,
    key_holder: str = "0x" + "00" * 20,
    context_cid: str = "",
) -> tuple[Any, ...]:
    """A `TaskConfig` tuple in the field order of IFederatedAggregator: a registered variant
    (by id) and the task's fixed-point scale, then the rest."""
    return (
        variant,
        scale_bits,
        mode,
        key_holder,
        param_count,
        bound,
        min_contributors,
        rounds,
        SUBMISSION_PERIOD,
        REVEAL_PERIOD,
        context_cid,
        *INITIAL_MODEL,
    )


def artifacts(variant: str) -> tuple[Path, Path]:
    """The built wasm and zkey of a circuits.json variant; skips the test if they are missing."""
    registry = json.loads((ROOT / "circuits" / "circuits.json").read_text())["variants"]
    derived = registry[variant].get("derived", {}).get("artifacts")
    if not derived:
        pytest.skip(f"{variant} has not been built")
    wasm, zkey = ROOT / derived["wasm"], ROOT / derived["zkey"]
    if not (wasm.is_file() and zkey.is_file()):
        pytest.skip(f"{variant}'s wasm or zkey is missing; build the circuits")
    return wasm, zkey


def proof_arguments(result: Any) -> tuple[Any, ...]:
    """A prover's result as the (a, b, c) tuple of a contract's `Proof` argument."""
    a, b, c = result.proof.solidity_arguments()
    return (a, b, c)


def deploy_real(project: Any, deployer: Any, founders: Sequence[Any]) -> Zkfed:
    """A registry of the test variant's generated verifiers, a governance of `founders` and an
    aggregator, deployed the way the client does; no key registered. Skips the test until the
    verifiers are generated into contracts/verifiers/."""
    for name in GENERATED:
        try:
            getattr(project, name)
        except (AttributeError, KeyError, ape.exceptions.ApeException):
            pytest.skip(f"{name} has not been generated yet")
    registry = deploy_registry(project, deployer, [TEST_VARIANT.name])
    return Zkfed.deploy(project, deployer, list(founders), VOTING_PERIOD, registry.address)
