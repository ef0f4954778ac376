"""Batched greedy decoding, all on the model's device (beam search: :mod:`models.beam_search`). Plain PyTorch.

Neither loop reads tensors back to the host at every step: tokens, scores and ended sentences stay tensors, and
whether every sentence has ended is checked every step on the CPU but only every few steps on an accelerator, where
each check would stall the device.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from datamodules.text.vocab import BOS_IDX, EOS_IDX, PAD_IDX
from models.decoding_guards import Guards, alignment, guard_logits
from models.seq2seq import Seq2Seq


@dataclass
class GreedyOutput:
    """``tokens`` ``(batch, steps)`` (``_pad_`` after each sentence's ``_eos_``), ``logits`` ``(batch, steps,
    vocab)``, ``attention`` ``(batch, steps, src_len)`` or None, ``align`` ``(batch, steps)`` the source position
    each step attended to most (see :class:`Guards`) or None, ``scores`` ``(batch,)`` the hypothesis's
    log-probability (specials excluded, up to and with its ``_eos_``)."""

    tokens: torch.Tensor
    logits: torch.Tensor | None
    attention: torch.Tensor | None
    align: torch.Tensor | None = None
    scores: torch.Tensor | None = None


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


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: torch.Tensor, src_lens: torch.Tensor, max_len: int | torch.Tensor,
                  min_steps: int = 0, guards: Guards | None = None, with_scores: bool = False) -> GreedyOutput:
    """Feed back the most likely token until every sentence has emitted ``_eos_`` or reached its step limit
    (``max_len``: one for all, or ``(batch,)`` per sentence), running at least ``min_steps`` steps. ``src`` is
    ``(batch, src_len)``; ``guards`` (default: none) forbid tokens at each step. The returned logits are the model's,
    with ``_bos_``/``_pad_`` still scored (for the loss); the tokens never are those two, and are ``_pad_`` after a
    sentence's end. ``with_scores`` also sums each hypothesis's log-probability."""
    guards = guards or Guards()
    memory, hidden = model.encode(src, src_lens)
    state = model.decoder.init_state(hidden)
    batch, every = src.size(0), _check_every(src.device)
    limits = _limits(max_len, batch, src.device)
    prev = torch.full((batch,), BOS_IDX, dtype=torch.long, device=src.device)
    done = torch.zeros(batch, dtype=torch.bool, device=src.device)
    score = torch.zeros(batch, device=src.device)
    tokens, logits_all, attn_all, align_all = [], [], [], []
    for t in range(max(int(limits.max()), min_steps)):
        logits, state, attn = model.decoder.step(prev, state, memory)
        history = torch.stack(tokens, 1) if guards.no_repeat_ngram and tokens else None
        allowed = guard_logits(logits, guards, history)
        prev = allowed.argmax(-1)
        if with_scores:
            step_logp = torch.log_softmax(allowed.float(), -1).gather(1, prev.unsqueeze(1)).squeeze(1)
            score = score + step_logp.masked_fill(done, 0.0)
        tokens.append(prev.masked_fill(done, PAD_IDX))
        logits_all.append(logits)
        attn_all.append(attn)
        align_all.append(alignment(attn, guards.copy_mask))
        guards = guards.after_step(prev, align_all[-1])
        done = done | (prev == EOS_IDX) | (limits <= t + 1)
        if t + 1 >= min_steps and (t + 1) % every == 0 and bool(done.all()):
            break
    has_attn = attn_all[0] is not None
    return GreedyOutput(torch.stack(tokens, 1), torch.stack(logits_all, 1),
                        torch.stack(attn_all, 1) if has_attn else None,
                        torch.stack(align_all, 1) if has_attn else None, score if with_scores else None)


@torch.no_grad()
def greedy_search(model: Seq2Seq, src: torch.Tensor, src_lens: torch.Tensor, max_len: int | torch.Tensor,
                  guards: Guards | None = None, track: str = "none", with_scores: bool = False) -> GreedyOutput:
    """Greedy decoding for inference: the same tokens as :func:`greedy_decode`, but sentences that have ended
    leave the batch (checked every step on the CPU, every few steps on an accelerator), so the remaining steps
    compute only what is still being written, and no logits are kept. ``track`` as in :func:`beam_search`;
    the returned ``logits`` is None."""
    guards = guards or Guards()
    memory, hidden = model.encode(src, src_lens)
    state = model.decoder.init_state(hidden)
    batch, device, every = src.size(0), src.device, _check_every(src.device)
    limits = _limits(max_len, batch, device)
    steps = int(limits.max())
    attended = model.decoder.attention is not None and track in ("align", "attention")
    tokens = torch.full((batch, steps), PAD_IDX, dtype=torch.long, device=device)
    align = torch.zeros((batch, steps), dtype=torch.long, device=device) if attended else None
    attention = src.new_zeros((batch, steps, src.size(1)), dtype=torch.float) if attended and track == "attention" \
        else None
    score = torch.zeros(batch, device=device)
    rows = torch.arange(batch, device=device)  # the original row of each sentence still in the batch
    prev = torch.full((batch,), BOS_IDX, dtype=torch.long, device=device)
    finished = torch.zeros(batch, dtype=torch.bool, device=device)
    used = 0
    for t in range(steps):
        logits, state, attn = model.decoder.step(prev, state, memory)
        history = tokens[rows, :t] if guards.no_repeat_ngram and t else None
        allowed = guard_logits(logits, guards, history)
        prev = allowed.argmax(-1)
        tokens[rows, t] = prev.masked_fill(finished, PAD_IDX)
        if with_scores:
            step_logp = torch.log_softmax(allowed.float(), -1).gather(1, prev.unsqueeze(1)).squeeze(1)
            score[rows] += step_logp.masked_fill(finished, 0.0)
        step_align = alignment(attn, guards.copy_mask) if attended or guards.copy_mask is not None else None
        guards = guards.after_step(prev, step_align)
        if attended:
            align[rows, t] = step_align
            if attention is not None:
                attention[rows, t] = attn.float()
        finished = finished | (prev == EOS_IDX) | (limits[rows] <= t + 1)
        used = t + 1
        if (t + 1) % every == 0:
            keep = (~finished).nonzero().squeeze(1)
            if keep.numel() == 0:
                break
            if keep.numel() < rows.numel():
                rows, prev, finished = rows[keep], prev[keep], finished[keep]
                state, memory, guards = state.select(keep), memory.select(keep), guards.select(keep)
    return GreedyOutput(tokens[:, :used], None, None if attention is None else attention[:, :used],
                        None if align is None else align[:, :used], score if with_scores else None)
