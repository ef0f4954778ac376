"""Latency of the page's requests, measured over HTTP against ``app.py`` running on 1 CPU thread: translating one
sentence (greedy and beam 5), labelling one photo (image → classes and nouns).

    python benchmarks/app_latency.py --translate runs/translate_tatoeba/checkpoints/best.ckpt \\
        --devise runs/devise_sample/checkpoints/best.ckpt --sentences test.fr \\
        --images ../shared/data/imagenet_sample_images/images

Each request is sent alone (one at a time, after a warm-up), and its wall time is measured by the client; the table
gives p50 / p90 / max in milliseconds beside the targets (150 ms greedy, 400 ms beam 5, 300 ms per photo).
"""
from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"translate, greedy": 150, "translate, beam 5": 400, "image → labels": 300}


def _post_json(url: str, body: dict) -> float:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
    return (time.perf_counter() - t0) * 1000


def _post_file(url: str, path: Path) -> float:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + \
        f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
    return (time.perf_counter() - t0) * 1000


def _serve(args, port: int) -> subprocess.Popen:
    cmd = [sys.executable, str(ROOT / "app.py"), "--port", str(port)]
    cmd += ["--translate", args.translate] if args.translate else []
    cmd += ["--devise", args.devise] if args.devise else []
    env = {**__import__("os").environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/info", timeout=2).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"app.py failed: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(1)
    raise SystemExit("app.py did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--translate")
    parser.add_argument("--devise")
    parser.add_argument("--sentences", help="French sentences, one per line (a random sample is sent)")
    parser.add_argument("--images", help="folder of photos (a random sample is sent)")
    parser.add_argument("--n", type=int, default=100, help="requests of each kind")
    parser.add_argument("--out", default="runs/bench_app_latency.md")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = _serve(args, port)
    url, rng, times = f"http://127.0.0.1:{port}/api", random.Random(0), {}
    try:
        if args.translate:
            lines = [ln for ln in Path(args.sentences).read_text(encoding="utf-8").splitlines() if ln.strip()]
            sample = rng.sample(lines, min(args.n, len(lines)))
            for name, beam in (("translate, greedy", 1), ("translate, beam 5", 5)):
                _post_json(f"{url}/translate", {"text": sample[0], "beam": beam, "n_best": 1})
                times[name] = [_post_json(f"{url}/translate", {"text": t, "beam": beam, "n_best": 1}) for t in sample]
        if args.devise:
            photos = sorted(p for p in Path(args.images).rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
            sample = rng.sample(photos, min(args.n, len(photos)))
            _post_file(f"{url}/label", sample[0])
            times["image → labels"] = [_post_file(f"{url}/label", p) for p in sample]
    finally:
        proc.terminate()
    rows = ["| request (1 CPU thread) | n | p50 ms | p90 ms | max ms | target p50 ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, values in times.items():
        q = statistics.quantiles(values, n=10)
        rows.append(f"| {name} | {len(values)} | {statistics.median(values):.0f} | {q[8]:.0f} | {max(values):.0f} | "
                    f"{TARGETS[name]} |")
    text = "\n".join(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
