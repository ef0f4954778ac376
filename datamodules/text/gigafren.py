"""Stream the giga-fren parallel corpus (two ~2.5 GB files, plain or gzipped) into a small TSV of question pairs.

The two files are read in step, in binary, through large buffers; a line pair is decoded only when cheap byte tests
say it can pass the filter (for the question modes: both sides contain ``?``, and for "wh_questions" the English
contains ``Wh``), so most of the corpus is never decoded. Lines that fail to decode as UTF-8 are skipped and counted
(only candidate lines are decoded, so the count covers those).
"""
from __future__ import annotations

import contextlib
import gzip
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, TextIO

from tqdm import tqdm

from core.atomic import atomic_open
from core.errors import UserInputError
from datamodules.text.filters import check_filter_mode, filter_pair

log = logging.getLogger(__name__)

BUFFER = 1 << 22  # 4 MiB read buffers
PROGRESS_EVERY = 1 << 16  # lines between progress-bar updates
_LINE_BREAKS = re.compile("[\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # tab + what str.splitlines() splits on


@dataclass
class _Counts:
    """Tallies of one extraction run."""

    lines: int = 0
    kept: int = 0
    undecodable: int = 0


def tsv_field(text: str) -> str:
    """``text`` with tabs and line breaks replaced by spaces, safe as one TSV field."""
    return _LINE_BREAKS.sub(" ", text)


@contextlib.contextmanager
def _open_binary(path: Path) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """Yield (line stream, raw file) for a plain or gzipped file; ``raw.tell()`` gives progress in on-disk bytes."""
    with open(path, "rb", buffering=BUFFER) as raw:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield io.BufferedReader(unzipped, BUFFER), raw  # type: ignore[arg-type]
        else:
            yield raw, raw


def extract_question_pairs(fr_path: Path, en_path: Path, out_tsv: Path, mode: str = "wh_questions",
                           progress: bool = True) -> int:
    """Filter the giga-fren pair ``fr_path``/``en_path`` with ``filter_pair(mode)`` into ``out_tsv``; return the count.

    Each kept pair is written as ``french<TAB>english``; ``out_tsv`` appears only if the whole run succeeds.
    Files of different line counts raise ``UserInputError``.
    """
    fr_path, en_path, out_tsv = Path(fr_path), Path(en_path), Path(out_tsv)
    check_filter_mode(mode)
    for path in (fr_path, en_path):
        if not path.is_file():
            raise UserInputError(f"giga-fren file {path} not found: put the .fr/.en pair of giga-fren there")
    counts = _Counts()
    with _open_binary(fr_path) as (fr_lines, _), _open_binary(en_path) as (en_lines, en_raw), \
            atomic_open(out_tsv, "w") as out, \
            tqdm(total=en_path.stat().st_size, unit="B", unit_scale=True, unit_divisor=1024,
                 desc=f"filtering {en_path.name}", disable=not progress) as bar:
        try:
            _scan(fr_lines, en_lines, out, mode, counts, lambda: bar.update(en_raw.tell() - bar.n))
        except ValueError as exc:
            if not str(exc).startswith("zip() argument"):
                raise
            raise _line_count_error(fr_path, en_path, counts.lines, "shorter" in str(exc)) from None
        bar.update(en_raw.tell() - bar.n)
    if counts.undecodable:
        log.warning("giga-fren: skipped %d line pairs that are not valid UTF-8 in %s / %s",
                    counts.undecodable, fr_path, en_path)
    log.info("giga-fren: read %d line pairs, kept %d (filter=%s), skipped %d undecodable; wrote %s",
             counts.lines, counts.kept, mode, counts.undecodable, out_tsv)
    return counts.kept


def _line_count_error(fr_path: Path, en_path: Path, lines: int, fr_shorter: bool) -> UserInputError:
    """The one-line error for .fr/.en files of different lengths."""
    ended, continues = (fr_path, en_path) if fr_shorter else (en_path, fr_path)
    return UserInputError(f"giga-fren files have different line counts: {ended} ended at line {lines} while "
                          f"{continues} continues; use the matching .fr/.en pair")


def _scan(fr_lines: IO[bytes], en_lines: IO[bytes], out: TextIO, mode: str, counts: _Counts,
          tick: Callable[[], object]) -> None:
    """The hot loop: cheap byte tests on English then French, decode and filter the few candidates.

    Raises ``ValueError`` from ``zip(strict=True)`` when one file ends before the other; ``counts.lines`` then holds
    the number of complete pairs read.
    """
    need_question = mode != "none"
    need_wh = mode == "wh_questions"
    n = 0
    try:
        for n, (en_line, fr_line) in enumerate(zip(en_lines, fr_lines, strict=True), 1):
            if not n % PROGRESS_EVERY:
                tick()
            if need_question and (b"?" not in en_line or b"?" not in fr_line):
                continue
            if need_wh and b"Wh" not in en_line:
                continue
            try:
                en_text = en_line.decode("utf-8")
                fr_text = fr_line.decode("utf-8")
            except UnicodeDecodeError:
                counts.undecodable += 1
                continue
            pair = filter_pair(fr_text, en_text, mode)  # type: ignore[arg-type]
            if pair is not None:
                out.write(f"{tsv_field(pair[0])}\t{tsv_field(pair[1])}\n")
                counts.kept += 1
    finally:
        counts.lines = n


def read_tsv_pairs(path: Path) -> list[tuple[str, str]]:
    """Read ``french<TAB>english`` lines written by ``extract_question_pairs``."""
    pairs: list[tuple[str, str]] = []
    with open(path, encoding="utf-8", newline="\n") as handle:
        for line in handle:
            fr, tab, en = line.rstrip("\n").partition("\t")
            if tab and fr and en:
                pairs.append((fr, en))
    return pairs
