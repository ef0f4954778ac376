"""Do names and numbers come through a translation, and in the right order? A probe of unknown-word copying.

    .venv/bin/python benchmarks/copy_names.py --split SPLIT_DIR --ckpt A.ckpt [--ckpt B.ckpt ...] --out results.md

``SPLIT_DIR`` holds the held-out ``test`` and ``valid`` pairs (``.fr``/``.en``) of the split the checkpoints were
trained on (``vs_joeynmt.py`` writes one; the budget's last checkpoint is scored, so neither file chose it). The
probe takes every pair with two or more names or numbers copied verbatim on both sides (a capitalised word after
the first, or a token holding a digit, each once per side), and a **renamed** copy of each pair in which every name
becomes an invented one the model has never seen and every number another number, on both sides: then each must be
copied. A sentence counts as **all present** when the translation holds every one of them, and as **in order** when
they also come in the reference's order. Four decoding variants: each ``_unk_`` copies where its step attended or
in source order (``copy_order``), one word at a time or a run of adjacent unknown words at once (``copy_runs``).
"""
from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORD = re.compile(r"[\w'-]+")
# invented or rare enough to be outside a Tatoeba vocabulary; checked against each checkpoint's
INVENTED = ["Zéphirine", "Bartholomé", "Kowalczyk", "Oyelaran", "Thibodeau", "Quenneville", "Rimouski", "Wawrinka",
            "Ngozi", "Leocadia", "Szymborska", "Tlaxcala", "Ouarzazate", "Kerguelen", "Ishbel", "Dragomir"]
VARIANTS = {"attention order, one word per _unk_ (before)": ("attention", False),
            "source order, one word": ("source", False), "attention order, runs": ("attention", True),
            "source order, runs (default)": ("source", True)}


def copied_both_sides(fr: str, en: str) -> list[str]:
    """The names and numbers of ``fr`` that ``en`` holds verbatim, each once per side, in French order."""
    ft, et = WORD.findall(fr), WORD.findall(en)
    found = []
    for i, w in enumerate(ft):
        named = any(c.isdigit() for c in w) or (i > 0 and w[:1].isupper())
        if named and w not in found and ft.count(w) == 1 and et.count(w) == 1:
            found.append(w)
    return found


def probe_pairs(split: Path) -> list[tuple[str, str, list[str]]]:
    """(French, English, words to copy) for each held-out pair with two or more names or numbers."""
    out = []
    for part in ("test", "valid"):
        fr = (split / f"{part}.fr").read_text(encoding="utf-8").splitlines()
        en = (split / f"{part}.en").read_text(encoding="utf-8").splitlines()
        for f, e in zip(fr, en):
            words = copied_both_sides(f, e)
            if len(words) >= 2:
                out.append((f, e, words))
    return out


def renamed(pairs: list[tuple[str, str, list[str]]], names: list[str]) -> list[tuple[str, str, list[str]]]:
    """Each pair with its names replaced by ``names`` (unseen by the model) and its numbers by other numbers."""
    out = []
    for k, (fr, en, words) in enumerate(pairs):
        new = []
        for j, w in enumerate(words):
            r = str(37 + 11 * j + k) if any(c.isdigit() for c in w) else names[(3 * k + j) % len(names)]
            pattern = re.compile(rf"(?<![\w-]){re.escape(w)}(?![\w-])")
            fr, en = pattern.sub(r, fr), pattern.sub(r, en)
            new.append(r)
        out.append((fr, en, new))
    return out


def count(items: list[tuple[str, str, list[str]]], hyps: list[str]) -> tuple[int, int]:
    """(sentences with every word present, of those the ones in the reference's order)."""
    present = ordered = 0
    for (_, en, words), hyp in zip(items, hyps):
        ht, et = WORD.findall(hyp), WORD.findall(en)
        if all(w in ht for w in words):
            present += 1
            ordered += sorted(words, key=ht.index) == sorted(words, key=et.index)
    return present, ordered


def run(ckpt: Path, split: Path, beams: list[int]) -> dict:
    """Counts per (set, beam, variant) for one checkpoint."""
    import torch

    from datamodules.text.vocab import UNK_IDX, Vocab
    from lightning_modules.translator import Translator
    from translate import load_translator

    torch.set_num_threads(1)
    model = load_translator(ckpt)
    tokenize, vocab = model.vocab_state.src_tokenizer(), Vocab(model.vocab_state.src_itos)
    unseen = [n for n in INVENTED if all(i == UNK_IDX for i in vocab.encode(tokenize(n))[: len(tokenize(n))])]
    if not unseen:
        raise SystemExit(f"{ckpt}: every invented name of benchmarks/copy_names.py is in its vocabulary: add others")
    original = probe_pairs(split)
    sets = {"original": original, "renamed": renamed(original, unseen)}
    out = {}
    for name, items in sets.items():
        for beam in beams:
            for variant, (order, runs) in VARIANTS.items():
                model.decoding = dataclasses.replace(model.decoding, copy_order=order, copy_runs=runs)
                hyps = Translator(model, beam=beam).translate_texts([fr for fr, _, _ in items])
                out[name, beam, variant] = (*count(items, hyps), len(items))
    return out


def table(results: list[dict], beams: list[int]) -> str:
    """Markdown rows summed over the checkpoints."""
    lines = ["| pairs | decoding | copying | all present | in the reference's order |",
             "| --- | --- | --- | ---: | ---: |"]
    for name in ("original", "renamed"):
        for beam in beams:
            for variant in VARIANTS:
                p, o, n = (sum(r[name, beam, variant][i] for r in results) for i in range(3))
                decoding = "greedy" if beam == 1 else f"beam {beam}"
                lines.append(f"| {name} | {decoding} | {variant} | {p}/{n} ({100 * p / n:.0f} %) | {o}/{p} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", required=True, type=Path, help="folder with test.fr/.en and valid.fr/.en")
    parser.add_argument("--ckpt", required=True, type=Path, action="append", help="translation checkpoint(s)")
    parser.add_argument("--beams", default="1,5")
    parser.add_argument("--out", type=Path, help="markdown table to write (default: print only)")
    args = parser.parse_args()
    from core.atomic import atomic_write_text

    beams = [int(b) for b in args.beams.split(",")]
    results = [run(ckpt, args.split, beams) for ckpt in args.ckpt]
    n = next(iter(results[0].values()))[2]
    text = (f"{n} held-out pairs with two or more names or numbers on both sides, each decoded by "
            f"{len(results)} checkpoint(s) ({', '.join(str(c) for c in args.ckpt)}); counts summed.\n\n"
            + table(results, beams))
    print(text)
    if args.out:
        atomic_write_text(args.out, text)


if __name__ == "__main__":
    main()
