"""An external test set for translation: any pair source, encoded with the training corpus's vocabularies."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from core.atomic import atomic_pickle, load_pickle
from core.errors import UserInputError
from datamodules.text.dataset import PairSplit
from datamodules.text.prepare import TextSettings, encode_external
from datamodules.text.source_base import PairSource
from datamodules.text.split import group_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalSet:
    """What a report says about the sentences it scored."""

    name: str
    n_sentences: int
    description: str


class ExternalTestSet:
    """``test_source``'s pairs, tokenised with the corpus settings and cached beside the corpus.

    Pairs whose English sentence also occurs in the training or validation split are counted and logged (a standard
    test set is scored as it is, but the overlap is worth knowing).
    """

    def __init__(self, source: PairSource) -> None:
        self.source = source
        self._split: PairSplit | None = None
        self.overlap = 0

    def path(self, cache_dir: Path, corpus_key: str) -> Path:
        return Path(cache_dir) / f"test-{corpus_key}-{self.source.cache_key()}.pkl"

    def prepare(self, cache_dir: Path, corpus_key: str, corpus: dict) -> None:
        """Fetch the source and write the encoded test split, unless it is cached for this corpus."""
        path = self.path(cache_dir, corpus_key)
        if path.exists():
            return
        self.source.prepare(cache_dir)
        pairs = self.source.pairs(cache_dir)
        if not pairs:
            raise UserInputError(f"test source {self.source.describe()}: no sentence pairs: check the files")
        split = encode_external(pairs, TextSettings(**corpus["settings"]), corpus["src_itos"], corpus["tgt_itos"],
                                corpus.get("subwords", (None, None)))
        seen = {group_key(t) for name in ("train", "valid") for t in corpus[name].tgt_text}
        overlap = sum(group_key(t) in seen for t in split.tgt_text)
        atomic_pickle(path, {"split": split, "overlap": overlap})
        log.info("external test set %s: %d pairs, %d with an English sentence also in training or validation",
                 self.source.describe(), len(split), overlap)

    def load(self, cache_dir: Path, corpus_key: str, corpus: dict) -> PairSplit:
        if self._split is None:
            payload = load_pickle(lambda: self.path(cache_dir, corpus_key),
                                  lambda: self.prepare(cache_dir, corpus_key, corpus))
            self._split, self.overlap = payload["split"], payload["overlap"]
        return self._split

    def describe(self, split: PairSplit) -> EvalSet:
        return EvalSet("test", len(split), f"external test set {self.source.describe()} "
                       f"({self.overlap} of its English sentences also occur in training or validation)")
