"""Constants and the consortium type shared by the attack suite (imported by its conftest and
tests; a module of its own so no test imports a `conftest`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zkfed.chain import TaskSpec, Variant, Zkfed
from zkfed.quantize import squared_norm_bound
from zkfed.secagg import SecaggTask
from zkfed.storage import LocalStore

N_MEMBERS = 6
PERIOD = 3600
VOTING_PERIOD = 3 * 24 * 3600
CLIP_NORM = 0.5
# Fixed BabyJubJub secret keys of the six members (tests only).
SECRET_KEYS = tuple(0xA77AC4 + 104_729 * i for i in range(N_MEMBERS))


@dataclass
class Consortium:
    """One deployment: six members, their keys, the test variant's verifiers, a store."""

    zk: Zkfed
    members: list[Any]
    variant: Variant
    store: LocalStore

    def open_task(self, n_params: int, initial: Any = None, rounds: int = 3) -> SecaggTask:
        """A SecAgg task over every member with keys, through a governance vote, its ring
        drawn."""
        task_id = self.open_task_undrawn(n_params, initial, rounds)
        self.zk.draw_graph(self.members[0], task_id)
        return self.zk.secagg_task(task_id)

    def open_task_undrawn(self, n_params: int, initial: Any = None, rounds: int = 3) -> int:
        """The task of :meth:`open_task`, created but its ring not drawn yet; returns its id."""
        from zkfed.protocol import store_model

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
