"""One-cycle learning-rate factor as a plain function of (step, total steps).

Unlike ``torch.optim.lr_scheduler.OneCycleLR`` the total is not frozen into the scheduler's saved state, so a run
resumed with a larger ``max_epochs`` stretches its schedule instead of failing when it steps past the old total.
"""
from __future__ import annotations

import math

import torch


def one_cycle_factor(step: int, total: int, pct_start: float = 0.25, div: float = 25.0,
                     final_div: float = 1e4) -> float:
    """Multiplier of the peak LR: cosine warm-up from ``1/div`` to 1 over ``pct_start`` of ``total`` steps, then
    cosine annealing to ``1/(div·final_div)``; constant after ``total``."""
    total = max(1, total)
    warm = max(1.0, pct_start * total)
    start, end = 1.0 / div, 1.0 / (div * final_div)
    if step < warm:
        frac, lo, hi = step / warm, start, 1.0
    else:
        frac, lo, hi = min(1.0, (step - warm) / max(1.0, total - warm)), 1.0, end
    return hi + (lo - hi) * (1 + math.cos(math.pi * frac)) / 2


class OneCycleSchedule:
    """A LightningModule mixin: a step-wise one-cycle schedule (``one_cycle_factor``) over ``total_steps``.

    The total is read at every step, so it can change after the optimizer is built: ``on_train_start`` sets it to the
    trainer's estimate (a run resumed with a larger ``max_epochs`` stretches its schedule), and ``fit_schedule``
    to a time budget's worth of steps (``callbacks.TrainingBudget``).
    """

    _schedule_steps: float | None = None

    def one_cycle(self, optimizer: torch.optim.Optimizer, pct_start: float):
        """``optimizer`` with the one-cycle ``LambdaLR`` (stepped every optimizer step), as
        ``configure_optimizers`` returns it; the bare optimizer when the trainer has no finite length."""
        self._schedule_steps = self.trainer.estimated_stepping_batches
        if not math.isfinite(self._schedule_steps) or self._schedule_steps < 1:
            return optimizer
        sched = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: one_cycle_factor(step, int(self._schedule_steps), pct_start))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def on_train_start(self) -> None:
        # a resumed run may train longer than the run that wrote the checkpoint: stretch the schedule to fit
        self._schedule_steps = self.trainer.estimated_stepping_batches

    @property
    def total_steps(self) -> float:
        """The length of the training schedule in optimizer steps (the trainer's estimate, or a fitted budget)."""
        steps = self._schedule_steps
        return float(steps if steps is not None else self.trainer.estimated_stepping_batches)

    def fit_schedule(self, total_steps: int) -> None:
        """Make the schedule end after ``total_steps`` optimizer steps (``callbacks.TrainingBudget``)."""
        self._schedule_steps = max(1, int(total_steps))
