"""Translate French to English with a trained checkpoint.

    .venv/bin/python translate.py --ckpt runs/translate_demo/checkpoints/best.ckpt [--beam 5] < questions.fr

Reads one line at a time from stdin or ``--input`` and writes one translation per line to stdout or ``--output``;
blank lines stay blank so the output lines up with the input. A line holding several sentences is split into
sentences, each is translated, and their translations are joined on one line. ``--n-best N`` writes N lines per
input line (the k-th joins each sentence's k-th best), ``--scores`` puts each translation's score (summed
log-probability of its sentences, divided by the length penalty under beam search) and a tab before it, and
``--max-len L`` caps each sentence's translation at L tokens. Input must be UTF-8: a line that is not (or that holds
binary control characters) stops with one error naming it, or is skipped and counted with ``--skip-bad-lines``.
The checkpoint alone carries the vocabularies, tokenisation, true-caser and hyperparameters.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch

from cli.checkpoints import check_device, checkpoint_file, default_device
from core.atomic import atomic_write_text
from core.errors import UserInputError, exit_status
from lightning_modules.inference import CKPT_KEY, TranslationModel, load_translation_model
from lightning_modules.translator import LineTranslation, Translator
from models.quantize import int8_dynamic

log = logging.getLogger("translate")
_ALLOWED_CONTROLS = {"\t", "\r", "\f", "\v"}


def load_translator(ckpt: str | Path, device: str = "cpu", precision: str = "fp32") -> TranslationModel:
    """Load a translation checkpoint for inference (without Lightning), with one clear error for anything else;
    ``precision="int8"`` (CPU only) quantises its linear and recurrent layers (:mod:`models.quantize`)."""
    path = checkpoint_file(ckpt, "translate", "make demo-translate")
    device = check_device(device)
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - pickle/zip errors come in many types
        raise UserInputError(f"{path} could not be read as a checkpoint ({type(error).__name__}): pass a .ckpt "
                             "file written by train.py") from None
    if not isinstance(raw, dict) or not raw.get(CKPT_KEY):
        other = " (it is a DeViSE checkpoint: use search.py)" if isinstance(raw, dict) and "devise_classes" in raw \
            else ""
        raise UserInputError(f"{path} is not a translation checkpoint{other}: pass a checkpoint trained with "
                             "configs/translate/*.yaml")
    model = load_translation_model(raw, device)
    if precision == "int8":
        if device != "cpu":
            raise UserInputError(f"--precision int8 is for the CPU: use --precision fp32 with --device {device}")
        model.model = int8_dynamic(model.model)
    return model


def read_lines(data: bytes, source: str, skip_bad: bool) -> list[str | None]:
    """UTF-8 lines of ``data``; a line that is not UTF-8 text is one error naming it, or None (skipped) with
    ``skip_bad``."""
    lines: list[str | None] = []
    bad = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
            control = next((c for c in line if ord(c) < 32 and c not in _ALLOWED_CONTROLS), None)
            if control is not None:
                raise ValueError(f"holds the control character {ord(control):#04x} (binary data?)")
        except (UnicodeDecodeError, ValueError) as error:
            why = (f"is not valid UTF-8 (byte {raw[error.start]:#04x} at column {error.start + 1})"
                   if isinstance(error, UnicodeDecodeError) else str(error))
            if not skip_bad:
                raise UserInputError(f"{source} line {number} {why}: save it as UTF-8 text (e.g. iconv -f latin1 "
                                     "-t utf-8), or pass --skip-bad-lines to skip such lines") from None
            bad.append(number)
            line = None
        lines.append(line)
    if bad:
        log.warning("%s: skipped %d line(s) that are not UTF-8 text (written as blank lines): %s", source, len(bad),
                    ", ".join(map(str, bad[:20])) + (" …" if len(bad) > 20 else ""))
    return lines


def format_line(result: LineTranslation | None, n_best: int, scores: bool) -> list[str]:
    """The output lines of one input line: ``n_best`` translations, each with ``score<TAB>`` when asked."""
    out = []
    for k in range(n_best):
        if result is None or not result.sentences:
            out.append("")
            continue
        parts, total = [], 0.0
        for sentence in result.sentences:
            hyps = sentence.hypotheses
            hyp = hyps[min(k, len(hyps) - 1)] if hyps else None
            parts.append(hyp.text if hyp else "")
            total += hyp.score if hyp else 0.0
        text = " ".join(p for p in parts if p)
        out.append(f"{total:.4f}\t{text}" if scores else text)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ckpt", required=True, help="checkpoint written by train.py fit")
    parser.add_argument("--beam", type=int, default=None, help="beam size (1 = greedy; default: the model's)")
    parser.add_argument("--n-best", type=int, default=1, help="translations per input line (beam ≥ N)")
    parser.add_argument("--scores", action="store_true", help="write each translation's score and a tab before it")
    parser.add_argument("--max-len", type=int, default=None, help="at most this many tokens per sentence")
    parser.add_argument("--no-split", action="store_true", help="translate each line as one sentence")
    parser.add_argument("--skip-bad-lines", action="store_true", help="skip (and count) lines that are not UTF-8")
    parser.add_argument("--input", help="file of French text, one item per line (default: stdin)")
    parser.add_argument("--output", help="where to write the English (default: stdout)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default=default_device())
    parser.add_argument("--precision", choices=("int8", "fp32"), default=None,
                        help="int8: linear and recurrent layers quantised, about 2x faster on a CPU (the default "
                             "there); fp32: the weights as trained (the default on a GPU)")
    args = parser.parse_args(argv)
    args.precision = args.precision or ("int8" if args.device == "cpu" else "fp32")
    if args.n_best < 1 or (args.max_len is not None and args.max_len < 1) or (args.beam is not None and args.beam < 1):
        parser.error("--n-best, --max-len and --beam must be ≥ 1")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    return exit_status(lambda: run(args))


def _input_bytes(path: str | None) -> tuple[bytes, str]:
    if not path:
        return sys.stdin.buffer.read(), "standard input"
    p = Path(path)
    if p.is_dir():
        raise UserInputError(f"input {p} is a folder: pass a text file with French text, one item per line")
    if not p.is_file():
        raise UserInputError(f"input file {p} not found: pass a text file with French text, one item per line")
    return p.read_bytes(), str(p)


def run(args: argparse.Namespace) -> None:
    """Translate ``--input`` (or stdin) into ``--output`` (or stdout), one line (or ``--n-best``) per line."""
    if args.output and Path(args.output).is_dir():
        raise UserInputError(f"--output {args.output} is a folder: pass a file name")
    module = load_translator(args.ckpt, args.device, args.precision)
    data, source = _input_bytes(args.input)
    lines = read_lines(data, source, args.skip_bad_lines)
    translator = Translator(module, args.beam, args.n_best, args.max_len, args.batch_size, split=not args.no_split,
                            scores=args.scores)
    good = translator.translate([line or "" for line in lines])
    results = [r if line is not None else None for r, line in zip(good, lines)]
    text = "".join(out + "\n" for r in results for out in format_line(r, args.n_best, args.scores))
    if args.output:
        atomic_write_text(args.output, text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    raise SystemExit(main())
