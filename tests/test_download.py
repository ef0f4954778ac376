"""download(): resume, retries, Range handling, checksums, errors; extract(): zip/tar members, nesting, .gz members."""
from __future__ import annotations

import gzip
import hashlib
import io
import socket
import tarfile
import zipfile
from pathlib import Path

import pytest

from core.download import download, extract
from core.errors import UserInputError

BODY = bytes(range(256)) * 4096 + b"tail"  # ~1 MiB, several read chunks


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def get(url: str, dest: Path, **kwargs) -> Path:
    return download(url, dest, backoff=0.0, timeout=5.0, progress=False, **kwargs)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_full_download_with_checksum(http_server, tmp_path):
    url = http_server.add("/data.bin", BODY)
    dest = tmp_path / "sub" / "data.bin"
    assert get(url, dest, sha256=sha(BODY)) == dest
    assert dest.read_bytes() == BODY
    assert leftovers(dest.parent) == ["data.bin"]
    (_, range_header, agent), = http_server.requests
    assert range_header is None and agent and agent.startswith("lesson11")


def test_resume_after_dropped_connection(http_server, tmp_path):
    url = http_server.add("/data.bin", BODY, drop_first=1)
    dest = tmp_path / "data.bin"
    get(url, dest, sha256=sha(BODY))
    assert dest.read_bytes() == BODY
    assert [r for _, r, _ in http_server.requests] == [None, f"bytes={len(BODY) // 2}-"]
    assert not (tmp_path / "data.bin.part").exists()


def test_resume_existing_part_file(http_server, tmp_path):
    url = http_server.add("/data.bin", BODY)
    (tmp_path / "data.bin.part").write_bytes(BODY[:1000])
    get(url, tmp_path / "data.bin")
    assert (tmp_path / "data.bin").read_bytes() == BODY
    assert [r for _, r, _ in http_server.requests] == ["bytes=1000-"]


def test_server_ignoring_range_restarts_from_zero(http_server, tmp_path):
    url = http_server.add("/data.bin", BODY, ignore_range=True)
    (tmp_path / "data.bin.part").write_bytes(b"garbage that must not stay in front")
    get(url, tmp_path / "data.bin", sha256=sha(BODY))
    assert (tmp_path / "data.bin").read_bytes() == BODY


def test_dropped_connection_on_server_ignoring_range(http_server, tmp_path):
    url = http_server.add("/data.bin", BODY, ignore_range=True, drop_first=1)
    get(url, tmp_path / "data.bin")
    assert (tmp_path / "data.bin").read_bytes() == BODY
    assert http_server.hits("/data.bin") == 2


def test_complete_part_file_is_finished_on_416(http_server, tmp_path):
    url = http_server.add("/data.bin", BODY)
    (tmp_path / "data.bin.part").write_bytes(BODY)
    get(url, tmp_path / "data.bin", sha256=sha(BODY))
    assert (tmp_path / "data.bin").read_bytes() == BODY


def test_5xx_is_retried(http_server, tmp_path):
    url = http_server.add("/data.bin", BODY, fail_first=2)
    get(url, tmp_path / "data.bin", retries=2)
    assert (tmp_path / "data.bin").read_bytes() == BODY
    assert http_server.hits("/data.bin") == 3


def test_5xx_gives_up_after_the_retries(http_server, tmp_path):
    url = http_server.add("/data.bin", BODY, fail_first=10)
    with pytest.raises(UserInputError) as info:
        get(url, tmp_path / "data.bin", retries=2)
    message = str(info.value)
    assert "HTTP 503" in message and "no network?" in message and str(tmp_path / "data.bin") in message
    assert http_server.hits("/data.bin") == 3


@pytest.mark.parametrize("status", [404, 403, 410])
def test_missing_file_fails_at_once(http_server, tmp_path, status):
    url = http_server.add("/gone.bin", b"", status=status)
    dest = tmp_path / "gone.bin"
    with pytest.raises(UserInputError) as info:
        get(url, dest, retries=5)
    assert str(info.value) == f"download of {url} failed (HTTP {status}): put the file at {dest} by hand"
    assert http_server.hits("/gone.bin") == 1


def test_checksum_mismatch_leaves_nothing(http_server, tmp_path):
    url = http_server.add("/data.bin", b"not the expected content")
    dest = tmp_path / "data.bin"
    with pytest.raises(UserInputError) as info:
        get(url, dest, sha256=sha(BODY))
    message = str(info.value)
    for part in (url, str(dest), sha(BODY), sha(b"not the expected content")):
        assert part in message
    assert leftovers(tmp_path) == []


def test_unreachable_host_gives_one_line_no_network_error(http_server, tmp_path):
    with socket.socket() as sock:  # a port nobody listens on any more
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dest = tmp_path / "data.bin"
    with pytest.raises(UserInputError) as info:
        get(f"http://127.0.0.1:{port}/data.bin", dest, retries=3)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"cannot download http://127.0.0.1:{port}/data.bin (")
    assert message.endswith(f"no network? Put the file at {dest} yourself")


def test_existing_file_with_right_checksum_makes_no_request(http_server, tmp_path):
    url = http_server.add("/data.bin", b"server copy")
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"local copy")
    assert get(url, dest, sha256=sha(b"local copy")) == dest
    assert get(url, dest) == dest
    assert http_server.requests == []
    get(url, dest, sha256=sha(b"server copy"))  # wrong checksum: fetched again
    assert dest.read_bytes() == b"server copy"


def test_no_content_length(http_server, tmp_path):
    url = http_server.add("/data.bin", BODY, send_length=False)
    get(url, tmp_path / "data.bin")
    assert (tmp_path / "data.bin").read_bytes() == BODY


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _tar(entries: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tf:
        folder = tarfile.TarInfo("top/nested")
        folder.type = tarfile.DIRTYPE
        tf.addfile(folder)
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


ENTRIES = {"top/nested/a.txt": b"alpha\n", "top/b.txt": b"beta\n", "c.txt.gz": gzip.compress(b"gamma\n"),
           "readme": b"hi"}


@pytest.mark.parametrize("kind", ["zip", "tar.gz", "tar"])
def test_extract_nested_and_gz_members(tmp_path, kind):
    archive = tmp_path / f"bundle.{kind}"
    archive.write_bytes(_zip(ENTRIES) if kind == "zip" else _tar(ENTRIES, "w:gz" if kind == "tar.gz" else "w"))
    out = tmp_path / "out"
    extract(archive, {"a.txt": out / "a.txt", "b.txt": out / "x" / "b.txt", "c.txt": out / "c.txt"})
    assert (out / "a.txt").read_bytes() == b"alpha\n"
    assert (out / "x" / "b.txt").read_bytes() == b"beta\n"
    assert (out / "c.txt").read_bytes() == b"gamma\n"
    assert sorted(p.name for p in out.rglob("*")) == ["a.txt", "b.txt", "c.txt", "x"]


@pytest.mark.parametrize("kind", ["zip", "tgz"])
def test_plain_member_wins_over_gz(tmp_path, kind):
    entries = {"d/c.txt.gz": gzip.compress(b"from gz\n"), "e/c.txt": b"plain\n"}
    archive = tmp_path / f"bundle.{kind}"
    archive.write_bytes(_zip(entries) if kind == "zip" else _tar(entries))
    extract(archive, {"c.txt": tmp_path / "c.txt"})
    assert (tmp_path / "c.txt").read_bytes() == b"plain\n"


@pytest.mark.parametrize("kind", ["zip", "tgz"])
def test_extract_missing_member_lists_the_archive(tmp_path, kind):
    archive = tmp_path / f"bundle.{kind}"
    archive.write_bytes(_zip(ENTRIES) if kind == "zip" else _tar(ENTRIES))
    with pytest.raises(UserInputError) as info:
        extract(archive, {"fra.txt": tmp_path / "fra.txt"})
    message = str(info.value)
    assert "fra.txt" in message and "top/nested/a.txt" in message and "\n" not in message
    assert not (tmp_path / "fra.txt").exists()


def test_extract_rejects_non_archives(tmp_path):
    bogus = tmp_path / "bundle.zip"
    bogus.write_bytes(b"<html>not found</html>")
    with pytest.raises(UserInputError, match="not a zip or tar archive"):
        extract(bogus, {"a.txt": tmp_path / "a.txt"})
