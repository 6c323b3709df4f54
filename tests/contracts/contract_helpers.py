"""Constants and builders shared by the contract suites (imported by their conftest and tests)."""

from dataclasses import dataclass
from typing import Any

from zkfed.quantize import Packing

P = 21888242871839275222246405745257275088548364400416034343698204186575808495617
VOTING_PERIOD = 3 * 24 * 3600
SUBMISSION_PERIOD = 24 * 3600
REVEAL_PERIOD = 12 * 3600
N_MEMBERS = 6
ZERO_PROOF = ((0, 0), ((0, 0), (0, 0)), (0, 0))

# Mock verifier modes (contracts/test/MockGroth16Verifier.sol).
ACCEPT_ALL, REJECT_ALL, STRICT = 0, 1, 2


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
        """Public signals of the variant's verifier."""
        return 5 + self.neighbors + self.words

    @property
    def packing(self) -> Packing:
        """The client's view of the same variant."""
        return Packing(self.words, self.lanes, self.lane_bits, self.value_bits, self.scale_bits)


TEST_VARIANT = Variant(words=2, neighbors=2)  # circuits.json: masked_update_test
DEFAULT_VARIANT = Variant(
    words=64, neighbors=4, lanes=21, lane_bits=12, value_bits=8, scale_bits=4
)  # circuits.json: masked_update_default
SEED_REVEAL_SIGNALS = 5  # task, round, chunk, commitment, seed
PAIR_COMMIT_SIGNALS = 6  # task, pk[2], neighbor[2], commitment


def dummy_commitments(member: int, count: int) -> list[int]:
    """Non-zero stand-in pair commitments for a mock-verified `joinTask`."""
    return [1_000 * (member + 1) + slot for slot in range(count)]


def task_config(
    verifier: Any,
    seed_verifier: Any,
    pair_verifier: Any,
    variant: Variant = TEST_VARIANT,
    *,
    param_count: int = 100,
    bound: int = 1 << 40,
    min_contributors: int = 3,
    rounds: int = 2,
    mode: int = 0,
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
        seed_verifier.address,
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
        "bafkreiinitialmodel",
        b"\x11" * 32,
    )
