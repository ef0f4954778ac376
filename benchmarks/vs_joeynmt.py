"""Our tuned translator against JoeyNMT's GRU + attention, side by side in one run: same training pairs, same CPU
budget and thread count, scored on the same held-out test split.

    python benchmarks/vs_joeynmt.py --data ../shared/data/tatoeba_fra_eng/fra.txt --minutes 45
    python benchmarks/vs_joeynmt.py --smoke        # a few minutes end to end, to check the machinery

What runs:

1. Our DataModule (``configs/translate/tatoeba.yaml``) builds the 90/5/5 split grouped by English sentence; its
   train/valid/test pairs are written as plain ``train.fr``/``train.en`` … files for JoeyNMT.
2. JoeyNMT 2.3.0 is installed from the package index into its own venv under the run folder (with
   ``importlib_metadata``, which it imports without declaring).
3. Both train at once, one thread each, for ``--minutes`` of CPU time of their own process counted from their
   first training step: ours through ``train.py`` with ``callbacks.TrainingBudget`` (validation time not counted,
   one-cycle schedule fitted to the budget); JoeyNMT until it has used the budget, then SIGINT, on which it saves
   its current weights (it does no validation here, so none is counted either).
4. Each system decodes the test split greedily and with beam 5 (GNMT length penalty, alpha 1, for both), one
   at a time, and is scored with lower-cased sacreBLEU BLEU and chrF.

JoeyNMT settings, its nearest equivalent of our model: word level, its Moses pretokeniser, lower-cased, 40k
vocabularies; 2-layer GRUs with hidden size 256, bidirectional encoder, embeddings 300, Bahdanau attention with
input feeding and its attentional output layer; batches of 64 sentences, Adam 1e-3, gradient norm clipped at 1.0;
dropouts and label smoothing copied from our config (source embeddings, encoder, decoder GRU, attentional layer
input; none on target embeddings, as ours), so that neither side is regularised differently.
Under torch ≥ 2.14 two JoeyNMT paths fail, and are avoided rather than patched: its ``plateau`` scheduler passes
``verbose`` to ``ReduceLROnPlateau``, which torch removed; ``translate -o`` fails on ``args.n_best``, so hypotheses
are read from its standard output. Instead of ``plateau``, JoeyNMT runs with its ``exponential`` epoch scheduler,
once per ``--joey-lr-decays`` value: 1.0 is a constant learning rate (JoeyNMT's default), 0.5 halves it every
epoch (what a plateau scheduler would do once progress slows); each is a separate JoeyNMT run with the same budget,
and the table shows all of them.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from nmt_common import (
    ROOT,
    SplitFiles,
    data_args,
    decode_ours,
    export_split,
    ours_train_command,
    read_budget,
    score,
    start,
    timed_run,
    wait_ok,
)

JOEY = "joeynmt==2.3.0"


def ensure_joey_venv(folder: Path) -> Path:
    """A venv with JoeyNMT in ``folder`` (created once); its python."""
    python = folder / "bin" / "python"
    marker = folder / ".joeynmt-installed"
    if not marker.is_file():
        subprocess.run(["python3", "-m", "venv", str(folder)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", JOEY, "importlib_metadata"], check=True)
        marker.write_text(JOEY + "\n")
    return python


def our_regularisation(config: Path) -> dict[str, float]:
    """The dropouts of our config's network (its ``net`` group over :class:`Seq2SeqConfig`'s defaults) and its
    label smoothing."""
    from models.seq2seq import Seq2SeqConfig

    init = yaml.safe_load(config.read_text())["model"]["init_args"]
    net = init.get("net", {})
    return {**{k: float(net.get(k, getattr(Seq2SeqConfig, k)))
               for k in ("emb_dropout", "enc_dropout", "dec_dropout", "out_dropout")},
            "label_smoothing": float(init.get("label_smoothing", 0.0))}


def joey_config(split: SplitFiles, model_dir: Path, seed: int, batch_size: int, decay: float,
                regularisation: dict[str, float]) -> dict:
    """JoeyNMT's nearest equivalent of our model; Adam at 1e-3 in the first epoch, times ``decay`` each epoch after;
    dropouts and label smoothing from ``regularisation``, as :func:`our_regularisation` gives."""
    side = lambda lang: {"lang": lang, "level": "word", "lowercase": True, "max_length": 200,  # noqa: E731
                         "voc_limit": 40000, "voc_min_freq": 1, "tokenizer_cfg": {"pretokenizer": "moses"}}
    rnn = {"type": "recurrent", "rnn_type": "gru", "hidden_size": 256, "num_layers": 2}
    return {
        "name": "joey_gru", "joeynmt_version": "2.3.0", "model_dir": str(model_dir), "use_cuda": False,
        "random_seed": seed,
        "data": {"train": str(split.folder / "train"), "dev": str(split.folder / "valid"),
                 "test": str(split.folder / "test"), "dataset_type": "plain", "src": side("fr"), "trg": side("en")},
        # JoeyNMT steps an epoch scheduler with the epoch number from 1, so epoch 1 already runs at lr × decay
        "training": {"optimizer": "adam", "learning_rate": 0.001 / decay, "scheduling": "exponential",
                     "decrease_factor": decay, "batch_size": batch_size, "batch_type": "sentence",
                     "epochs": 1000, "max_updates": 10 ** 9, "validation_freq": 10 ** 9, "logging_freq": 100,
                     "clip_grad_norm": 1.0, "label_smoothing": regularisation["label_smoothing"], "shuffle": True,
                     "overwrite": True, "num_workers": 0,
                     "keep_best_ckpts": 1, "eval_metrics": ["bleu"], "early_stopping_metric": "bleu"},
        "testing": {"beam_size": 1, "beam_alpha": 1, "batch_size": 64, "batch_type": "sentence",
                    "max_output_length": 100, "eval_metrics": ["bleu"],
                    "sacrebleu_cfg": {"tokenize": "13a", "lowercase": True}},
        "model": {"initializer": "xavier_uniform", "embed_initializer": "normal", "init_rnn_orthogonal": False,
                  "encoder": {**rnn, "bidirectional": True, "dropout": regularisation["enc_dropout"],
                              "embeddings": {"embedding_dim": 300, "dropout": regularisation["emb_dropout"]}},
                  "decoder": {**rnn, "attention": "bahdanau", "input_feeding": True, "init_hidden": "bridge",
                              "dropout": regularisation["dec_dropout"], "hidden_dropout": regularisation["out_dropout"],
                              "embeddings": {"embedding_dim": 300, "dropout": 0.0}}},
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def train_joey(python: Path, cfg_path: Path, model_dir: Path, minutes: float, threads: int) -> dict:
    """Train until ``minutes`` of CPU time after its first epoch starts, then SIGINT (it saves its weights)."""
    log = model_dir.parent / "joey_train.log"
    proc = start([str(python), "-m", "joeynmt", "train", str(cfg_path), "-t"], log, threads)
    train_log = model_dir / "train.log"
    t0 = now = None
    while proc.poll() is None:
        time.sleep(0.5)
        try:
            now = cpu_seconds(proc.pid)
        except (FileNotFoundError, ProcessLookupError):  # it ended between poll() and the read
            break
        if t0 is None and train_log.is_file() and "EPOCH 1" in train_log.read_text(errors="replace"):
            t0 = now
        if t0 is not None and now - t0 >= minutes * 60:
            proc.send_signal(signal.SIGINT)
            break
    wait_ok(proc, log, "JoeyNMT training")
    if t0 is None or now is None:
        raise RuntimeError(f"JoeyNMT never started training: see {log}")
    spent = now - t0
    stats = subprocess.run([str(python), "-c", "import sys, torch, json; s = torch.load(sys.argv[1], "
                            "map_location='cpu', weights_only=False)['stats_state']; print(json.dumps(s))",
                            str(model_dir / "latest.ckpt")], capture_output=True, check=True, text=True)
    s = json.loads(stats.stdout.strip().splitlines()[-1])
    return {"steps": int(s["steps"]), "target_tokens": int(s["total_tokens"]), "train_seconds": spent}


def decode_joey(python: Path, cfg: dict, cfg_dir: Path, beam: int, src: Path, threads: int) -> tuple[list[str], float]:
    test_cfg = {**cfg, "testing": {**cfg["testing"], "beam_size": beam,
                                   "load_model": str(Path(cfg["model_dir"]) / "latest.ckpt")}}
    path = cfg_dir / f"joey_beam{beam}.yaml"
    path.write_text(yaml.safe_dump(test_cfg, sort_keys=False))
    out, cpu, _ = timed_run([str(python), "-m", "joeynmt", "translate", str(path)], threads, stdin_path=src)
    return out.splitlines(), cpu


def decode_all_ours(out: Path, test_src: Path, refs: list[str], args) -> dict:
    results = {}
    for beam, name in ((1, "greedy"), (5, "beam5")):
        dec = decode_ours(out / "ours" / "ckpt" / "last.ckpt", test_src, beam, args.threads, out / "ours")
        results[name] = score(dec.hyps, refs) | {"seconds": dec.cpu_seconds}
    return results


def train_ours(config_args: list[str], out: Path, minutes: float, threads: int) -> dict:
    cmd = ours_train_command(config_args, out, minutes, [])
    wait_ok(start(cmd, out / "train.log", threads), out / "train.log", "our training")
    return read_budget(out)


def row(name: str, train: dict, n_train: int, batch: int, scores: dict) -> dict:
    steps, secs = train["steps"], max(train["train_seconds"], 1e-9)
    return {"system": name, "steps": steps, "epochs": steps * batch / n_train, "train_minutes": secs / 60,
            "steps_per_s": steps / secs, "tokens_per_s": train["target_tokens"] / secs, **scores}


def print_table(rows: list[dict], n_test: int) -> str:
    lines = ["| system | steps | epochs | CPU min | steps/s | target tok/s | BLEU greedy | BLEU beam 5 | chrF greedy "
             "| chrF beam 5 | decode s greedy / beam 5 | sent/s greedy / beam 5 |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        g, b = r["greedy"], r["beam5"]
        lines.append(f"| {r['system']} | {r['steps']} | {r['epochs']:.2f} | {r['train_minutes']:.1f} | "
                     f"{r['steps_per_s']:.2f} | {r['tokens_per_s']:.0f} | {g['bleu']:.2f} | {b['bleu']:.2f} | "
                     f"{g['chrf']:.2f} | {b['chrf']:.2f} | {g['seconds']:.0f} / {b['seconds']:.0f} | "
                     f"{n_test / g['seconds']:.0f} / {n_test / b['seconds']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "tatoeba_fra_eng" / "fra.txt"))
    parser.add_argument("--minutes", type=float, default=45.0, help="CPU minutes of training for each system")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--config", default=str(ROOT / "configs" / "translate" / "tatoeba.yaml"))
    parser.add_argument("--out", default="runs/bench_vs_joeynmt")
    parser.add_argument("--venv", default=None, help="JoeyNMT venv folder (default: <out>/joeynmt-venv)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--joey-lr-decays", default="1.0,0.5", help="one JoeyNMT run per learning-rate decay "
                        "factor per epoch (1.0: constant)")
    parser.add_argument("--smoke", action="store_true", help="2 CPU minutes each and 300 test sentences")
    args = parser.parse_args()
    minutes = 2.0 if args.smoke else args.minutes
    out = Path(args.out).resolve()
    config_args = ["-c", str(Path(args.config).resolve()), *data_args(Path(args.data).resolve(), out / "cache")]
    split = export_split(config_args, out / "split")
    batch = int(yaml.safe_load(Path(args.config).read_text())["data"]["init_args"].get("batch_size", 64))
    test_src, refs = split.path("test", "fr"), split.refs("test")
    if args.smoke:
        head = test_src.read_text().splitlines()[:300]
        (out / "split" / "smoke.fr").write_text("".join(line + "\n" for line in head))
        test_src, refs = out / "split" / "smoke.fr", refs[:300]
    print(f"split: {split.n_train} train / {split.n_valid} valid / {split.n_test} test pairs", flush=True)
    python = ensure_joey_venv(Path(args.venv).resolve() if args.venv else out / "joeynmt-venv")
    decays = [float(d) for d in args.joey_lr_decays.split(",")]
    joeys, regularisation = [], our_regularisation(Path(args.config))
    print(f"dropouts and label smoothing of both systems: {regularisation}", flush=True)
    for decay in decays:
        folder = out / f"joey_decay{decay:g}"
        folder.mkdir(parents=True, exist_ok=True)
        cfg = joey_config(split, folder / "model", args.seed, 64, decay, regularisation)
        (folder / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        joeys.append((decay, folder, cfg))
    with ThreadPoolExecutor(max_workers=1 + len(joeys)) as pool:
        ours_f = pool.submit(train_ours, config_args, out / "ours", minutes, args.threads)
        joey_fs = [pool.submit(train_joey, python, folder / "config.yaml", folder / "model", minutes, args.threads)
                   for _, folder, _ in joeys]
        ours_train, joey_trains = ours_f.result(), [f.result() for f in joey_fs]
    rows = [row("ours (tatoeba.yaml)", ours_train, split.n_train, batch, decode_all_ours(out, test_src, refs, args))]
    for (decay, folder, cfg), joey_train in zip(joeys, joey_trains):
        results = {}
        for beam, name in ((1, "greedy"), (5, "beam5")):
            hyps, cpu = decode_joey(python, cfg, folder, beam, test_src, args.threads)
            results[name] = score(hyps, refs) | {"seconds": cpu}
            (folder / f"hyp_beam{beam}.en").write_text("".join(h + "\n" for h in hyps), encoding="utf-8")
        lr = "constant lr" if decay == 1.0 else f"lr × {decay:g} per epoch"
        rows.append(row(f"JoeyNMT 2.3.0 GRU, {lr}", joey_train, split.n_train, 64, results))
    text = print_table(rows, len(refs))
    (out / "results.json").write_text(json.dumps(rows, indent=2))
    (out / "results.md").write_text(text + "\n")
    print(f"\n{minutes:g} CPU minutes of training each, {args.threads} thread(s), {len(refs)} test sentences\n")
    print(text)
    print(f"\nsignatures: {rows[0]['beam5']['bleu_sig']} / {rows[0]['beam5']['chrf_sig']}")
    best = max(rows[1:], key=lambda r: r["beam5"]["bleu"])
    ratio = rows[0]["steps_per_s"] / max(best["steps_per_s"], 1e-9)
    print(f"ours − best JoeyNMT ({best['system']}), beam 5: {rows[0]['beam5']['bleu'] - best['beam5']['bleu']:+.2f} "
          f"BLEU; training steps/s ratio {ratio:.2f}×")


if __name__ == "__main__":
    main()
