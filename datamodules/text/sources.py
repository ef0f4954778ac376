"""Where the (french, english) question pairs come from: giga-fren, a CSV, Tatoeba/Anki, or the embedded generator.

Every constructor takes plain typed values so jsonargparse/LightningCLI can build a source from YAML, e.g.::

    data:
      source:
        class_path: datamodules.text.sources.GigaFrenSource
        init_args: {root: data/giga-fren, filter: wh_questions}
"""
from __future__ import annotations

import csv
import logging
from pathlib import Path

from core.errors import UserInputError
from core.hashing import file_or_download_stamp, file_stamp
from datamodules.text.filters import FilterMode, check_filter_mode, filter_pair
from datamodules.text.gigafren import extract_question_pairs, read_tsv_pairs
from datamodules.text.parallel_files import ParallelFilesSource
from datamodules.text.source_base import PairSource, ensure_file, fetch

__all__ = ["PairSource", "GigaFrenSource", "CsvPairSource", "TatoebaSource", "EmbeddedQuestionsSource",
           "ParallelFilesSource"]

log = logging.getLogger(__name__)

GIGA_FR = "giga-fren.release2.fixed.fr"
GIGA_EN = "giga-fren.release2.fixed.en"


class GigaFrenSource(PairSource):
    """The giga-fren corpus filtered to question pairs (the lesson's data), cached as a TSV in ``cache_dir``."""

    def __init__(self, root: str = "data/giga-fren", url: str | None = None, sha256: str | None = None,
                 filter: FilterMode = "wh_questions") -> None:
        self.root = root
        self.url = url
        self.sha256 = sha256
        self.filter = check_filter_mode(filter)

    def _corpus(self) -> tuple[Path, Path] | None:
        """The (.fr, .en) files in ``root``, plain preferred over ``.gz``; ``None`` unless both are there."""
        found: list[Path] = []
        for name in (GIGA_FR, GIGA_EN):
            candidates = [Path(self.root) / name, Path(self.root) / f"{name}.gz"]
            hit = next((path for path in candidates if path.is_file()), None)
            if hit is None:
                return None
            found.append(hit)
        return found[0], found[1]

    def _tsv(self, cache_dir: Path) -> Path:
        """The cached TSV of filtered pairs for this corpus and filter."""
        return Path(cache_dir) / f"gigafren-{self.cache_key()}.tsv"

    def prepare(self, cache_dir: Path) -> None:
        """Download/extract the corpus if needed, then filter it into the cached TSV unless that exists."""
        corpus = self._corpus()
        if corpus is None:
            if not self.url:
                raise UserInputError(f"giga-fren corpus not found: put {GIGA_FR} and {GIGA_EN} in {self.root} "
                                     "(or set --data.source.init_args.url)")
            root = Path(self.root)
            fetch(self.url, self.sha256, {GIGA_FR: root / GIGA_FR, GIGA_EN: root / GIGA_EN})
            corpus = self._corpus()
            assert corpus is not None, "extract() returns only when both files were written"
        tsv = self._tsv(cache_dir)
        if tsv.is_file():
            log.info("%s: using cached %s", self.describe(), tsv)
            return
        extract_question_pairs(corpus[0], corpus[1], tsv, mode=self.filter)

    def pairs(self, cache_dir: Path) -> list[tuple[str, str]]:
        """The filtered pairs from the cached TSV written by ``prepare``."""
        tsv = self._tsv(cache_dir)
        if not tsv.is_file():
            raise UserInputError(f"giga-fren pairs not prepared: {tsv} is missing; run prepare() "
                                 "(DataModule.prepare_data) first")
        pairs = read_tsv_pairs(tsv)
        self._record(read=len(pairs), kept=len(pairs))
        return pairs

    def fingerprint(self) -> str:
        """Corpus files (path, size, mtime) and filter; the url/sha256 while the corpus is not there yet."""
        corpus = self._corpus()
        data = "|".join(file_stamp(path) for path in corpus) if corpus else f"url={self.url}|sha256={self.sha256}"
        return f"GigaFrenSource|filter={self.filter}|{data}"

    def describe(self) -> str:
        """One line for logs."""
        return f"giga-fren ({self.filter}) from {self.root}"


class CsvPairSource(PairSource):
    """A CSV with ``en`` and ``fr`` header columns (like fast.ai's ``questions_easy.csv``); other columns ignored."""

    def __init__(self, path: str = "data/questions_easy.csv", url: str | None = None, sha256: str | None = None,
                 filter: FilterMode = "none") -> None:
        self.path = path
        self.url = url
        self.sha256 = sha256
        self.filter = check_filter_mode(filter)

    def _not_found(self) -> str:
        return (f"CSV pair file {self.path} not found: put a CSV with 'en' and 'fr' columns there "
                "(or set --data.source.init_args.url)")

    def prepare(self, cache_dir: Path) -> None:
        """Download the CSV (or an archive holding it) when it is missing and a url is set."""
        ensure_file(Path(self.path), self.url, self.sha256, self._not_found())

    def pairs(self, cache_dir: Path) -> list[tuple[str, str]]:
        """Read, skip rows with an empty side, apply the filter."""
        path = Path(self.path)
        if not path.is_file():
            raise UserInputError(self._not_found())
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                return self._read(csv.DictReader(handle), path)
        except UnicodeDecodeError as exc:
            raise UserInputError(f"{path} is not UTF-8 ({exc.reason} at byte {exc.start}): re-save it as UTF-8 "
                                 "CSV") from None
        except csv.Error as exc:
            raise UserInputError(f"{path} is not valid CSV ({exc}): fix the file") from None

    def _read(self, reader: csv.DictReader, path: Path) -> list[tuple[str, str]]:
        """Collect the pairs from ``reader``, counting the skipped rows."""
        columns = {(name or "").strip().lower(): name for name in (reader.fieldnames or [])}
        if "en" not in columns or "fr" not in columns:
            raise UserInputError(f"{path} needs header columns 'en' and 'fr' but has "
                                 f"{list(reader.fieldnames or [])}: rename the header (e.g. fr,en)")
        pairs: list[tuple[str, str]] = []
        read = empty = 0
        for row in reader:
            read += 1
            en, fr = (row.get(columns["en"]) or "").strip(), (row.get(columns["fr"]) or "").strip()
            if not en or not fr:
                empty += 1
                continue
            pair = filter_pair(fr, en, self.filter)
            if pair is not None:
                pairs.append(pair)
        self._record(read=read, kept=len(pairs), skipped_empty=empty, filtered_out=read - empty - len(pairs))
        if not pairs:
            raise UserInputError(f"{path}: no pairs left (read {read} rows, {empty} with an empty side, filter="
                                 f"{self.filter}): check the file or the filter")
        return pairs

    def fingerprint(self) -> str:
        """The file (path, size, mtime) and filter; the url/sha256 while the file is not there yet."""
        data = file_or_download_stamp(self.path, self.url, self.sha256)
        return f"CsvPairSource|filter={self.filter}|{data}"

    def describe(self) -> str:
        """One line for logs."""
        return f"CSV pairs ({self.filter}) from {self.path}"


class TatoebaSource(PairSource):
    """Tatoeba sentence pairs in the Anki format of manythings.org: ``English<TAB>French[<TAB>attribution]``."""

    def __init__(self, path: str = "data/tatoeba/fra.txt",
                 url: str | None = "https://www.manythings.org/anki/fra-eng.zip", sha256: str | None = None,
                 filter: FilterMode = "none") -> None:
        self.path = path
        self.url = url
        self.sha256 = sha256
        self.filter = check_filter_mode(filter)

    def prepare(self, cache_dir: Path) -> None:
        """Download the zip next to ``path`` and extract ``fra.txt`` when ``path`` is missing and a url is set."""
        not_found = (f"Tatoeba file {self.path} not found: put fra.txt from fra-eng.zip (manythings.org/anki) "
                     "there (or set --data.source.init_args.url)")
        ensure_file(Path(self.path), self.url, self.sha256, not_found, member="fra.txt")

    def pairs(self, cache_dir: Path) -> list[tuple[str, str]]:
        """Read the Anki lines, skipping (and counting) malformed and non-UTF-8 ones, then filter."""
        path = Path(self.path)
        if not path.is_file():
            raise UserInputError(f"Tatoeba file {path} not found: run prepare() first or put fra.txt there")
        pairs: list[tuple[str, str]] = []
        read = malformed = undecodable = 0
        with open(path, "rb") as handle:
            for raw in handle:
                if not raw.strip():
                    continue
                read += 1
                try:
                    line = raw.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
                except UnicodeDecodeError:
                    undecodable += 1
                    continue
                en, tab, rest = line.partition("\t")
                if not tab:
                    malformed += 1
                    continue
                pair = filter_pair(rest.split("\t", 1)[0], en, self.filter)
                if pair is not None:
                    pairs.append(pair)
        if malformed or undecodable:
            log.warning("%s: skipped %d malformed lines (no tab) and %d non-UTF-8 lines", path, malformed, undecodable)
        self._record(read=read, kept=len(pairs), malformed=malformed, undecodable=undecodable,
                     filtered_out=read - malformed - undecodable - len(pairs))
        if not pairs:
            raise UserInputError(f"{path}: no usable pairs (read {read} lines, {malformed} without a tab, "
                                 f"{undecodable} not UTF-8, filter={self.filter}): expected 'English<TAB>French' lines")
        return pairs

    def fingerprint(self) -> str:
        """The file (path, size, mtime) and filter; the url/sha256 while the file is not there yet."""
        data = file_or_download_stamp(self.path, self.url, self.sha256)
        return f"TatoebaSource|filter={self.filter}|{data}"

    def describe(self) -> str:
        """One line for logs."""
        return f"Tatoeba pairs ({self.filter}) from {self.path}"


class EmbeddedQuestionsSource(PairSource):
    """The offline default: generated French/English question pairs, no files or network needed."""

    def __init__(self, n_pairs: int = 6000, seed: int = 0) -> None:
        if n_pairs < 1:
            raise UserInputError(f"n_pairs must be at least 1, got {n_pairs}: set --data.source.init_args.n_pairs")
        self.n_pairs = n_pairs
        self.seed = seed

    def prepare(self, cache_dir: Path) -> None:
        """Nothing to download or extract."""

    def pairs(self, cache_dir: Path) -> list[tuple[str, str]]:
        """Generate the pairs (deterministic in ``seed``)."""
        from datamodules.demo_questions.embedded_questions import generate_question_pairs

        generated = generate_question_pairs(n_pairs=self.n_pairs, seed=self.seed)
        pairs = [pair for pair in (filter_pair(fr, en, "none") for fr, en in generated) if pair is not None]
        self._record(read=len(generated), kept=len(pairs), skipped_empty=len(generated) - len(pairs))
        return pairs

    def fingerprint(self) -> str:
        """The generator options and version."""
        from datamodules.demo_questions.embedded_questions import CORPUS_VERSION

        return f"EmbeddedQuestionsSource|v{CORPUS_VERSION}|n_pairs={self.n_pairs}|seed={self.seed}"

    def describe(self) -> str:
        """One line for logs."""
        return f"embedded questions (n_pairs={self.n_pairs}, seed={self.seed})"
