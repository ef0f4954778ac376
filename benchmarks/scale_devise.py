"""DeViSE at ImageNet scale: how time, memory and disk grow with the number of images N, up to 1.28M.

    python benchmarks/scale_devise.py --sizes 10000,100000,1280000 --out runs/bench_scale

No images are needed: features are synthetic and shaped like ResNet-50's (2,048-d float32), outputs like a DeViSE
head's (300-d, clustered around 1,000 class vectors taken from spaCy's fr_core_news_md table, as real outputs sit
around their class's word vector). For every N it measures, each heavy stage in its own process so peak memory is
its own:

| stage | what |
| --- | --- |
| feature cache | write and read throughput of the ``.npy`` cache |
| DataModule | ``setup`` time and peak memory of ``ImageWordVectorDataModule`` over that cache |
| training | ``--train-steps`` steps of head training over the memory-mapped features: images/s, anonymous memory |
| checkpoint | size of a DeViSE checkpoint |
| index | build time, memory, p50/p99 single-query latency (1 thread) and recall@10 of flat, IVF and HNSW (float32,
  float16), approximate ones tuned to recall@10 ≥ 0.95 on their own vectors |

plus an index over the 82k WordNet nouns with real GloVe vectors (``../shared/data`` when present), and the cost of
checking images on a generated tree of ``--check-images`` small JPEGs: the old full-decode pre-pass, the new header
check, and what the new design adds to feature extraction (recording the verdicts its own decode found). Writes
``results.json``, ``table.md`` and ``curves.png``.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scale_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def in_subprocess(stage: str, out: Path, n: int, extra: list[str] = ()) -> dict:
    """Run ``scale_stages.py <stage>`` in a fresh process (its own peak memory); its JSON result, also kept as
    ``<out>/stage_<stage>.json`` so that a rerun after an interruption skips the stages already measured."""
    done_file = out / f"stage_{stage}.json"
    if done_file.is_file():
        return json.loads(done_file.read_text())
    cmd = [sys.executable, str(Path(__file__).with_name("scale_stages.py")), stage, "--out", str(out), "--n", str(n),
           *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"stage {stage} at N={n} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    done_file.write_text(json.dumps(result, indent=2))
    return result


def measure_size(n: int, args: argparse.Namespace) -> dict:
    folder = Path(args.out) / f"n{n}"
    folder.mkdir(parents=True, exist_ok=True)
    row = {"n": n}
    print(f"N = {n:,}: feature cache", flush=True)
    row["cache"] = in_subprocess("cache", folder, n)
    print(f"N = {n:,}: DataModule setup", flush=True)
    row["setup"] = in_subprocess("setup", folder, n)
    print(f"N = {n:,}: training", flush=True)
    row["train"] = in_subprocess("train", folder, n, ["--steps", str(args.train_steps)])
    kinds = ["flat", "ivf"] + (["hnsw"] if n <= args.hnsw_max else [])
    print(f"N = {n:,}: indexes {kinds}", flush=True)
    row["index"] = in_subprocess("index", folder, n, ["--kinds", ",".join(kinds), "--queries", str(args.queries)])
    if not args.keep:
        for f in folder.glob("*.npy"):  # the stage_*.json results stay
            f.unlink()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1280000")
    parser.add_argument("--train-steps", type=int, default=300, help="head-training steps measured per N")
    parser.add_argument("--queries", type=int, default=300, help="single queries timed per index")
    parser.add_argument("--hnsw-max", type=int, default=200000, help="largest N to build HNSW for (its build is slow)")
    parser.add_argument("--check-images", type=int, default=20000)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--out", default="runs/bench_scale")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic feature files")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = {"sizes": [], "nouns": None, "checks": None}
    earlier = json.loads((out / "results.json").read_text())["sizes"] if (out / "results.json").is_file() else []
    for n in (int(s) for s in args.sizes.split(",")):
        row = next((r for r in earlier if r["n"] == n and "index" in r), None)  # measured by an interrupted run
        results["sizes"].append(row or measure_size(n, args))
        (out / "results.json").write_text(json.dumps(results, indent=2))
    print("82k nouns index", flush=True)
    results["nouns"] = in_subprocess("nouns", out, 0, ["--data", args.data, "--queries", str(args.queries)])
    print(f"image checks on {args.check_images:,} JPEGs", flush=True)
    results["checks"] = in_subprocess("checks", out, args.check_images)
    results["minutes"] = (time.perf_counter() - t0) / 60
    (out / "results.json").write_text(json.dumps(results, indent=2))
    text = scale_report.tables(results)
    (out / "table.md").write_text(text + "\n")
    scale_report.plot(results, out / "curves.png")
    print(f"\n{text}\n\nplot: {out / 'curves.png'}; {results['minutes']:.1f} minutes in all")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
