"""``VocabState``: what a translation checkpoint carries besides its weights (vocabularies, tokenisation settings,
length limits), stored as a plain dict so checkpoints load with ``torch.load(weights_only=True)``."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from datamodules.text.prepare import TextSettings
from datamodules.text.tokenize import SpacyTokenizer
from datamodules.text.vocab import Vocab

# settings a checkpoint from before they existed was trained with (not today's defaults)
_LEGACY_SETTINGS = {"tgt_joiners": False, "test_frac": 0.0, "valid_frac": 0.1}


@dataclass(frozen=True)
class VocabState:
    """Source/target vocabularies (index → token), the settings that tokenised the corpus, the 99th-percentile
    training lengths (``max_tgt_len`` is the decoder's default step limit; sources are never cut), and what the
    corpus taught the tokenisation: the true-caser table (lower-cased word → cased form) and the SentencePiece
    models (source, target) of a subword corpus."""

    src_itos: tuple[str, ...]
    tgt_itos: tuple[str, ...]
    settings: TextSettings
    max_src_len: int
    max_tgt_len: int
    truecase: tuple[tuple[str, str], ...] = ()
    subwords: tuple[bytes | None, bytes | None] = (None, None)

    def to_dict(self) -> dict:
        """Plain lists, ints, bytes and a settings dict: what checkpoints store."""
        return {"src_itos": list(self.src_itos), "tgt_itos": list(self.tgt_itos),
                "settings": self.settings.as_dict(), "max_src_len": self.max_src_len, "max_tgt_len": self.max_tgt_len,
                "truecase": [list(pair) for pair in self.truecase], "subwords": list(self.subwords)}

    @classmethod
    def from_dict(cls, data: dict) -> "VocabState":
        """From ``to_dict`` output, including checkpoints written before a setting existed (it gets the value those
        runs used, e.g. no joiner marks)."""
        known = {f.name for f in dataclasses.fields(TextSettings)}
        settings = {**_LEGACY_SETTINGS, **{k: v for k, v in data["settings"].items() if k in known}}
        return cls(tuple(data["src_itos"]), tuple(data["tgt_itos"]), TextSettings(**settings),
                   int(data["max_src_len"]), int(data["max_tgt_len"]),
                   tuple(tuple(pair) for pair in data.get("truecase", ())),
                   tuple(data.get("subwords", (None, None))))

    def src_tokenizer(self):
        """The source side's tokeniser (spaCy words, or the source SentencePiece model)."""
        return self.settings.tokenizers(self.subwords)[0]

    def tgt_tokenizer(self):
        return self.settings.tokenizers(self.subwords)[1]

    def src_display_tokenizer(self):
        """Source tokens as the text wrote them, one per model token: the same tokenisation without lower-casing
        (the words an unknown-word replacement copies); the model's own tokeniser for subwords."""
        if self.subwords[0]:
            return self.src_tokenizer()
        return SpacyTokenizer(self.settings.src_lang, lowercase=False)

    @property
    def truecase_table(self) -> dict[str, str]:
        return dict(self.truecase)

    @property
    def src_vocab(self) -> Vocab:
        return Vocab(self.src_itos)

    @property
    def tgt_vocab(self) -> Vocab:
        return Vocab(self.tgt_itos)
