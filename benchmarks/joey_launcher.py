"""Start JoeyNMT seeded, with a CPU-time budget and checkpoints at CPU-time points; JoeyNMT's files are untouched.

Runs with the Python of JoeyNMT's own venv (it imports only JoeyNMT, torch, NumPy and the standard library):

    <joey venv>/bin/python benchmarks/joey_launcher.py --seed 1 --minutes 80 --points 10,20,40 \
        --summary run/joey.json -- train run/config.yaml -t

Why a launcher: JoeyNMT 2.3.0's training path never seeds the model's initialisation (its ``random_seed`` only
seeds batch sampling; ``set_seed`` is called for prediction, not before ``build_model``), so every run would start
from different weights. This seeds Python, NumPy and torch before JoeyNMT builds anything, then runs JoeyNMT's own
command line. With ``--minutes`` it also wraps ``TrainManager._train_step`` to count this process's CPU time from the
first training batch (time spent saving the point checkpoints excluded), saves a checkpoint through JoeyNMT's own
``_save_checkpoint`` whenever a ``--points`` minute is passed, and stops training at the budget with the
``KeyboardInterrupt`` JoeyNMT already handles (it then saves its current weights). The summary JSON records the
steps, tokens, the preparation time before the first batch, the first batch's loss, and each point's checkpoint.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import sys
import time
from pathlib import Path


def seed_everything(seed: int) -> None:
    """Seed every generator JoeyNMT's model building, dropout and batching draw from."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


class Budget:
    """CPU-time bookkeeping of one JoeyNMT training run (see the module docstring)."""

    def __init__(self, minutes: float, points: list[float], summary: Path) -> None:
        self.limit, self.points, self.path = minutes * 60, sorted(p for p in points if p < minutes), summary
        self.wall0 = time.perf_counter()
        self.t0: float | None = None
        self.excluded = 0.0
        self.record: dict = {"budget_minutes": minutes, "points": [], "first_loss": None}

    def spent(self) -> float:
        return time.process_time() - self.t0 - self.excluded

    def _save(self, manager, minutes: float) -> None:
        t = time.process_time()
        manager._save_checkpoint(False, float("nan"))  # noqa: SLF001 - JoeyNMT's own checkpoint writer
        self.record["points"].append({"minutes": minutes, "steps": int(manager.stats.steps),
                                      "train_seconds": self.spent(), "target_tokens": int(manager.stats.total_tokens),
                                      "ckpt": f"{manager.stats.steps}.ckpt"})
        self.excluded += time.process_time() - t

    def before_batch(self, manager) -> None:
        if self.t0 is None:
            self.t0 = time.process_time()
            self.record["prep_cpu_seconds"] = self.t0
            self.record["prep_wall_seconds"] = time.perf_counter() - self.wall0
        while self.points and self.spent() >= self.points[0] * 60:
            self._save(manager, self.points.pop(0))
        if self.spent() >= self.limit:
            self.record.update(steps=int(manager.stats.steps), target_tokens=int(manager.stats.total_tokens),
                               train_seconds=self.spent())
            self.record["points"].append({"minutes": self.limit / 60, "steps": int(manager.stats.steps),
                                          "train_seconds": self.spent(),
                                          "target_tokens": int(manager.stats.total_tokens),
                                          "ckpt": f"{manager.stats.steps}.ckpt"})
            raise KeyboardInterrupt  # JoeyNMT logs it and saves its current weights as <steps>.ckpt

    def write(self) -> None:
        self.record["wall_seconds"] = time.perf_counter() - self.wall0
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.record, indent=2))
        os.replace(tmp, self.path)


def install(budget: Budget) -> None:
    """Wrap JoeyNMT's per-batch training step with the budget's bookkeeping."""
    from joeynmt.training import TrainManager

    original = TrainManager._train_step  # noqa: SLF001

    def train_step(self, batch):
        budget.before_batch(self)
        loss, correct = original(self, batch)
        if budget.record["first_loss"] is None:
            budget.record["first_loss"] = float(loss)
        return loss, correct

    TrainManager._train_step = train_step  # noqa: SLF001
    atexit.register(budget.write)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, required=True, help="seeds Python, NumPy and torch before JoeyNMT starts")
    parser.add_argument("--minutes", type=float, default=None, help="CPU minutes of training, then stop")
    parser.add_argument("--points", default="", help="CPU minutes at which to save a checkpoint, e.g. 10,20,40")
    parser.add_argument("--summary", type=Path, default=None, help="where to write the run's summary JSON")
    parser.add_argument("joey_args", nargs=argparse.REMAINDER, help="JoeyNMT's own arguments, after --")
    args = parser.parse_args()
    joey_args = args.joey_args[1:] if args.joey_args[:1] == ["--"] else args.joey_args
    seed_everything(args.seed)
    if args.minutes is not None:
        if args.summary is None:
            parser.error("--minutes needs --summary")
        points = [float(p) for p in args.points.split(",") if p.strip()]
        install(Budget(args.minutes, points, args.summary))
    sys.argv = ["joeynmt", *joey_args]
    from joeynmt.__main__ import main as joey_main

    joey_main()


if __name__ == "__main__":
    main()
