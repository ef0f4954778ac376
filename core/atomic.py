"""Atomic file writes: write to a temporary name in the same folder, then rename over the target.

A run killed mid-write leaves at most a ``*.tmp-*`` file behind, never a half-written file under the real name.
"""
from __future__ import annotations

import contextlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from core.errors import write_failure


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed to ``target``, on error removed.

    A write that fails for lack of permission or space raises ``UserInputError`` naming ``target``."""
    target = Path(target)
    tmp_path: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        tmp_path = Path(tmp)
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600; written files should read like any other
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException as exc:
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)
        failure = write_failure(exc, target) if isinstance(exc, OSError) else None
        if failure is not None:
            raise failure from None
        raise


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file for writing; it replaces ``target`` only if the block finishes without error."""
    if "b" in mode:
        encoding = None
    with atomic_path(target) as tmp:
        with open(tmp, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())


def atomic_write_text(target: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``target`` atomically."""
    with atomic_open(target, "w") as handle:
        handle.write(text)


def atomic_write_json(target: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``target`` atomically."""
    atomic_write_text(target, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def atomic_pickle(target: str | os.PathLike, obj: Any) -> None:
    """Pickle ``obj`` to ``target`` atomically."""
    with atomic_open(target, "wb") as handle:
        pickle.dump(obj, handle, protocol=pickle.HIGHEST_PROTOCOL)


def load_pickle(path: Callable[[], str | os.PathLike], make: Callable[[], None]) -> Any:
    """Unpickle the file ``path()`` names, first calling ``make()`` (which writes it, e.g. ``prepare_data``) when it
    is missing. ``path`` is asked again after ``make()``: a cache key may change once a download has arrived."""
    if not Path(path()).exists():
        make()
    with open(path(), "rb") as handle:
        return pickle.load(handle)
