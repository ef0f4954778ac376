"""GRU decoder with optional additive attention, fed one step at a time or a whole sequence. Plain PyTorch.

Where the attention context enters (``attention_mode``):

- ``"input"`` (the lesson's): the previous top-layer state queries the source; the context is concatenated with the
  input embedding and projected back to the embedding size before the GRU.
- ``"output"``: the GRU runs on the embeddings alone; its new top-layer state queries the source, and an attentional
  output layer ``tanh(W [h; context])`` feeds the prediction (Luong et al., 2015, with additive scores). With teacher
  forcing on every token the whole target sequence goes through the GRU and the attention in one call each.
- ``"input_feeding"``: as ``"output"``, and the previous attentional vector is also fed to the GRU with the
  embedding (Luong's input feeding, JoeyNMT's recurrent decoder).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from datamodules.text.vocab import PAD_IDX
from models.attention import AdditiveAttention

AttentionMode = Literal["input", "output", "input_feeding"]


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

    def select(self, rows: torch.Tensor) -> "Memory":
        """Batch rows ``rows`` ``(n,)`` only (sentences still being decoded)."""
        pick = lambda t: None if t is None else t[rows]  # noqa: E731
        return Memory(pick(self.enc_out), pick(self.keys), pick(self.mask))


@dataclass
class DecoderState:
    """``hidden`` ``(num_layers, batch, hidden_size)``; ``feed`` ``(batch, hidden_size)``, the previous attentional
    vector with input feeding, else None."""

    hidden: torch.Tensor
    feed: torch.Tensor | None = None

    def select(self, rows: torch.Tensor) -> "DecoderState":
        """The states of batch rows ``rows`` ``(n,)`` (beam search reordering)."""
        return DecoderState(self.hidden[:, rows], None if self.feed is None else self.feed[rows])

    def repeat_interleave(self, times: int) -> "DecoderState":
        """Each batch row repeated ``times`` times in place."""
        feed = None if self.feed is None else self.feed.repeat_interleave(times, dim=0)
        return DecoderState(self.hidden.repeat_interleave(times, dim=1), feed)


class Decoder(nn.Module):
    """Previous token → embedding → GRU (+ attention, see the module docstring) → dropout → output layer.

    ``hidden_size`` None makes the GRU as wide as the embedding (the lesson's choice). With ``tie_weights`` the output
    layer shares the embedding matrix, through a linear map to the embedding size when the widths differ.
    """

    def __init__(self, vocab_size: int, emb_dim: int, num_layers: int, enc_dim: int, attention: bool = False,
                 rnn_dropout: float = 0.1, out_dropout: float = 0.35, pad_idx: int = PAD_IDX,
                 hidden_size: int | None = None, attention_mode: AttentionMode = "input",
                 tie_weights: bool = True) -> None:
        super().__init__()
        if attention_mode not in ("input", "output", "input_feeding"):
            raise ValueError(f"attention_mode must be input, output or input_feeding, got {attention_mode!r}")
        hid = hidden_size or emb_dim
        self.hidden_size, self.mode = hid, attention_mode if attention else None
        self.emb = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_idx)
        self.attention = AdditiveAttention(enc_dim, hid, hid) if attention else None
        self.combine = nn.Linear(emb_dim + enc_dim, emb_dim) if self.mode == "input" else None
        self.att_out = nn.Linear(hid + enc_dim, hid) if self.mode in ("output", "input_feeding") else None
        rnn_in = emb_dim + (hid if self.mode == "input_feeding" else 0)
        self.rnn = nn.GRU(rnn_in, hid, num_layers=num_layers, batch_first=True,
                          dropout=rnn_dropout if num_layers > 1 else 0.0)
        self.out_drop = nn.Dropout(out_dropout)
        self.to_emb = nn.Linear(hid, emb_dim, bias=False) if tie_weights and hid != emb_dim else None
        self.out = nn.Linear(emb_dim if tie_weights else hid, vocab_size)
        if tie_weights:
            self.out.weight = self.emb.weight

    @property
    def parallel(self) -> bool:
        """Whether a fully teacher-forced sequence can be decoded in one pass (no step feeds the next)."""
        return self.mode in (None, "output")

    def memory(self, enc_out: torch.Tensor, mask: torch.Tensor) -> Memory:
        """Precompute the attention keys for a batch of encoder outputs ``(batch, src_len, enc_dim)``."""
        keys = self.attention.keys(enc_out) if self.attention is not None else None
        return Memory(enc_out, keys, mask)

    def init_state(self, hidden: torch.Tensor) -> DecoderState:
        """The state before the first step, from the encoder's ``(num_layers, batch, hidden_size)``."""
        feed = hidden.new_zeros(hidden.size(1), self.hidden_size) if self.mode == "input_feeding" else None
        return DecoderState(hidden, feed)

    def _logits(self, h: torch.Tensor) -> torch.Tensor:
        h = self.out_drop(h)
        return self.out(self.to_emb(h) if self.to_emb is not None else h)

    def _attend_output(self, h: torch.Tensor, memory: Memory) -> tuple[torch.Tensor, torch.Tensor]:
        context, weights = self.attention(h, memory.keys, memory.enc_out, memory.mask)
        return torch.tanh(self.att_out(torch.cat([h, context], dim=-1))), weights

    def step(self, prev: torch.Tensor, state: DecoderState,
             memory: Memory) -> tuple[torch.Tensor, DecoderState, torch.Tensor | None]:
        """One decoding step.

        Args:
            prev: previous tokens ``(batch,)``.
            state: see :class:`DecoderState`.
            memory: encoder side, see :class:`Memory`.

        Returns:
            logits ``(batch, vocab)``, the new state, attention weights ``(batch, src_len)`` or None without attention.
        """
        x = self.emb(prev)
        weights = None
        if self.mode == "input":
            context, weights = self.attention(state.hidden[-1], memory.keys, memory.enc_out, memory.mask)
            x = self.combine(torch.cat([x, context], dim=-1))
        elif self.mode == "input_feeding":
            x = torch.cat([x, state.feed], dim=-1)
        out, hidden = self.rnn(x.unsqueeze(1), state.hidden)
        h, feed = out.squeeze(1), None
        if self.mode in ("output", "input_feeding"):
            h, weights = self._attend_output(h, memory)
            feed = h if self.mode == "input_feeding" else None
        return self._logits(h), DecoderState(hidden, feed), weights

    def forward_sequence(self, inputs: torch.Tensor, state: DecoderState,
                         memory: Memory) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher-forced decoding of whole sequences in one pass (only when :attr:`parallel`).

        Args:
            inputs: the tokens fed at each step ``(batch, tgt_len)`` (``_bos_`` then the target shifted right).

        Returns:
            logits ``(batch, tgt_len, vocab)`` and attention ``(batch, tgt_len, src_len)`` or None.
        """
        if not self.parallel:
            raise RuntimeError(f"attention_mode {self.mode!r} feeds each step into the next: decode step by step")
        out, _ = self.rnn(self.emb(inputs), state.hidden)
        weights = None
        if self.mode == "output":
            out, weights = self._attend_output(out, memory)
        return self._logits(out), weights
