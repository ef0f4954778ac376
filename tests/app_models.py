"""Small trained checkpoints for the page's tests (handlers and browser): a tiny demo translator and a tiny DeViSE
run on generated drawings, each trained once per test module."""
from __future__ import annotations

from pathlib import Path

from test_cli_devise import _tiny
from test_cli_translate import _demo_args

from cli.lesson_cli import cli_main

ROOT = Path(__file__).resolve().parents[1]
QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.logger", "false"]


def train_translation(tmp: Path) -> Path:
    """A demo translator trained for 4 epochs on 400 generated pairs; its best checkpoint."""
    cli_main(["fit", *_demo_args(tmp, "--trainer.max_epochs", "4", "--trainer.default_root_dir", str(tmp)), *QUIET])
    return tmp / "ckpt" / "best.ckpt"


def train_devise(tmp: Path) -> Path:
    """The DeViSE demo on 3 drawings per class for 3 epochs; its best checkpoint (the run's drawings are under
    ``tmp/images``)."""
    cli_main(["fit", "-c", str(ROOT / "configs" / "devise" / "demo.yaml"), *_tiny(tmp), "--trainer.max_epochs", "3",
              "--trainer.default_root_dir", str(tmp), *QUIET])
    return tmp / "ckpt" / "best.ckpt"
