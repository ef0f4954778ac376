"""One-cycle learning-rate factor as a plain function of (step, total steps).

Unlike ``torch.optim.lr_scheduler.OneCycleLR`` the total is not frozen into the scheduler's saved state, so a run
resumed with a larger ``max_epochs`` stretches its schedule instead of failing when it steps past the old total.
"""
from __future__ import annotations

import math


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
