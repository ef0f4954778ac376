"""Shared machinery of the translation benchmarks: one data split for every system, budgeted training of our model
through ``train.py``, timed decoding and sacreBLEU scoring.

Every child process runs with ``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` set to the benchmark's thread count, and every
budget is CPU time of that process (``TrainingBudget(clock="process")``), so runs that share the machine still get
the same amount of computation.
"""
from __future__ import annotations

import copy
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import sacrebleu
import yaml

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
TATOEBA_CFG = ROOT / "configs" / "translate" / "tatoeba.yaml"


def child_env(threads: int) -> dict[str, str]:
    """Environment for a child process limited to ``threads`` threads, with the project importable."""
    env = dict(os.environ)
    env.update({"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "PYTHONHASHSEED": "0",
                "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)})
    return env


@dataclass
class SplitFiles:
    """Plain-text copies of our DataModule's split, ``<prefix>.fr`` / ``<prefix>.en`` per split name."""

    folder: Path
    n_train: int
    n_valid: int
    n_test: int

    def path(self, split: str, lang: str) -> Path:
        return self.folder / f"{split}.{lang}"

    def refs(self, split: str = "test") -> list[str]:
        return self.path(split, "en").read_text(encoding="utf-8").splitlines()


def data_args(data: Path, cache_dir: Path) -> list[str]:
    """CLI arguments pointing ``tatoeba.yaml`` at a local ``fra.txt`` and a cache folder."""
    return ["--data.source.init_args.path", str(data), "--data.source.init_args.url", "null",
            "--data.cache_dir", str(cache_dir)]


def export_split(config_args: list[str], out: Path) -> SplitFiles:
    """Build our DataModule exactly as ``train.py`` would (its cache included) and write its train/valid/test pairs
    as line-aligned text files, so a peer toolkit trains and is scored on the same sentences."""
    sys.path.insert(0, str(ROOT))
    from cli.lesson_cli import cli_main

    cli = cli_main(config_args, run=False)
    dm = cli.datamodule
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in ("train", "valid", "test"):
        split = dm.split(name)
        counts[name] = len(split)
        for lang, texts in (("fr", split.src_text), ("en", split.tgt_text)):
            clean = (" ".join(t.split()) for t in texts)  # one line per sentence, whatever whitespace it held
            dest = out / f"{name}.{lang}"
            dest.write_text("".join(t + "\n" for t in clean), encoding="utf-8")
    return SplitFiles(out, counts["train"], counts["valid"], counts["test"])


def ours_train_command(config_args: list[str], out: Path, minutes: float, extra: list[str],
                       budget_args: dict | None = None) -> list[str]:
    """``train.py fit`` for ``minutes`` of this process's CPU time, logging and checkpointing into ``out``;
    ``budget_args`` are further ``TrainingBudget`` arguments (e.g. ``save_at``)."""
    budget = [arg for key, value in (budget_args or {}).items()
              for arg in (f"--trainer.callbacks.{key}", json.dumps(value) if not isinstance(value, str) else value)]
    return [PY, str(ROOT / "train.py"), "fit", *config_args, *extra,
            "--trainer.max_epochs", "1000", "--trainer.enable_progress_bar", "false",
            "--trainer.default_root_dir", str(out), "--checkpoint.dirpath", str(out / "ckpt"),
            "--trainer.logger", "pytorch_lightning.loggers.CSVLogger", "--trainer.logger.save_dir", str(out),
            "--trainer.callbacks+=callbacks.TrainingBudget", "--trainer.callbacks.minutes", str(minutes),
            "--trainer.callbacks.summary_path", str(out / "budget.json"), *budget]


def merge(base: dict, over: dict) -> dict:
    """Deep merge of config dicts; lists and scalars in ``over`` replace."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def slug(name: str) -> str:
    """A folder name for a variant name."""
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")[:60]


def train_variant(out: Path, base_args: list[str], overlay: dict, minutes: float, threads: int,
                  extra: list[str] = ()) -> dict:
    """Train ``-c <base> -c <overlay>`` (``base_args`` start with ``-c <base config>``) for ``minutes`` of CPU time
    into ``out``; its ``TrainingBudget`` summary. A folder that already holds a finished run is reused; one left by an
    interrupted run starts over."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "overlay.yaml").write_text(yaml.safe_dump(overlay, sort_keys=False))
    cmd = ours_train_command([*base_args[:2], "-c", str(out / "overlay.yaml"), *base_args[2:]], out, minutes,
                             list(extra))
    (out / "command.txt").write_text(" ".join(cmd) + "\n")
    if not (out / "budget.json").is_file():
        for stale in ("ckpt", "lightning_logs"):  # an interrupted run's leftovers would be read as this run's
            shutil.rmtree(out / stale, ignore_errors=True)
        wait_ok(start(cmd, out / "train.log", threads), out / "train.log", f"training in {out}")
    return read_budget(out)


def _default_sigint() -> None:
    # a benchmark started in the background of a shell inherits SIGINT ignored, and so would its children; they
    # must take SIGINT as Ctrl-C again (JoeyNMT saves its weights on KeyboardInterrupt)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(cmd: list[str], log: Path, threads: int, stdin=None) -> subprocess.Popen:
    """Start ``cmd`` with its output in ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log, "w", encoding="utf-8")
    return subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=child_env(threads), cwd=str(ROOT),
                            stdin=stdin, preexec_fn=_default_sigint)


def wait_ok(proc: subprocess.Popen, log: Path, what: str) -> None:
    if proc.wait() != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])
        raise RuntimeError(f"{what} failed (exit {proc.returncode}); last lines of {log}:\n{tail}")


def read_budget(out: Path) -> dict:
    return json.loads((out / "budget.json").read_text())


@dataclass
class Decoded:
    hyps: list[str]
    cpu_seconds: float
    wall_seconds: float


def timed_run(cmd: list[str], threads: int, stdin_path: Path | None = None) -> tuple[str, float, float]:
    """Run ``cmd`` to completion; its stdout, CPU seconds (user + system of the child) and wall seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as stdin:
        proc = subprocess.run(cmd, stdin=stdin, capture_output=True, env=child_env(threads), cwd=str(ROOT))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… failed: {proc.stderr.decode(errors='replace')[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc.stdout.decode("utf-8"), cpu, wall


def decode_ours(ckpt: Path, src: Path, beam: int, threads: int, out: Path, tag: str | None = None,
                precision: str = "fp32") -> Decoded:
    """``translate.py`` over ``src`` into ``out/hyp_<tag>.en`` (tag: ``beam<N>`` by default), with the trained
    weights (``fp32``) or translate.py's CPU default (``int8``); time includes loading the checkpoint."""
    hyp_path = out / f"hyp_{tag or f'beam{beam}'}.en"
    _, cpu, wall = timed_run([PY, str(ROOT / "translate.py"), "--ckpt", str(ckpt), "--beam", str(beam),
                              "--input", str(src), "--output", str(hyp_path), "--device", "cpu",
                              "--precision", precision], threads)
    return Decoded(hyp_path.read_text(encoding="utf-8").splitlines(), cpu, wall)


def score(hyps: list[str], refs: list[str]) -> dict:
    """sacreBLEU BLEU and chrF with their signatures, cased (sacreBLEU's default: ``bleu``, ``chrf``) and
    lower-cased (``bleu_lc``, ``chrf_lc``)."""
    if len(hyps) != len(refs):
        raise RuntimeError(f"{len(hyps)} hypotheses for {len(refs)} references")
    out = {}
    for suffix, lc in (("", False), ("_lc", True)):
        bleu, chrf = sacrebleu.metrics.BLEU(lowercase=lc), sacrebleu.metrics.CHRF(lowercase=lc)
        out |= {f"bleu{suffix}": bleu.corpus_score(hyps, [refs]).score,
                f"chrf{suffix}": chrf.corpus_score(hyps, [refs]).score,
                f"bleu{suffix}_sig": str(bleu.get_signature()), f"chrf{suffix}_sig": str(chrf.get_signature())}
    return out
