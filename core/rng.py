"""The process's random-number-generator states (Python, NumPy, torch CPU and CUDA): collect, restore, preserve."""
from __future__ import annotations

import contextlib
import random
from typing import Any, Iterator

import numpy as np
import torch


def collect_rng_state() -> dict[str, Any]:
    """This process's Python, NumPy, torch CPU (and CUDA, when present) generator states, as plain types (a
    checkpoint holding them still loads with ``torch.load(weights_only=True)``)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {"python": random.getstate(), "numpy": (kind, keys.tolist(), pos, has_gauss, gauss),
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Inverse of :func:`collect_rng_state` (a CUDA state is skipped when there is no GPU)."""
    random.setstate(state["python"])
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@contextlib.contextmanager
def preserved_rng() -> Iterator[None]:
    """Run a block that reseeds or draws (e.g. building a cache) without moving the generators for what follows,
    so a run that builds a cache and one that finds it train identically."""
    state = collect_rng_state()
    try:
        yield
    finally:
        restore_rng_state(state)
