"""Shared pytest fixtures."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_server import LocalHTTPServer  # noqa: E402  (tests/ is on sys.path now)

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture
def http_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHTTPServer]:
    """A local HTTP server on 127.0.0.1 (see tests/http_server.py); proxies are switched off while it runs."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with LocalHTTPServer() as server:
        yield server


def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@pytest.mark.shared_data(path)``: skip without the real data, fail under CI (see tests/shared_data.py)."""
    from shared_data import SHARED, check

    for mark in item.iter_markers("shared_data"):
        check(mark.args[0] if mark.args else SHARED)
