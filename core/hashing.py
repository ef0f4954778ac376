"""Hashes and stamps for cache keys: file contents, cheap signatures of huge files, path + size + mtime stamps."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable

_SIGNATURE_CHUNK = 1 << 16


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in blocks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def short_hash(*parts: bytes | str, length: int = 12) -> str:
    """Hex digest (``length`` characters) of the concatenated ``parts``, each length-prefixed."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()[:length]


def file_signature(path: str | os.PathLike) -> str:
    """Cheap content signature of a (possibly multi-GB) file: its size plus its first and last 64 KiB.

    It is the same for a copy of the file on another machine, unlike a modification time.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(_SIGNATURE_CHUNK)
        handle.seek(max(size - _SIGNATURE_CHUNK, 0))
        tail = handle.read(_SIGNATURE_CHUNK)
    return short_hash(str(size), head, tail)


def words_hash(words: Iterable[str]) -> str:
    """Order-independent short hash of a set of words (for fingerprints of ``keep`` filters)."""
    return short_hash("\n".join(sorted(set(words))), length=8)


def file_stamp(path: str | os.PathLike) -> str:
    """``path`` resolved, with size and mtime; ``missing`` when absent."""
    path = Path(path)
    if not path.is_file():
        return f"{path}:missing"
    info = path.stat()
    return f"{path.resolve()}:{info.st_size}:{info.st_mtime_ns}"


def file_or_download_stamp(path: str, url: str | None, sha256: str | None) -> str:
    """The file's stamp when it exists, else the download it will come from (url and checksum), for cache keys."""
    return file_stamp(Path(path)) if Path(path).is_file() else f"url={url}|sha256={sha256}"
