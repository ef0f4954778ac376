"""Batched beam search with a GNMT length penalty, all on the model's device. Plain PyTorch.

Hypotheses, scores and ended hypotheses stay tensors (``topk`` / ``gather`` / ``index_select``); no step reads them
back to the host except the check whether sentences are done, made every step on the CPU and every few steps on an
accelerator. Done sentences leave the batch at those checks, so the remaining steps compute only what is still being
searched. Each step first takes every hypothesis's own ``2 · beam`` best next tokens, then the best ``2 · beam`` of
those per sentence (the same candidates as ranking the whole ``beam × vocab`` grid).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from datamodules.text.vocab import BOS_IDX, EOS_IDX, PAD_IDX
from models.decoding import _check_every, _limits
from models.decoding_guards import Guards, alignment, guard_logits
from models.seq2seq import Seq2Seq


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


def length_penalty(length: torch.Tensor | int, alpha: float) -> torch.Tensor | float:
    """GNMT length penalty ``((5 + length) / 6) ** alpha``; alpha 0 means raw log-probability."""
    return ((5.0 + length) / 6.0) ** alpha


def _take(t: torch.Tensor | None, rows: torch.Tensor) -> torch.Tensor | None:
    return None if t is None else t.index_select(0, rows)


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

    def select(self, rows: torch.Tensor) -> "_Hyps":
        """The hypotheses of flat rows ``rows`` ``(n,)``."""
        return _Hyps(self.seqs.index_select(0, rows), _take(self.align, rows), _take(self.attn, rows))

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

    def select(self, rows: torch.Tensor) -> "_Finished":
        """The sentences ``rows`` ``(n,)``."""
        return _Finished(self.scores.index_select(0, rows), [_take(p, rows) for p in self.parts])

    def store(self, out: "_Finished", sentences: torch.Tensor) -> None:
        """Write these sentences' results into ``out`` at its rows ``sentences`` ``(batch,)``."""
        out.scores[sentences] = self.scores
        for mine, theirs in zip(self.parts, out.parts):
            if mine is not None:
                theirs[sentences] = mine


def _empty(batch: int, beam: int, steps: int, hyps: _Hyps, src: torch.Tensor) -> _Finished:
    """No ended hypothesis yet for ``batch`` sentences."""
    device = src.device
    return _Finished(torch.full((batch, beam), float("-inf"), device=device),
                     [torch.full((batch, beam, steps), PAD_IDX, dtype=torch.long, device=device),
                      None if hyps.align is None else torch.zeros((batch, beam, steps), dtype=torch.long,
                                                                  device=device),
                      None if hyps.attn is None else src.new_zeros((batch, beam, steps, src.size(1)),
                                                                   dtype=torch.float)])


def _candidates(logits: torch.Tensor, scores: torch.Tensor, beam: int) -> tuple[torch.Tensor, torch.Tensor,
                                                                                  torch.Tensor]:
    """The ``2 · beam`` best extensions per sentence: ``logits`` ``(n · beam, vocab)`` (guarded), ``scores``
    ``(n, beam)`` of the live hypotheses → their scores ``(n, 2 · beam)``, the hypothesis each extends (within its
    sentence) and the token, both ``(n, 2 · beam)``."""
    n, vocab = scores.size(0), logits.size(-1)
    logits = logits.float()
    per_row = min(2 * beam, vocab)
    row_top, row_tok = logits.topk(per_row, dim=-1)  # (n · beam, per_row)
    row_logp = row_top - torch.logsumexp(logits, dim=-1, keepdim=True)
    cand = (scores.reshape(-1, 1) + row_logp).view(n, beam * per_row)
    top_s, top_j = cand.topk(min(2 * beam, beam * per_row), dim=-1)
    return top_s, torch.div(top_j, per_row, rounding_mode="floor"), row_tok.view(n, -1).gather(1, top_j)


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
    out = _empty(batch, beam, steps, hyps, src)
    fin = _empty(batch, beam, steps, hyps, src)
    sentences = torch.arange(batch, device=device)  # the original index of each sentence still searched
    within = torch.arange(beam, device=device)
    every = _check_every(device)
    for step in range(steps):
        n = sentences.numel()
        logits, state, attn = model.decoder.step(prev, state, memory)
        top_s, origin, tok = _candidates(guard_logits(logits, guards, hyps.seqs), scores, beam)
        rows = (torch.arange(n, device=device) * beam).unsqueeze(1) + origin  # flat origin hypothesis
        step_align = alignment(attn, guards.copy_mask) if attended or guards.copy_mask is not None else None
        cands = hyps.grown(rows, tok, step_align if attended else None,
                           attn.float() if hyps.attn is not None else None)  # (n, 2·beam, step + 1, ...)
        is_eos = tok == EOS_IDX
        # candidates are taken best first until `beam` live ones are found; an _eos_ ranked below those is not taken
        live_before = torch.cumsum((~is_eos).long(), dim=-1) - (~is_eos).long()
        ended = is_eos & torch.isfinite(top_s) & (live_before < beam)
        lp = length_penalty(step + 1, length_penalty_alpha)
        fin = fin.add(torch.where(ended, top_s / lp, float("-inf")), cands.padded(steps, drop_last=True))
        alive_s, pick = torch.where(is_eos, float("-inf"), top_s).topk(beam, dim=-1)
        hyps = cands.pick(pick)
        sentence_limits = limits.index_select(0, sentences)
        at_limit = (sentence_limits == step + 1).unsqueeze(1)  # sentences whose last step this was: live ones end
        live = _Hyps(*(None if t is None else t.view(n, beam, *t.shape[1:]) for t in
                       (hyps.seqs, hyps.align, hyps.attn)))
        fin = fin.add(torch.where(at_limit, alive_s / lp, float("-inf")), live.padded(steps))
        done = torch.isfinite(fin.scores).all(dim=1) | (sentence_limits <= step + 1)
        scores = alive_s.masked_fill(done.unsqueeze(1), float("-inf"))
        prev, chosen = tok.gather(1, pick).reshape(-1), rows.gather(1, pick).reshape(-1)
        state = state.select(chosen)
        if guards.copy_mask is not None:  # each hypothesis takes its origin's unknown words, then uses one up
            guards = guards.select(chosen).after_step(prev, step_align[chosen])
        if (step + 1) % every == 0:
            keep = (~done).nonzero().squeeze(1)
            if keep.numel() < n:  # done sentences leave the batch
                fin.select(done.nonzero().squeeze(1)).store(out, sentences[done])
                if keep.numel() == 0:
                    break
                hyp_rows = (keep.unsqueeze(1) * beam + within).reshape(-1)
                sentences, scores, fin = sentences[keep], scores[keep], fin.select(keep)
                prev, hyps, state = prev[hyp_rows], hyps.select(hyp_rows), state.select(hyp_rows)
                memory, guards = memory.select(hyp_rows), guards.select(hyp_rows)
    else:
        fin.store(out, sentences)
    seqs, align, attention = out.parts
    return BeamOutput(seqs, out.scores, align, attention)
