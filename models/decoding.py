"""Batched greedy decoding and beam search with a length penalty, all on the model's device. Plain PyTorch.

Neither loop reads tensors back to the host at every step: hypotheses, scores and finished sentences stay tensors
(``topk`` / ``gather`` / ``index_select``), and whether every sentence has ended is checked every step on the CPU
but only every few steps on an accelerator, where each check would stall the device.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from datamodules.text.vocab import BOS_IDX, EOS_IDX, PAD_IDX
from models.decoding_guards import Guards, alignment, guard_logits, no_specials
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


@dataclass
class BeamOutput:
    """The ``n`` best ended hypotheses per sentence, best first: ``nbest`` ``(batch, n, steps)`` without ``_eos_``,
    ``_pad_`` after the end; ``nbest_scores`` ``(batch, n)``, log-probability divided by the length penalty (-inf for
    a slot no hypothesis filled); ``nbest_align`` ``(batch, n, steps)`` attended source positions and
    ``nbest_attention`` ``(batch, n, steps, src_len)`` when asked for (else None)."""

    nbest: torch.Tensor
    nbest_scores: torch.Tensor
    nbest_align: torch.Tensor | None = None
    nbest_attention: torch.Tensor | None = None

    @property
    def tokens(self) -> torch.Tensor:
        """The best hypothesis of each sentence ``(batch, steps)``."""
        return self.nbest[:, 0]

    @property
    def scores(self) -> torch.Tensor:
        """The best hypothesis's score ``(batch,)``."""
        return self.nbest_scores[:, 0]


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


def length_penalty(length: torch.Tensor | int, alpha: float) -> torch.Tensor | float:
    """GNMT length penalty ``((5 + length) / 6) ** alpha``; alpha 0 means raw log-probability."""
    return ((5.0 + length) / 6.0) ** alpha


@dataclass
class _Hyps:
    """Live hypotheses, one row each: ``seqs`` ``(rows, t)`` tokens; ``align`` ``(rows, t)`` attended source positions
    and ``attn`` ``(rows, t, src_len)`` attention, each only when tracked (else None)."""

    seqs: torch.Tensor
    align: torch.Tensor | None
    attn: torch.Tensor | None

    def grown(self, rows: torch.Tensor, tok: torch.Tensor, align: torch.Tensor | None,
              attn: torch.Tensor | None) -> "_Hyps":
        """Candidates: hypotheses ``rows`` ``(batch, n)`` (flat indices) extended by ``tok`` ``(batch, n)``, with this
        step's alignment ``(rows_all,)`` and attention ``(rows_all, src_len)`` of the row they came from."""
        def cat(history, now):
            return None if history is None else torch.cat([history[rows], now[rows].unsqueeze(2)], dim=2)

        return _Hyps(torch.cat([self.seqs[rows], tok.unsqueeze(-1)], dim=-1), cat(self.align, align),
                     cat(self.attn, attn))

    def pick(self, pick: torch.Tensor) -> "_Hyps":
        """Candidates ``(batch, m, ...)`` → the chosen ``pick`` ``(batch, beam)`` as flat rows."""
        def take(t):
            if t is None:
                return None
            idx = pick.view(*pick.shape, *([1] * (t.dim() - 2))).expand(-1, -1, *t.shape[2:])
            return t.gather(1, idx).flatten(0, 1)

        return _Hyps(take(self.seqs), take(self.align), take(self.attn))

    def padded(self, steps: int, drop_last: bool = False) -> list[torch.Tensor | None]:
        """Each tracked tensor padded to ``steps``; with ``drop_last`` the tokens lose their last step (the
        ``_eos_``), while alignment and attention keep it (the ``_eos_`` step attended too)."""
        def pad(t, value, cut=False):
            if t is None:
                return None
            t = t[:, :, :-1] if cut else t
            widths = (0, 0) * (t.dim() - 3) + (0, steps - t.size(2))
            return torch.nn.functional.pad(t, widths, value=value)

        return [pad(self.seqs, PAD_IDX, drop_last), pad(self.align, 0), pad(self.attn, 0.0)]


@dataclass
class _Finished:
    """The best ``beam`` ended hypotheses per sentence: ``scores`` ``(batch, beam)`` (normalised, -inf when empty)
    and ``parts``: tokens ``(batch, beam, max_len)`` padded with ``_pad_``, then alignment and attention (or None)."""

    scores: torch.Tensor
    parts: list[torch.Tensor | None]

    def add(self, scores: torch.Tensor, parts: list[torch.Tensor | None]) -> "_Finished":
        """Merge candidates ``scores`` ``(batch, n)`` (-inf = not a candidate) with their ``parts``
        ``(batch, n, max_len, ...)``."""
        best, idx = torch.cat([self.scores, scores], dim=1).topk(self.scores.size(1), dim=1)

        def merge(old, new):
            if old is None:
                return None
            both = torch.cat([old, new], dim=1)
            return both.gather(1, idx.view(*idx.shape, *([1] * (both.dim() - 2))).expand(-1, -1, *both.shape[2:]))

        return _Finished(best, [merge(o, n) for o, n in zip(self.parts, parts)])


@torch.no_grad()
def beam_search(model: Seq2Seq, src: torch.Tensor, src_lens: torch.Tensor, beam_size: int,
                max_len: int | torch.Tensor, length_penalty_alpha: float = 1.0, guards: Guards | None = None,
                track: str = "none") -> BeamOutput:
    """Beam search over ``src`` ``(batch, src_len)``.

    A hypothesis ends when it emits ``_eos_``; a sentence is done once ``beam_size`` hypotheses have ended, and when
    it reaches its step limit (``max_len``: one for all, or ``(batch,)`` per sentence) its live hypotheses end too.
    Ended hypotheses are ranked by log-probability divided by :func:`length_penalty` of their length (``_eos_``
    included); all ``beam_size`` of them are returned, best first. ``guards`` forbid tokens at each step.
    ``track``: ``"align"`` also returns each token's attended source position, ``"attention"`` that and the whole
    attention (for plots). With ``beam_size=1`` this is greedy decoding.
    """
    batch, beam, device = src.size(0), beam_size, src.device
    guards = (guards or Guards()).repeat_interleave(beam)
    limits = _limits(max_len, batch, device)
    steps = int(limits.max())
    memory, hidden = model.encode(src, src_lens)
    memory, state = memory.repeat_interleave(beam), model.decoder.init_state(hidden).repeat_interleave(beam)
    attended = model.decoder.attention is not None and track in ("align", "attention")
    rows0 = batch * beam
    hyps = _Hyps(torch.empty((rows0, 0), dtype=torch.long, device=device),
                 torch.empty((rows0, 0), dtype=torch.long, device=device) if attended else None,
                 src.new_zeros((rows0, 0, src.size(1)), dtype=torch.float) if attended and track == "attention"
                 else None)
    scores = torch.full((batch, beam), float("-inf"), device=device)
    scores[:, 0] = 0.0
    prev = torch.full((rows0,), BOS_IDX, dtype=torch.long, device=device)
    empty = _Hyps(torch.full((batch, beam, steps), PAD_IDX, dtype=torch.long, device=device),
                  None if hyps.align is None else torch.zeros((batch, beam, steps), dtype=torch.long, device=device),
                  None if hyps.attn is None else src.new_zeros((batch, beam, steps, src.size(1)), dtype=torch.float))
    fin = _Finished(torch.full((batch, beam), float("-inf"), device=device), [empty.seqs, empty.align, empty.attn])
    base = (torch.arange(batch, device=device) * beam).unsqueeze(1)
    every = _check_every(device)
    for step in range(steps):
        logits, state, attn = model.decoder.step(prev, state, memory)
        logp = torch.log_softmax(guard_logits(logits, guards, hyps.seqs).float(), dim=-1)
        vocab = logp.size(-1)
        cand = (scores.reshape(-1, 1) + logp).view(batch, beam * vocab)
        top_s, top_i = cand.topk(min(2 * beam, beam * vocab), dim=-1)  # (batch, 2·beam)
        rows = base + torch.div(top_i, vocab, rounding_mode="floor")  # flat origin hypothesis
        tok = top_i % vocab
        step_align = alignment(attn, guards.copy_mask) if attended or guards.copy_mask is not None else None
        cands = hyps.grown(rows, tok, step_align if attended else None,
                           attn.float() if hyps.attn is not None else None)  # (batch, 2·beam, step + 1, ...)
        is_eos = tok == EOS_IDX
        # candidates are taken best first until `beam` live ones are found; an _eos_ ranked below those is not taken
        live_before = torch.cumsum((~is_eos).long(), dim=-1) - (~is_eos).long()
        ended = is_eos & torch.isfinite(top_s) & (live_before < beam)
        lp = length_penalty(step + 1, length_penalty_alpha)
        fin = fin.add(torch.where(ended, top_s / lp, float("-inf")), cands.padded(steps, drop_last=True))
        alive_s, pick = torch.where(is_eos, float("-inf"), top_s).topk(beam, dim=-1)
        hyps = cands.pick(pick)
        at_limit = (limits == step + 1).unsqueeze(1)  # sentences whose last step this was: their live ones end
        live = _Hyps(*(None if t is None else t.view(batch, beam, *t.shape[1:]) for t in
                       (hyps.seqs, hyps.align, hyps.attn)))
        fin = fin.add(torch.where(at_limit, alive_s / lp, float("-inf")), live.padded(steps))
        done = torch.isfinite(fin.scores).all(dim=1) | (limits <= step + 1)
        scores = alive_s.masked_fill(done.unsqueeze(1), float("-inf"))
        prev, origin = tok.gather(1, pick).reshape(-1), rows.gather(1, pick).reshape(-1)
        state = state.select(origin)
        if guards.copy_mask is not None:  # each hypothesis takes its origin's unknown words, then uses one up
            guards = guards.select(origin).after_step(prev, step_align[origin])
        if (step + 1) % every == 0 and bool(done.all()):
            break
    seqs, align, attention = fin.parts
    return BeamOutput(seqs, fin.scores, align, attention)
