"""Constants and builders shared by the contract suites (imported by their conftest and tests)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from zkfed.quantize import Packing

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
ROUND_OPEN, ROUND_RECOVERY, ROUND_FINALIZED, ROUND_ABORTED = 1, 2, 3, 4
CHUNK_OPEN, CHUNK_VOID, CHUNK_AWAITING_REVEALS, CHUNK_RECOVERABLE = 0, 1, 2, 3


@dataclass(frozen=True)
class Variant:
    """A `MaskedUpdate` circuit variant as the aggregator stores it."""

    words: int
    neighbors: int
    lanes: int = 15
    lane_bits: int = 16
    value_bits: int = 12
    scale_bits: int = 8

    @property
    def signals(self) -> int:
        """Public signals of the variant's `MaskedUpdate` verifier."""
        return 5 + self.neighbors + self.words

    @property
    def reveal_signals(self) -> int:
        """Public signals of its `MaskReveal(W)` verifier: task, round, chunk, commitment,
        mask[W]."""
        return 4 + self.words

    @property
    def packing(self) -> Packing:
        """The client's view of the same variant."""
        return Packing(self.words, self.lanes, self.lane_bits, self.value_bits, self.scale_bits)


TEST_VARIANT = Variant(words=2, neighbors=2)  # circuits.json: masked_update_test
DEFAULT_VARIANT = Variant(
    words=64, neighbors=4, lanes=21, lane_bits=12, value_bits=8, scale_bits=4
)  # circuits.json: masked_update_default
KEY_POSSESSION_SIGNALS = 3  # pk[2], binding
PAIR_COMMIT_SIGNALS = 6  # task, pk[2], neighbor[2], commitment


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


def open_task(governance: Any, voters: Sequence[Any], config: tuple[Any, ...]) -> int:
    """Opens a task the way members do: a proposal, votes of a majority of `voters` (the
    governance's members), execution. Returns the task id."""
    proposal = ("bafkreispec", b"\x22" * 32, b"\x33" * 32, config)
    tx = governance.proposeTask(proposal, sender=voters[0])
    # Read ids from events: a simulated `return_value` may be replayed on the later state.
    proposal_id = tx.events.filter(governance.ProposalCreated)[0].proposalId
    for voter in voters[: len(voters) // 2 + 1]:
        governance.vote(proposal_id, True, sender=voter)
    tx = governance.execute(proposal_id, sender=voters[0])
    return int(tx.events.filter(governance.ProposalExecuted)[0].taskId)


def admit_member(governance: Any, voters: Sequence[Any], account: Any) -> None:
    """Adds `account` to the governance by a majority of `voters` (its current members)."""
    tx = governance.proposeMembership(account, True, sender=voters[0])
    proposal_id = tx.events.filter(governance.ProposalCreated)[0].proposalId
    for voter in voters[: len(voters) // 2 + 1]:
        governance.vote(proposal_id, True, sender=voter)
    governance.execute(proposal_id, sender=voters[0])


def task_config(
    verifier: Any,
    reveal_verifier: Any,
    pair_verifier: Any,
    variant: Variant = TEST_VARIANT,
    *,
    param_count: int = 100,
    bound: int = 1 << 40,
    min_contributors: int = 3,
    rounds: int = 2,
    mode: int = SECAGG,
    key_holder: str = "0x" + "00" * 20,
    context_cid: str = "",
) -> tuple[Any, ...]:
    """A `TaskConfig` tuple in the field order of IFederatedAggregator."""
    circuit = (
        verifier.address,
        variant.words,
        variant.neighbors,
        variant.lanes,
        variant.lane_bits,
        variant.value_bits,
        variant.scale_bits,
        reveal_verifier.address,
        pair_verifier.address,
    )
    return (
        circuit,
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
