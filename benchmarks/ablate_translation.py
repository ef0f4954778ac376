"""One change at a time from a base recipe, each trained for the same CPU budget and scored on the held-out test
split: which choices cost or buy BLEU on real Tatoeba.

    python benchmarks/ablate_translation.py --data ../shared/data/tatoeba_fra_eng/fra.txt --minutes 15

The base is ``configs/translate/tatoeba_lesson.yaml`` (the lesson's recipe) with its teacher-forcing ramp stretched
to the budget (1 → 0 over the first two thirds, as "over 2 of 3 epochs"). ``--base-config`` and ``--base-overlay``
start from elsewhere, e.g. the tuned ``tatoeba.yaml``, for cumulative rounds. Each variant trains through
``train.py`` with ``callbacks.TrainingBudget`` (CPU time of its process, validation not counted, the one-cycle
schedule fitted to the budget), ``--jobs`` at a time with ``--threads`` threads each, then decodes the test split
greedily and with beam 5 through ``translate.py`` (BLEU and chrF lower-cased, as the lesson recipe's data). Prints a
markdown table; results go to ``--out``.
"""
from __future__ import annotations

import argparse
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from nmt_common import ROOT, SplitFiles, data_args, decode_ours, export_split, merge, score, slug, train_variant

RAMP = {"class_path": "callbacks.TeacherForcingScheduler",
        "init_args": {"start": 1.0, "end": 0.0, "unit": "progress", "decay_fraction": 0.67}}
LESSON_BASE = {"trainer": {"callbacks": [RAMP]}}


NET_FIELDS = {"hidden_size", "num_layers", "bidirectional", "attention", "attention_mode", "dec_hidden_size",
              "tie_weights", "emb_dropout", "enc_dropout", "dec_dropout", "out_dropout"}


def _model(**kw) -> dict:
    """A model overlay; the network's fields go into its ``net`` group."""
    net = {k: v for k, v in kw.items() if k in NET_FIELDS}
    rest = {k: v for k, v in kw.items() if k not in NET_FIELDS}
    return {"model": {"init_args": {**rest, **({"net": net} if net else {})}}}


def _data(**kw) -> dict:
    return {"data": {"init_args": kw}}


VARIANTS: dict[str, dict] = {
    "base": {},
    "teacher forcing always 1": {"trainer": {"callbacks": []}, **_model(teacher_forcing=1.0)},
    "scheduled sampling per token": _model(forcing_mode="token"),
    "plain Adam 1e-3, constant": _model(one_cycle=False, lr=1e-3, betas=[0.9, 0.999]),
    "decoder GRU 256, not emb-sized": _model(dec_hidden_size=256),
    "no weight tying": _model(tie_weights=False),
    "attention: output layer": _model(attention_mode="output"),
    "attention: input feeding": _model(attention_mode="input_feeding"),
    "output dropout 0.1": _model(out_dropout=0.1),
    "random embeddings": _data(src_vectors=None, tgt_vectors=None),
    "vocab min count 2": _data(min_freq=2),
    "label smoothing 0.1": _model(label_smoothing=0.1),
    "batch size 128": _data(batch_size=128),
    # for rounds from the tuned recipe
    "lesson teacher forcing ramp": {"trainer": {"callbacks": [RAMP]}, **_model(teacher_forcing=0.0)},
    # combinations, for rounds from a base with teacher forcing always 1
    "combo: output attention, decoder 256, output dropout 0.1, label smoothing 0.1": _model(
        attention_mode="output", dec_hidden_size=256, out_dropout=0.1, label_smoothing=0.1),
    "combo: input feeding, decoder 256, output dropout 0.1, label smoothing 0.1": _model(
        attention_mode="input_feeding", dec_hidden_size=256, out_dropout=0.1, label_smoothing=0.1),
    "attention: lesson input": _model(attention_mode="input"),
    "decoder GRU = emb size": _model(dec_hidden_size=None),
    "one-cycle lr 3e-3, betas 0.8/0.99": _model(one_cycle=True, lr=3e-3, betas=[0.8, 0.99]),
    "label smoothing 0": _model(label_smoothing=0.0),
    "output dropout 0.35": _model(out_dropout=0.35),
    "batch size 64": _data(batch_size=64),
    "batch size 32": _data(batch_size=32),
    "lr 5e-3": _model(lr=5e-3),
    "lr 2e-3": _model(lr=2e-3),
    "dropouts halved": _model(emb_dropout=0.1, enc_dropout=0.15, dec_dropout=0.05, out_dropout=0.15),
    "length penalty 0.6": _model(length_penalty=0.6),
}


def run_variant(name: str, overlay: dict, args, base_args: list[str], split: SplitFiles) -> dict:
    out = Path(args.out) / slug(name)
    if (out / "result.json").is_file():  # finished in an earlier invocation
        return json.loads((out / "result.json").read_text())
    row = {"variant": name, **train_variant(out, base_args, overlay, args.minutes, args.threads)}
    refs = split.refs("test")
    for beam in (1, 5):
        dec = decode_ours(out / "ckpt" / "last.ckpt", split.path("test", "fr"), beam, args.threads, out)
        row[f"beam{beam}"] = score(dec.hyps, refs) | {"cpu_s": dec.cpu_seconds}
    (out / "result.json").write_text(json.dumps(row, indent=2))
    print(f"done: {name}: greedy {row['beam1']['bleu_lc']:.2f}, beam5 {row['beam5']['bleu_lc']:.2f}", flush=True)
    return row


def table(rows: list[dict], base_name: str) -> str:
    base = next((r for r in rows if r["variant"] == base_name), None)
    lines = ["| variant | steps | epochs | steps/s | target tok/s | BLEU greedy | BLEU beam 5 | Δ beam 5 "
             "| chrF beam 5 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        delta = f"{r['beam5']['bleu_lc'] - base['beam5']['bleu_lc']:+.2f}" if base and r is not base else ""
        lines.append(f"| {r['variant']} | {r['steps']} | {r['epochs']:.2f} | {r['steps_per_second']:.2f} | "
                     f"{r['tokens_per_second']:.0f} | {r['beam1']['bleu_lc']:.2f} | {r['beam5']['bleu_lc']:.2f} | {delta} | "
                     f"{r['beam5']['chrf_lc']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "tatoeba_fra_eng" / "fra.txt"))
    parser.add_argument("--minutes", type=float, default=15.0, help="CPU minutes of training per variant")
    parser.add_argument("--variants", default="base,teacher forcing always 1,scheduled sampling per token,"
                        "plain Adam 1e-3, constant,decoder GRU 256, not emb-sized,no weight tying,"
                        "attention: output layer,attention: input feeding,output dropout 0.1,random embeddings,"
                        "vocab min count 2,label smoothing 0.1,batch size 128",
                        help="comma-separated names (see VARIANTS); 'base' is the base recipe itself")
    parser.add_argument("--base-config", default=str(ROOT / "configs" / "translate" / "tatoeba_lesson.yaml"))
    parser.add_argument("--base-overlay", default=None, help="YAML text merged into every variant (default: the "
                        "lesson's teacher-forcing ramp fitted to the budget when the base is tatoeba_lesson.yaml)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="runs/bench_ablation")
    args = parser.parse_args()
    names = [n for n in _split_names(args.variants)]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise SystemExit(f"error: unknown variants {unknown}: choose from {list(VARIANTS)}")
    base_overlay = yaml.safe_load(args.base_overlay) if args.base_overlay else (
        LESSON_BASE if Path(args.base_config).name == "tatoeba_lesson.yaml" else {})
    out = Path(args.out)
    base_args = ["-c", str(Path(args.base_config).resolve()), *data_args(Path(args.data).resolve(),
                                                                          (out / "cache").resolve())]
    split = export_split(base_args, out / "split")
    print(f"split: {split.n_train} train / {split.n_valid} valid / {split.n_test} test pairs", flush=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_variant, n, merge(base_overlay, VARIANTS[n]), args, base_args, split)
                   for n in names]
        rows = [f.result() for f in futures]
    text = table(rows, "base")
    (out / "ablation.md").write_text(text + "\n")
    print("\n" + text)
    print(f"\nsignatures: {rows[0]['beam5']['bleu_lc_sig']} / {rows[0]['beam5']['chrf_lc_sig']}")


def _split_names(spec: str) -> list[str]:
    """Comma-separated names, where a name may itself hold ", " (a comma followed by a space)."""
    parts, cur = [], ""
    for piece in spec.split(","):
        if cur and piece.startswith(" "):
            cur += "," + piece
        else:
            if cur:
                parts.append(cur)
            cur = piece
    return [p.strip() for p in parts + [cur] if p.strip()]


if __name__ == "__main__":
    main()
