"""Speed and memory of the giga-fren question extraction on generated giga-fren-shaped files.

    python benchmarks/extract_gigafren.py [--gb 1.0] [--small-gb 0.1] [--gzip] [--dir /tmp] [--keep]

Writes a ``.fr``/``.en`` pair of about ``--gb`` GB together (and a ``--small-gb`` pair), shaped like giga-fren:
~110-byte lines, mostly statements, ~2 % questions of which a fifth are English "Wh" questions, French accents,
the occasional URL, HTML entity and invalid UTF-8 byte. Each pair is then filtered with
``extract_question_pairs(mode="wh_questions")`` in a fresh subprocess that reports its wall time and peak resident
memory, so the two sizes can be compared: flat memory means the peak does not grow with the file size.
Prints MB/s of English+French input (target ≥ 50 MB/s here) and both peaks. The files are just written, so they
come from the page cache: this measures the filter, not the disk.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUBJECTS = [("le gouvernement", "the government"), ("la commission", "the commission"), ("ce programme",
            "this program"), ("le ministère", "the department"), ("notre équipe", "our team"),
            ("la société", "the company"), ("le comité", "the committee"), ("cette étude", "this study")]
VERBS = [("présente", "presents"), ("examine", "examines"), ("finance", "funds"), ("décrit", "describes"),
         ("améliore", "improves"), ("évalue", "assesses")]
OBJECTS = [("les résultats de l'année", "the results of the year"), ("un nouveau règlement", "a new regulation"),
           ("la qualité de l'eau", "the quality of the water"), ("les services aux citoyens", "services to citizens"),
           ("le rapport annuel 2009", "the 2009 annual report"), ("les données régionales", "regional data")]
WH = [("Qu'est-ce que", "What does"), ("Pourquoi", "Why does"), ("Où", "Where does"), ("Quand", "When does"),
      ("Qui", "Who")]


def _pair(rng: random.Random) -> tuple[str, str]:
    """One (french, english) line pair in giga-fren's proportions."""
    (fs, es), (fv, ev), (fo, eo) = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS)
    roll = rng.random()
    if roll < 0.004:  # Wh-question, kept by the filter
        fw, ew = rng.choice(WH)
        return f"{fw} {fs} {fv} {fo} ?", f"{ew} {es} {ev.rstrip('s')} {eo}?"
    if roll < 0.02:  # other question
        return f"Est-ce que {fs} {fv} {fo} ?", f"Does {es} {ev.rstrip('s')} {eo}?"
    extra = rng.choice(["", " (voir http://www.example.gc.ca/index-fra.html)", " &amp; autres", "", ""])
    return f"{fs.capitalize()} {fv} {fo}{extra}, selon le document n° {rng.randint(1, 99999)}.", \
        f"{es.capitalize()} {ev} {eo}{extra.replace('fra', 'eng')}, according to document no. " \
        f"{rng.randint(1, 99999)}."


def write_pair(folder: Path, target_bytes: int, seed: int = 0) -> tuple[Path, Path]:
    """Write ``giga-fren.release2.fixed.{fr,en}`` totalling about ``target_bytes``; lines stay aligned."""
    rng = random.Random(seed)
    block_fr, block_en = [], []
    for i in range(20_000):
        fr, en = _pair(rng)
        if i % 5000 == 4999:  # an invalid UTF-8 byte now and then, as in the real corpus
            fr = fr.replace("é", "\udce9", 1)
        block_fr.append(fr)
        block_en.append(en)
    fr_bytes = ("\n".join(block_fr) + "\n").encode("utf-8", errors="surrogateescape")
    en_bytes = ("\n".join(block_en) + "\n").encode("utf-8")
    fr_path, en_path = folder / "giga-fren.release2.fixed.fr", folder / "giga-fren.release2.fixed.en"
    written = 0
    with open(fr_path, "wb") as fr_out, open(en_path, "wb") as en_out:
        while written < target_bytes:
            fr_out.write(fr_bytes)
            en_out.write(en_bytes)
            written += len(fr_bytes) + len(en_bytes)
    return fr_path, en_path


def _gzip(path: Path) -> Path:
    subprocess.run(["gzip", "-1", "-f", str(path)], check=True)
    return path.with_name(path.name + ".gz")


def _measure(fr: Path, en: Path, out: Path) -> dict:
    """Run the extraction in a fresh interpreter; its wall time, kept pairs and peak RSS."""
    code = ("import json, resource, sys, time\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "from datamodules.text.gigafren import extract_question_pairs\n"
            "t = time.perf_counter()\n"
            f"kept = extract_question_pairs({str(fr)!r}, {str(en)!r}, {str(out)!r}, progress=False)\n"
            "print(json.dumps({'seconds': time.perf_counter() - t, 'kept': kept,\n"
            "                  'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gb", type=float, default=1.0, help="size of the large pair, GB (fr + en)")
    parser.add_argument("--small-gb", type=float, default=0.1, help="size of the small pair, GB")
    parser.add_argument("--gzip", action="store_true", help="also time gzipped copies (as some mirrors ship them)")
    parser.add_argument("--dir", default=None, help="where to write the files (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="gigafren-bench-", dir=args.dir))
    print(f"{'input':<14} {'MB (fr+en)':>10} {'write s':>8} {'filter s':>9} {'MB/s':>7} {'kept':>8} {'peak RSS MB':>12}")
    try:
        for label, gb in (("small", args.small_gb), ("large", args.gb)):
            folder = base / label
            folder.mkdir()
            t = time.perf_counter()
            fr, en = write_pair(folder, int(gb * 1e9))
            written = time.perf_counter() - t
            mb = (fr.stat().st_size + en.stat().st_size) / 1e6  # uncompressed text, also for the gzip rows
            for kind in ("plain", "gzip") if args.gzip else ("plain",):
                fr_in, en_in = (fr, en) if kind == "plain" else (_gzip(fr), _gzip(en))  # gzip after plain
                result = _measure(fr_in, en_in, folder / f"pairs-{kind}.tsv")
                print(f"{label + ' ' + kind:<14} {mb:>10,.0f} {written:>8.1f} {result['seconds']:>9.1f} "
                      f"{mb / result['seconds']:>7.1f} {result['kept']:>8,} {result['peak_mb']:>12.1f}")
            if not args.keep:
                shutil.rmtree(folder)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"(this process peaked at {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB while "
          "writing; the target is ≥ 50 MB/s with the peak the same at both sizes)")


if __name__ == "__main__":
    main()
