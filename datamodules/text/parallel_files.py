"""Two line-aligned text files, one sentence per line (``test.fr`` + ``test.en``, plain or gzipped).

The layout JoeyNMT, OpenNMT and fairseq users keep their corpora in. Usable as ``data.source`` or
``data.test_source``::

    data:
      test_source:
        class_path: datamodules.text.sources.ParallelFilesSource
        init_args: {src: data/newstest.fr, tgt: data/newstest.en}
"""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import IO

from core.errors import UserInputError
from core.hashing import file_stamp
from datamodules.text.filters import FilterMode, check_filter_mode, filter_pair
from datamodules.text.source_base import PairSource


def _open_text(path: Path) -> IO[str]:
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    return opener(path, "rt", encoding="utf-8", newline="\n")  # type: ignore[return-value]


def _read_lines(path: Path) -> list[str]:
    """All lines of a plain or gzipped UTF-8 file, without line ends."""
    try:
        with _open_text(path) as handle:
            return [line.rstrip("\r\n") for line in handle]
    except UnicodeDecodeError as exc:
        raise UserInputError(f"{path} is not UTF-8 text ({exc.reason}): re-save it as UTF-8") from None
    except (OSError, EOFError) as exc:
        raise UserInputError(f"{path} cannot be read ({exc}): check the file (a damaged .gz?)") from None


class ParallelFilesSource(PairSource):
    """French sentences in ``src``, their English translations on the same lines of ``tgt``.

    Lines where either side is empty are skipped and counted; files with different line counts are an error.
    """

    def __init__(self, src: str, tgt: str, filter: FilterMode = "none") -> None:
        self.src, self.tgt = src, tgt
        self.filter = check_filter_mode(filter)

    def prepare(self, cache_dir: Path) -> None:
        """Nothing to download: both files must exist."""
        for path in (self.src, self.tgt):
            if not Path(path).is_file():
                raise UserInputError(f"parallel text file {path} not found: put the file there or fix the src/tgt "
                                     "path (one sentence per line, plain or .gz)")

    def pairs(self, cache_dir: Path) -> list[tuple[str, str]]:
        """The line pairs, after skipping empty ones and filtering."""
        self.prepare(cache_dir)
        src_lines, tgt_lines = _read_lines(Path(self.src)), _read_lines(Path(self.tgt))
        if len(src_lines) != len(tgt_lines):
            raise UserInputError(f"{self.src} has {len(src_lines)} lines but {self.tgt} has {len(tgt_lines)}: "
                                 "parallel files must be line-aligned, one sentence per line on both sides")
        pairs: list[tuple[str, str]] = []
        empty = 0
        for fr, en in zip(src_lines, tgt_lines):
            if not fr.strip() or not en.strip():
                empty += 1
                continue
            pair = filter_pair(fr, en, self.filter)
            if pair is not None:
                pairs.append(pair)
        self._record(read=len(src_lines), kept=len(pairs), skipped_empty=empty,
                     filtered_out=len(src_lines) - empty - len(pairs))
        if not pairs:
            raise UserInputError(f"{self.src} / {self.tgt}: no sentence pairs (read {len(src_lines)} lines, {empty} "
                                 f"with an empty side, filter={self.filter})")
        return pairs

    def fingerprint(self) -> str:
        return f"ParallelFilesSource|filter={self.filter}|{file_stamp(Path(self.src))}|{file_stamp(Path(self.tgt))}"

    def describe(self) -> str:
        return f"parallel files {self.src} + {self.tgt}"
