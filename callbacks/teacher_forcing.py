"""Anneal the teacher-forcing probability over the first epochs (the lesson's ``(10 - epoch) * 0.1``)."""
from __future__ import annotations

from typing import Literal

import pytorch_lightning as pl


class TeacherForcingScheduler(pl.Callback):
    """Set ``pl_module.teacher_forcing`` from the training progress.

    The probability falls linearly from ``start`` at epoch 0 to ``end`` at epoch ``decay_epochs`` and stays there
    (``unit="epoch"``, the lesson's schedule). With ``unit="step"`` the same ramp runs over ``decay_steps``
    optimizer steps instead — for runs bounded by time rather than epochs. It is set before every batch from
    ``trainer.current_epoch`` / ``trainer.global_step`` alone, so a run resumed mid-epoch gets the right value
    without any saved state. Validation and test never use teacher forcing (they decode greedily).
    """

    def __init__(self, start: float = 1.0, end: float = 0.0, decay_epochs: int = 10,
                 unit: Literal["epoch", "step"] = "epoch", decay_steps: int = 10000) -> None:
        if decay_epochs < 1 or decay_steps < 1:
            raise ValueError(f"decay_epochs and decay_steps must be ≥ 1, got {decay_epochs}, {decay_steps}")
        self.start, self.end, self.decay_epochs = start, end, decay_epochs
        self.unit, self.decay_steps = unit, decay_steps

    def probability(self, progress: int) -> float:
        """Teacher-forcing probability after ``progress`` epochs (or steps with ``unit="step"``)."""
        span = self.decay_epochs if self.unit == "epoch" else self.decay_steps
        frac = min(progress, span) / span
        return self.start + (self.end - self.start) * frac

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch, batch_idx: int) -> None:
        # set before every batch, not only at epoch start: a run resumed mid-epoch gets no epoch-start hook
        progress = trainer.current_epoch if self.unit == "epoch" else trainer.global_step
        pl_module.teacher_forcing = self.probability(progress)
