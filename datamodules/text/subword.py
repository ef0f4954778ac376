"""Subword vocabularies: a SentencePiece model trained on one side of the training split, kept as bytes (in the
corpus cache and in checkpoints) so that a checkpoint alone can tokenise and detokenise.

Pieces carry SentencePiece's own word-start mark ``▁``, so detokenising is exact (``decode`` of the pieces); a name
or number the vocabulary never saw is still spelled out piece by piece, and a character it never saw is spelled in
bytes (``byte_fallback``), so nothing is lost as ``_unk_``.
"""
from __future__ import annotations

import io
import logging
import re
from functools import cached_property
from typing import Iterable, Iterator, Literal, Sequence

from core.errors import UserInputError
from datamodules.text.vocab import SPECIALS

log = logging.getLogger(__name__)
SubwordKind = Literal["unigram", "bpe"]


def train_subword_model(texts: Sequence[str], vocab_size: int, kind: SubwordKind = "unigram", seed: int = 0) -> bytes:
    """A SentencePiece model of ``vocab_size`` pieces (our four specials included) trained on ``texts``; its bytes.
    ``vocab_size`` is lowered to what the text supports when it is small (tiny test corpora)."""
    import sentencepiece as spm

    specials = dict(zip(("bos", "pad", "eos", "unk"), range(4)))
    spm.set_random_generator_seed(seed)
    size = vocab_size
    while True:
        model = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(texts), model_writer=model, vocab_size=size, model_type=kind,
                character_coverage=1.0, byte_fallback=True, **{f"{k}_id": v for k, v in specials.items()},
                **{f"{k}_piece": p for k, p in zip(specials, SPECIALS)}, num_threads=1,
                minloglevel=2, input_sentence_size=2_000_000, shuffle_input_sentence=True)
            break
        except RuntimeError as error:  # "Vocabulary size too high (n). Please set it to a value <= m."
            needed = re.search(r"smaller than required_chars\. (\d+) vs (\d+)", str(error))
            if needed:
                raise UserInputError(f"subword_vocab {needed.group(1)} is below the {needed.group(2)} pieces this "
                                     "text's characters and the 256 byte pieces need: raise --data.subword_vocab") \
                    from None
            limit = _suggested_size(str(error))
            if limit is None or limit >= size:
                raise
            size = limit
    if size != vocab_size:
        log.info("subword vocabulary lowered from %d to %d pieces: the text supports no more", vocab_size, size)
    return model.getvalue()


def _suggested_size(message: str) -> int | None:
    match = re.search(r"<= (\d+)", message)
    return int(match.group(1)) if match else None


class SubwordTokenizer:
    """Text → SentencePiece pieces (optionally lower-cased first) and pieces → text. Picklable (holds bytes)."""

    def __init__(self, model: bytes, lowercase: bool = False) -> None:
        self.model, self.lowercase = model, lowercase

    @cached_property
    def _sp(self):
        import sentencepiece as spm

        return spm.SentencePieceProcessor(model_proto=self.model)

    def __getstate__(self) -> dict:
        return {"model": self.model, "lowercase": self.lowercase}

    def __setstate__(self, state: dict) -> None:
        self.model, self.lowercase = state["model"], state["lowercase"]

    def __call__(self, text: str) -> list[str]:
        return self._sp.encode(text.lower() if self.lowercase else text, out_type=str)

    def pipe(self, texts: Iterable[str], batch_size: int = 2000) -> Iterator[list[str]]:
        for text in texts:
            yield self(text)

    def detokenize(self, pieces: Iterable[str]) -> str:
        return self._sp.decode_pieces([p for p in pieces if p not in SPECIALS])

    @property
    def pieces(self) -> list[str]:
        """The model's pieces in id order (ids 0–3 are our specials)."""
        return [self._sp.id_to_piece(i) for i in range(self._sp.get_piece_size())]
