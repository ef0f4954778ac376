"""Evaluation metrics as torchmetrics ``Metric``s, so Lightning syncs them across processes, resets and logs them.

- BLEU and chrF: ``CorpusScore`` below. torchmetrics' own ``SacreBLEUScore`` and ``CHRFScore`` do not give
  sacreBLEU's numbers in general (BLEU has no "exp" smoothing, so a corpus without a matching 4-gram scores 0; chrF
  treats whitespace and smoothing differently), and the reports quote sacreBLEU. So the sentences are kept as UTF-8
  byte tensors (``dist_reduce_fx="cat"``, gathered from every process) and scored by sacreBLEU once, at ``compute``;
- hit@k: ``RankHits``, the ranks of true classes (``"cat"``), turned into flat / zero-shot hit rates.
"""
from __future__ import annotations

from typing import Literal, Sequence

import sacrebleu
import torch
from torchmetrics import Metric

from lightning_modules.devise_eval import EvalRow, method_hit_rates


def _encode(texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    raw = [t.encode("utf-8") for t in texts]
    flat = torch.frombuffer(bytearray(b"".join(raw)), dtype=torch.uint8) if any(raw) else torch.zeros(0, torch.uint8)
    return flat.clone(), torch.tensor([len(r) for r in raw], dtype=torch.long)


def _decode(flat: torch.Tensor, lengths: torch.Tensor) -> list[str]:
    data = bytes(flat.cpu().tolist())
    out, start = [], 0
    for n in lengths.cpu().tolist():
        out.append(data[start:start + n].decode("utf-8"))
        start += n
    return out


def _cat(value) -> torch.Tensor:
    """A list state (before a sync) or the tensor a sync made of it, as one tensor."""
    return torch.cat(value) if isinstance(value, list) else value


def _empty(value) -> bool:
    return len(value) == 0 if isinstance(value, list) else value.numel() == 0


class CorpusScore(Metric):
    """sacreBLEU corpus BLEU or chrF (0–100, sacreBLEU's default settings, optionally case-insensitive) over every
    sentence seen by every process."""

    full_state_update = False

    def __init__(self, kind: Literal["bleu", "chrf"], lowercase: bool = False) -> None:
        super().__init__()
        self.kind, self.lowercase = kind, lowercase
        for name in ("hyp_bytes", "hyp_lens", "ref_bytes", "ref_lens"):
            self.add_state(name, default=[], dist_reduce_fx="cat")

    def scorer(self):
        """The sacreBLEU metric object (its ``get_signature()`` describes the settings)."""
        cls = sacrebleu.metrics.BLEU if self.kind == "bleu" else sacrebleu.metrics.CHRF
        return cls(lowercase=self.lowercase)

    def update(self, hyps: Sequence[str], refs: Sequence[str]) -> None:
        """One hypothesis and one reference per sentence."""
        for texts, prefix in ((hyps, "hyp"), (refs, "ref")):
            flat, lens = _encode(texts)
            getattr(self, f"{prefix}_bytes").append(flat.to(self.device))
            getattr(self, f"{prefix}_lens").append(lens.to(self.device))

    def compute(self) -> torch.Tensor:
        if _empty(self.hyp_lens):
            return torch.tensor(0.0)
        hyps = _decode(_cat(self.hyp_bytes), _cat(self.hyp_lens))
        refs = _decode(_cat(self.ref_bytes), _cat(self.ref_lens))
        return torch.tensor(self.scorer().corpus_score(hyps, [refs]).score)


class RankHits(Metric):
    """Ranks of the true class per image (all classes, and among a held-out group), gathered from every process;
    ``compute`` gives flat hit@k for images of seen classes and zero-shot hit@k for images of held-out ones, and the
    numbers of images (``n_images``, ``n_heldout_images``)."""

    full_state_update = False

    def __init__(self, ks: Sequence[int], n_classes: int, n_unseen: int, method: str = "devise") -> None:
        super().__init__()
        self.ks, self.n_classes, self.n_unseen, self.method = tuple(ks), n_classes, n_unseen, method
        for name in ("ranks", "unseen_ranks", "held"):
            self.add_state(name, default=[], dist_reduce_fx="cat")

    def update(self, ranks: torch.Tensor, unseen_ranks: torch.Tensor, held: torch.Tensor) -> None:
        """``(batch,)`` each: rank among all classes, rank among the held-out group, whether held out."""
        self.ranks.append(ranks.long())
        self.unseen_ranks.append(unseen_ranks.long())
        self.held.append(held.bool())

    def compute(self) -> dict[str, float]:
        if _empty(self.ranks):
            return {}
        ranks, unseen, held = (_cat(x).cpu().tolist() for x in (self.ranks, self.unseen_ranks, self.held))
        m = self.method
        rows = [EvalRow(i, h, {m: r}, {m: u}) for i, (r, u, h) in enumerate(zip(ranks, unseen, held))]
        return {**method_hit_rates(rows, m, self.ks, self.n_classes, self.n_unseen),
                "n_images": len(rows), "n_heldout_images": sum(held)}
