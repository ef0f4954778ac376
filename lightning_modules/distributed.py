"""Collect Python objects from every process (no-op in a single process)."""
from __future__ import annotations

from typing import Any

import torch.distributed as dist


def gather_lists(items: list[Any]) -> list[Any]:
    """Concatenate ``items`` from all ranks (rank order); returns ``items`` unchanged without a process group."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return list(items)
    parts: list[list[Any] | None] = [None] * dist.get_world_size()
    dist.all_gather_object(parts, list(items))
    return [x for part in parts for x in (part or [])]
