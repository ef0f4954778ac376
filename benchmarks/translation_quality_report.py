"""Tables of ``translation_quality.py``: scores of every variant and decoding, the subsets, numbers carried through,
repetition and hypotheses at the length limit, and sample translations with names and digits."""
from __future__ import annotations

import json
from pathlib import Path


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / max(whole, 1):.1f} %"


def main_table(results: dict) -> list[str]:
    lines = ["| variant | decoding | steps | BLEU cased | BLEU lower-cased | chrF cased | rare words, BLEU | "
             "names and digits, BLEU | numbers carried through | decode CPU s |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in results.items():
        for label, d in r["decodes"].items():
            subs = d["subsets"]
            carried, total = d["numbers"]
            lines.append(f"| {name} | {label} | {r['budget']['steps']} | {d['bleu_cased']:.2f} | {d['bleu_lc']:.2f} | "
                         f"{d['chrf_cased']:.2f} | {subs['rare words']['bleu_cased']:.2f} | "
                         f"{subs['names and digits']['bleu_cased']:.2f} | {carried}/{total} ({_pct(carried, total)}) "
                         f"| {d['seconds']:.0f} |")
    return lines


def repetition_table(results: dict) -> list[str]:
    lines = ["| variant | decoding | repeating, all | at the length limit, all | repeating, longest 5 % | "
             "at the limit, longest 5 % | BLEU longest 5 % | references repeating (all / longest) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in results.items():
        for label, d in r["decodes"].items():
            n, long = d["sentences"], d["subsets"]["longest 5 %"]
            lines.append(f"| {name} | {label} | {d['repeats']} ({_pct(d['repeats'], n)}) | "
                         f"{d['at_limit']} ({_pct(d['at_limit'], n)}) | {long['repeats']} "
                         f"({_pct(long['repeats'], long['n'])}) | {long['at_limit']} | {long['bleu_cased']:.2f} | "
                         f"{d['ref_repeats']} / {long['ref_repeats']} |")
    return lines


def samples(results: dict) -> list[str]:
    """Sentences with names or digits, each variant's default decoding side by side."""
    names = list(results)
    first = results[names[0]]["decodes"]["beam 5"]["samples"]
    lines = ["| source | reference | " + " | ".join(names) + " |", "| --- " * (2 + len(names)) + "|"]
    for i, s in enumerate(first):
        cells = [s["source"], s["reference"]] + [results[n]["decodes"]["beam 5"]["samples"][i]["hypothesis"]
                                                 for n in names]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def write_report(out: Path, results: dict, minutes: float) -> str:
    any_decode = next(iter(next(iter(results.values()))["decodes"].values()))
    sizes = {k: v["n"] for k, v in any_decode["subsets"].items()}
    text = "\n".join([
        f"{minutes:g} CPU minutes of training per variant (1 thread); {any_decode['sentences']} held-out test pairs; "
        f"subsets: {', '.join(f'{k} {v}' for k, v in sizes.items())}.", "", *main_table(results), "",
        "Repetition and the length limit:", "", *repetition_table(results), "",
        "Sample translations with names or digits (beam 5):", "", *samples(results), "",
        f"Signatures: {any_decode['bleu_cased_sig']} / {any_decode['bleu_lc_sig']} / {any_decode['chrf_cased_sig']}"])
    (out / "results.md").write_text(text + "\n")
    (out / "results.json").write_text(json.dumps(results, indent=2))
    return text
