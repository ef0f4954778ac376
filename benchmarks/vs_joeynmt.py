"""Our tuned translator against JoeyNMT's GRU + attention, fair and repeatable: same training pairs, same CPU time,
one thread each, both seeded, several seeds, learning curves scored on the same held-out test pairs.

    python benchmarks/vs_joeynmt.py --data ../shared/data/tatoeba_fra_eng/fra.txt --minutes 80 --seeds 0,1,2
    python benchmarks/vs_joeynmt.py --smoke        # a few minutes end to end, to check the machinery

What runs, in order (the script prints its expected duration first; never more than 2 processes at once):

1. Our DataModule (``--config``, the tuned ``tatoeba.yaml``) builds the 90/5/5 split grouped by English sentence,
   from a cold cache, timed: tokenising and training the English fastText vectors is our preparation. Its pairs are
   written as ``train.fr``/``train.en`` … files for JoeyNMT.
2. JoeyNMT 2.3.0 is installed from the package index into its own venv (see ``joey_peer.py`` for its settings).
3. Seeding check: JoeyNMT's training never seeds its weights, so it runs through ``joey_launcher.py``, which does;
   five 20-step runs show two seed-0 runs logging the same first loss (and two plain runs differing).
4. For each seed, both systems train at once, one thread each, for ``--minutes`` of CPU time of their own process
   counted from the first training batch (checkpoint saving excluded), each saving checkpoints at the ``--points``
   minutes; no validation on either side. Label smoothing is off for both (``--label-smoothing 0.1``: on for both).
5. Every checkpoint of both decodes the test split greedily (the learning curves), the final one also with beam 5
   (GNMT length penalty, alpha 1, for both); ours also as ``translate.py`` decodes by default on a CPU (int8
   weights). sacreBLEU BLEU and chrF, cased (sacreBLEU's default, the headline) and lower-cased, with their
   signatures. Decoding time is CPU time of the decoding process, loading included, two decodes at a time.

Output (``--out``): ``results.md`` (mean ± sd over seeds, per-seed rows, BLEU at equal total time, the seeding
check), ``results.json`` and ``curves.png`` (test BLEU against CPU minutes, mean ± sd band). Each seed's finished
results are kept, so rerunning resumes.
"""
from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import joey_peer
import yaml
from nmt_common import ROOT, SplitFiles, data_args, decode_ours, export_split, ours_train_command, score, start, wait_ok
from vs_joeynmt_report import write_report

OURS, JOEY = "ours", "joeynmt"


def our_dropouts(config: Path) -> dict[str, float]:
    """The dropouts of our config's network (its ``net`` group over :class:`Seq2SeqConfig`'s defaults)."""
    from models.seq2seq import Seq2SeqConfig

    net = yaml.safe_load(config.read_text())["model"]["init_args"].get("net", {})
    return {k: float(net.get(k, getattr(Seq2SeqConfig, k))) for k in
            ("emb_dropout", "enc_dropout", "dec_dropout", "out_dropout")}


def prepare_split(config_args: list[str], out: Path) -> tuple[SplitFiles, dict]:
    """The shared split, built from a cold cache the first time; its wall and CPU seconds (our preparation)."""
    record = out / "prep.json"
    t0, c0 = time.perf_counter(), time.process_time()
    split = export_split(config_args, out / "split")
    if not record.is_file():
        record.write_text(json.dumps({"wall_seconds": time.perf_counter() - t0,
                                      "cpu_seconds": time.process_time() - c0}))
    return split, json.loads(record.read_text())


def train_ours(config_args: list[str], folder: Path, seed: int, args) -> dict:
    """Our tuned recipe for ``args.minutes`` CPU minutes with checkpoints at ``args.points``; its budget summary
    plus the preparation seconds inside the process (imports, cache loading, model building)."""
    summary = folder / "budget.json"
    if not summary.is_file():
        extra = ["--seed_everything", str(seed), "--model.init_args.label_smoothing", str(args.label_smoothing),
                 "--trainer.limit_val_batches", "0", "--checkpoint.monitor", "null"]
        cmd = ours_train_command(config_args, folder, args.minutes, extra,
                                 {"save_at": args.point_list, "save_dir": str(folder / "ckpt")})
        launched = time.time()
        wait_ok(start(cmd, folder / "train.log", args.threads), folder / "train.log", "our training")
        budget = json.loads(summary.read_text())
        budget["prep_wall_seconds"] = budget["train_start_unix"] - launched
        budget["wall_seconds"] = time.time() - launched
        summary.write_text(json.dumps(budget, indent=2))
    budget = json.loads(summary.read_text())
    final = {"minutes": args.minutes, "step": budget["steps"], "train_seconds": budget["train_seconds"],
             "target_tokens": budget["target_tokens"], "path": str(folder / "ckpt" / "last.ckpt")}
    return {**budget, "points": [*budget["points"], final]}


def train_joey(python: Path, split: SplitFiles, folder: Path, seed: int, settings: joey_peer.JoeySettings,
               args) -> dict:
    cfg = joey_peer.config(split, folder / "model", seed, settings)
    run = joey_peer.train(python, cfg, folder, seed, args.minutes, args.point_list, args.threads)
    points = [{"minutes": p["minutes"], "step": p["steps"], "train_seconds": p["train_seconds"],
               "target_tokens": p["target_tokens"], "path": str(folder / "model" / p["ckpt"])} for p in run["points"]]
    return {**run, "points": points, "config": cfg}


def decode_point(system: str, point: dict, key: str, src: Path, refs: list[str], folder: Path, python: Path,
                 joey_cfg: dict | None, threads: int) -> dict:
    """Decode one checkpoint of one system and score it (cased and lower-cased). ``key`` is ``beam<N>`` (the
    trained weights) or, for ours, ``int8_beam<N>`` (translate.py's CPU default)."""
    ckpt, beam = Path(point["path"]), int(key.rsplit("beam", 1)[1])
    cache = folder / f"scores_{ckpt.stem}_{key}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    if system == OURS:
        dec = decode_ours(ckpt, src, beam, threads, folder, tag=f"{ckpt.stem}_{key}",
                          precision="int8" if key.startswith("int8") else "fp32")
        hyps, cpu = dec.hyps, dec.cpu_seconds
    else:
        hyps, cpu = joey_peer.decode(python, joey_cfg, ckpt, beam, src, folder, threads)
        (folder / f"hyp_{ckpt.stem}_beam{beam}.en").write_text("".join(h + "\n" for h in hyps), encoding="utf-8")
    result = {**score(hyps, refs), "seconds": cpu, "sentences": len(refs)}
    cache.write_text(json.dumps(result, indent=2))
    return result


def run_seed(seed: int, split: SplitFiles, src: Path, refs: list[str], python: Path,
             settings: joey_peer.JoeySettings, config_args: list[str], args) -> dict:
    """Both systems' training (at once), then their decodes (two at a time); resumable per seed."""
    out = Path(args.out) / f"seed{seed}"
    done = out / "result.json"
    if done.is_file():
        return json.loads(done.read_text())
    print(f"seed {seed}: training both systems ({args.minutes:g} CPU minutes each)", flush=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        ours_f = pool.submit(train_ours, config_args, out / OURS, seed, args)
        joey_f = pool.submit(train_joey, python, split, out / JOEY, seed, settings, args)
        runs = {OURS: ours_f.result(), JOEY: joey_f.result()}
    final = {OURS: ("beam1", "beam5", "int8_beam1", "int8_beam5"), JOEY: ("beam1", "beam5")}
    jobs = [(system, i, key) for i in range(len(runs[OURS]["points"])) for system in (OURS, JOEY)
            for key in (final[system] if i == len(runs[system]["points"]) - 1 else ("beam1",))]

    def job(system: str, i: int, key: str) -> tuple[str, int, str, dict]:
        run = runs[system]
        return system, i, key, decode_point(system, run["points"][i], key, src, refs, out / system, python,
                                            run.get("config"), args.threads)

    print(f"seed {seed}: {len(jobs)} decodes", flush=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for system, i, key, result in pool.map(lambda a: job(*a), jobs):
            runs[system]["points"][i][key] = result
    result = {"seed": seed, "systems": {k: {key: v[key] for key in v if key != "config"} for k, v in runs.items()}}
    done.write_text(json.dumps(result, indent=2))
    return result


def estimate_minutes(args, n_test: int) -> float:
    """Wall minutes the whole benchmark should take on 2 free cores, from the costs measured in earlier runs: our
    cold data preparation (~6), the JoeyNMT venv (~3), the seeding check (~4); per seed the training, each process's
    start (~2), greedy decodes of every checkpoint two at a time (~0.7 each) and JoeyNMT's beam 5 (~4.5)."""
    decode = (len(args.point_list) + 1) * 0.7 + 4.5
    return 13.0 + len(args.seed_list) * (args.minutes + 2.0 + decode * n_test / 6851)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "tatoeba_fra_eng" / "fra.txt"))
    parser.add_argument("--minutes", type=float, default=80.0, help="CPU minutes of training for each system")
    parser.add_argument("--points", default="10,20,40", help="CPU minutes at which both systems save a checkpoint "
                        "(the final one, at --minutes, is added)")
    parser.add_argument("--seeds", default="0,1,2", help="one run of each system per seed")
    parser.add_argument("--label-smoothing", type=float, default=0.0, help="for both systems (0.1: on for both)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--config", default=str(ROOT / "configs" / "translate" / "tatoeba.yaml"))
    parser.add_argument("--out", default="runs/bench_vs_joeynmt")
    parser.add_argument("--venv", default=None, help="JoeyNMT venv folder (default: <out>/joeynmt-venv)")
    parser.add_argument("--smoke", action="store_true", help="2 CPU minutes, points at 1, 2 seeds, 300 test pairs")
    args = parser.parse_args()
    if args.smoke:
        args.minutes, args.points, args.seeds = 2.0, "1", "0,1"
    args.point_list = [float(p) for p in args.points.split(",") if p.strip()]
    args.seed_list = [int(s) for s in args.seeds.split(",")]
    out = Path(args.out).resolve()
    args.out = str(out)
    n_test = 300 if args.smoke else 6851
    print(f"expected duration: about {estimate_minutes(args, n_test):.0f} minutes of wall time on 2 free cores "
          f"({len(args.seed_list)} seeds × 2 systems × {args.minutes:g} CPU minutes, 2 processes at a time)",
          flush=True)
    config = Path(args.config).resolve()
    config_args = ["-c", str(config), *data_args(Path(args.data).resolve(), out / "cache")]
    split, prep = prepare_split(config_args, out)
    src, refs = split.path("test", "fr"), split.refs("test")
    if args.smoke:
        (out / "split" / "smoke.fr").write_text("".join(line + "\n" for line in src.read_text().splitlines()[:300]))
        src, refs = out / "split" / "smoke.fr", refs[:300]
    print(f"split: {split.n_train} train / {split.n_valid} valid / {split.n_test} test pairs; our preparation "
          f"{prep['wall_seconds'] / 60:.1f} min", flush=True)
    data = yaml.safe_load(config.read_text())["data"]["init_args"]
    # JoeyNMT learns cased English (it has no true-caser), so cased BLEU, the headline, is fair to it
    settings = joey_peer.JoeySettings(lowercase=False,
                                      batch_size=int(data.get("batch_size", 64)),
                                      label_smoothing=args.label_smoothing, dropouts=our_dropouts(config))
    python = joey_peer.ensure_venv(Path(args.venv).resolve() if args.venv else out / "joeynmt-venv")
    check_file = out / "seeding_check.json"
    if not check_file.is_file():
        print("checking that JoeyNMT's runs are seeded (five 20-step runs)", flush=True)
        check_file.write_text(json.dumps(joey_peer.seeding_check(python, split, settings, out / "seeding", 1),
                                         indent=2))
    seeds = [run_seed(s, split, src, refs, python, settings, config_args, args) for s in args.seed_list]
    args.batch = settings.batch_size
    text = write_report(out, seeds, json.loads(check_file.read_text()), prep, split, len(refs), args)
    print(text)


if __name__ == "__main__":
    main()
