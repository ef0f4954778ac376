"""The test-time translation report (JSON + Markdown): sacreBLEU BLEU and chrF with signatures per decoding, which
sentences were scored, and sample translations. Written by the ``BleuReport`` callback."""
from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

import pytorch_lightning as pl
import sacrebleu

from callbacks.scored_checkpoint import ScoredCheckpoint, scored_checkpoint
from core.atomic import atomic_write_json, atomic_write_text
from core.distributed import gather_lists, run_dir
from datamodules.text.test_set import EvalSet

log = logging.getLogger(__name__)


def corpus_scores(hyps: Sequence[str], refs: Sequence[str], lowercase: bool) -> dict:
    """sacreBLEU corpus BLEU and chrF of detokenised hypotheses against raw references, with signatures: cased
    (sacreBLEU's default, the headline) unless the model only writes lower case, and lower-cased beside them
    (``bleu_lc``, ``chrf_lc``)."""
    out = {}
    for suffix, lc in (("", lowercase), ("_lc", True)):
        bleu, chrf = sacrebleu.metrics.BLEU(lowercase=lc), sacrebleu.metrics.CHRF(lowercase=lc)
        b, c = bleu.corpus_score(list(hyps), [list(refs)]), chrf.corpus_score(list(hyps), [list(refs)])
        out |= {f"bleu{suffix}": round(b.score, 2), f"chrf{suffix}": round(c.score, 2), f"bleu{suffix}_detail": str(b),
                f"bleu{suffix}_signature": str(bleu.get_signature()),
                f"chrf{suffix}_signature": str(chrf.get_signature())}
    return out


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def write_bleu_report(log_dir: str | Path, results: dict, samples: list[dict],
                      scored: EvalSet | None = None, checkpoint: ScoredCheckpoint | None = None) -> tuple[Path, Path]:
    """Write ``bleu_report.json`` and ``bleu_report.md`` into ``log_dir``.

    ``results`` maps a decoding name ("greedy", "beam5") to :func:`corpus_scores` output plus ``n_sentences``;
    ``samples`` holds dicts with ``source``, ``reference`` and one hypothesis per decoding name; ``scored`` says
    which sentences were scored; ``checkpoint`` which weights.
    """
    log_dir = Path(log_dir)
    json_path, md_path = log_dir / "bleu_report.json", log_dir / "bleu_report.md"
    atomic_write_json(json_path, {"scored": asdict(scored) if scored else None,
                                  "checkpoint": {**asdict(checkpoint), "selected": checkpoint.selected}
                                  if checkpoint else None, "results": results, "samples": samples})
    names = list(results)
    lines = ["# Translation report", ""]
    if scored is not None:
        lines += [f"Scored: **{scored.name}**, {scored.n_sentences} sentences ({scored.description}).", ""]
    if checkpoint is not None:
        lines += [checkpoint.sentence(), ""]
    lines += ["| decoding | sentences | BLEU | chrF | BLEU lower-cased | chrF lower-cased |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {n} | {r['n_sentences']} | {r['bleu']:.2f} | {r['chrf']:.2f} | {r['bleu_lc']:.2f} | "
              f"{r['chrf_lc']:.2f} |" for n, r in results.items()]
    lines += ["", "Signatures:", ""]
    for n, r in results.items():
        lines += [f"- {n}: `{r['bleu_signature']}` / `{r['chrf_signature']}`; lower-cased "
                  f"`{r['bleu_lc_signature']}` / `{r['chrf_lc_signature']}`"]
    lines += ["", f"## {len(samples)} sample translations", "",
              "| source | reference | " + " | ".join(names) + " |", "| --- " * (2 + len(names)) + "|"]
    for s in samples:
        cells = [s["source"], s["reference"]] + [s[n] for n in names]
        lines.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
    atomic_write_text(md_path, "\n".join(lines) + "\n")
    return json_path, md_path


class BleuReport(pl.Callback):
    """After ``test`` with a translation model, write ``bleu_report.json``/``.md`` in the run's log folder.

    Collects what ``Seq2SeqModule.test_step`` returns (sources, references, one hypothesis list per decoding) from
    every process, then scores the whole split with sacreBLEU (BLEU and chrF with signatures, the same numbers the
    module logs) and keeps ``n_samples`` evenly spaced sample translations. The header names the split scored
    (the DataModule's ``eval_set("test")``). Other tasks' outputs are ignored.
    """

    def __init__(self, n_samples: int = 20) -> None:
        self.n_samples = n_samples
        self._rows: list[dict] = []

    def on_test_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._rows = []

    def on_test_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                          batch_idx: int, dataloader_idx: int = 0) -> None:
        if isinstance(outputs, dict) and "decoded" in outputs:
            for j, index in enumerate(outputs["index"]):
                self._rows.append({"index": index, "source": outputs["source"][j],
                                   "reference": outputs["reference"][j],
                                   **{name: hyps[j] for name, hyps in outputs["decoded"].items()}})

    def on_test_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        rows = sorted(gather_lists(self._rows), key=lambda r: r["index"])
        self._rows = []
        if not rows or not trainer.is_global_zero:
            return
        names = [k for k in rows[0] if k not in ("index", "source", "reference")]
        refs = [r["reference"] for r in rows]
        results = {n: corpus_scores([r[n] for r in rows], refs, pl_module.lowercase) | {"n_sentences": len(rows)}
                   for n in names}
        step = max(1, len(rows) // max(1, self.n_samples))
        samples = [{k: v for k, v in r.items() if k != "index"} for r in rows[::step][: self.n_samples]]
        dm = trainer.datamodule
        scored = dm.eval_set("test") if hasattr(dm, "eval_set") else None
        paths = write_bleu_report(run_dir(trainer), results, samples, scored, scored_checkpoint(trainer))
        log.info("BLEU report: %s", ", ".join(map(str, paths)))
