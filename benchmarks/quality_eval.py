"""Decode a test split with one checkpoint and one set of decoding options, and score what a reader notices beyond
BLEU: cased and lower-cased BLEU/chrF, the rare-word and names/digits subsets, numbers carried through, repetition
and hypotheses that ran to the length limit. Run by ``translation_quality.py`` (one process per decode):

    python benchmarks/quality_eval.py CKPT SPLIT_DIR OUT.json '{"beam": 5, "replace_unk": true}'

Subsets of the test split, fixed by the data alone (the same for every variant): **rare words**, sentences with a
French word (spaCy token, lower-cased, alphabetic) seen at most twice in the training split or never; **names and
digits**, sentences with a token holding a digit or a capitalised word after the first token; **longest**, the 5 %
longest sources. A source number (a digit run, with inner ``.,:``) that also occurs in the reference counts as
carried through when the hypothesis holds it exactly. A hypothesis **repeats** when an n-gram (n ≤ 4) occurs three
times in a row, or a 2- to 4-gram three times anywhere; references are measured the same way as a baseline.
"""
from __future__ import annotations

import dataclasses
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import sacrebleu

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


def repeats(tokens: list[str]) -> bool:
    """An n-gram (n ≤ 4) three times in a row, or a 2- to 4-gram three times anywhere."""
    for n in range(1, 5):
        grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        if n >= 2 and grams and Counter(grams).most_common(1)[0][1] >= 3:
            return True
        for i in range(len(tokens) - 3 * n + 1):
            if grams[i] == grams[i + n] == grams[i + 2 * n]:
                return True
    return False


def subsets(src: list[str], train_src: list[str]) -> dict[str, list[int]]:
    """Indices of the rare-word, names-and-digits and longest subsets (see the module docstring)."""
    import spacy

    tok = spacy.blank("fr").tokenizer
    counts = Counter(t.text.lower() for doc in tok.pipe(train_src) for t in doc if t.is_alpha)
    docs = [[t.text for t in doc if not t.is_space] for doc in tok.pipe(src)]
    rare = [i for i, d in enumerate(docs) if any(w.isalpha() and counts[w.lower()] <= 2 for w in d)]
    named = [i for i, d in enumerate(docs)
             if any(any(c.isdigit() for c in w) for w in d) or any(w[:1].isupper() for w in d[1:])]
    order = sorted(range(len(docs)), key=lambda i: -len(docs[i]))
    return {"rare words": rare, "names and digits": named, "longest 5 %": sorted(order[: max(1, len(docs) // 20)])}


def numbers_carried(src: list[str], refs: list[str], hyps: list[str]) -> tuple[int, int]:
    """(numbers carried through, numbers to carry): source numbers that the reference also holds."""
    carried = total = 0
    for s, r, h in zip(src, refs, hyps):
        wanted = [n for n in NUMBER.findall(s) if n in NUMBER.findall(r)]
        found = Counter(NUMBER.findall(h))
        for n in wanted:
            total += 1
            if found[n] > 0:
                carried += 1
                found[n] -= 1
    return carried, total


def scores(hyps: list[str], refs: list[str]) -> dict:
    out = {}
    for name, lc in (("cased", False), ("lc", True)):
        bleu, chrf = sacrebleu.metrics.BLEU(lowercase=lc), sacrebleu.metrics.CHRF(lowercase=lc)
        out[f"bleu_{name}"] = bleu.corpus_score(hyps, [refs]).score
        out[f"chrf_{name}"] = chrf.corpus_score(hyps, [refs]).score
        out[f"bleu_{name}_sig"], out[f"chrf_{name}_sig"] = str(bleu.get_signature()), str(chrf.get_signature())
    return out


def evaluate(ckpt: Path, split: Path, options: dict) -> dict:
    """Decode ``split``/test.fr with ``ckpt`` under ``options`` (beam, replace_unk, no_repeat_ngram, length_limit,
    copy_order, copy_runs, split, precision) and score it."""
    import torch

    from lightning_modules.translator import Translator
    from translate import load_translator

    torch.set_num_threads(1)
    src = (split / "test.fr").read_text(encoding="utf-8").splitlines()
    refs = (split / "test.en").read_text(encoding="utf-8").splitlines()
    t0 = time.process_time()
    module = load_translator(ckpt, "cpu", options.get("precision", "fp32"))
    settings = ("replace_unk", "no_repeat_ngram", "length_limit", "copy_order", "copy_runs")
    module.decoding = dataclasses.replace(module.decoding, **{k: options[k] for k in settings if k in options})
    translator = Translator(module, options.get("beam", 5), split=options.get("split", True))
    lines = translator.translate(src)
    seconds = time.process_time() - t0
    hyps = [line.text for line in lines]
    tokens = [[t for s in line.sentences for t in (s.hypotheses[0].tokens if s.hypotheses else [])] for line in lines]
    def at_its_limit(sentence) -> bool:
        limit = int(module.decode_limits(torch.tensor([len(sentence.source_tokens) + 1]))[0])
        return bool(sentence.hypotheses) and len(sentence.hypotheses[0].tokens) >= limit

    at_limit = [i for i, line in enumerate(lines) if any(at_its_limit(s) for s in line.sentences)]
    parts = subsets(src, (split / "train.fr").read_text(encoding="utf-8").splitlines())
    ref_tokens = [r.split() for r in refs]
    result = {"options": options, "seconds": seconds, "sentences": len(src), **scores(hyps, refs),
              "subsets": {}, "numbers": numbers_carried(src, refs, hyps),
              "repeats": sum(repeats(t) for t in tokens), "ref_repeats": sum(repeats(t) for t in ref_tokens),
              "at_limit": len(at_limit)}
    for name, idx in parts.items():
        sub = scores([hyps[i] for i in idx], [refs[i] for i in idx])
        result["subsets"][name] = {"n": len(idx), "bleu_cased": sub["bleu_cased"], "bleu_lc": sub["bleu_lc"],
                                   "repeats": sum(repeats(tokens[i]) for i in idx),
                                   "ref_repeats": sum(repeats(ref_tokens[i]) for i in idx),
                                   "at_limit": len(set(at_limit) & set(idx))}
    result["samples"] = [{"source": src[i], "reference": refs[i], "hypothesis": hyps[i]}
                         for i in parts["names and digits"][:: max(1, len(parts["names and digits"]) // 15)][:15]]
    return result


if __name__ == "__main__":
    ckpt, split, out, options = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), json.loads(sys.argv[4])
    out.write_text(json.dumps(evaluate(ckpt, split, options), indent=2))
