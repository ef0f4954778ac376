"""Small generated corpora and word-vector files for CLI tests (written to a temporary folder)."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

SUBJECTS = [("tu", "you", "es", "are"), ("il", "he", "est", "is"), ("elle", "she", "est", "is"),
            ("nous", "we", "sommes", "are"), ("vous", "you", "êtes", "are"), ("ils", "they", "sont", "are")]
PLACES = [("la gare", "the station"), ("la maison", "the house"), ("le marché", "the market"),
          ("la plage", "the beach"), ("le musée", "the museum"), ("l'école", "the school")]


def question_pairs() -> list[tuple[str, str]]:
    """About 150 (french, english) Wh-question pairs with a little structure to learn."""
    pairs = []
    for (fr_s, en_s, fr_v, en_v), (fr_p, en_p) in itertools.product(SUBJECTS, PLACES):
        pairs.append((f"Pourquoi {fr_s} {fr_v} à {fr_p} ?", f"Why {en_v} {en_s} at {en_p}?"))
        pairs.append((f"Quand {fr_s} {fr_v} à {fr_p} ?", f"When {en_v} {en_s} at {en_p}?"))
        pairs.append((f"Qui {fr_v} à {fr_p} ?".replace("Qui sommes", "Qui est").replace("Qui êtes", "Qui est")
                      .replace("Qui sont", "Qui est").replace("Qui es", "Qui est"), f"Who is at {en_p}?"))
        pairs.append((f"Où est {fr_p} ?", f"Where is {en_p}?"))
    return sorted(set(pairs))


def write_gigafren(folder: Path) -> Path:
    """giga-fren-shaped ``.fr``/``.en`` files: Wh-questions mixed with other lines the filter must drop."""
    folder.mkdir(parents=True, exist_ok=True)
    fr_lines, en_lines = [], []
    for i, (fr, en) in enumerate(question_pairs()):
        fr_lines.append(fr)
        en_lines.append(en)
        if i % 3 == 0:
            fr_lines += ["Comment allez-vous ?", "Le chat dort."]
            en_lines += ["How are you?", "The cat sleeps."]
    (folder / "giga-fren.release2.fixed.fr").write_text("\n".join(fr_lines) + "\n", encoding="utf-8")
    (folder / "giga-fren.release2.fixed.en").write_text("\n".join(en_lines) + "\n", encoding="utf-8")
    return folder


def write_tatoeba(path: Path) -> Path:
    """An Anki-style ``English<TAB>French<TAB>attribution`` file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{en}\t{fr}\tCC-BY 2.0 (France) Attribution: tatoeba.org" for fr, en in question_pairs()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_vec(path: Path, words: set[str], dim: int, seed: int) -> Path:
    """A ``.vec`` file (header ``N DIM``) with random vectors of std ≈ 0.3, like fastText's."""
    rng = np.random.default_rng(seed)
    words = sorted(words)
    rows = [f"{w} " + " ".join(f"{x:.4f}" for x in rng.normal(0, 0.3, dim)) for w in words]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{len(words)} {dim}\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def vocab_words(side: int) -> set[str]:
    """Lower-cased whitespace/apostrophe pieces of one side of :func:`question_pairs` (0 French, 1 English)."""
    words = set()
    for pair in question_pairs():
        for w in pair[side].lower().replace("?", " ? ").split():
            words.update({w, w.split("'")[-1], w.split("'")[0] + "'"})
    return words
