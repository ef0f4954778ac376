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


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed to ``target``, on error removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; written files should read like any other
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
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


def load_pickle(path: str | os.PathLike, make: Callable[[], None]) -> Any:
    """Unpickle ``path``, first calling ``make()`` (which writes it, e.g. ``prepare_data``) when it is missing."""
    if not Path(path).exists():
        make()
    with open(path, "rb") as handle:
        return pickle.load(handle)
