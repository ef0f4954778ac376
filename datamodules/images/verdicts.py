"""Which image files can be read, remembered between runs: a SQLite table written a chunk at a time.

One row per file: path, size, modification time, how deeply it was checked (``header``: ``Image.open`` + ``verify``,
cheap; ``full``: decoded, as feature extraction does) and the problem found (NULL when readable). A row only counts
while the file's size and mtime are unchanged, and a header check never stands in for a full one. The store grows
with inserts of new verdicts; nothing is rewritten whole, so it scales to the millions of images of ImageNet.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Iterable, Literal, Sequence

Level = Literal["header", "full"]
_CHUNK = 900  # SQLite's default limit on bound variables is 999


def stat_key(path: Path) -> tuple[int, int] | None:
    """``(size, mtime_ns)`` of ``path``, or None when it cannot be stat'ed."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


class VerdictStore:
    """Verdicts of image checks in ``path`` (an SQLite file, created when missing)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute("CREATE TABLE IF NOT EXISTS checks (path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, "
                         "level TEXT, problem TEXT)")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "VerdictStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def known(self, paths: Sequence[Path], level: Level) -> dict[str, str | None]:
        """The stored verdict (None: readable; else the problem) of each path whose file is unchanged and was checked
        at least as deeply as ``level``; other paths are absent from the result."""
        out: dict[str, str | None] = {}
        levels = ("full",) if level == "full" else ("header", "full")
        for start in range(0, len(paths), _CHUNK):
            chunk = [str(p) for p in paths[start:start + _CHUNK]]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT path, size, mtime, level, problem FROM checks WHERE path IN ({marks})",
                                    chunk).fetchall()
            for path, size, mtime, lvl, problem in rows:
                if lvl in levels and stat_key(Path(path)) == (size, mtime):
                    out[path] = problem
        return out

    def record(self, verdicts: Iterable[tuple[Path, str | None]], level: Level) -> None:
        """Store ``(path, problem or None)`` verdicts found at ``level``, committing a chunk at a time."""
        batch: list[tuple] = []
        for path, problem in verdicts:
            key = stat_key(Path(path))
            if key is not None:
                batch.append((str(path), *key, level, problem))
            if len(batch) >= _CHUNK:
                self._write(batch)
                batch = []
        if batch:
            self._write(batch)

    def _write(self, rows: list[tuple]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO checks VALUES (?, ?, ?, ?, ?)", rows)
