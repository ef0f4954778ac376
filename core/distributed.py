"""Helpers for multi-process runs: collect Python objects from every process, find the log folder locally."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch.distributed as dist
from pytorch_lightning.loggers import CSVLogger, TensorBoardLogger


def gather_lists(items: list[Any]) -> list[Any]:
    """Concatenate ``items`` from all ranks (rank order); returns ``items`` unchanged without a process group."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return list(items)
    parts: list[list[Any] | None] = [None] * dist.get_world_size()
    dist.all_gather_object(parts, list(items))
    return [x for part in parts for x in (part or [])]


def run_dir(trainer) -> Path:
    """The run's log folder, like ``Trainer.log_dir`` but without its broadcast: safe to call on rank 0 alone
    (``Trainer.log_dir`` is a collective call, so using it only on rank 0 hangs a distributed run)."""
    if not trainer.loggers:
        return Path(trainer.default_root_dir)
    logger = trainer.loggers[0]
    folder = logger.log_dir if isinstance(logger, (TensorBoardLogger, CSVLogger)) else logger.save_dir
    return Path(folder or trainer.default_root_dir)


def world_and_rank(trainer) -> tuple[int, int]:
    """``(world_size, global_rank)`` of the trainer's processes; ``(1, 0)`` without a trainer."""
    return (trainer.world_size, trainer.global_rank) if trainer is not None else (1, 0)
