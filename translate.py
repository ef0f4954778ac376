"""Translate French to English with a trained checkpoint.

    python translate.py --ckpt runs/translate_demo/version_0/checkpoints/last.ckpt [--beam 5] < questions.fr

Reads one sentence per line from stdin or ``--input`` and writes one translation per line to stdout or
``--output``; empty lines stay empty so the output lines up with the input. The checkpoint alone carries the
vocabularies, the tokenisation settings and the hyperparameters.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Iterable

import torch

from core.atomic import atomic_write_text
from core.errors import UserInputError, exit_status
from datamodules.text.vocab import PAD_IDX
from lightning_modules.loading import load_module
from lightning_modules.seq2seq_module import CKPT_KEY, Seq2SeqModule
from models.seq2seq import Seq2SeqConfig

log = logging.getLogger("translate")


def load_translator(ckpt: str | Path, device: str = "cpu") -> Seq2SeqModule:
    """Load a :class:`Seq2SeqModule` checkpoint for inference, with a clear error for anything else."""
    path = Path(ckpt)
    if not path.is_file():
        raise UserInputError(f"checkpoint {path} not found: pass the .ckpt written by `train.py fit` "
                             "(e.g. runs/translate_demo/version_0/checkpoints/last.ckpt)")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - pickle/zip errors come in many types
        raise UserInputError(f"{path} could not be read as a checkpoint ({type(error).__name__}): pass a .ckpt "
                             "file written by train.py") from None
    if not isinstance(raw, dict) or not raw.get(CKPT_KEY):
        raise UserInputError(f"{path} is not a translation checkpoint (no vocabulary inside): "
                             "pass a checkpoint trained with configs/translate/*.yaml")
    module = load_module(Seq2SeqModule, path, Seq2SeqConfig, device, dropped=("n_report_samples",))
    return module.eval()


class Translator:
    """Tokenise → numericalise → decode → detokenise, in length-sorted batches."""

    def __init__(self, module: Seq2SeqModule, beam: int | None = None, batch_size: int = 64) -> None:
        self.module, self.beam, self.batch_size = module, beam, batch_size
        self.tokenizer = module.vocab_state.src_tokenizer()
        self.src_vocab = module.vocab_state.src_vocab

    def _encode(self, line: str) -> list[int]:
        """Source ids, whole: the encoder has no length limit and the decoder gets room for long sentences."""
        return self.src_vocab.encode(self.tokenizer(line))

    def translate(self, lines: Iterable[str]) -> list[str]:
        """One output per input line; blank input lines give blank output lines."""
        lines = [ln.rstrip("\n") for ln in lines]
        out = [""] * len(lines)
        todo = [(i, self._encode(ln)) for i, ln in enumerate(lines) if ln.strip()]
        todo.sort(key=lambda x: -len(x[1]))
        device = self.module.device
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start : start + self.batch_size]
            lens = torch.tensor([len(ids) for _, ids in chunk])
            src = torch.full((len(chunk), int(lens.max())), PAD_IDX, dtype=torch.long)
            for row, (_, ids) in enumerate(chunk):
                src[row, : len(ids)] = torch.tensor(ids)
            hyps = self.module.translate_batch(src.to(device), lens.to(device), beam_size=self.beam)
            for (i, _), hyp in zip(chunk, hyps):
                out[i] = hyp
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ckpt", required=True, help="checkpoint written by train.py fit")
    parser.add_argument("--beam", type=int, default=None, help="beam size (1 = greedy; default: the model's)")
    parser.add_argument("--input", help="file of French sentences, one per line (default: stdin)")
    parser.add_argument("--output", help="where to write the English (default: stdout)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    return exit_status(lambda: run(args))


def run(args: argparse.Namespace) -> None:
    """Translate ``--input`` (or stdin) into ``--output`` (or stdout), one line for each line."""
    translator = Translator(load_translator(args.ckpt, args.device), args.beam, args.batch_size)
    if args.input:
        if not Path(args.input).is_file():
            raise UserInputError(f"input file {args.input} not found: pass a text file with one French sentence per line")
        lines = Path(args.input).read_text(encoding="utf-8", errors="replace").splitlines()
    else:
        lines = sys.stdin.read().splitlines()
    result = "".join(t + "\n" for t in translator.translate(lines))
    if args.output:
        atomic_write_text(args.output, result)
    else:
        sys.stdout.write(result)


if __name__ == "__main__":
    raise SystemExit(main())
