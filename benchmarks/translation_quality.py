"""What a reader of the translations notices, measured on real Tatoeba: case, rare words, names and numbers,
repetition. Variants of the tuned recipe train for the same CPU budget, then decode the held-out test split under
several decoding options (``quality_eval.py`` scores each).

    python benchmarks/translation_quality.py --data ../shared/data/tatoeba_fra_eng/fra.txt --minutes 30

Variants (overlays on ``--base-config``, the tuned ``tatoeba.yaml``):

- ``word, lower-cased`` — the recipe as it was: lower-cased words, with a true-caser learned from the cased training
  English (case is restored after decoding; the model itself is unchanged);
- ``word, cased`` — English kept cased (French lower-cased, its vectors are looked up lower-cased);
- ``word, cased, min count 2, numbers copied`` — words seen once and tokens holding a digit become ``_unk_`` on both
  sides, so the model learns to emit ``_unk_`` where the source has one, and decoding copies the attended word;
- ``subword 8k, cased`` — SentencePiece unigram pieces (8,000 per side), embeddings from fastText trained on the
  piece-tokenised training text.

Each trains ``--jobs`` at a time (1 thread each), then decodes (2 at a time) with beam 5 and the options listed in
``DECODES``. Writes ``results.md`` and ``results.json`` under ``--out``; finished parts are reused on a rerun.
"""
from __future__ import annotations

import argparse
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from nmt_common import PY, ROOT, child_env, data_args, export_split, slug, train_variant
from translation_quality_report import write_report

VARIANTS: dict[str, dict] = {
    "word, lower-cased": {"data": {"init_args": {"truecase": True}}},
    "word, cased": {"data": {"init_args": {"tgt_lowercase": False}}},
    "word, cased, min count 2, numbers copied": {"data": {"init_args": {"tgt_lowercase": False, "min_freq": 2,
                                                                        "copy_numbers": True}}},
    "subword 8k, cased": {"data": {"init_args": {"tgt_lowercase": False, "subword_vocab": 8000,
                                                 "src_vectors": "train:300", "tgt_vectors": "train:300"}}},
}
BASE = {"trainer": {"callbacks": []}}  # no attention plots during the budgeted runs
DECODES: dict[str, list[tuple[str, dict]]] = {
    "word, lower-cased": [("beam 5", {}), ("beam 5, unknown words not replaced", {"replace_unk": False}),
                          ("beam 5, line not split into sentences", {"split": False}),
                          ("greedy", {"beam": 1})],
    "word, cased": [("beam 5", {})],
    "word, cased, min count 2, numbers copied": [
        ("beam 5", {}), ("beam 5, unknown words not replaced", {"replace_unk": False}),
        ("beam 5, no repeated 3-grams", {"no_repeat_ngram": 3}),
        ("beam 5, no repeated 4-grams", {"no_repeat_ngram": 4}),
        ("beam 5, length limit from the source only", {"length_limit": "source"}),
        ("greedy", {"beam": 1}), ("greedy, no repeated 3-grams", {"beam": 1, "no_repeat_ngram": 3})],
    "subword 8k, cased": [("beam 5", {}), ("beam 5, no repeated 3-grams", {"no_repeat_ngram": 3})],
}


def decode(ckpt: Path, split: Path, out: Path, options: dict) -> dict:
    """One decode and its scores (cached in ``out``)."""
    if not out.is_file():
        cmd = [PY, str(ROOT / "benchmarks" / "quality_eval.py"), str(ckpt), str(split), str(out),
               json.dumps({"beam": 5, **options})]
        proc = subprocess.run(cmd, env=child_env(1), cwd=str(ROOT), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"decoding {ckpt} with {options} failed:\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "tatoeba_fra_eng" / "fra.txt"))
    parser.add_argument("--minutes", type=float, default=30.0, help="CPU minutes of training per variant")
    parser.add_argument("--variants", default=";".join(VARIANTS), help="semicolon-separated names")
    parser.add_argument("--base-config", default=str(ROOT / "configs" / "translate" / "tatoeba.yaml"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="runs/bench_quality")
    args = parser.parse_args()
    names = [n.strip() for n in args.variants.split(";") if n.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise SystemExit(f"error: unknown variants {unknown}: choose from {list(VARIANTS)}")
    out = Path(args.out).resolve()
    base_args = ["-c", str(Path(args.base_config).resolve()), *data_args(Path(args.data).resolve(), out / "cache")]
    split = export_split(base_args, out / "split")
    print(f"split: {split.n_train} train / {split.n_valid} valid / {split.n_test} test pairs", flush=True)

    def train(name: str) -> dict:
        overlay = {**BASE, **VARIANTS[name]}
        return train_variant(out / slug(name), base_args, overlay, args.minutes, 1)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        budgets = dict(zip(names, pool.map(train, names)))
    jobs = [(name, label, options) for name in names for label, options in DECODES[name]]

    def run(job: tuple[str, str, dict]) -> tuple[str, str, dict]:
        name, label, options = job
        folder = out / slug(name)
        return name, label, decode(folder / "ckpt" / "last.ckpt", split.folder, folder / f"eval_{slug(label)}.json",
                                   options)

    results: dict[str, dict] = {name: {"budget": budgets[name], "decodes": {}} for name in names}
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, label, result in pool.map(run, jobs):
            results[name]["decodes"][label] = result
            print(f"done: {name} / {label}: BLEU {result['bleu_cased']:.2f} cased, {result['bleu_lc']:.2f} lc",
                  flush=True)
    print(write_report(out, results, args.minutes))


if __name__ == "__main__":
    main()
