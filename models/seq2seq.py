"""The encoder–decoder pair, run over a whole target sequence. Plain PyTorch, no Lightning."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import nn

from datamodules.text.vocab import BOS_IDX, PAD_IDX
from models.decoder import AttentionMode, Decoder, Memory
from models.encoder import Encoder

ForcingMode = Literal["batch", "token"]


def source_mask(src_lens: torch.Tensor, src_len: int) -> torch.Tensor:
    """``(batch,)`` lengths → ``(batch, src_len)`` bool mask, True at real tokens."""
    return torch.arange(src_len, device=src_lens.device).unsqueeze(0) < src_lens.unsqueeze(1)


@dataclass
class Seq2SeqConfig:
    """The translator's shape, one typed group: sizes the data decides (vocabularies, embedding widths; linked from
    the DataModule by the CLI) and the architecture (see :class:`Seq2Seq`)."""

    src_vocab_size: int = 4
    tgt_vocab_size: int = 4
    src_emb_dim: int = 300
    tgt_emb_dim: int = 300
    hidden_size: int = 256
    num_layers: int = 2
    bidirectional: bool = False
    attention: bool = False
    attention_mode: AttentionMode = "input"
    dec_hidden_size: int | None = None
    tie_weights: bool = True
    emb_dropout: float = 0.15
    enc_dropout: float = 0.25
    dec_dropout: float = 0.1
    out_dropout: float = 0.35


torch.serialization.add_safe_globals([Seq2SeqConfig])  # checkpoints keep it in their hyperparameters


class Seq2Seq(nn.Module):
    """GRU encoder + GRU decoder (optionally bidirectional encoder and attention), the lesson's model family.

    ``dec_hidden_size`` None keeps the lesson's decoder, as wide as the target embedding; ``attention_mode`` and
    ``tie_weights`` are explained in :mod:`models.decoder`.
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, src_emb_dim: int, tgt_emb_dim: int,
                 hidden_size: int = 256, num_layers: int = 2, bidirectional: bool = False, attention: bool = False,
                 emb_dropout: float = 0.15, enc_dropout: float = 0.25, dec_dropout: float = 0.1,
                 out_dropout: float = 0.35, dec_hidden_size: int | None = None,
                 attention_mode: AttentionMode = "input", tie_weights: bool = True) -> None:
        super().__init__()
        dec_hidden = dec_hidden_size or tgt_emb_dim
        self.encoder = Encoder(src_vocab_size, src_emb_dim, hidden_size, num_layers, dec_hidden, bidirectional,
                               emb_dropout, enc_dropout, PAD_IDX)
        self.decoder = Decoder(tgt_vocab_size, tgt_emb_dim, num_layers, self.encoder.out_dim, attention, dec_dropout,
                               out_dropout, PAD_IDX, dec_hidden, attention_mode, tie_weights)

    @classmethod
    def from_config(cls, config: Seq2SeqConfig) -> Seq2Seq:
        return cls(**asdict(config))

    def encode(self, src: torch.Tensor, src_lens: torch.Tensor) -> tuple[Memory, torch.Tensor]:
        """Source ``(batch, src_len)`` → decoder memory and initial hidden ``(num_layers, batch, dec_hidden)``."""
        enc_out, hidden = self.encoder(src, src_lens)
        return self.decoder.memory(enc_out, source_mask(src_lens, src.size(1))), hidden

    def forward(self, src: torch.Tensor, src_lens: torch.Tensor, tgt: torch.Tensor, teacher_forcing: float = 0.0,
                forcing_mode: ForcingMode = "batch") -> tuple[torch.Tensor, torch.Tensor | None]:
        """Decode ``tgt.size(1)`` steps, feeding the true previous token with probability ``teacher_forcing``.

        ``forcing_mode="batch"`` tosses one coin per step for the whole batch, as in the lesson; ``"token"`` one per
        token (scheduled sampling, Bengio et al., 2015). Otherwise the decoder is fed its own most likely token. With
        ``teacher_forcing`` ≥ 1 and a decoder that allows it, the whole sequence is decoded in one pass.

        Args:
            src: ``(batch, src_len)``; src_lens: ``(batch,)``; tgt: ``(batch, tgt_len)`` ending in ``_eos_``.

        Returns:
            logits ``(batch, tgt_len, tgt_vocab)`` and attention ``(batch, tgt_len, src_len)`` (None without it).
        """
        memory, hidden = self.encode(src, src_lens)
        state = self.decoder.init_state(hidden)
        bos = torch.full((src.size(0), 1), BOS_IDX, dtype=torch.long, device=src.device)
        if teacher_forcing >= 1.0 and self.decoder.parallel:
            return self.decoder.forward_sequence(torch.cat([bos, tgt[:, :-1]], dim=1), state, memory)
        prev = bos.squeeze(1)
        all_logits, all_attn = [], []
        for t in range(tgt.size(1)):
            logits, state, attn = self.decoder.step(prev, state, memory)
            all_logits.append(logits)
            all_attn.append(attn)
            prev = self._next_input(logits, tgt[:, t], teacher_forcing, forcing_mode)
        attn = torch.stack(all_attn, 1) if all_attn and all_attn[0] is not None else None
        return torch.stack(all_logits, 1), attn

    @staticmethod
    def _next_input(logits: torch.Tensor, truth: torch.Tensor, p: float, mode: ForcingMode) -> torch.Tensor:
        """The true tokens ``(batch,)`` with probability ``p`` (per batch or per token), else the predicted ones."""
        if p >= 1.0:
            return truth
        guess = logits.argmax(-1)
        if p <= 0.0:
            return guess
        if mode == "token":
            return torch.where(torch.rand(truth.shape, device=truth.device) < p, truth, guess)
        return truth if bool(torch.rand(()) < p) else guess  # a CPU coin: no device sync
