"""Corpus BLEU/chrF with sacrebleu and the test-time translation report (JSON + Markdown)."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import sacrebleu

from datamodules.atomic import atomic_write_json, atomic_write_text
from datamodules.text.test_set import EvalSet


def corpus_scores(hyps: Sequence[str], refs: Sequence[str], lowercase: bool) -> dict:
    """sacreBLEU corpus BLEU and chrF of detokenised hypotheses against raw references, with signatures."""
    bleu = sacrebleu.metrics.BLEU(lowercase=lowercase)
    chrf = sacrebleu.metrics.CHRF(lowercase=lowercase)
    b = bleu.corpus_score(list(hyps), [list(refs)])
    c = chrf.corpus_score(list(hyps), [list(refs)])
    return {"bleu": round(b.score, 2), "chrf": round(c.score, 2), "bleu_detail": str(b),
            "bleu_signature": str(bleu.get_signature()), "chrf_signature": str(chrf.get_signature())}


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def write_bleu_report(log_dir: str | Path, results: dict, samples: list[dict],
                      scored: EvalSet | None = None) -> tuple[Path, Path]:
    """Write ``bleu_report.json`` and ``bleu_report.md`` into ``log_dir``.

    ``results`` maps a decoding name ("greedy", "beam5") to :func:`corpus_scores` output plus ``n_sentences``;
    ``samples`` holds dicts with ``source``, ``reference`` and one hypothesis per decoding name; ``scored`` says
    which sentences were scored.
    """
    log_dir = Path(log_dir)
    json_path, md_path = log_dir / "bleu_report.json", log_dir / "bleu_report.md"
    atomic_write_json(json_path, {"scored": asdict(scored) if scored else None, "results": results,
                                  "samples": samples})
    names = list(results)
    lines = ["# Translation report", ""]
    if scored is not None:
        lines += [f"Scored: **{scored.name}**, {scored.n_sentences} sentences ({scored.description}).", ""]
    lines += ["| decoding | sentences | BLEU | chrF |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {n} | {r['n_sentences']} | {r['bleu']:.2f} | {r['chrf']:.2f} |" for n, r in results.items()]
    lines += ["", "Signatures:", ""]
    for n, r in results.items():
        lines += [f"- {n}: `{r['bleu_signature']}` / `{r['chrf_signature']}`"]
    lines += ["", f"## {len(samples)} sample translations", "",
              "| source | reference | " + " | ".join(names) + " |", "| --- " * (2 + len(names)) + "|"]
    for s in samples:
        cells = [s["source"], s["reference"]] + [s[n] for n in names]
        lines.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
    atomic_write_text(md_path, "\n".join(lines) + "\n")
    return json_path, md_path
