"""The real data beside the checkout (``../shared/data``). Tests that read it carry ``@pytest.mark.shared_data(path)``
(``conftest.py`` checks it before the test runs): they skip when the path is absent, except under ``CI=true``, where
a missing path fails the test, so that CI never goes green by skipping them."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def check(path: Path = SHARED) -> None:
    """Skip the running test when ``path`` is missing; fail it under CI."""
    if not Path(path).exists():
        if in_ci():
            pytest.fail(f"CI=true but the shared real data {path} is missing: put ../shared/data beside the checkout",
                        pytrace=False)
        pytest.skip(f"real data not found at {path}")
