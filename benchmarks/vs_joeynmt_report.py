"""Tables and the learning-curve plot of ``vs_joeynmt.py``: mean ± sd over seeds, per-seed rows, the curve at each
CPU-time point, BLEU at equal total time (preparation included), and the seeding check."""
from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

NAMES = {"ours": "ours (tatoeba.yaml)", "joeynmt": "JoeyNMT 2.3.0 GRU"}


def mean_sd(values: list[float], digits: int = 2) -> str:
    """``mean ± sd`` (sample sd; just the value for one seed)."""
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def prep_minutes(system: dict, name: str, prep: dict) -> float:
    """Wall minutes from the command's start to the first training batch: for ours the cold data preparation
    (tokenising, English fastText vectors) plus the training process's start; for JoeyNMT its process's start
    (its vocabularies and data loading happen there)."""
    inside = system.get("prep_wall_seconds", 0.0) / 60
    return inside + (prep["wall_seconds"] / 60 if name == "ours" else 0.0)


def _final(system: dict) -> dict:
    return system["points"][-1]


ROWS = (("ours", "ours (tatoeba.yaml)", ""), ("ours", "ours, int8 on CPU (translate.py's default)", "int8_"),
        ("joeynmt", "JoeyNMT 2.3.0 GRU", ""))


def summary_rows(seeds: list[dict], n_train: int, batch: int, n_test: int, prep: dict) -> list[str]:
    lines = ["| system | seeds | steps | epochs | steps/s | target tok/s | preparation min | total wall min | "
             "BLEU greedy | BLEU beam 5 | BLEU beam 5, lower-cased | chrF beam 5 | sent/s greedy | sent/s beam 5 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, label, prefix in ROWS:
        systems = [s["systems"][name] for s in seeds]
        col = lambda f: [f(s) for s in systems]  # noqa: E731
        final = lambda key, beam: col(lambda s: _final(s)[f"{prefix}beam{beam}"][key])  # noqa: E731
        lines.append(" | ".join([
            f"| {label}", str(len(systems)), mean_sd(col(lambda s: _final(s)["step"]), 0),
            mean_sd(col(lambda s: _final(s)["step"] * batch / n_train)),
            mean_sd(col(lambda s: _final(s)["step"] / _final(s)["train_seconds"])),
            mean_sd(col(lambda s: _final(s)["target_tokens"] / _final(s)["train_seconds"]), 0),
            mean_sd(col(lambda s: prep_minutes(s, name, prep)), 1),
            mean_sd(col(lambda s: s.get("wall_seconds", float("nan")) / 60
                        + (prep["wall_seconds"] / 60 if name == "ours" else 0.0)), 1),
            mean_sd(final("bleu", 1)), mean_sd(final("bleu", 5)), mean_sd(final("bleu_lc", 5)),
            mean_sd(final("chrf", 5)),
            mean_sd([n_test / x for x in final("seconds", 1)], 0),
            mean_sd([n_test / x for x in final("seconds", 5)], 0)]) + " |")
    return lines


def speed_rows(seeds: list[dict], n_test: int) -> list[str]:
    """Sentences per CPU second (checkpoint loading included) and ours / JoeyNMT, per decoding, mean ± sd over
    seeds of the per-seed ratio."""
    lines = ["| decoding | JoeyNMT sent/s | ours fp32 sent/s | ratio | ours int8 sent/s | ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for beam, label in ((1, "greedy"), (5, "beam 5")):
        rate = lambda s, name, prefix: n_test / _final(s["systems"][name])[f"{prefix}beam{beam}"]["seconds"]  # noqa
        joey = [rate(s, "joeynmt", "") for s in seeds]
        fp32, int8 = [rate(s, "ours", "") for s in seeds], [rate(s, "ours", "int8_") for s in seeds]
        lines.append(f"| {label} | {mean_sd(joey, 0)} | {mean_sd(fp32, 0)} | "
                     f"{mean_sd([a / b for a, b in zip(fp32, joey)])}× | {mean_sd(int8, 0)} | "
                     f"{mean_sd([a / b for a, b in zip(int8, joey)])}× |")
    return lines


def per_seed_rows(seeds: list[dict]) -> list[str]:
    lines = ["| seed | system | steps | BLEU greedy | BLEU beam 5 | lower-cased greedy / beam 5 | chrF beam 5 | "
             "decode s greedy / beam 5 |", "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in seeds:
        for name, label, prefix in ROWS:
            f = _final(s["systems"][name])
            g, b = f[f"{prefix}beam1"], f[f"{prefix}beam5"]
            lines.append(f"| {s['seed']} | {label} | {f['step']} | {g['bleu']:.2f} | {b['bleu']:.2f} | "
                         f"{g['bleu_lc']:.2f} / {b['bleu_lc']:.2f} | {b['chrf']:.2f} | "
                         f"{g['seconds']:.0f} / {b['seconds']:.0f} |")
    return lines


def curve(system: dict, prep_min: float = 0.0, key: str = "bleu") -> tuple[list[float], list[float]]:
    """(training CPU minutes + ``prep_min``, greedy ``key``) at each checkpoint of one run."""
    return ([prep_min + p["train_seconds"] / 60 for p in system["points"]],
            [p["beam1"][key] for p in system["points"]])


def curve_rows(seeds: list[dict]) -> list[str]:
    minutes = [p["minutes"] for p in seeds[0]["systems"]["ours"]["points"]]
    lines = ["| training CPU minutes | " + " | ".join(f"{m:g}" for m in minutes) + " |",
             "| --- |" + " ---: |" * len(minutes)]
    for name in NAMES:
        cells = [mean_sd([s["systems"][name]["points"][i]["beam1"]["bleu"] for s in seeds])
                 for i in range(len(minutes))]
        lines.append(f"| {NAMES[name]}, BLEU greedy | " + " | ".join(cells) + " |")
    leads = [mean_sd([s["systems"]["ours"]["points"][i]["beam1"]["bleu"]
                      - s["systems"]["joeynmt"]["points"][i]["beam1"]["bleu"] for s in seeds])
             for i in range(len(minutes))]
    lines.append("| lead of ours | " + " | ".join(leads) + " |")
    return lines


def interpolate(xs: list[float], ys: list[float], x: float) -> float:
    """Linear interpolation inside ``xs`` (sorted); NaN outside it."""
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * (x - x0) / max(x1 - x0, 1e-9)
    return float("nan")


def equal_total_rows(seeds: list[dict], prep: dict) -> list[str]:
    """Greedy BLEU of both systems at the same total minutes (preparation + training), where both curves reach."""
    per = {name: [curve(s["systems"][name], prep_minutes(s["systems"][name], name, prep)) for s in seeds]
           for name in NAMES}
    lo = max(xs[0] for runs in per.values() for xs, _ in runs)
    hi = min(xs[-1] for runs in per.values() for xs, _ in runs)
    totals = sorted({round(lo + 0.5), round((lo + hi) / 2), int(hi)})
    lines = ["| total minutes (preparation + training) | " + " | ".join(f"{t}" for t in totals) + " |",
             "| --- |" + " ---: |" * len(totals)]
    for name in NAMES:
        cells = [mean_sd([interpolate(xs, ys, t) for xs, ys in per[name]]) for t in totals]
        lines.append(f"| {NAMES[name]}, BLEU greedy | " + " | ".join(cells) + " |")
    return lines


def seeding_rows(check: list[dict]) -> list[str]:
    lines = ["| run | seed | first logged step, loss | first batch loss |", "| --- | ---: | ---: | ---: |"]
    for r in check:
        step, loss = r["first_logged"] or ("n/a", float("nan"))
        exact = "n/a (no launcher)" if r["first_batch_loss"] is None else f"{r['first_batch_loss']:.6f}"
        lines.append(f"| {r['run']} | {'unseeded' if r['seed'] is None else r['seed']} | {step}, {loss:.2f} | "
                     f"{exact} |")
    return lines


def plot(seeds: list[dict], prep: dict, path: Path) -> None:
    """Test BLEU (greedy, cased) against training CPU minutes and against total minutes, mean ± sd bands."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, with_prep in zip(axes, (False, True)):
        for name, colour in zip(NAMES, ("tab:blue", "tab:orange")):
            runs = [curve(s["systems"][name], prep_minutes(s["systems"][name], name, prep) if with_prep else 0.0)
                    for s in seeds]
            xs = [statistics.mean(col) for col in zip(*(r[0] for r in runs))]
            ys = list(zip(*(r[1] for r in runs)))
            mean = [statistics.mean(c) for c in ys]
            sd = [statistics.stdev(c) if len(c) > 1 else 0.0 for c in ys]
            ax.plot(xs, mean, marker="o", color=colour, label=f"{NAMES[name]} ({len(runs)} seeds)")
            ax.fill_between(xs, [m - s for m, s in zip(mean, sd)], [m + s for m, s in zip(mean, sd)],
                            color=colour, alpha=0.2)
        ax.set_xlabel("total minutes (preparation + training)" if with_prep else "training CPU minutes (1 thread)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test BLEU, greedy (cased sacreBLEU)")
    axes[0].legend(loc="lower right")
    fig.suptitle("Held-out Tatoeba test split: mean ± sd over seeds")
    fig.tight_layout()
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def write_report(out: Path, seeds: list[dict], check: list[dict], prep: dict, split, n_test: int, args) -> str:
    """Write ``results.md``, ``results.json`` and ``curves.png`` into ``out``; the Markdown text."""
    batch = args.batch
    sig = seeds[0]["systems"]["ours"]["points"][-1]["beam5"]
    parts = [f"{args.minutes:g} CPU minutes of training per run, {args.threads} thread(s), 2 processes at a time; "
             f"{split.n_train} training pairs, {n_test} held-out test pairs; label smoothing {args.label_smoothing:g} "
             f"for both.", "", *summary_rows(seeds, split.n_train, batch, n_test, prep), "",
             "Decoding speed, one thread, the whole test split:", "", *speed_rows(seeds, n_test), "",
             "Greedy test BLEU along training (same checkpoints' CPU minutes for both):", "", *curve_rows(seeds), "",
             "At equal total time (our data preparation counted):", "", *equal_total_rows(seeds, prep), "",
             "Per seed:", "", *per_seed_rows(seeds), "", "JoeyNMT seeding check (20 steps, first loss logged at "
             "step 5):", "", *seeding_rows(check), "",
             f"Signatures: {sig['bleu_sig']} / {sig['bleu_lc_sig']} / {sig['chrf_sig']}"]
    text = "\n".join(parts)
    (out / "results.md").write_text(text + "\n")
    (out / "results.json").write_text(json.dumps({"seeds": seeds, "seeding_check": check, "prep": prep}, indent=2))
    plot(seeds, prep, out / "curves.png")
    return text
