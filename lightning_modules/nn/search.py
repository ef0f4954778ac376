"""Batched greedy decoding and beam search with a length penalty. Plain PyTorch, no Lightning."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from lightning_modules.nn.seq2seq import BOS_IDX, EOS_IDX, PAD_IDX, Seq2Seq


@dataclass
class GreedyOutput:
    """``tokens`` ``(batch, steps)`` (``_pad_`` after each sentence's ``_eos_``), ``logits`` ``(batch, steps,
    vocab)``, ``attention`` ``(batch, steps, src_len)`` or None."""

    tokens: torch.Tensor
    logits: torch.Tensor
    attention: torch.Tensor | None


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: torch.Tensor, src_lens: torch.Tensor, max_len: int,
                  min_steps: int = 0) -> GreedyOutput:
    """Feed back the most likely token until every sentence has emitted ``_eos_`` (at least ``min_steps`` steps,
    at most ``max_len``). ``src`` is ``(batch, src_len)``."""
    memory, hidden = model.encode(src, src_lens)
    batch = src.size(0)
    prev = torch.full((batch,), BOS_IDX, dtype=torch.long, device=src.device)
    done = torch.zeros(batch, dtype=torch.bool, device=src.device)
    tokens, logits_all, attn_all = [], [], []
    for t in range(max(max_len, min_steps)):
        logits, hidden, attn = model.decoder.step(prev, hidden, memory)
        prev = logits.argmax(-1)
        tokens.append(prev.masked_fill(done, PAD_IDX))
        logits_all.append(logits)
        attn_all.append(attn)
        done = done | (prev == EOS_IDX)
        if t + 1 >= min_steps and bool(done.all()):
            break
    attention = torch.stack(attn_all, 1) if attn_all[0] is not None else None
    return GreedyOutput(torch.stack(tokens, 1), torch.stack(logits_all, 1), attention)


def _length_penalty(length: int, alpha: float) -> float:
    """GNMT length penalty ``((5 + length) / 6) ** alpha``; alpha 0 means raw log-probability."""
    return ((5.0 + length) / 6.0) ** alpha


def _select(batch: int, beam: int, cand_scores: list, cand_idx: list, vocab: int, step: int, done: list,
            finished: list, seqs: list, alpha: float):
    """Split the top 2·beam candidates of each sentence into finished (``_eos_``) and up to ``beam`` alive ones."""
    new_scores = [[float("-inf")] * beam for _ in range(batch)]
    origin = [[0] * beam for _ in range(batch)]
    new_tok = [[PAD_IDX] * beam for _ in range(batch)]
    for b in range(batch):
        if done[b]:
            continue
        k = 0
        for score, flat in zip(cand_scores[b], cand_idx[b]):
            src_beam, tok = divmod(flat, vocab)
            if score == float("-inf"):
                break
            if tok == EOS_IDX:
                finished[b].append((score / _length_penalty(step + 1, alpha), seqs[b * beam + src_beam]))
                continue
            new_scores[b][k], origin[b][k], new_tok[b][k] = score, src_beam, tok
            k += 1
            if k == beam:
                break
        done[b] = len(finished[b]) >= beam or k == 0
    return new_scores, origin, new_tok


@torch.no_grad()
def beam_search(model: Seq2Seq, src: torch.Tensor, src_lens: torch.Tensor, beam_size: int, max_len: int,
                length_penalty: float = 1.0) -> list[list[int]]:
    """Beam search; returns, per sentence, the best token ids (without ``_eos_``).

    A hypothesis ends when it emits ``_eos_``; a sentence is done once ``beam_size`` hypotheses have ended. Ended
    hypotheses are ranked by log-probability divided by the GNMT length penalty. With ``beam_size=1`` this is
    exactly greedy decoding.
    """
    batch, beam = src.size(0), beam_size
    memory, hidden = model.encode(src, src_lens)
    memory, hidden = memory.repeat_interleave(beam), hidden.repeat_interleave(beam, dim=1)
    scores = torch.full((batch, beam), float("-inf"), device=src.device)
    scores[:, 0] = 0.0
    prev = torch.full((batch * beam,), BOS_IDX, dtype=torch.long, device=src.device)
    seqs: list[list[int]] = [[] for _ in range(batch * beam)]
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(batch)]
    done = [False] * batch
    for step in range(max_len):
        logits, hidden, _ = model.decoder.step(prev, hidden, memory)
        logp = torch.log_softmax(logits.float(), dim=-1)
        vocab = logp.size(-1)
        cand = (scores.reshape(-1, 1) + logp).view(batch, beam * vocab)
        top_s, top_i = cand.topk(min(2 * beam, beam * vocab), dim=-1)
        new_scores, origin, new_tok = _select(batch, beam, top_s.tolist(), top_i.tolist(), vocab, step, done,
                                              finished, seqs, length_penalty)
        flat_origin = [b * beam + o for b in range(batch) for o in origin[b]]
        flat_tok = [t for row in new_tok for t in row]
        seqs = [seqs[o] + [t] for o, t in zip(flat_origin, flat_tok)]
        hidden = hidden[:, torch.tensor(flat_origin, device=src.device)]
        scores = torch.tensor(new_scores, device=src.device)
        prev = torch.tensor(flat_tok, dtype=torch.long, device=src.device)
        if all(done):
            break
    for b in range(batch):
        if not done[b]:
            for k in range(beam):
                if new_scores[b][k] != float("-inf"):
                    finished[b].append((new_scores[b][k] / _length_penalty(max_len, length_penalty), seqs[b * beam + k]))
    return [max(f, key=lambda x: x[0])[1] if f else [] for f in finished]
