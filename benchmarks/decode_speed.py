"""Decoding speed, ours against JoeyNMT, on a quiet machine: the final checkpoints of one seed of a finished
``vs_joeynmt.py`` run decode the whole held-out test split, one process at a time (nothing else running), one
thread each, greedy and beam 5, ``--repeats`` times; CPU seconds of the decoding process, checkpoint loading and
tokenising included (the benchmark's own decodes ran two at a time beside other work, which inflates CPU time).

    python benchmarks/decode_speed.py --run runs/bench_vs_joeynmt --seed 0 --repeats 2
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml
from joey_peer import decode as joey_decode
from nmt_common import decode_ours

OURS_VARIANTS = (("ours, trained weights", "fp32"), ("ours, int8 (translate.py's CPU default)", "int8"))


def _joey_final(seed_dir: Path) -> tuple[dict, Path]:
    budget = json.loads((seed_dir / "joeynmt" / "joey_budget.json").read_text())
    return (yaml.safe_load((seed_dir / "joeynmt" / "config.yaml").read_text()),
            seed_dir / "joeynmt" / "model" / budget["points"][-1]["ckpt"])


def measure(seed_dir: Path, src: Path, python: Path, repeats: int, work: Path) -> dict[str, dict[int, list[float]]]:
    """CPU seconds per system and beam, one list entry per repeat, systems interleaved within each repeat."""
    cfg, joey_ckpt = _joey_final(seed_dir)
    ours_ckpt = seed_dir / "ours" / "ckpt" / "last.ckpt"
    times: dict[str, dict[int, list[float]]] = {}
    for _ in range(repeats):
        for beam in (1, 5):
            _, cpu = joey_decode(python, cfg, joey_ckpt, beam, src, work, 1)
            times.setdefault("JoeyNMT 2.3.0 GRU", {}).setdefault(beam, []).append(cpu)
            for label, precision in OURS_VARIANTS:
                cpu = decode_ours(ours_ckpt, src, beam, 1, work, tag=f"{precision}_beam{beam}",
                                  precision=precision).cpu_seconds
                times.setdefault(label, {}).setdefault(beam, []).append(cpu)
    return times


def table(times: dict[str, dict[int, list[float]]], n: int) -> str:
    """Sentences per second from the fastest repeat (the least disturbed), and the ratio to JoeyNMT's."""
    rate = {name: {beam: n / min(ts) for beam, ts in by_beam.items()} for name, by_beam in times.items()}
    joey = rate["JoeyNMT 2.3.0 GRU"]
    lines = ["| system | greedy sent/s | × JoeyNMT | beam 5 sent/s | × JoeyNMT | CPU s greedy / beam 5 (each repeat) |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for name, by_beam in rate.items():
        spread = " / ".join(", ".join(f"{t:.0f}" for t in times[name][beam]) for beam in (1, 5))
        lines.append(f"| {name} | {by_beam[1]:.0f} | {by_beam[1] / joey[1]:.2f}× | {by_beam[5]:.0f} | "
                     f"{by_beam[5] / joey[5]:.2f}× | {spread} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default="runs/bench_vs_joeynmt", help="a finished vs_joeynmt.py --out folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--venv", help="JoeyNMT venv (default: <run>/joeynmt-venv)")
    args = parser.parse_args()
    run = Path(args.run)
    python = Path(args.venv or run / "joeynmt-venv") / "bin" / "python"
    src = run / "split" / "test.fr"
    work = run / "decode_speed"
    work.mkdir(exist_ok=True)
    times = measure(run / f"seed{args.seed}", src, python, args.repeats, work)
    n = sum(1 for _ in src.open(encoding="utf-8"))
    text = f"{n} test sentences, 1 thread, one decoding process at a time, seed {args.seed}'s final checkpoints.\n\n"
    text += table(times, n) + "\n"
    (work / "results.md").write_text(text, encoding="utf-8")
    (work / "results.json").write_text(json.dumps({k: {str(b): v for b, v in d.items()} for k, d in times.items()},
                                                  indent=2))
    print(text)


if __name__ == "__main__":
    main()
