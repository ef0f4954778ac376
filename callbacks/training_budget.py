"""Train for a time budget: stop when it is spent, and size the learning-rate schedule to end with it."""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import pytorch_lightning as pl

from core.atomic import atomic_write_json
from core.distributed import run_dir

log = logging.getLogger(__name__)
Clock = Literal["process", "wall"]


@dataclass
class BudgetSummary:
    """What a budgeted run did: training time (validation excluded), optimizer steps, epochs and target tokens."""

    budget_minutes: float
    clock: str
    train_seconds: float = 0.0
    eval_seconds: float = 0.0
    steps: int = 0
    epochs: float = 0.0
    target_tokens: int = 0
    scheduled_steps: int | None = None
    steps_per_second: float = 0.0
    tokens_per_second: float = 0.0
    validations: list[dict] = field(default_factory=list)
    """``{"step", "train_seconds"}`` at the end of each validation during training, to plot metrics against time."""
    points: list[dict] = field(default_factory=list)
    """``{"minutes", "step", "train_seconds", "target_tokens", "path"}`` of each checkpoint saved at ``save_at``."""
    prep_cpu_seconds: float = 0.0
    """CPU time this process had used when training started (imports, data loading, model building)."""
    train_start_unix: float = 0.0
    """Wall-clock time (``time.time()``) of the first training step, to measure preparation from outside."""


class TrainingBudget(pl.Callback):
    """Stop training once ``minutes`` of training time are spent; validation time is not counted.

    ``clock="process"`` counts this process's CPU time (robust to other jobs sharing the machine, the fair measure
    for 1-thread comparisons); ``"wall"`` counts elapsed time. With ``fit_schedule`` the speed is measured over
    optimizer steps ``measure_from`` … ``measure_from + measure_steps`` and the module's schedule (a module method
    ``fit_schedule(total_steps)``, e.g. ``Seq2SeqModule``'s one-cycle) is resized to end when the budget does.
    A budget is time, not steps: two runs with the same seed stop at slightly different steps. The summary goes to
    ``training_budget.json`` in the run's log folder (or ``summary_path``).

    ``save_at`` lists training minutes (below ``minutes``) at which a checkpoint ``budget-<minutes>min.ckpt`` is
    saved beside the run's checkpoints (or in ``save_dir``), to score a learning curve at equal training time; the
    time spent saving is not counted. The schedule is still fitted to the whole budget, so a point checkpoint is a
    moment of the long run, not what a run with that shorter budget would reach.
    """

    def __init__(self, minutes: float, clock: Clock = "process", fit_schedule: bool = True, measure_from: int = 20,
                 measure_steps: int = 100, summary_path: str | None = None, save_at: list[float] | None = None,
                 save_dir: str | None = None) -> None:
        if minutes <= 0 or measure_steps < 1 or measure_from < 0:
            raise ValueError(f"minutes must be > 0 and measure_steps ≥ 1, got {minutes}, {measure_steps}")
        self.minutes, self.clock, self.fit = minutes, clock, fit_schedule
        self.measure_from, self.measure_steps, self.summary_path = measure_from, measure_steps, summary_path
        self.save_at, self.save_dir = sorted(m for m in (save_at or []) if 0 < m < minutes), save_dir
        self.summary = BudgetSummary(minutes, clock)
        self._t0 = self._eval_t0 = 0.0
        self._mark: tuple[int, float] | None = None

    def _now(self) -> float:
        return time.process_time() if self.clock == "process" else time.perf_counter()

    def _spent(self) -> float:
        return self._now() - self._t0 - self.summary.eval_seconds

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._t0 = self._now()
        self.summary.prep_cpu_seconds, self.summary.train_start_unix = time.process_time(), time.time()

    def _save_point(self, trainer: pl.Trainer, minutes: float) -> None:
        """A checkpoint at ``minutes`` of training; its saving time is excluded like validation time."""
        t = self._now()
        folder = Path(self.save_dir or (trainer.checkpoint_callback.dirpath if trainer.checkpoint_callback
                                        else run_dir(trainer)))
        path = folder / f"budget-{minutes:g}min.ckpt"
        self.summary.points.append({"minutes": minutes, "step": trainer.global_step, "train_seconds": self._spent(),
                                    "target_tokens": self.summary.target_tokens, "path": str(path)})
        trainer.save_checkpoint(path)
        self.summary.eval_seconds += self._now() - t

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._eval_t0 = self._now()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking and trainer.state.fn == "fit":
            self.summary.eval_seconds += self._now() - self._eval_t0
            self.summary.validations.append({"step": trainer.global_step, "train_seconds": self._spent()})

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch,
                           batch_idx: int) -> None:
        lens = batch.get("tgt_lens") if isinstance(batch, dict) else None
        self.summary.target_tokens += int(lens.sum()) if lens is not None else 0
        step, spent = trainer.global_step, self._spent()
        if self.fit and step == self.measure_from:
            self._mark = (step, spent)
        elif self.fit and self._mark and step == self._mark[0] + self.measure_steps:
            rate = (step - self._mark[0]) / max(spent - self._mark[1], 1e-9)
            total = int(step + rate * max(0.0, self.minutes * 60 - spent))
            if callable(getattr(pl_module, "fit_schedule", None)):
                pl_module.fit_schedule(total)
                self.summary.scheduled_steps = total
                log.info("%.2f steps/s (%s clock): schedule fitted to %d steps for %g minutes", rate, self.clock,
                         total, self.minutes)
        while self.save_at and spent >= self.save_at[0] * 60:
            self._save_point(trainer, self.save_at.pop(0))
        if spent >= self.minutes * 60:
            trainer.should_stop = True

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        s = self.summary
        s.train_seconds, s.steps = self._spent(), trainer.global_step
        batches = trainer.num_training_batches
        s.epochs = s.steps / batches if batches and batches != float("inf") else float(trainer.current_epoch)
        s.steps_per_second = s.steps / max(s.train_seconds, 1e-9)
        s.tokens_per_second = s.target_tokens / max(s.train_seconds, 1e-9)
        if trainer.is_global_zero:
            path = Path(self.summary_path) if self.summary_path else run_dir(trainer) / "training_budget.json"
            atomic_write_json(path, asdict(s))
            log.info("training budget: %d steps (%.2f epochs) in %.0f s of %s time; summary %s", s.steps, s.epochs,
                     s.train_seconds, self.clock, path)
