"""Text word-vector files: fastText / word2vec ``.vec`` (header line "N DIM") and GloVe ``.txt`` (no header)."""
from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import BinaryIO, Iterable

import numpy as np

from core.errors import UserInputError
from core.hashing import file_signature, words_hash
from datamodules.vectors.base import WordVectors, log, require_file

_GROW_FROM = 4096
_PREALLOCATE_AT_MOST = 1 << 22  # rows; a corrupt header must not allocate terabytes up front


class _RowBuffer:
    """Growable float32 matrix of shape ``(n, dim)``, filled one row at a time."""

    def __init__(self, dim: int, capacity: int) -> None:
        self.data = np.empty((max(capacity, 1), dim), dtype=np.float32)
        self.size = 0

    def append(self, row: np.ndarray) -> None:
        if self.size == len(self.data):
            grown = np.empty((2 * len(self.data), self.data.shape[1]), dtype=np.float32)
            grown[: self.size] = self.data
            self.data = grown
        self.data[self.size] = row
        self.size += 1

    def finish(self) -> np.ndarray:
        """The filled rows, shape ``(n, dim)``, read-only."""
        matrix = self.data if self.size == len(self.data) else self.data[: self.size].copy()
        matrix.flags.writeable = False
        return matrix


class VecFileVectors(WordVectors):
    """Word vectors read from a text file, streamed line by line.

    Formats: fastText / word2vec ``.vec`` (first line "N DIM", then "word v1 ... vDIM" rows) and GloVe ``.txt``
    (no header; DIM is taken from the first row). With ``keep``, only rows whose word is in ``keep`` or is the
    lower-case form of a word in ``keep`` are stored, so a multi-GB file loads in memory bounded by ``len(keep)``;
    rows that are skipped are not parsed (nor validated). Rows whose word is not valid UTF-8 are skipped, counted
    and reported in one warning. The first row of a repeated word wins.
    """

    def __init__(self, path: str | os.PathLike, keep: Iterable[str] | None = None) -> None:
        name = Path(path).name
        self.path = require_file(
            path, "vectors file", f"download {name} (a fastText .vec or GloVe .txt text file) and put it there, "
            "or change the vectors spec"
        )
        self.keep = None if keep is None else frozenset(keep)
        self._wanted = None if self.keep is None else self.keep | {word.lower() for word in self.keep}
        self.skipped_non_utf8 = 0
        self.dim = 0
        self._index: dict[str, int] = {}
        self._matrix = np.empty((0, 0), dtype=np.float32)
        self._load()

    def lookup(self, word: str) -> np.ndarray | None:
        """Float32 vector of shape ``(dim,)`` (a read-only view) or None."""
        row = self._index.get(word)
        return None if row is None else self._matrix[row]

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word in self._index

    def __len__(self) -> int:
        return len(self._index)

    @property
    def words(self) -> list[str]:
        """The stored words, in file order."""
        return list(self._index)

    def frequent_words(self, limit: int) -> list[str]:
        """The first ``limit`` stored words (fastText and GloVe files list words by frequency)."""
        return list(itertools.islice(self._index, limit))

    @property
    def matrix(self) -> np.ndarray:
        """All stored vectors, shape ``(len(self), dim)``, rows in the order of ``words``; read-only."""
        return self._matrix

    def fingerprint(self) -> str:
        keep = "" if self.keep is None else f":keep={words_hash(self.keep)}"
        return f"vec:{self.path.name}:{file_signature(self.path)}{keep}"

    def _load(self) -> None:
        with open(self.path, "rb") as handle:
            first = handle.readline()
            expected = self._parse_header(first)
            capacity = min(expected, _PREALLOCATE_AT_MOST) if expected and self.keep is None else _GROW_FROM
            rows = _RowBuffer(self.dim, capacity)
            if expected is None:
                self._add_row(first, 1, rows)
            n_rows = (expected is None) + self._read_rows(handle, rows, expected)
        self._matrix = rows.finish()
        if self.skipped_non_utf8:
            log.warning("%s: skipped %d rows whose word is not valid UTF-8", self.path, self.skipped_non_utf8)
        if expected is not None and n_rows < expected:
            log.warning("%s: header says %d words but the file has only %d rows; is it truncated?",
                        self.path, expected, n_rows)
        log.info("%s: kept %d of %d words (dim %d)", self.path, len(self._index), n_rows, self.dim)

    def _parse_header(self, line: bytes) -> int | None:
        """Set ``self.dim`` from the first line; return N from a "N DIM" header, or None for a headerless file."""
        fields = line.split()
        if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit():
            count, self.dim = int(fields[0]), int(fields[1])
            if count > 0 and self.dim > 0:
                return count
        elif len(fields) >= 2 and all(_is_float(field) for field in fields[1:]):
            self.dim = len(fields) - 1
            return None
        if not line.strip():
            raise UserInputError(f"{self.path} line 1: the file is empty or starts with a blank line: re-download it")
        shown = line[:60].decode("utf-8", "replace").strip()
        raise UserInputError(
            f"{self.path} line 1: bad header {shown!r}: a .vec file starts with 'N DIM' (word count, vector size) "
            "and a GloVe .txt file with a 'word v1 ... vDIM' row; fix or re-download the file"
        )

    def _read_rows(self, handle: BinaryIO, rows: _RowBuffer, expected: int | None) -> int:
        """Read the data rows after line 1; return how many non-empty rows there were."""
        n_rows = 0
        for lineno, line in enumerate(handle, start=2):
            if not line.strip():
                continue
            n_rows += 1
            if expected is not None and n_rows > expected:
                raise UserInputError(
                    f"{self.path} line {lineno}: the header says {expected} words but there are more rows: "
                    "fix the count in the first line or re-download the file"
                )
            self._add_row(line, lineno, rows)
        return n_rows

    def _add_row(self, line: bytes, lineno: int, rows: _RowBuffer) -> None:
        """Parse one "word v1 ... vDIM" row and store it if wanted."""
        head = line.split(None, 1)
        try:
            word = head[0].decode("utf-8")
        except UnicodeDecodeError:
            self.skipped_non_utf8 += 1
            return
        if word in self._index or (self._wanted is not None and word not in self._wanted):
            return
        values = head[1].split() if len(head) == 2 else []
        if len(values) != self.dim:
            raise UserInputError(
                f"{self.path} line {lineno}: the word {word!r} has {len(values)} values but the vectors have "
                f"{self.dim}: fix or remove that line, or re-download the file"
            )
        try:
            vector = np.array(values, dtype=np.float32)
        except ValueError:
            raise UserInputError(
                f"{self.path} line {lineno}: the word {word!r} has a value that is not a number: "
                "fix or remove that line, or re-download the file"
            ) from None
        self._index[word] = rows.size
        rows.append(vector)


def _is_float(text: bytes) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True

