"""``TranslationDataModule``: French→English sentence pairs from a pluggable source, tokenised, cached, batched."""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from core.atomic import atomic_pickle, load_pickle
from core.distributed import world_and_rank
from core.errors import UserInputError
from core.rng import preserved_rng
from datamodules.resume import ResumableTrainData
from datamodules.text.dataset import PairDataset, PairSplit, collate_pairs
from datamodules.text.joiners import strip_joiners
from datamodules.text.prepare import TextSettings, build_corpus
from datamodules.text.sampler import SortedBatchSampler, SortishBatchSampler
from datamodules.text.source_base import ensure_file
from datamodules.text.sources import EmbeddedQuestionsSource, PairSource
from datamodules.text.subword import SubwordKind
from datamodules.text.test_set import EvalSet, ExternalTestSet
from datamodules.text.vocab_state import VocabState
from datamodules.vectors import build_embedding_matrix, load_vectors

log = logging.getLogger(__name__)
CACHE_VERSION = 3


class TranslationDataModule(ResumableTrainData, pl.LightningDataModule):
    """(french, english) pairs → cached numericalised splits → length-grouped batches.

    ``prepare_data`` fetches the source, tokenises with spaCy, splits train/valid/test (90/5/5 by default) grouped by
    English sentence, builds the vocabularies and the word-vector–initialised embedding matrices, and writes them to
    one cache file keyed by every setting that shaped it. ``setup`` only loads that file. Sizes the model needs
    (vocab sizes, embedding dims, maximum lengths) are properties, linked into the model by the CLI.

    ``validate`` (and checkpoint selection) uses the validation split; ``test`` the test split, or ``test_source``
    when given (an external test set, tokenised and encoded with this corpus's settings and vocabularies). With
    ``test_frac=0`` and no ``test_source`` (the lesson's 90/10 split) there is nothing held out to test on, and
    ``test`` says so.

    Args:
        source: where pairs come from (giga-fren, CSV, Tatoeba, or the embedded generated corpus by default).
        test_source: an external test set, any pair source (e.g. ``ParallelFilesSource`` for ``test.fr``/``test.en``).
        src_vectors / tgt_vectors: word vectors for each side: a ``.bin``/``.vec`` path, ``spacy:<package>``,
            ``train[:dim]`` (fastText trained on that side of the corpus), or None for random embeddings.
        src_vectors_url / tgt_vectors_url: where to download a missing vectors file from (a zip/tar holding it,
            or the file itself).
        emb_dim: embedding size when a side has no vectors, and the default size of ``train`` vectors.
        lowercase / tgt_lowercase / truecase / copy_numbers / subword_vocab / subword_kind: case, numbers and
            subwords, see :class:`~datamodules.text.prepare.TextSettings`.
    """

    def __init__(self, source: PairSource | None = None, cache_dir: str = ".cache/translate",
                 lowercase: bool = True, max_vocab: int = 40000, min_freq: int = 1, max_tgt_tokens: int = 30,
                 len_percentile: float = 99.0, valid_frac: float = 0.05, test_frac: float = 0.05,
                 split_seed: int = 42, tgt_joiners: bool = True, tgt_lowercase: bool | None = None,
                 truecase: bool = False, copy_numbers: bool = False, subword_vocab: int = 0,
                 subword_kind: SubwordKind = "unigram", test_source: PairSource | None = None,
                 src_vectors: str | None = "train", tgt_vectors: str | None = "train",
                 src_vectors_url: str | None = None, tgt_vectors_url: str | None = None, emb_dim: int = 300,
                 vector_epochs: int = 10, batch_size: int = 64, eval_batch_size: int | None = None,
                 chunk_factor: int = 50, num_workers: int = 0, seed: int = 0) -> None:
        super().__init__()
        self.source = source if source is not None else EmbeddedQuestionsSource()
        self.cache_dir = Path(cache_dir)
        self.settings = TextSettings(lowercase=lowercase, max_vocab=max_vocab, min_freq=min_freq,
                                     max_tgt_tokens=max_tgt_tokens, len_percentile=len_percentile,
                                     valid_frac=valid_frac, test_frac=test_frac, split_seed=split_seed,
                                     tgt_joiners=tgt_joiners, tgt_lowercase=tgt_lowercase, truecase=truecase,
                                     copy_numbers=copy_numbers, subword_vocab=subword_vocab,
                                     subword_kind=subword_kind)
        self.external_test = ExternalTestSet(test_source) if test_source is not None else None
        self.src_vectors, self.tgt_vectors = src_vectors, tgt_vectors
        self.vector_urls = {"fr": src_vectors_url, "en": tgt_vectors_url}
        self.emb_dim, self.vector_epochs, self.seed = emb_dim, vector_epochs, seed
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size or batch_size
        self.chunk_factor, self.num_workers = chunk_factor, num_workers
        self._data: dict | None = None

    # ---- cache -------------------------------------------------------------------------------------------------
    def cache_key(self) -> str:
        """Hash of every setting that shapes the cached corpus."""
        spec = {"v": CACHE_VERSION, "source": self.source.fingerprint(), "text": self.settings.as_dict(),
                "vectors": [self.src_vectors, self.tgt_vectors, self.emb_dim, self.vector_epochs, self.seed]}
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def cache_path(self) -> Path:
        return self.cache_dir / f"corpus-{self.cache_key()}.pkl"

    def prepare_data(self) -> None:
        """Download/extract the source and build the cache file, unless a cache for these settings exists; the
        same for the external test set."""
        with preserved_rng():  # runs on one process only, and only without a cache: must not move the seeds
            self._prepare()
            if self.external_test is not None:
                self.external_test.prepare(self.cache_dir, self.cache_key(), self._load())

    def _prepare(self) -> None:
        if self.cache_path.exists():
            return
        self.source.prepare(self.cache_dir)
        log.info("building the translation cache from %s", self.source.describe())
        pairs = self.source.pairs(self.cache_dir)
        if not pairs:
            raise UserInputError(f"{self.source.describe()}: no sentence pairs left after reading and filtering: "
                                 "check the files hold French/English pairs, or loosen the filter "
                                 "(--data.source.init_args.filter none)")
        data = build_corpus(pairs, self.settings)
        data["src_emb"] = self._embeddings(data["src_itos"], data.pop("train_src_tokens"), self.src_vectors, "fr")
        data["tgt_emb"] = self._embeddings(data["tgt_itos"], data.pop("train_tgt_tokens"), self.tgt_vectors, "en")
        atomic_pickle(self.cache_path, data)
        log.info("wrote %s", self.cache_path)

    def _embeddings(self, itos: list[str], corpus: list[list[str]], spec: str | None, side: str) -> np.ndarray | None:
        if spec is None:
            return None
        if self.vector_urls[side] and Path(spec).suffix in (".bin", ".vec", ".txt"):
            ensure_file(Path(spec), self.vector_urls[side], None,
                        f"{side} word-vector file {spec} not found: put it there or set a vectors url")
        words = [strip_joiners(w) for w in itos]  # vectors are looked up by the word, without joiner marks
        vectors = load_vectors(spec, keep=set(words), corpus=corpus, cache_dir=self.cache_dir,
                               train_dim=self.emb_dim, train_epochs=self.vector_epochs, seed=self.seed)
        matrix, missing = build_embedding_matrix(words, vectors, seed=self.seed)
        log.info("%s embeddings from %s: %d × %d, %d of %d vocab words without a vector",
                 side, spec, *matrix.shape, len(missing), len(itos))
        return matrix

    def _load(self) -> dict:
        if self._data is None:
            self._data = load_pickle(lambda: self.cache_path, self.prepare_data)
        return self._data

    def setup(self, stage: str | None = None) -> None:
        self._load()

    # ---- sizes linked into the model ---------------------------------------------------------------------------
    @property
    def src_vocab_size(self) -> int:
        return len(self._load()["src_itos"])

    @property
    def tgt_vocab_size(self) -> int:
        return len(self._load()["tgt_itos"])

    @property
    def src_emb_dim(self) -> int:
        emb = self._load()["src_emb"]
        return self.emb_dim if emb is None else int(emb.shape[1])

    @property
    def tgt_emb_dim(self) -> int:
        emb = self._load()["tgt_emb"]
        return self.emb_dim if emb is None else int(emb.shape[1])

    @property
    def max_tgt_len(self) -> int:
        return int(self._load()["max_tgt_len"])

    # ---- what the model reads at setup -------------------------------------------------------------------------
    def vocab_state(self) -> VocabState:
        """Vocabularies and tokenisation settings: everything ``translate.py`` needs besides the weights."""
        d = self._load()
        return VocabState(tuple(d["src_itos"]), tuple(d["tgt_itos"]), TextSettings(**d["settings"]),
                          int(d["max_src_len"]), int(d["max_tgt_len"]), tuple(sorted(d["truecase"].items())),
                          tuple(d["subwords"]))

    def embedding_matrices(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Initial embeddings ``(src_vocab, src_emb_dim)`` and ``(tgt_vocab, tgt_emb_dim)``, or None per side."""
        d = self._load()
        return d["src_emb"], d["tgt_emb"]

    def split(self, name: str) -> PairSplit:
        """``"train"``, ``"valid"`` or ``"test"`` (the external test set when ``test_source`` is given)."""
        if name == "test" and self.external_test is not None:
            return self.external_test.load(self.cache_dir, self.cache_key(), self._load())
        return self._load()[name]

    def eval_set(self, name: str) -> EvalSet:
        """What a report says about the split it scored: name, size, and how it was held out."""
        if name == "test" and self.external_test is not None:
            return self.external_test.describe(self.split("test"))
        held = {"valid": "validation split: chooses the checkpoint",
                "test": "test split: held out from training and checkpoint selection"}[name]
        s = self.settings
        return EvalSet(name, len(self.split(name)), f"{held}; {s.valid_frac:g}/{s.test_frac:g} valid/test of "
                       f"{self.source.describe()}, grouped by English sentence (split seed {s.split_seed})")

    # ---- loaders -----------------------------------------------------------------------------------------------
    def train_dataloader(self) -> DataLoader:
        split = self.split("train")
        world, rank = world_and_rank(self.trainer)
        sampler = SortishBatchSampler(split.lengths(), self.batch_size, self.chunk_factor, self.seed, world, rank)
        # own generator: building the iterator leaves the global RNG (dropout, teacher forcing) untouched
        return DataLoader(PairDataset(split), batch_sampler=self.resumable(sampler), collate_fn=collate_pairs,
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0,
                          generator=torch.Generator().manual_seed(self.seed))

    def _eval_loader(self, name: str) -> DataLoader:
        split = self.split(name)
        world, rank = world_and_rank(self.trainer)
        sampler = SortedBatchSampler(split.lengths(), self.eval_batch_size, world, rank)
        return DataLoader(PairDataset(split), batch_sampler=sampler, collate_fn=collate_pairs,
                          num_workers=self.num_workers)

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("valid")

    def test_dataloader(self) -> DataLoader:
        if len(self.split("test")) == 0:
            raise UserInputError("there is no held-out test set to score (test_frac is 0 and no test_source): set "
                                 "--data.test_frac 0.05 or --data.test_source; `validate` scores the validation split")
        return self._eval_loader("test")

    def predict_dataloader(self) -> DataLoader:
        """Translations of the test set (of the validation split when there is none)."""
        return self._eval_loader("test" if len(self.split("test")) else "valid")
