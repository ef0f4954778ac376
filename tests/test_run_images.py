"""A run's image lists resolve from any working directory: ``search.py`` and the page are often started elsewhere
than the folder the run was trained in, and the lists hold paths relative to that folder."""
from __future__ import annotations

import pickle
from pathlib import Path
from types import SimpleNamespace

import pytest

from datamodules.images.run_images import run_images


def _state(tmp: Path, root: str | None) -> Path:
    (tmp / "train_dir" / "imgs").mkdir(parents=True)
    (tmp / "train_dir" / "imgs" / "a.png").write_bytes(b"png")
    splits = SimpleNamespace(val=[("imgs/a.png", "n1")], test=[], train=[])
    state = {"splits": splits, "features": None, "rows": None, **({"root": root} if root else {})}
    path = tmp / "train_dir" / ".cache" / "devise" / "devise-x.pkl"
    path.parent.mkdir(parents=True)
    path.write_bytes(pickle.dumps(state))
    return path


@pytest.mark.parametrize("recorded", [True, False], ids=["root recorded", "older cache without a root"])
def test_relative_image_paths_resolve_from_another_folder(tmp_path: Path, monkeypatch, recorded: bool) -> None:
    state = _state(tmp_path, str(tmp_path / "train_dir") if recorded else None)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (path, label), = run_images(state, "eval").items
    assert Path(path).is_file() and Path(path).samefile(tmp_path / "train_dir" / "imgs" / "a.png") and label == "n1"
