"""A learning-rate finder (fastai's ``lr_find``) from the CLI: before training, the learning rate grows
exponentially over a hundred steps while the loss is recorded; the plot and the suggested rate are written beside
the run's logs, and the run either stops there (``then: stop``, the default, to read the plot first) or trains with
the suggestion (``then: train``). The one-cycle schedule then peaks at the rate used.

    python train.py fit -c configs/translate/demo.yaml --trainer.callbacks+=callbacks.LrFinder
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import pytorch_lightning as pl
from pytorch_lightning.callbacks import LearningRateFinder

from core.atomic import atomic_path, atomic_write_json
from core.distributed import run_dir

log = logging.getLogger(__name__)


def valley(lrs: list[float], losses: list[float]) -> float | None:
    """The suggested rate: inside the longest stretch over which the (smoothed) loss keeps falling — the
    longest decreasing subsequence of the curve — two thirds of the way along it, where the loss still falls but
    well before it turns (fastai's "valley" rule). None when the loss never falls."""
    n = len(losses)
    if n < 3:
        return None
    longest, before = [1] * n, list(range(n))
    for i in range(n):
        for j in range(i):
            if losses[i] < losses[j] and longest[j] + 1 > longest[i]:
                longest[i], before[i] = longest[j] + 1, j
    end = max(range(n), key=lambda i: longest[i])
    if longest[end] < 2:
        return None
    start = end
    while before[start] != start:
        start = before[start]
    return float(lrs[start + (end - start) * 2 // 3])


def debiased(losses: list[float], beta: float = 0.98) -> list[float]:
    """Lightning's finder smooths the loss with a running mean ``avg`` and divides it by ``1 - beta ** (step + 1)``,
    but reads ``step`` after the optimizer step, one too far: the first point comes out at half the loss and the
    curve seems to climb over its first twenty steps. Undo that and divide by the right ``1 - beta ** (k + 1)``
    for the k-th recorded step (``tests/test_lr_finder.py`` holds Lightning to this)."""
    return [loss * (1 - beta ** (k + 2)) / (1 - beta ** (k + 1)) for k, loss in enumerate(losses)]


class LrFinder(LearningRateFinder):
    """Lightning's ``LearningRateFinder`` on the module's ``lr``, writing ``lr_find.png`` / ``lr_find.json`` and
    logging the suggestion (:func:`valley`; Lightning's own, the steepest point, is noisy on short runs)."""

    def __init__(self, min_lr: float = 1e-6, max_lr: float = 1.0, num_training_steps: int = 100,
                 mode: Literal["exponential", "linear"] = "exponential", early_stop_threshold: float | None = 4.0,
                 then: Literal["stop", "train"] = "stop") -> None:
        super().__init__(min_lr, max_lr, num_training_steps, mode, early_stop_threshold,
                         update_attr=then == "train", attr_name="lr")
        self.then = then

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_fit_start(trainer, pl_module)
        result = self.optimal_lr
        if result is None or not trainer.is_global_zero:
            return
        result.results["loss"] = debiased(result.results["loss"])
        suggestion = valley(result.results["lr"], result.results["loss"])
        if suggestion is not None and self._update_attr:
            pl_module.hparams.lr = suggestion
        folder = Path(run_dir(trainer))
        folder.mkdir(parents=True, exist_ok=True)
        fig = result.plot(suggest=False, show=False)
        if suggestion is not None:
            fig.axes[0].axvline(suggestion, color="tab:red", linestyle="--", label=f"suggested {suggestion:.2e}")
            fig.axes[0].legend()
        fig.axes[0].set_title(f"learning-rate finder: suggested {suggestion:.2e}" if suggestion else
                              "learning-rate finder: no suggestion (loss never fell)")
        with atomic_path(folder / "lr_find.png") as tmp:
            fig.savefig(tmp, format="png", dpi=100)
        atomic_write_json(folder / "lr_find.json", {"suggestion": suggestion, "lr": result.results["lr"],
                                                    "loss": result.results["loss"]})
        log.info("learning-rate finder: suggested lr %s; plot %s%s", f"{suggestion:.3g}" if suggestion else "none",
                 folder / "lr_find.png",
                 "; training with it" if self.then == "train" else "; stopping (then: train to train with it)")
        if self.then == "stop":
            trainer.should_stop = True
