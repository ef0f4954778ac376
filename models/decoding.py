"""Batched greedy decoding and beam search with a length penalty, all on the model's device. Plain PyTorch.

Neither loop reads tensors back to the host at every step: hypotheses, scores and finished sentences stay tensors
(``topk`` / ``gather`` / ``index_select``), and whether every sentence has ended is checked every step on the CPU
but only every few steps on an accelerator, where each check would stall the device.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from datamodules.text.vocab import BOS_IDX, EOS_IDX, PAD_IDX
from models.seq2seq import Seq2Seq


@dataclass
class GreedyOutput:
    """``tokens`` ``(batch, steps)`` (``_pad_`` after each sentence's ``_eos_``), ``logits`` ``(batch, steps,
    vocab)``, ``attention`` ``(batch, steps, src_len)`` or None."""

    tokens: torch.Tensor
    logits: torch.Tensor
    attention: torch.Tensor | None


@dataclass
class BeamOutput:
    """Per sentence the best hypothesis: ``tokens`` ``(batch, steps)`` without ``_eos_``, ``_pad_`` after its end;
    ``scores`` ``(batch,)``, its log-probability divided by the length penalty."""

    tokens: torch.Tensor
    scores: torch.Tensor


def decode_limit(src_lens: torch.Tensor, floor: int) -> torch.Tensor:
    """Steps each sentence may take: ``floor`` (e.g. the training targets' length limit), or more for a long source
    (1.5 × its length + 5), so no sentence is cut however long it is. ``(batch,)`` long, on ``src_lens``' device;
    a sentence's limit depends on it alone, never on the batch it is decoded in."""
    return torch.clamp(src_lens.long() * 3 // 2 + 5, min=int(floor))


def _limits(max_len: int | torch.Tensor, batch: int, device: torch.device) -> torch.Tensor:
    if isinstance(max_len, torch.Tensor):
        return max_len.to(device=device, dtype=torch.long)
    return torch.full((batch,), int(max_len), dtype=torch.long, device=device)


def _check_every(device: torch.device) -> int:
    return 1 if device.type == "cpu" else 8


def _no_specials(logits: torch.Tensor) -> torch.Tensor:
    """``_bos_`` and ``_pad_`` are never a prediction."""
    return logits.index_fill(-1, torch.tensor([BOS_IDX, PAD_IDX], device=logits.device), float("-inf"))


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: torch.Tensor, src_lens: torch.Tensor, max_len: int | torch.Tensor,
                  min_steps: int = 0) -> GreedyOutput:
    """Feed back the most likely token until every sentence has emitted ``_eos_`` or reached its step limit
    (``max_len``: one for all, or ``(batch,)`` per sentence), running at least ``min_steps`` steps. ``src`` is
    ``(batch, src_len)``. The returned logits are the model's, with ``_bos_``/``_pad_`` still scored (for the
    loss); the tokens never are those two, and are ``_pad_`` after a sentence's end."""
    memory, hidden = model.encode(src, src_lens)
    state = model.decoder.init_state(hidden)
    batch, every = src.size(0), _check_every(src.device)
    limits = _limits(max_len, batch, src.device)
    prev = torch.full((batch,), BOS_IDX, dtype=torch.long, device=src.device)
    done = torch.zeros(batch, dtype=torch.bool, device=src.device)
    tokens, logits_all, attn_all = [], [], []
    for t in range(max(int(limits.max()), min_steps)):
        logits, state, attn = model.decoder.step(prev, state, memory)
        prev = _no_specials(logits).argmax(-1)
        tokens.append(prev.masked_fill(done, PAD_IDX))
        logits_all.append(logits)
        attn_all.append(attn)
        done = done | (prev == EOS_IDX) | (limits <= t + 1)
        if t + 1 >= min_steps and (t + 1) % every == 0 and bool(done.all()):
            break
    attention = torch.stack(attn_all, 1) if attn_all[0] is not None else None
    return GreedyOutput(torch.stack(tokens, 1), torch.stack(logits_all, 1), attention)


def length_penalty(length: torch.Tensor | int, alpha: float) -> torch.Tensor | float:
    """GNMT length penalty ``((5 + length) / 6) ** alpha``; alpha 0 means raw log-probability."""
    return ((5.0 + length) / 6.0) ** alpha


@dataclass
class _Finished:
    """The best ``beam`` ended hypotheses per sentence: ``scores`` ``(batch, beam)`` (normalised, -inf when empty),
    ``seqs`` ``(batch, beam, max_len)`` padded with ``_pad_``."""

    scores: torch.Tensor
    seqs: torch.Tensor

    def add(self, scores: torch.Tensor, seqs: torch.Tensor) -> "_Finished":
        """Merge candidates ``scores`` ``(batch, n)`` (-inf = not a candidate), ``seqs`` ``(batch, n, max_len)``."""
        all_scores = torch.cat([self.scores, scores], dim=1)
        best, idx = all_scores.topk(self.scores.size(1), dim=1)
        all_seqs = torch.cat([self.seqs, seqs], dim=1)
        return _Finished(best, all_seqs.gather(1, idx.unsqueeze(-1).expand(-1, -1, all_seqs.size(-1))))


def _padded(seqs: torch.Tensor, max_len: int) -> torch.Tensor:
    """``(..., steps)`` → ``(..., max_len)`` with ``_pad_`` after."""
    return torch.nn.functional.pad(seqs, (0, max_len - seqs.size(-1)), value=PAD_IDX)


@torch.no_grad()
def beam_search(model: Seq2Seq, src: torch.Tensor, src_lens: torch.Tensor, beam_size: int,
                max_len: int | torch.Tensor, length_penalty_alpha: float = 1.0) -> BeamOutput:
    """Beam search over ``src`` ``(batch, src_len)``.

    A hypothesis ends when it emits ``_eos_``; a sentence is done once ``beam_size`` hypotheses have ended, and when
    it reaches its step limit (``max_len``: one for all, or ``(batch,)`` per sentence) its live hypotheses end too.
    Ended hypotheses are ranked by log-probability divided by :func:`length_penalty` of their length (``_eos_``
    included). With ``beam_size=1`` this is greedy decoding.
    """
    batch, beam, device = src.size(0), beam_size, src.device
    limits = _limits(max_len, batch, device)
    steps = int(limits.max())
    memory, hidden = model.encode(src, src_lens)
    memory, state = memory.repeat_interleave(beam), model.decoder.init_state(hidden).repeat_interleave(beam)
    scores = torch.full((batch, beam), float("-inf"), device=device)
    scores[:, 0] = 0.0
    seqs = torch.empty((batch * beam, 0), dtype=torch.long, device=device)
    prev = torch.full((batch * beam,), BOS_IDX, dtype=torch.long, device=device)
    fin = _Finished(torch.full((batch, beam), float("-inf"), device=device),
                    torch.full((batch, beam, steps), PAD_IDX, dtype=torch.long, device=device))
    base = (torch.arange(batch, device=device) * beam).unsqueeze(1)
    every = _check_every(device)
    for step in range(steps):
        logits, state, _ = model.decoder.step(prev, state, memory)
        logp = torch.log_softmax(_no_specials(logits).float(), dim=-1)
        vocab = logp.size(-1)
        cand = (scores.reshape(-1, 1) + logp).view(batch, beam * vocab)
        top_s, top_i = cand.topk(min(2 * beam, beam * vocab), dim=-1)  # (batch, 2·beam)
        rows = base + torch.div(top_i, vocab, rounding_mode="floor")  # flat origin hypothesis
        tok = top_i % vocab
        cand_seqs = torch.cat([seqs[rows], tok.unsqueeze(-1)], dim=-1)  # (batch, 2·beam, step + 1)
        is_eos = tok == EOS_IDX
        # candidates are taken best first until `beam` live ones are found; an _eos_ ranked below those is not taken
        live_before = torch.cumsum((~is_eos).long(), dim=-1) - (~is_eos).long()
        ended = is_eos & torch.isfinite(top_s) & (live_before < beam)
        lp = length_penalty(step + 1, length_penalty_alpha)
        fin = fin.add(torch.where(ended, top_s / lp, float("-inf")), _padded(cand_seqs[..., :-1], steps))
        alive_s, pick = torch.where(is_eos, float("-inf"), top_s).topk(beam, dim=-1)
        seqs = cand_seqs.gather(1, pick.unsqueeze(-1).expand(-1, -1, step + 1)).reshape(batch * beam, step + 1)
        at_limit = (limits == step + 1).unsqueeze(1)  # sentences whose last step this was: their live ones end
        fin = fin.add(torch.where(at_limit, alive_s / lp, float("-inf")), _padded(seqs, steps).view(batch, beam, -1))
        done = torch.isfinite(fin.scores).all(dim=1) | (limits <= step + 1)
        scores = alive_s.masked_fill(done.unsqueeze(1), float("-inf"))
        prev = tok.gather(1, pick).reshape(-1)
        state = state.select(rows.gather(1, pick).reshape(-1))
        if (step + 1) % every == 0 and bool(done.all()):
            break
    return BeamOutput(fin.seqs[:, 0], fin.scores[:, 0])
