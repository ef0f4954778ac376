"""The DeViSE test report: hit@k tables plus example searches (PNG grids) over the test images.

Written by the ``DeviseReport`` callback after ``test`` into the run's log folder: ``devise_report.json``,
``devise_report.md`` and ``search_label.png`` (image → class), ``search_text.png`` (class names → images; held-out
names show zero-shot search) and ``search_image.png`` (image → image).
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pytorch_lightning as pl

from core.atomic import atomic_write_json, atomic_write_text
from core.distributed import gather_lists, run_dir
from datamodules.images.class_state import ClassState
from callbacks.scored_checkpoint import scored_checkpoint
from lightning_modules.devise_eval import METHOD_NAMES, EvalRow, chance_hit_rates, comparison_table, method_hit_rates
from retrieval.grid import image_grid, label_grid
from retrieval.searcher import DeviseSearcher
from retrieval.types import Hit
from retrieval.vector_index import VectorIndex
from retrieval.word_indexes import class_index


@dataclass(frozen=True)
class ReportHeader:
    """What the report scored, and what chose the checkpoint."""

    scored: str
    selection: str
    monitor: str | None
    seen_eval_is_fit: bool
    checkpoint: str = ""
    """:meth:`ScoredCheckpoint.sentence`: which file was scored and whether the monitored metric selected it."""

    def lines(self) -> list[str]:
        fit = ("**Seen-class scores are a training-set fit**: this source evaluates its training images (one image "
               "per class), so `hit@k` says how well the head fits them, not how it generalises. The held-out "
               "(zero-shot) columns are real generalisation.") if self.seen_eval_is_fit else ""
        return [f"Scored (test): {self.scored}.", "", self.checkpoint, "",
                f"Validation (what selects checkpoints by `{self.monitor or 'nothing'}`): {self.selection}; no test "
                "image or held-out test class is ever used for selection.", ""] + ([fit, ""] if fit else [])


def _first_per_class(labels: Sequence[str], wanted: Sequence[str], limit: int) -> list[int]:
    """Index of the first item of each class in ``wanted`` (in that order), at most ``limit``."""
    first: dict[str, int] = {}
    for i, label in enumerate(labels):
        first.setdefault(label, i)
    return [first[c] for c in wanted if c in first][:limit]


def _hits_json(hits: Sequence[Hit]) -> list[dict]:
    return [{"label": h.label, "score": round(h.score, 4), **({"image": str(h.image)} if h.image else {})}
            for h in hits]


class ReportBuilder:
    """Example searches over test predictions ``(n_images, dim)`` of images ``paths`` with true class ids
    ``labels``; ``state`` is the model's class state."""

    def __init__(self, state: ClassState, paths: Sequence[str], labels: Sequence[str], predictions: np.ndarray,
                 per_row: int = 6) -> None:
        self.state, self.paths, self.labels, self.per_row = state, list(paths), list(labels), per_row
        self.name = state.label_names
        self.class_vec = dict(zip(state.wnids, np.asarray(state.vectors, dtype=np.float32)))
        held = [c for c in state.holdout_test if c in self.name]
        self.held, self.seen = held, [c for c in dict.fromkeys(self.labels) if c not in set(held)]
        self.predictions = predictions
        self.classes = class_index(state.wnids, state.names, state.vectors)
        self.searcher = self._searcher(range(len(self.paths)))
        unseen = [i for i, c in enumerate(self.labels) if c in set(held)]
        self.unseen_searcher = self._searcher(unseen) if unseen else None

    def _searcher(self, rows: Sequence[int]) -> DeviseSearcher:
        """Searches over the test images ``rows`` (by position)."""
        images = VectorIndex(self.predictions[list(rows)], [self.paths[i] for i in rows], kind="flat")
        return DeviseSearcher(self.classes, images=lambda: images,
                              image_labels={p: self.name[c] for p, c in zip(self.paths, self.labels)})

    def label_examples(self, n: int = 4) -> list[dict]:
        picks = _first_per_class(self.labels, self.held, n) + _first_per_class(self.labels, self.seen, n)
        found = self.searcher.labels_for_vectors(self.predictions[picks], 5) if picks else []
        return [{"image": self.paths[i], "truth": self.name[self.labels[i]], "held_out": self.labels[i] in self.held,
                 "classes": _hits_json(classes)} for i, (classes, _) in zip(picks, found)]

    def text_examples(self, n: int = 4) -> list[dict]:
        """Held-out class names (zero-shot) searched among all test images and among the held-out classes' images
        only, a few training names and one two-word mean; with precision = the share of the returned images that
        belong to the query class."""
        queries = [([c], self.searcher, "all") for c in self.held[:n]]
        queries += [([c], self.unseen_searcher, "held-out") for c in self.held[:n]]
        queries += [([c], self.searcher, "all") for c in self.seen[:2]]
        if len(self.seen) >= 2:
            queries.append((self.seen[:2], self.searcher, "all"))
        out = []
        for wnids, searcher, among in queries:
            vector = np.mean([self.class_vec[c] for c in wnids], axis=0)
            hits = searcher.images_for_vector(vector, self.per_row)
            example = {"query": " + ".join(self.name[c] for c in wnids), "held_out": wnids[0] in self.held,
                       "among": among, "images": _hits_json(hits)}
            if len(wnids) == 1:
                example["precision"] = float(np.mean([h.label == self.name[wnids[0]] for h in hits]))
            out.append(example)
        return out

    def image_examples(self, n: int = 2) -> list[dict]:
        picks = _first_per_class(self.labels, self.held, n // 2 or 1) + _first_per_class(self.labels, self.seen, 1)
        return [{"image": self.paths[i], "truth": self.name[self.labels[i]],
                 "neighbours": _hits_json(self.searcher.images_for_vector(self.predictions[i], self.per_row,
                                                                          exclude=self.paths[i]))}
                for i in picks]


def _grid_rows(examples: dict) -> tuple[list, list, list]:
    def hits(rows: list[dict]) -> list[Hit]:
        return [Hit(r["label"], r["score"], Path(r["image"]) if "image" in r else None) for r in rows]

    label_rows = [(Path(e["image"]), f"{e['truth']}{' (held out)' if e['held_out'] else ''}", [hits(e["classes"])])
                  for e in examples["label"]]
    text_rows = [(e["query"] + (" (among held-out images)" if e["among"] == "held-out" else ""), None,
                  hits(e["images"])) for e in examples["text"]]
    image_rows = [(e["truth"], Path(e["image"]), hits(e["neighbours"])) for e in examples["image"]]
    return label_rows, text_rows, image_rows


def _markdown(results: dict, examples: dict, grids: dict[str, str], table: dict[str, dict[str, float]],
              header: ReportHeader | None) -> str:
    lines = ["# DeViSE test report", ""] + (header.lines() if header else [])
    lines += [f"{results['n_images']} test images, {results['n_heldout_images']} of them from classes held out of "
              "training (zero-shot). `hit@k`: images of seen classes ranked among all classes; `zeroshot_hit@k`: "
              "held-out images among all classes; `zeroshot_unseen_hit@k`: held-out images among the held-out test "
              "classes only. Ties count against the true class.", ""]
    lines += ["## DeViSE beside baselines on the same test images", ""] + comparison_table(table)
    lines += ["", "Softmax is the backbone's own ImageNet classifier (trained on every ImageNet class, held-out ones "
              "included, so it has no zero-shot column); ConSE combines the word vectors of its 10 most probable "
              "classes, held-out classes excluded; chance is a random ranking.", ""]
    extra = {k: v for k, v in results.items() if isinstance(v, float) and "precision" in k}
    lines += [f"- {k}: {v:.4f}" for k, v in extra.items()]
    lines += ["", "## Text → image (held-out names are zero-shot)", "",
              "Precision: share of the returned images that show the query class. `among held-out` searches only the",
              "images of held-out classes (the conventional zero-shot protocol); `all` searches every test image.", "",
              "| query | held out | searched | precision | top images |", "| --- | --- | --- | ---: | --- |"]
    for e in examples["text"]:
        prec = f"{e['precision']:.2f}" if "precision" in e else ""
        top = ", ".join(f"{h['label']} {h['score']:.2f}" for h in e["images"])
        lines.append(f"| {e['query']} | {'yes' if e['held_out'] else 'no'} | {e['among']} | {prec} | {top} |")
    lines += ["", "## Image → class", "", "| image | truth | top classes |", "| --- | --- | --- |"]
    for e in examples["label"]:
        top = ", ".join(f"{h['label']} {h['score']:.2f}" for h in e["classes"])
        lines.append(f"| {Path(e['image']).name} | {e['truth']}{' (held out)' if e['held_out'] else ''} | {top} |")
    lines += [""] + [f"![{name}]({file})" for name, file in grids.items()]
    return "\n".join(lines) + "\n"


def write_devise_report(log_dir: str | Path, results: dict, builder: ReportBuilder,
                        table: dict[str, dict[str, float]] | None = None,
                        header: ReportHeader | None = None) -> list[Path]:
    """Write ``devise_report.json``/``.md`` and the three search grids into ``log_dir``; returns the paths.
    ``table`` holds hit rates per method (DeViSE, baselines, chance); ``header`` what was scored and selected."""
    log_dir = Path(log_dir)
    table = table or {"DeViSE": {k: v for k, v in results.items() if isinstance(v, float)}}
    examples = {"label": builder.label_examples(), "text": builder.text_examples(), "image": builder.image_examples()}
    label_rows, text_rows, image_rows = _grid_rows(examples)
    grids = {}
    for name, rows, draw in (("label", label_rows, label_grid), ("text", text_rows, image_grid),
                             ("image", image_rows, image_grid)):
        if rows:
            grids[name] = draw(log_dir / f"search_{name}.png", rows).name
    for among, key in (("all", "zeroshot_text_precision"), ("held-out", "zeroshot_unseen_text_precision")):
        values = [e["precision"] for e in examples["text"] if e["held_out"] and e["among"] == among]
        if values:
            results = {**results, f"{key}@{builder.per_row}": float(np.mean(values))}
    atomic_write_json(log_dir / "devise_report.json", {"header": asdict(header) if header else None,
                                                       "results": results, "methods": table,
                                                       "examples": examples, "grids": grids})
    atomic_write_text(log_dir / "devise_report.md", _markdown(results, examples, grids, table, header))
    return [log_dir / "devise_report.json", log_dir / "devise_report.md", *(log_dir / g for g in grids.values())]


class DeviseReport(pl.Callback):
    """After ``test`` with a DeViSE model, write the report described in the module docstring.

    Collects the ``EvalRow``s ``DeviseModule.test_step`` returns (ranks per method, predicted vectors) from every
    process, scores every method with the same hit@k protocol (plus chance), and searches the test images for
    examples. The header says which images and classes were scored and which chose the checkpoint. Other tasks'
    outputs are ignored.
    """

    def __init__(self, per_row: int = 6) -> None:
        self.per_row = per_row
        self._rows: list[EvalRow] = []

    def on_test_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._rows = []

    def on_test_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                          batch_idx: int, dataloader_idx: int = 0) -> None:
        if isinstance(outputs, list):
            self._rows.extend(r for r in outputs if isinstance(r, EvalRow))

    def on_test_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        rows = sorted(gather_lists(self._rows), key=lambda r: r.index)
        self._rows = []
        dm, state = trainer.datamodule, getattr(pl_module, "class_state", None)
        if not rows or not trainer.is_global_zero or state is None or not hasattr(dm, "items"):
            return
        ks, n_classes, n_unseen = pl_module.hparams.hit_ks, len(state.wnids), len(state.holdout_test)
        table = {name: values for m, name in METHOD_NAMES.items()
                 if (values := method_hit_rates(rows, m, ks, n_classes, n_unseen))}
        table["chance"] = chance_hit_rates(rows, ks, n_classes, n_unseen)
        results = {"n_images": len(rows), "n_heldout_images": sum(r.held_out for r in rows),
                   **table.get(METHOD_NAMES["devise"], {})}
        items = [dm.items("test")[r.index] for r in rows]
        builder = ReportBuilder(state, [str(p) for p, _ in items], [c for _, c in items],
                                np.stack([r.vector for r in rows]), self.per_row)
        monitor = getattr(trainer.checkpoint_callback, "monitor", None)
        header = ReportHeader(dm.describe("test"), dm.describe("val"), monitor, state.seen_eval_is_fit,
                              scored_checkpoint(trainer).sentence())
        paths = write_devise_report(run_dir(trainer), results, builder, table, header)
        logging.getLogger(__name__).info("DeViSE report: %s", ", ".join(map(str, paths)))
