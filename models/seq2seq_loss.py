"""Sequence cross-entropy that ignores padding. Plain PyTorch."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from datamodules.text.vocab import PAD_IDX


def seq2seq_loss(logits: torch.Tensor, target: torch.Tensor, pad_idx: int = PAD_IDX,
                 label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean cross-entropy over the non-padding target tokens (with ``label_smoothing`` of the target mass spread
    uniformly over the vocabulary).

    Args:
        logits: ``(batch, out_len, vocab)``. When the decoder stopped before the target's end (``out_len <
            tgt_len``), the missing steps count as all-zero logits (a uniform guess), as the lesson pads them;
            extra steps beyond the target are ignored.
        target: ``(batch, tgt_len)`` with ``pad_idx`` at padding.
    """
    out_len, tgt_len = logits.size(1), target.size(1)
    if out_len < tgt_len:
        logits = F.pad(logits, (0, 0, 0, tgt_len - out_len))
    logits = logits[:, :tgt_len]
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), target.reshape(-1), ignore_index=pad_idx,
                           label_smoothing=label_smoothing)
