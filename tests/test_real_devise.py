"""DeViSE on the shared real ImageNet sample (slow; skipped when ../shared/data is absent)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import search
from cli.lesson_cli import cli_main

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (SHARED / "imagenet_sample_images").is_dir(),
                                 reason=f"real data not found at {SHARED}")]


def test_imagenet_sample_config_learns_and_searches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """imagenet_sample.yaml as shipped (one view per image, 8 epochs): flat hit@5 far above chance, zero-shot
    hit@5 among the held-out classes above chance, and label search names WordNet nouns."""
    monkeypatch.chdir(ROOT)  # the config's ../shared paths are relative to the checkout
    args = ["-c", "configs/devise/imagenet_sample.yaml", "--data.train_views", "1", "--data.cache_dir",
            str(tmp_path / "cache"), "--checkpoint.dirpath", str(tmp_path / "ckpt"), "--trainer.logger", "false",
            "--trainer.default_root_dir", str(tmp_path / "out"), "--trainer.enable_progress_bar", "false"]
    cli_main(["fit", *args, "--trainer.max_epochs", "8"])
    cli_main(["test", *args, "--ckpt_path", str(tmp_path / "ckpt" / "last.ckpt")])
    results = json.loads((tmp_path / "out" / "devise_report.json").read_text())["results"]
    n_held = results["n_heldout_images"]
    assert results["n_images"] > 950 and 150 < n_held < 250  # 977 classes with vectors, 20 % held out
    assert results["hit@5"] > 0.5
    assert results["zeroshot_unseen_hit@5"] > 2 * 5 / n_held
    image = sorted((SHARED / "imagenet_sample_images" / "images").glob("*.JPEG"))[0]
    code = search.main(["label", str(image), "--ckpt", str(tmp_path / "ckpt" / "last.ckpt"),
                        "--cache-dir", str(tmp_path / "search"), "-k", "5"])
    out = capsys.readouterr().out
    assert code == 0 and "noun" in out
