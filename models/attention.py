"""Additive (Bahdanau) attention with padding masked to exactly zero weight. Plain PyTorch, no Lightning."""
from __future__ import annotations

import torch
from torch import nn


class AdditiveAttention(nn.Module):
    """``score(h, e_s) = v · tanh(W1 e_s + W2 h)``, softmax over source positions.

    The encoder side ``W1 e_s`` does not depend on the decoder step, so :meth:`keys` computes it once per batch.
    Queries may be one per sentence ``(batch, dec_dim)`` (a decoding step) or one per target position
    ``(batch, tgt_len, dec_dim)`` (a whole teacher-forced sequence at once).
    """

    def __init__(self, enc_dim: int, dec_dim: int, attn_dim: int) -> None:
        super().__init__()
        self.enc_proj = nn.Linear(enc_dim, attn_dim, bias=False)
        self.dec_proj = nn.Linear(dec_dim, attn_dim)
        self.v = nn.Linear(attn_dim, 1, bias=False)

    def keys(self, enc_out: torch.Tensor) -> torch.Tensor:
        """``(batch, src_len, enc_dim)`` → projected keys ``(batch, src_len, attn_dim)``."""
        return self.enc_proj(enc_out)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, enc_out: torch.Tensor,
                mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from the decoder state to the source.

        Args:
            query: decoder state ``(batch, dec_dim)`` or ``(batch, tgt_len, dec_dim)``.
            keys: from :meth:`keys`, ``(batch, src_len, attn_dim)``.
            enc_out: encoder outputs ``(batch, src_len, enc_dim)``.
            mask: ``(batch, src_len)`` bool, True at real tokens, False at padding.

        Returns:
            context ``(batch, enc_dim)`` and weights ``(batch, src_len)`` (rows sum to 1, exactly 0 on padding);
            with a query per position, ``(batch, tgt_len, enc_dim)`` and ``(batch, tgt_len, src_len)``.
        """
        single = query.dim() == 2
        q = self.dec_proj(query.unsqueeze(1) if single else query)  # (batch, tgt_len, attn_dim)
        energy = torch.tanh(keys.unsqueeze(1) + q.unsqueeze(2))  # (batch, tgt_len, src_len, attn_dim)
        scores = self.v(energy).squeeze(-1).float()
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights.to(enc_out.dtype), enc_out)
        return (context.squeeze(1), weights.squeeze(1)) if single else (context, weights)
