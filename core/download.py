"""Robust downloads (resume, retries, checksum) and archive member extraction, with urllib only.

``download`` writes to ``dest + ".part"`` and renames it to ``dest`` only once the size and checksum check out, so a
killed run never leaves a half-written file under the real name; the next call resumes the ``.part`` with an HTTP
``Range`` request. ``extract`` pulls named members out of a zip/tar archive, writing each one atomically.
"""
from __future__ import annotations

import errno
import gzip
import http.client
import logging
import os
import re
import shutil
import socket
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO

from tqdm import tqdm

from core.atomic import atomic_open
from core.errors import UserInputError
from core.hashing import sha256_file

log = logging.getLogger(__name__)

USER_AGENT = "lesson11-lightning/0.1 (python-urllib; research download)"
CHUNK = 1 << 20
_GIVE_UP_AT_ONCE = {403, 404, 410}
_UNREACHABLE_ERRNOS = {errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class _Retry(Exception):
    """A transient failure (5xx, dropped connection, short read): wait, then try again, resuming the .part."""




def _one_line(value: object) -> str:
    """``str(value)`` squeezed onto one line (error messages must be single lines)."""
    return " ".join(str(value).split()) or type(value).__name__


def download(url: str, dest: str | Path, *, sha256: str | None = None, retries: int = 3, timeout: float = 30.0,
             backoff: float = 1.0, progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` (resuming a previous ``.part``) and return ``dest``.

    An existing ``dest`` (with the right ``sha256`` when one is given) is returned without touching the network.
    ``retries`` is the number of extra attempts after the first for 5xx answers and dropped connections; attempt ``k``
    waits ``backoff * 2**(k-1)`` seconds first. 403/404/410 and an unreachable network fail at once.
    Raises ``UserInputError`` (one line) for every failure.
    """
    dest = Path(dest)
    want = sha256.strip().lower() if sha256 else None
    if dest.is_file():
        if want is None:
            return dest
        actual = sha256_file(dest)
        if actual == want:
            return dest
        log.warning("%s has sha256 %s but %s was expected; downloading it again from %s", dest, actual, want, url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    opener = urllib.request.build_opener()  # reads proxy settings from the environment at call time
    attempts = max(0, retries) + 1
    for attempt in range(1, attempts + 1):
        try:
            _fetch_once(opener, url, dest, part, timeout, progress)
            break
        except _Retry as exc:
            reason = _one_line(exc)
            if attempt == attempts:
                raise UserInputError(f"cannot download {url} ({reason}; gave up after {attempts} tries); "
                                     f"no network? Put the file at {dest} yourself") from None
            delay = backoff * 2 ** (attempt - 1)
            log.warning("download of %s failed (%s); retry %d/%d in %.1fs", url, reason, attempt, attempts - 1, delay)
            time.sleep(delay)
    _check_sha256(part, want, url, dest)
    os.replace(part, dest)
    log.info("downloaded %s to %s", url, dest)
    return dest


def _check_sha256(part: Path, want: str | None, url: str, dest: Path) -> None:
    """Delete ``part`` and raise when its sha256 is not ``want``."""
    if want is None:
        return
    actual = sha256_file(part)
    if actual != want:
        part.unlink(missing_ok=True)
        raise UserInputError(f"checksum mismatch for {url} (to be saved as {dest}): expected sha256 {want}, "
                             f"got {actual}; fix the url/sha256 or put the right file at {dest} by hand")


def _fetch_once(opener: urllib.request.OpenerDirector, url: str, dest: Path, part: Path, timeout: float,
                progress: bool) -> None:
    """One attempt: request the rest of ``part`` and append it; raise ``_Retry`` on a transient failure."""
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        request = urllib.request.Request(url, headers=headers)
        response = opener.open(request, timeout=timeout)
    except ValueError as exc:  # malformed url
        raise UserInputError(f"cannot download {url!r} ({_one_line(exc)}): fix the url or put the file at {dest} "
                             "yourself") from None
    except urllib.error.HTTPError as exc:
        _http_error(exc, url, dest, part, offset)
        return
    except urllib.error.URLError as exc:
        _url_error(exc, url, dest)
    except (OSError, http.client.HTTPException) as exc:  # timeouts / resets while waiting for the headers
        raise _Retry(_one_line(exc)) from exc
    with response:
        total, mode = _plan_body(response, url, part, offset)
        if mode == "wb":
            offset = 0
        _stream_body(response, part, mode, offset, total, dest.name, progress)


def _http_error(exc: urllib.error.HTTPError, url: str, dest: Path, part: Path, offset: int) -> None:
    """Turn an HTTP error status into ``UserInputError`` (give up), ``_Retry``, or nothing (``part`` is complete)."""
    code = exc.code
    content_range = exc.headers.get("Content-Range", "") if exc.headers else ""
    exc.close()
    if code in _GIVE_UP_AT_ONCE:
        raise UserInputError(f"download of {url} failed (HTTP {code}): put the file at {dest} by hand") from None
    if code == 416 and offset:
        match = re.search(r"/(\d+)", content_range)
        if match and int(match.group(1)) == offset:
            return  # the .part already holds the whole file
        part.unlink(missing_ok=True)
        raise _Retry(f"HTTP 416 for the {offset} bytes already downloaded; restarting from 0")
    if code >= 500 or code in (408, 425, 429):
        raise _Retry(f"HTTP {code}")
    raise UserInputError(f"download of {url} failed (HTTP {code}): put the file at {dest} by hand") from None


def _url_error(exc: urllib.error.URLError, url: str, dest: Path) -> None:
    """Unreachable network → ``UserInputError`` at once; other connection trouble → ``_Retry``."""
    reason = exc.reason
    unreachable = isinstance(reason, (socket.gaierror, ConnectionRefusedError)) or (
        isinstance(reason, OSError) and reason.errno in _UNREACHABLE_ERRNOS)
    if isinstance(reason, str):  # e.g. "unknown url type"
        raise UserInputError(f"cannot download {url} ({_one_line(reason)}): fix the url or put the file at {dest} "
                             "yourself") from None
    if unreachable:
        raise UserInputError(f"cannot download {url} ({_one_line(reason)}); no network? "
                             f"Put the file at {dest} yourself") from None
    raise _Retry(_one_line(reason)) from exc


def _plan_body(response: http.client.HTTPResponse, url: str, part: Path, offset: int) -> tuple[int | None, str]:
    """Return (expected total size or None, file mode) for a response: append on 206, restart on 200."""
    status = getattr(response, "status", None) or 200
    if status == 206:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if not match or int(match.group(1)) != offset:
            part.unlink(missing_ok=True)
            raise _Retry(f"unexpected Content-Range {response.headers.get('Content-Range')!r}; restarting from 0")
        return (None if match.group(3) == "*" else int(match.group(3))), "ab"
    if offset:
        log.info("server ignored the Range request for %s (HTTP %d); restarting from byte 0", url, status)
    length = response.headers.get("Content-Length", "")
    return (int(length) if length.strip().isdigit() else None), "wb"


def _stream_body(response: IO[bytes], part: Path, mode: str, offset: int, total: int | None, label: str,
                 progress: bool) -> None:
    """Copy the response body into ``part`` with a progress bar; ``_Retry`` if it stops short of ``total``."""
    got = offset
    with tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
              disable=not progress, leave=False) as bar, open(part, mode) as out:
        while True:
            try:
                block = response.read(CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise _Retry(f"connection dropped after {got} bytes: {_one_line(exc)}") from exc
            if not block:
                break
            out.write(block)
            got += len(block)
            bar.update(len(block))
    if total is not None and got < total:
        raise _Retry(f"connection dropped after {got} of {total} bytes")
    if total is not None and got > total:
        part.unlink(missing_ok=True)
        raise _Retry(f"received {got} bytes but {total} were announced; restarting from 0")


def extract(archive: Path, members: dict[str, Path]) -> None:
    """Extract ``members`` (basename → output path) from a .zip/.tar/.tar.gz/.tgz ``archive``.

    Members are matched by basename, whatever folder they sit in; when ``name`` is absent but ``name.gz`` is present,
    it is decompressed while extracting. Each output is written atomically. A missing member raises
    ``UserInputError`` listing the first names in the archive.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise UserInputError(f"archive {archive} not found: download it again or put it there by hand")
    wanted = {PurePosixPath(name).name: Path(out) for name, out in members.items()}
    try:
        if zipfile.is_zipfile(archive):
            found, names = _extract_zip(archive, wanted)
        elif tarfile.is_tarfile(archive):
            found, names = _extract_tar(archive, wanted)
        else:
            raise UserInputError(f"{archive} is not a zip or tar archive: delete it and download it again")
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, gzip.BadGzipFile, EOFError) as exc:
        raise UserInputError(f"{archive} is corrupt ({_one_line(exc)}): delete it and download it again") from None
    missing = sorted(set(wanted) - found)
    if missing:
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise UserInputError(f"{archive} has no member {', '.join(missing)} (nor {missing[0]}.gz); it holds: "
                             f"{shown or 'nothing'}; use the right archive or put the files in place by hand")


def _copy_member(source: IO[bytes], out: Path, gunzip: bool) -> None:
    """Stream one archive member into ``out`` atomically, gunzipping it when asked."""
    stream: IO[bytes] = gzip.GzipFile(fileobj=source, mode="rb") if gunzip else source
    with atomic_open(out, "wb") as handle:
        shutil.copyfileobj(stream, handle, CHUNK)
    log.info("extracted %s", out)


def _pick(base: str, wanted: dict[str, Path], plain_done: set[str]) -> tuple[str, bool] | None:
    """Which wanted name a member basename provides, and whether it must be gunzipped (``None``: not wanted)."""
    if base in wanted:
        return base, False
    if base.endswith(".gz") and base[:-3] in wanted and base[:-3] not in plain_done:
        return base[:-3], True
    return None


def _extract_zip(archive: Path, wanted: dict[str, Path]) -> tuple[set[str], list[str]]:
    """Extract from a zip; plain members win over ``.gz`` ones. Returns (names found, archive listing)."""
    with zipfile.ZipFile(archive) as zf:
        infos = [info for info in zf.infolist() if not info.is_dir()]
        plain = {PurePosixPath(i.filename).name for i in infos}
        found: set[str] = set()
        for info in infos:
            choice = _pick(PurePosixPath(info.filename).name, wanted, plain)
            if choice is None or choice[0] in found:
                continue
            with zf.open(info) as source:
                _copy_member(source, wanted[choice[0]], choice[1])
            found.add(choice[0])
        return found, [info.filename for info in infos]


def _extract_tar(archive: Path, wanted: dict[str, Path]) -> tuple[set[str], list[str]]:
    """Extract from a (possibly compressed) tar in one streaming pass; a plain member overrides a ``.gz`` one."""
    plain_done: set[str] = set()
    gz_done: set[str] = set()
    names: list[str] = []
    with tarfile.open(archive, "r|*") as tar:
        for info in tar:
            if len(names) < 100:
                names.append(info.name)
            if not info.isfile():
                continue
            choice = _pick(PurePosixPath(info.name).name, wanted, plain_done)
            if choice is None or (choice[1] and choice[0] in gz_done):
                continue
            source = tar.extractfile(info)
            if source is None:
                continue
            _copy_member(source, wanted[choice[0]], choice[1])
            (gz_done if choice[1] else plain_done).add(choice[0])
            if plain_done == set(wanted):
                break
    return plain_done | gz_done, names
