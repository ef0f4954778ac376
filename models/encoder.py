"""GRU encoder, optionally bidirectional. Plain PyTorch, no Lightning."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from datamodules.text.vocab import PAD_IDX


class Encoder(nn.Module):
    """Embedding → dropout → multi-layer GRU over the (padded) source.

    The GRU runs on packed sequences, so padding never reaches the recurrent state. The final hidden state of each
    layer (both directions concatenated when bidirectional) is projected to the decoder's hidden size.
    """

    def __init__(self, vocab_size: int, emb_dim: int, hidden_size: int, num_layers: int, dec_hidden_size: int,
                 bidirectional: bool = False, emb_dropout: float = 0.15, rnn_dropout: float = 0.25,
                 pad_idx: int = PAD_IDX) -> None:
        super().__init__()
        self.num_layers = num_layers
        self.num_dirs = 2 if bidirectional else 1
        self.emb = nn.Embedding(vocab_size, emb_dim, padding_idx=pad_idx)
        self.emb_drop = nn.Dropout(emb_dropout)
        self.rnn = nn.GRU(emb_dim, hidden_size, num_layers=num_layers, batch_first=True,
                          dropout=rnn_dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)
        self.to_decoder = nn.Linear(hidden_size * self.num_dirs, dec_hidden_size, bias=False)

    @property
    def out_dim(self) -> int:
        """Size of each encoder output vector: ``hidden_size × directions``."""
        return self.rnn.hidden_size * self.num_dirs

    def forward(self, src: torch.Tensor, src_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode a batch.

        Args:
            src: token ids ``(batch, src_len)``, padded at the end.
            src_lens: true lengths ``(batch,)``.

        Returns:
            outputs ``(batch, src_len, out_dim)`` (zeros at padding) and the decoder's initial hidden state
            ``(num_layers, batch, dec_hidden_size)``.
        """
        emb = self.emb_drop(self.emb(src))
        packed = pack_padded_sequence(emb, src_lens.cpu().clamp(min=1), batch_first=True, enforce_sorted=False)
        out, h_n = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        batch = src.size(0)
        h_n = h_n.view(self.num_layers, self.num_dirs, batch, -1).permute(0, 2, 1, 3)
        hidden = self.to_decoder(h_n.reshape(self.num_layers, batch, -1))
        return out, hidden
