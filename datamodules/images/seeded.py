"""Training augmentations drawn from a random state fixed by (seed, epoch, image), not by the process's history."""
from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from core.rng import preserved_rng


class EpochSeededItems(Dataset):
    """Items of ``dataset`` keyed ``(epoch, index)``: Python's, NumPy's and torch's generators are seeded from
    ``(seed, epoch, index)`` for the item and put back afterwards.

    So an image's random crop/flip/jitter in a given epoch is the same in every run with that seed: whatever the
    number of loader workers (whose own generators otherwise depend on when the loader was built), after a
    mid-epoch resume, and without moving the training process's generators (dropout). Used with
    ``ResumableBatchSampler(with_epoch=True)``, which yields such keys.
    """

    def __init__(self, dataset: Dataset, seed: int = 0) -> None:
        self.dataset, self.seed = dataset, seed

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def item_seed(self, epoch: int, index: int) -> int:
        return ((self.seed * 1_000_003 + epoch) * 1_000_000_007 + index) % (2**63 - 1)

    def __getitem__(self, key: tuple[int, int]) -> Any:
        epoch, index = key
        seed = self.item_seed(epoch, index)
        with preserved_rng():
            random.seed(seed)
            np.random.seed(seed % 2**32)
            torch.manual_seed(seed)
            return self.dataset[index]
