"""The lesson's progression on real Tatoeba in one command: each variant trained for the same CPU budget, a table and
a plot of validation loss and BLEU against training time.

    python benchmarks/translate_tatoeba.py --data ../shared/data/tatoeba_fra_eng/fra.txt --minutes 15

Variants (overlays on ``configs/translate/tatoeba_lesson.yaml``, the lesson's recipe): ``seq2seq`` (plain GRU
encoder–decoder), ``bidir`` (+ bidirectional encoder), ``teacher_forcing`` (+ teacher forcing annealed 1 → 0 over
the first two thirds of the budget), ``attention`` (+ Bahdanau attention), ``full`` (all three), and ``tuned``
(``configs/translate/tatoeba.yaml``). Each trains through ``train.py`` with ``callbacks.TrainingBudget`` (CPU
time of its process, validation excluded, one-cycle schedule fitted to the budget), ``--jobs`` at a time with
``--threads`` threads each, validating every ``--val-every`` steps. Prints: variant, epochs, CPU minutes, target
tokens/s, validation loss, validation and test sacreBLEU (greedy; test BLEU and chrF lower-cased, as the lesson's
data), chrF; writes ``curves.png``.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from nmt_common import ROOT, SplitFiles, data_args, decode_ours, export_split, score, train_variant  # noqa: E402

CONFIGS = ROOT / "configs" / "translate"
RAMP = {"class_path": "callbacks.TeacherForcingScheduler",
        "init_args": {"start": 1.0, "end": 0.0, "unit": "progress", "decay_fraction": 0.67}}


def _lesson(bidirectional: bool, forcing: bool, attention: bool) -> tuple[Path, dict]:
    callbacks = [RAMP] if forcing else []
    return CONFIGS / "tatoeba_lesson.yaml", {
        "trainer": {"callbacks": callbacks},
        "model": {"init_args": {"net": {"bidirectional": bidirectional, "attention": attention},
                                "teacher_forcing": 0.0}}}


VARIANTS: dict[str, tuple[Path, dict]] = {
    "seq2seq": _lesson(False, False, False), "bidir": _lesson(True, False, False),
    "teacher_forcing": _lesson(False, True, False), "attention": _lesson(False, False, True),
    "full": _lesson(True, True, True), "tuned": (CONFIGS / "tatoeba.yaml", {}),
}


def val_curve(out: Path, budget: dict) -> list[dict]:
    """Validation loss/BLEU at each validation, with the training CPU minutes spent by then."""
    metrics = next(out.glob("lightning_logs/version_*/metrics.csv"), None) or next(out.rglob("metrics.csv"))
    rows = [r for r in csv.DictReader(metrics.open()) if r.get("val/bleu")]
    validations = {v["step"]: v["train_seconds"] / 60 for v in budget["validations"]}

    def minutes(logged_step: int) -> float:
        # the logger stamps a validation with the last training step's index (global step − 1), the budget with the
        # number of steps done; a validation the budget did not record has no time (NaN), never a neighbour's
        return validations.get(logged_step + 1, float("nan"))

    return [{"step": int(r["step"]), "minutes": minutes(int(r["step"])),
             "val_loss": float(r["val/loss"]), "val_bleu": float(r["val/bleu"]), "val_chrf": float(r["val/chrf"])}
            for r in rows]


def run(name: str, args, split: SplitFiles, data: list[str]) -> dict:
    config, overlay = VARIANTS[name]
    out = Path(args.out) / name
    if (out / "result.json").is_file():  # finished in an earlier invocation: rerunning resumes an interrupted run
        return json.loads((out / "result.json").read_text())
    extra = ["--trainer.val_check_interval", str(args.val_every), "--trainer.check_val_every_n_epoch", "null"]
    budget = train_variant(out, ["-c", str(config), *data], overlay, args.minutes, args.threads, extra)
    curve = val_curve(out, budget)
    dec = decode_ours(out / "ckpt" / "last.ckpt", split.path("test", "fr"), 1, args.threads, out)
    row = {"variant": name, **budget, "curve": curve, "test": score(dec.hyps, split.refs("test"))}
    (out / "result.json").write_text(json.dumps(row, indent=2))
    print(f"done: {name}: test BLEU {row['test']['bleu_lc']:.2f}", flush=True)
    return row


def table(rows: list[dict]) -> str:
    lines = ["| variant | epochs | CPU minutes | target tok/s | val loss | val BLEU | test BLEU | test chrF |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        last = r["curve"][-1] if r["curve"] else {"val_loss": float("nan"), "val_bleu": float("nan")}
        lines.append(f"| {r['variant']} | {r['epochs']:.2f} | {r['train_seconds'] / 60:.1f} | "
                     f"{r['tokens_per_second']:.0f} | {last['val_loss']:.3f} | {last['val_bleu']:.2f} | "
                     f"{r['test']['bleu_lc']:.2f} | {r['test']['chrf_lc']:.2f} |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    untimed = [r["variant"] for r in rows if any(math.isnan(c["minutes"]) for c in r["curve"])]
    if untimed:  # a point without a time would silently vanish from the plot
        raise RuntimeError(f"validations without a training time in {untimed}: metrics.csv and budget.json disagree")
    fig, (ax_loss, ax_bleu) = plt.subplots(1, 2, figsize=(11, 4.2))
    for r in rows:
        xs = [c["minutes"] for c in r["curve"]]
        ax_loss.plot(xs, [c["val_loss"] for c in r["curve"]], marker="o", label=r["variant"])
        ax_bleu.plot(xs, [c["val_bleu"] for c in r["curve"]], marker="o", label=r["variant"])
    for ax, name in ((ax_loss, "validation loss (greedy decoding)"), (ax_bleu, "validation sacreBLEU (greedy)")):
        ax.set_xlabel("training CPU minutes (1 thread, validation excluded)")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    ax_bleu.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "tatoeba_fra_eng" / "fra.txt"))
    parser.add_argument("--minutes", type=float, default=15.0, help="CPU minutes of training per variant")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--val-every", type=int, default=400, help="validate every this many training batches")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="runs/bench_tatoeba")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    data = data_args(Path(args.data).resolve(), out / "cache")
    split = export_split(["-c", str(CONFIGS / "tatoeba_lesson.yaml"), *data], out / "split")
    print(f"split: {split.n_train} train / {split.n_valid} valid / {split.n_test} test pairs", flush=True)
    names = args.variants.split(",")
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(lambda n: run(n, args, split, data), names))
    text = table(rows)
    (out / "table.md").write_text(text + "\n")
    plot(rows, out / "curves.png")
    print(f"\n{args.minutes:g} CPU minutes of training per variant, {args.threads} thread(s)\n\n{text}\n\n"
          f"plot: {out / 'curves.png'}\nsignature: {rows[0]['test']['bleu_lc_sig']}")


if __name__ == "__main__":
    main()
