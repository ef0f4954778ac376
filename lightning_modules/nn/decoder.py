"""GRU decoder, one step at a time, with optional additive attention. Plain PyTorch, no Lightning."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from lightning_modules.nn.attention import AdditiveAttention


@dataclass
class Memory:
    """What the decoder reads from the encoder at every step.

    ``enc_out`` ``(batch, src_len, enc_dim)``, ``keys`` ``(batch, src_len, attn_dim)`` or None without attention,
    ``mask`` ``(batch, src_len)`` bool, True at real source tokens.
    """

    enc_out: torch.Tensor
    keys: torch.Tensor | None
    mask: torch.Tensor

    def repeat_interleave(self, times: int) -> "Memory":
        """Each batch row repeated ``times`` times in place (for beam search)."""
        rep = lambda t: None if t is None else t.repeat_interleave(times, dim=0)  # noqa: E731
        return Memory(rep(self.enc_out), rep(self.keys), rep(self.mask))


class Decoder(nn.Module):
    """Feeds its previous token through embedding → [concat attention context → linear] → GRU → dropout → output.

    The GRU's hidden size equals the embedding size so that the output layer can share the embedding matrix
    (weight tying). With attention, the context vector is concatenated with the input embedding and projected back
    to the embedding size before the GRU, as in the lesson.
    """

    def __init__(self, vocab_size: int, emb_dim: int, num_layers: int, enc_dim: int, attention: bool = False,
                 rnn_dropout: float = 0.1, out_dropout: float = 0.35, pad_idx: int = 1) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_idx)
        self.attention = AdditiveAttention(enc_dim, emb_dim, emb_dim) if attention else None
        self.combine = nn.Linear(emb_dim + enc_dim, emb_dim) if attention else None
        self.rnn = nn.GRU(emb_dim, emb_dim, num_layers=num_layers, batch_first=True,
                          dropout=rnn_dropout if num_layers > 1 else 0.0)
        self.out_drop = nn.Dropout(out_dropout)
        self.out = nn.Linear(emb_dim, vocab_size)
        self.out.weight = self.emb.weight

    def memory(self, enc_out: torch.Tensor, mask: torch.Tensor) -> Memory:
        """Precompute the attention keys for a batch of encoder outputs ``(batch, src_len, enc_dim)``."""
        keys = self.attention.keys(enc_out) if self.attention is not None else None
        return Memory(enc_out, keys, mask)

    def step(self, prev: torch.Tensor, hidden: torch.Tensor,
             memory: Memory) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One decoding step.

        Args:
            prev: previous tokens ``(batch,)``.
            hidden: GRU state ``(num_layers, batch, emb_dim)``.
            memory: encoder side, see :class:`Memory`.

        Returns:
            logits ``(batch, vocab)``, new hidden ``(num_layers, batch, emb_dim)``, attention weights
            ``(batch, src_len)`` or None without attention.
        """
        x = self.emb(prev)
        weights = None
        if self.attention is not None:
            context, weights = self.attention(hidden[-1], memory.keys, memory.enc_out, memory.mask)
            x = self.combine(torch.cat([x, context], dim=-1))
        out, hidden = self.rnn(x.unsqueeze(1), hidden)
        logits = self.out(self.out_drop(out.squeeze(1)))
        return logits, hidden, weights
