"""Constants and the consortium type shared by the attack suite (imported by its conftest and
tests; a module of its own so no test imports a `conftest`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zkfed.babyjubjub import public_key
from zkfed.chain import TaskSpec, Variant, Zkfed
from zkfed.quantize import squared_norm_bound
from zkfed.secagg import SecaggTask
from zkfed.storage import LocalStore

N_MEMBERS = 6
PERIOD = 3600
VOTING_PERIOD = 3 * 24 * 3600
CLIP_NORM = 0.5


def member_key(member: int, k: int = 0) -> int:
    """The fixed BabyJubJub secret of member `member`'s k-th masking key (tests only)."""
    return 0xA77AC4 + 104_729 * member + 1_000_003 * k


# The first masking key of each of the six members.
SECRET_KEYS = tuple(member_key(i) for i in range(N_MEMBERS))


@dataclass
class Consortium:
    """One deployment: six members, their keys, the test variant's verifiers, a store."""

    zk: Zkfed
    members: list[Any]
    variant: Variant
    store: LocalStore
    prover: Any = None
    registered: list[int] = field(default_factory=lambda: [0] * N_MEMBERS)

    def register_next(self, i: int) -> int:
        """Register member i's next masking key (:func:`member_key`); returns its secret."""
        from zkfed.protocol import register_key

        sk = member_key(i, self.registered[i])
        register_key(self.zk, self.prover, self.members[i], sk)
        self.registered[i] += 1
        return sk

    def secret(self, task: SecaggTask, i: int) -> int:
        """The secret of the masking key `task` assigned to member i."""
        for k in range(max(self.registered[i], 1)):
            if public_key(member_key(i, k)) == task.members[i]:
                return member_key(i, k)
        raise LookupError(f"member {i} has no known secret for task {task.task_id}'s key")

    def open_task(self, n_params: int, initial: Any = None, rounds: int = 3) -> SecaggTask:
        """A SecAgg task over every member with keys, through a governance vote, its ring
        drawn."""
        task_id = self.open_task_undrawn(n_params, initial, rounds)
        self.zk.draw_graph(self.members[0], task_id)
        return self.zk.secagg_task(task_id)

    def open_task_undrawn(self, n_params: int, initial: Any = None, rounds: int = 3) -> int:
        """The task of :meth:`open_task`, created but its ring not drawn yet; returns its id.

        Members that registered keys through :meth:`register_next` and have none left unused
        register their next one first, so each takes part (a task takes one key per member)."""
        from zkfed.protocol import store_model

        for i, member in enumerate(self.members):
            if self.registered[i] and not self.zk.unused_keys(member):
                self.register_next(i)

        packing = self.variant.packing
        weights = np.zeros(n_params) if initial is None else initial
        cid, digest = store_model(self.store, weights)
        spec = TaskSpec(
            variant=self.variant,
            param_count=n_params,
            bound=squared_norm_bound(CLIP_NORM, packing),
            rounds=rounds,
            submission_period=PERIOD,
            reveal_period=PERIOD,
            model_cid=cid,
            model_hash=digest,
        )
        proposal = self.zk.propose_task(self.members[0], spec, "spec", b"\x22" * 32, b"\x33" * 32)
        for member in self.members[: N_MEMBERS // 2 + 1]:
            self.zk.vote(member, proposal, True)
        self.zk.governance.execute(proposal, sender=self.members[0])
        return int(self.zk.governance.proposal(proposal).taskId)
