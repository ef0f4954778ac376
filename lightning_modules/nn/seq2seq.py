"""The encoder–decoder pair, run over a whole target sequence. Plain PyTorch, no Lightning."""
from __future__ import annotations

import torch
from torch import nn

from lightning_modules.nn.decoder import Decoder, Memory
from lightning_modules.nn.encoder import Encoder

BOS_IDX, PAD_IDX, EOS_IDX = 0, 1, 2


def source_mask(src_lens: torch.Tensor, src_len: int) -> torch.Tensor:
    """``(batch,)`` lengths → ``(batch, src_len)`` bool mask, True at real tokens."""
    return torch.arange(src_len, device=src_lens.device).unsqueeze(0) < src_lens.unsqueeze(1)


class Seq2Seq(nn.Module):
    """GRU encoder + GRU decoder (optionally bidirectional encoder and attention), the lesson's model family."""

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, src_emb_dim: int, tgt_emb_dim: int,
                 hidden_size: int = 256, num_layers: int = 2, bidirectional: bool = False, attention: bool = False,
                 emb_dropout: float = 0.15, enc_dropout: float = 0.25, dec_dropout: float = 0.1,
                 out_dropout: float = 0.35) -> None:
        super().__init__()
        self.encoder = Encoder(src_vocab_size, src_emb_dim, hidden_size, num_layers, tgt_emb_dim, bidirectional,
                               emb_dropout, enc_dropout, PAD_IDX)
        self.decoder = Decoder(tgt_vocab_size, tgt_emb_dim, num_layers, self.encoder.out_dim, attention,
                               dec_dropout, out_dropout, PAD_IDX)

    def encode(self, src: torch.Tensor, src_lens: torch.Tensor) -> tuple[Memory, torch.Tensor]:
        """Source ``(batch, src_len)`` → decoder memory and initial hidden ``(num_layers, batch, tgt_emb_dim)``."""
        enc_out, hidden = self.encoder(src, src_lens)
        return self.decoder.memory(enc_out, source_mask(src_lens, src.size(1))), hidden

    def forward(self, src: torch.Tensor, src_lens: torch.Tensor, tgt: torch.Tensor,
                teacher_forcing: float = 0.0) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Decode ``tgt.size(1)`` steps, feeding the true previous token with probability ``teacher_forcing``.

        As in the lesson the coin is tossed once per step for the whole batch; otherwise the decoder is fed its own
        most likely token.

        Args:
            src: ``(batch, src_len)``; src_lens: ``(batch,)``; tgt: ``(batch, tgt_len)`` ending in ``_eos_``.

        Returns:
            logits ``(batch, tgt_len, tgt_vocab)`` and attention ``(batch, tgt_len, src_len)`` (None without it).
        """
        memory, hidden = self.encode(src, src_lens)
        prev = torch.full((src.size(0),), BOS_IDX, dtype=torch.long, device=src.device)
        all_logits, all_attn = [], []
        for t in range(tgt.size(1)):
            logits, hidden, attn = self.decoder.step(prev, hidden, memory)
            all_logits.append(logits)
            all_attn.append(attn)
            forced = teacher_forcing > 0 and bool(torch.rand(()) < teacher_forcing)
            prev = tgt[:, t] if forced else logits.argmax(-1)
        attn = torch.stack(all_attn, 1) if all_attn and all_attn[0] is not None else None
        return torch.stack(all_logits, 1), attn
