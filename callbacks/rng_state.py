"""Random-number-generator state in checkpoints, so a resumed run draws the same dropout masks and teacher-forcing
coins as an uninterrupted one."""
from __future__ import annotations

import logging
from typing import Any, Optional

import pytorch_lightning as pl

from core.distributed import gather_lists
from core.rng import collect_rng_state, restore_rng_state

log = logging.getLogger(__name__)


class RngState(pl.Callback):
    """Save every rank's generator states with each checkpoint and put them back when training resumes.

    Saved when the checkpoint is written (all ranks take part: checkpoints are saved collectively under DDP);
    restored at ``on_train_start``, after Lightning has built the resumed loader and before the first batch is
    drawn, which is where the uninterrupted run was when the checkpoint was written. Training loaders use their own
    generator, so building one does not move the global state. With a different number of processes on resume the
    states cannot match; each rank then keeps its seeded state and a warning says so.
    """

    def __init__(self) -> None:
        self._pending: Optional[list[dict[str, Any]]] = None

    def state_dict(self) -> dict[str, Any]:
        return {"ranks": gather_lists([collect_rng_state()])}  # one state per rank, in rank order

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._pending = state_dict.get("ranks")

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        states, self._pending = self._pending, None
        if not states:
            return
        if len(states) != trainer.world_size:
            log.warning("checkpoint holds random states of %d processes, this run has %d: random states not "
                        "restored, so the resumed run will not repeat the original exactly",
                        len(states), trainer.world_size)
            return
        restore_rng_state(states[trainer.global_rank])
