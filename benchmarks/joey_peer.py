"""JoeyNMT 2.3.0 as the peer of the translation benchmark: its venv, its config, seeded budgeted training through
``joey_launcher.py``, decoding, and the check that seeding makes its runs repeatable.

Under torch ≥ 2.14 two JoeyNMT paths fail and are avoided rather than patched: its ``plateau`` scheduler passes
``verbose`` to ``ReduceLROnPlateau``, which torch removed (so the learning rate stays constant, JoeyNMT's default
without a scheduler); ``translate -o`` fails on ``args.n_best``, so hypotheses are read from its standard output.
"""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml
from nmt_common import SplitFiles, start, timed_run, wait_ok

JOEY = "joeynmt==2.3.0"
LAUNCHER = Path(__file__).resolve().parent / "joey_launcher.py"


def ensure_venv(folder: Path) -> Path:
    """A venv with JoeyNMT in ``folder`` (created once; ``importlib_metadata`` is imported but not declared by it);
    its python."""
    python = folder / "bin" / "python"
    marker = folder / ".joeynmt-installed"
    if not marker.is_file():
        subprocess.run(["python3", "-m", "venv", str(folder)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", JOEY, "importlib_metadata"], check=True)
        marker.write_text(JOEY + "\n")
    return python


@dataclass(frozen=True)
class JoeySettings:
    """What the comparison fixes for JoeyNMT: cased data (the headline score is cased), batch size as ours, label
    smoothing as ours."""

    lowercase: bool
    batch_size: int
    label_smoothing: float
    dropouts: dict[str, float]
    """``emb_dropout``, ``enc_dropout``, ``dec_dropout``, ``out_dropout``: the same regularisation as ours."""


def config(split: SplitFiles, model_dir: Path, seed: int, s: JoeySettings, max_updates: int = 10 ** 9,
           logging_freq: int = 100) -> dict:
    """JoeyNMT's nearest equivalent of our model, initialised as JoeyNMT's own RNN examples are: word level with its
    Moses pretokeniser, 40k vocabularies, 2-layer GRUs of 256 (bidirectional encoder), embeddings 300, Bahdanau
    attention with input feeding, Adam 1e-3 (constant; its ``plateau`` scheduler fails under torch ≥ 2.14), gradient
    norm clipped at 1, vocabularies of every word seen (its default); xavier weights, N(0, 0.1)
    embeddings, orthogonal recurrent weights, zero biases. No validation: the benchmark scores its checkpoints."""
    side = lambda lang: {"lang": lang, "level": "word", "lowercase": s.lowercase, "max_length": 200,  # noqa: E731
                         "voc_limit": 40000, "voc_min_freq": 1, "tokenizer_cfg": {"pretokenizer": "moses"}}
    rnn = {"type": "recurrent", "rnn_type": "gru", "hidden_size": 256, "num_layers": 2}
    d = s.dropouts
    return {
        "name": "joey_gru", "joeynmt_version": "2.3.0", "model_dir": str(model_dir), "use_cuda": False,
        "random_seed": seed,
        "data": {"train": str(split.folder / "train"), "dev": str(split.folder / "valid"),
                 "test": str(split.folder / "test"), "dataset_type": "plain", "src": side("fr"), "trg": side("en")},
        # JoeyNMT needs a scheduler: an exponential one with factor 1 keeps the rate constant
        "training": {"optimizer": "adam", "learning_rate": 0.001, "scheduling": "exponential",
                     "decrease_factor": 1.0, "batch_size": s.batch_size,
                     "batch_type": "sentence", "epochs": 1000, "updates": max_updates,
                     "validation_freq": 10 ** 9, "logging_freq": logging_freq, "clip_grad_norm": 1.0,
                     "label_smoothing": s.label_smoothing, "shuffle": True, "overwrite": True, "num_workers": 0,
                     "keep_best_ckpts": -1, "eval_metrics": ["bleu"], "early_stopping_metric": "bleu"},
        "testing": {"beam_size": 1, "beam_alpha": 1, "batch_size": 64, "batch_type": "sentence",
                    "max_output_length": -1, "eval_metrics": ["bleu"],
                    "sacrebleu_cfg": {"tokenize": "13a", "lowercase": s.lowercase}},
        "model": {"initializer": "xavier_uniform", "embed_initializer": "normal", "embed_init_weight": 0.1,
                  "init_rnn_orthogonal": True, "bias_initializer": "zeros",
                  "encoder": {**rnn, "bidirectional": True, "dropout": d["enc_dropout"],
                              "embeddings": {"embedding_dim": 300, "dropout": d["emb_dropout"]}},
                  "decoder": {**rnn, "attention": "bahdanau", "input_feeding": True, "init_hidden": "bridge",
                              "dropout": d["dec_dropout"], "hidden_dropout": d["out_dropout"],
                              "embeddings": {"embedding_dim": 300, "dropout": 0.0}}},
    }


def write_config(cfg: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def launcher_command(python: Path, cfg_path: Path, seed: int | None, minutes: float, points: list[float],
                     summary: Path) -> list[str]:
    """``joeynmt train`` through our launcher (seeded), or plain JoeyNMT when ``seed`` is None (the unseeded
    control of the seeding check)."""
    if seed is None:
        return [str(python), "-m", "joeynmt", "train", str(cfg_path), "-t"]
    return [str(python), str(LAUNCHER), "--seed", str(seed), "--minutes", str(minutes),
            "--points", ",".join(f"{p:g}" for p in points), "--summary", str(summary), "--",
            "train", str(cfg_path), "-t"]


def train(python: Path, cfg: dict, folder: Path, seed: int, minutes: float, points: list[float],
          threads: int) -> dict:
    """Train for ``minutes`` of CPU time with checkpoints at ``points``; the launcher's summary (steps, tokens,
    preparation time, point checkpoints). A finished run in ``folder`` is reused."""
    summary = folder / "joey_budget.json"
    if not summary.is_file():
        cfg_path = write_config(cfg, folder / "config.yaml")
        log = folder / "joey_train.log"
        wait_ok(start(launcher_command(python, cfg_path, seed, minutes, points, summary), log, threads), log,
                "JoeyNMT training")
    return json.loads(summary.read_text())


def decode(python: Path, cfg: dict, ckpt: Path, beam: int, src: Path, folder: Path,
           threads: int) -> tuple[list[str], float]:
    """Hypotheses for ``src`` from ``ckpt`` (read from standard output) and the CPU seconds it took, loading
    included."""
    test_cfg = {**cfg, "testing": {**cfg["testing"], "beam_size": beam, "load_model": str(ckpt)}}
    path = write_config(test_cfg, folder / f"decode_{ckpt.stem}_beam{beam}.yaml")
    out, cpu, _ = timed_run([str(python), "-m", "joeynmt", "translate", str(path)], threads, stdin_path=src)
    return out.splitlines(), cpu


_LOSS = re.compile(r"Step:\s+(\d+), Batch Loss:\s+([0-9.]+)")


def first_logged_loss(train_log: Path) -> tuple[int, float] | None:
    """JoeyNMT's first ``Step: N, Batch Loss: X`` line in its ``train.log``."""
    for line in train_log.read_text(errors="replace").splitlines():
        match = _LOSS.search(line)
        if match:
            return int(match.group(1)), float(match.group(2))
    return None


def seeding_check(python: Path, split: SplitFiles, base: JoeySettings, folder: Path, threads: int) -> list[dict]:
    """Five 20-step JoeyNMT runs, two at a time: plain JoeyNMT twice (its weights unseeded), our launcher with seed
    0 twice and with seed 1 once. Seeding works when the two seed-0 runs log the same first loss, and the unseeded
    pair shows why it is needed. Each row: run, seed, first logged step and loss, first batch loss (full
    precision, from the launcher)."""
    from concurrent.futures import ThreadPoolExecutor

    runs = [("plain JoeyNMT, run 1", None), ("plain JoeyNMT, run 2", None), ("launcher, seed 0, run 1", 0),
            ("launcher, seed 0, run 2", 0), ("launcher, seed 1", 1)]

    def one(i: int, name: str, seed: int | None) -> dict:
        run = folder / f"run{i}"
        cfg = config(split, run / "model", 0 if seed is None else seed, base, max_updates=20, logging_freq=5)
        cfg_path = write_config(cfg, run / "config.yaml")
        log, summary = run / "joey.log", run / "summary.json"
        wait_ok(start(launcher_command(python, cfg_path, seed, 10 ** 6, [], summary), log, threads), log,
                f"JoeyNMT seeding check ({name})")
        logged = first_logged_loss(run / "model" / "train.log")
        exact = json.loads(summary.read_text())["first_loss"] if summary.is_file() else None
        return {"run": name, "seed": seed, "first_logged": logged, "first_batch_loss": exact}

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda a: one(*a), [(i, *r) for i, r in enumerate(runs)]))
