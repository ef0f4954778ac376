"""Length-aware batching: a "sortish" sampler for training and a sorted one for evaluation.

Both are batch samplers (they yield lists of dataset indices) and can shard by rank, so that under DDP every training
pair is seen exactly once per epoch across ranks while each batch still holds sentences of similar length.
"""
from __future__ import annotations

import math
from typing import Iterator, Sequence

import torch
from torch.utils.data import Sampler


def _chunks(seq: Sequence[int], size: int) -> list[list[int]]:
    return [list(seq[i : i + size]) for i in range(0, len(seq), size)]


class SortishBatchSampler(Sampler[list[int]]):
    """Random order, similar lengths together (fastai's SortishSampler, as a batch sampler).

    Each epoch: shuffle all indices, cut them into mega-chunks of ``batch_size * chunk_factor``, sort each chunk by
    length (longest first) and cut it into batches; the batch holding the longest sentence goes first (so an
    out-of-memory error shows at once), the rest are shuffled. Deterministic for ``(seed, epoch)``; call
    ``set_epoch`` each epoch. With ``num_replicas > 1`` rank ``r`` takes batches ``r, r + n, ...`` of the shared
    order; the batch list is padded by repeating batches from its start so every rank gets the same count.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, chunk_factor: int = 50, seed: int = 0,
                 num_replicas: int = 1, rank: int = 0) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.chunk_factor = chunk_factor
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _all_batches(self) -> list[list[int]]:
        gen = torch.Generator().manual_seed(self.seed + 1_000_003 * self.epoch)
        order = torch.randperm(len(self.lengths), generator=gen).tolist()
        batches: list[list[int]] = []
        for chunk in _chunks(order, self.batch_size * self.chunk_factor):
            chunk.sort(key=lambda i: -self.lengths[i])
            batches.extend(_chunks(chunk, self.batch_size))
        if not batches:
            return batches
        longest = max(range(len(batches)), key=lambda b: self.lengths[batches[b][0]])
        batches[0], batches[longest] = batches[longest], batches[0]
        rest = batches[1:]
        perm = torch.randperm(len(rest), generator=gen).tolist()
        return [batches[0]] + [rest[p] for p in perm]

    def __iter__(self) -> Iterator[list[int]]:
        batches = self._all_batches()
        per_rank = len(self)
        total = per_rank * self.num_replicas
        batches = (batches + batches[: total - len(batches)]) if batches else batches
        yield from batches[self.rank : total : self.num_replicas]

    def __len__(self) -> int:
        n_batches = math.ceil(len(self.lengths) / self.batch_size)
        return math.ceil(n_batches / self.num_replicas)


class SortedBatchSampler(Sampler[list[int]]):
    """Evaluation batches sorted by length, longest first, the same every time; no padding duplicates.

    With ``num_replicas > 1`` rank ``r`` takes batches ``r, r + n, ...``; ranks may get one batch fewer than others,
    and batches shrink when there are fewer of them than ranks, so that no rank is left without one.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, num_replicas: int = 1, rank: int = 0) -> None:
        order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
        size = min(batch_size, max(1, math.ceil(len(order) / num_replicas)))
        self.batches = _chunks(order, size)[rank::num_replicas]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)
