"""The ``PairSource`` interface and the helpers the concrete sources share (fetching, fingerprints, counting).

Concrete sources live in ``datamodules.text.sources``.
"""
from __future__ import annotations

import hashlib
import logging
import urllib.parse
from abc import ABC, abstractmethod
from pathlib import Path

from core.download import download, extract
from core.errors import UserInputError
from core.hashing import sha256_file

log = logging.getLogger("datamodules.text.sources")

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


class PairSource(ABC):
    """Somewhere (french, english) sentence pairs come from.

    ``prepare`` does the slow, disk-writing work once (download, extract, filter; it runs in
    ``DataModule.prepare_data``); ``pairs`` then reads the prepared data on every process.
    """

    stats: dict[str, int]
    """Counts from the last ``pairs()`` call (read / kept / skipped ...), also logged."""

    @abstractmethod
    def prepare(self, cache_dir: Path) -> None:
        """Download/extract/filter into ``cache_dir`` if needed; cheap when already done."""

    @abstractmethod
    def pairs(self, cache_dir: Path) -> list[tuple[str, str]]:
        """The (french, english) pairs, after ``prepare``."""

    @abstractmethod
    def fingerprint(self) -> str:
        """A stable string identifying the data and options, for cache keys."""

    @abstractmethod
    def describe(self) -> str:
        """One line for logs."""

    def cache_key(self) -> str:
        """A short hex digest of ``fingerprint()``, usable in file names."""
        return hashlib.sha256(self.fingerprint().encode("utf-8")).hexdigest()[:16]

    def _record(self, **counts: int) -> None:
        """Keep ``counts`` as ``self.stats`` and log them on one line."""
        self.stats = dict(counts)
        log.info("%s: %s", self.describe(), ", ".join(f"{key}={value}" for key, value in counts.items()))






def url_file_name(url: str, default: str = "download") -> str:
    """The last path component of ``url`` (unquoted), or ``default`` when it has none."""
    name = urllib.parse.unquote(urllib.parse.urlparse(url).path.rstrip("/").rsplit("/", 1)[-1])
    return name or default


def is_archive_url(url: str) -> bool:
    """Whether ``url`` names an archive (by its extension) rather than the data file itself."""
    return url_file_name(url).lower().endswith(ARCHIVE_SUFFIXES)


def fetch(url: str, sha256: str | None, targets: dict[str, Path]) -> None:
    """Make the ``targets`` (archive member name → output path) exist from ``url``.

    An archive url is downloaded beside the first target and the members extracted from it; any other url is
    downloaded straight to the single target. ``sha256`` is the checksum of the downloaded file.
    """
    outputs = list(targets.values())
    if is_archive_url(url):
        archive = download(url, outputs[0].parent / url_file_name(url), sha256=sha256)
        extract(archive, targets)
        return
    if len(outputs) != 1:
        raise UserInputError(f"{url} is not an archive (.zip/.tar/.tgz) but {len(outputs)} files are needed "
                             f"({', '.join(targets)}): point the url at an archive")
    download(url, outputs[0], sha256=sha256)


def ensure_file(path: Path, url: str | None, sha256: str | None, not_found: str, member: str | None = None) -> None:
    """Make sure ``path`` exists: download it from ``url`` when missing, else raise ``UserInputError(not_found)``.

    For an archive url, the member named ``member`` (default: ``path``'s name) is extracted to ``path``.
    With ``sha256`` and a direct (non-archive) url or no url, an existing file is checked too.
    """
    path = Path(path)
    if path.is_file():
        if sha256 and not (url and is_archive_url(url)):
            if url:
                download(url, path, sha256=sha256)  # re-downloads on mismatch
                return
            actual = sha256_file(path)
            if actual != sha256.strip().lower():
                raise UserInputError(f"{path} has sha256 {actual} but {sha256} was expected: replace the file "
                                     "or fix the sha256 option")
        return
    if not url:
        raise UserInputError(not_found)
    fetch(url, sha256, {member or path.name: path})
    if not path.is_file():
        raise UserInputError(f"{url} did not provide {path}: put the file there by hand")

