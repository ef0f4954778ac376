"""Numericalised sentence pairs and their padded batches."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from datamodules.text.vocab import PAD_IDX


@dataclass
class PairSplit:
    """One split: token ids (each ending in ``_eos_``) and the raw texts they came from."""

    src_ids: list[np.ndarray]
    tgt_ids: list[np.ndarray]
    src_text: list[str]
    tgt_text: list[str]

    def __len__(self) -> int:
        return len(self.src_ids)

    def lengths(self) -> list[int]:
        """Per pair, the longer of source and target length (what batching sorts by)."""
        return [max(len(s), len(t)) for s, t in zip(self.src_ids, self.tgt_ids)]


class PairDataset(Dataset):
    """Items are dicts ``{"src", "tgt"}`` (int64 tensors) plus the raw ``src_text``/``tgt_text`` and ``index``."""

    def __init__(self, split: PairSplit) -> None:
        self.split = split

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, i: int) -> dict:
        s = self.split
        return {"src": torch.from_numpy(s.src_ids[i].astype(np.int64)),
                "tgt": torch.from_numpy(s.tgt_ids[i].astype(np.int64)),
                "src_text": s.src_text[i], "tgt_text": s.tgt_text[i], "index": i}


def _pad(seqs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    lens = torch.tensor([len(s) for s in seqs])
    out = torch.full((len(seqs), int(lens.max())), PAD_IDX, dtype=torch.long)
    for row, seq in enumerate(seqs):
        out[row, : len(seq)] = seq
    return out, lens


def collate_pairs(items: list[dict]) -> dict:
    """Pad at the end. Returns ``src`` ``(batch, src_len)``, ``src_lens`` ``(batch,)``, ``tgt`` ``(batch,
    tgt_len)``, ``tgt_lens``, ``index`` ``(batch,)`` and the lists ``src_text``/``tgt_text``."""
    src, src_lens = _pad([it["src"] for it in items])
    tgt, tgt_lens = _pad([it["tgt"] for it in items])
    return {"src": src, "src_lens": src_lens, "tgt": tgt, "tgt_lens": tgt_lens,
            "index": torch.tensor([it["index"] for it in items]),
            "src_text": [it["src_text"] for it in items], "tgt_text": [it["tgt_text"] for it in items]}
