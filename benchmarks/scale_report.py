"""Tables and plot of ``scale_devise.py``'s results."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _size_tables(sizes: list[dict]) -> list[str]:
    head = "| stage | " + " | ".join(f"N = {s['n']:,}" for s in sizes) + " |"
    rule = "| --- |" + " ---: |" * len(sizes)
    rows = [
        ("feature cache write, MB/s",
         lambda s: f"{s['cache']['write_mb_s']:.0f} ({s['cache']['size_mb'] / 1024:.2f} GB)"),
        ("feature cache read, MB/s", lambda s: f"{s['cache']['read_mb_s']:.0f}"),
        ("DataModule setup, s / peak MB", lambda s: f"{s['setup']['seconds']:.1f} / {s['setup']['peak_rss_mb']:.0f}"),
        ("head training, images/s", lambda s: f"{s['train']['images_s']:.0f}"),
        ("  one epoch, minutes (extrapolated)", lambda s: f"{s['train']['epoch_minutes']:.1f}"),
        ("  anonymous memory, MB (first step / max)",
         lambda s: f"{s['train']['anon_mb_first']:.0f} / {s['train']['anon_mb_max']:.0f}"),
        ("checkpoint, MB", lambda s: f"{s['train']['checkpoint_mb']:.1f}"),
    ]
    lines = [head, rule] + [f"| {name} | " + " | ".join(fn(s) for s in sizes) + " |" for name, fn in rows]
    return lines


def _index_table(indexes_by_n: list[tuple[str, dict]]) -> list[str]:
    lines = ["| vectors | index | build s | MB | parameter | recall@10 | p50 ms | p99 ms |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, indexes in indexes_by_n:
        for name, r in indexes.items():
            lines.append(f"| {label} | {name} | {r['build_s']:.1f} | {r['mb'] if 'mb' in r else r['index_mb']:.0f} | "
                         f"{r['param']} | {r['recall']:.3f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} |")
    return lines


def tables(results: dict) -> str:
    sizes = results["sizes"]
    out = ["Cost by number of images N (synthetic 2,048-d features, 300-d outputs):", ""] + _size_tables(sizes)
    out += ["", "Indexes (built on 2 threads, queried one at a time on 1 thread; approximate ones tuned to recall@10 "
            "≥ 0.975 on their own vectors, as search.py does; recall here is on separate queries):", ""]
    pairs = [(f"{s['n']:,} outputs", s["index"]["indexes"]) for s in sizes]
    nouns = results.get("nouns") or {}
    if "indexes" in nouns:
        pairs.append((f"{nouns['n']:,} WordNet nouns (GloVe 50-d)", nouns["indexes"]))
    out += _index_table(pairs)
    checks = results.get("checks")
    if checks:
        out += ["", "Image checks, µs per image:", "", "| | generated 64×48 JPEGs | real ImageNet sample JPEGs |",
                "| --- | ---: | ---: |",
                f"| old: full decode before extraction | {checks['old_full_decode_us']:.0f} | "
                f"{checks.get('imagenet_full_decode_us', float('nan')):.0f} |",
                f"| new, fine-tuning: header check | {checks['new_header_us']:.0f} | "
                f"{checks.get('imagenet_header_us', float('nan')):.0f} |",
                f"| new, precompute: recording the extraction's verdicts | {checks['new_in_pass_record_us']:.1f} | |",
                f"| the extraction pass itself (decode + Lite0, 1 thread) | | "
                f"{checks.get('imagenet_extract_us', float('nan')):.0f} |"]
    return "\n".join(out)


def plot(results: dict, path: Path) -> None:
    sizes = results["sizes"]
    ns = [s["n"] for s in sizes]
    fig, (lat, mem) = plt.subplots(1, 2, figsize=(11, 4.2))
    names = sorted({k for s in sizes for k in s["index"]["indexes"]})
    for name in names:
        pts = [(s["n"], s["index"]["indexes"][name]["p50_ms"]) for s in sizes if name in s["index"]["indexes"]]
        lat.plot(*zip(*pts), marker="o", label=name)
    lat.set(xscale="log", yscale="log", xlabel="N (vectors)", ylabel="p50 single-query latency, ms (1 thread)")
    lat.axhline(5, color="grey", linestyle=":", label="5 ms target")
    lat.legend(fontsize=7)
    for label, fn in (("index flat-float32, MB", lambda s: s["index"]["indexes"]["flat-float32"]["index_mb"]),
                      ("index ivf-float16, MB", lambda s: s["index"]["indexes"]["ivf-float16"]["index_mb"]),
                      ("DataModule setup peak, MB", lambda s: s["setup"]["peak_rss_mb"]),
                      ("training anonymous max, MB", lambda s: s["train"]["anon_mb_max"]),
                      ("checkpoint, MB", lambda s: s["train"]["checkpoint_mb"])):
        mem.plot(ns, [fn(s) for s in sizes], marker="o", label=label)
    mem.set(xscale="log", yscale="log", xlabel="N (images)", ylabel="MB")
    mem.legend(fontsize=7)
    for ax in (lat, mem):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
