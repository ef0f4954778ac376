"""fastText vectors trained on the project's own corpus when no pre-trained vectors are given.

The trained ``.bin`` is cached under a name keyed by a hash of the corpus and the training options, so a second run
with the same data reuses it instead of training again.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

from datamodules.atomic import atomic_path, atomic_write_text
from datamodules.errors import UserInputError
from datamodules.vectors.base import log, short_hash
from datamodules.vectors.fasttext_bin import FastTextBinVectors, import_fasttext, quiet_stderr

MODELS = ("skipgram", "cbow")


class TrainedFastTextVectors(FastTextBinVectors):
    """fastText vectors trained with ``fasttext.train_unsupervised`` on tokenised ``sentences``.

    Training uses one thread and a fixed seed, yet fastText is not bit-reproducible across separate trainings (seen
    here under load); reruns are reproducible because they reuse the cached model. ``bucket`` is
    the number of hashed character-n-gram rows (fastText's default, 2M, makes a 100-d model 800 MB). After
    construction ``reused`` tells whether the cached model was loaded instead of trained.
    """

    def __init__(
        self,
        sentences: Sequence[Sequence[str]],
        cache_dir: str | os.PathLike,
        *,
        dim: int = 100,
        epochs: int = 10,
        model: str = "skipgram",
        seed: int = 0,
        bucket: int = 200_000,
    ) -> None:
        _check_options(dim, epochs, model, bucket)
        corpus = "".join(" ".join(tokens) + "\n" for tokens in sentences)
        if not corpus.split():
            raise UserInputError("cannot train word vectors: the corpus has no tokens; give a vectors file instead")
        self.options = {"model": model, "dim": dim, "epoch": epochs, "minCount": 1, "bucket": bucket}
        self.seed = seed
        self.key = short_hash(corpus, json.dumps(self.options, sort_keys=True), str(seed), length=16)
        target = Path(cache_dir) / f"fasttext-{model}-d{dim}-e{epochs}-s{seed}-{self.key}.bin"
        self.reused = target.is_file()
        if self.reused:
            log.info("reusing trained fastText vectors %s", target)
            super().__init__(target)
            return
        log.info("training %d-d fastText %s vectors on %d sentences (%d epochs)", dim, model, len(sentences), epochs)
        trained = self._train(corpus)
        with atomic_path(target) as tmp:
            trained.save_model(str(tmp))
        self.path = target
        self._set_model(trained)

    def fingerprint(self) -> str:
        return f"train:{self.options['model']}:d{self.dim}:e{self.options['epoch']}:s{self.seed}:{self.key}"

    def _train(self, corpus: str) -> Any:
        with tempfile.TemporaryDirectory(prefix="fasttext-corpus-") as tmp:
            corpus_path = Path(tmp) / "corpus.txt"
            atomic_write_text(corpus_path, corpus)
            lr = 0.05
            for attempt in range(4):
                options = dict(self.options, input=str(corpus_path), thread=1, verbose=0, lr=lr)
                try:
                    with quiet_stderr():
                        return _train_unsupervised(options, self.seed)
                except (ValueError, RuntimeError) as error:
                    if "NaN" not in str(error) or attempt == 3:
                        raise UserInputError(
                            f"fastText training on the corpus failed ({error}): try another seed or size, or give "
                            "a vectors file instead of 'train'") from None
                    log.warning("fastText training diverged (NaN) at lr %g; retrying at lr %g", lr, lr / 2)
                    lr /= 2
        raise AssertionError("unreachable")


def _check_options(dim: int, epochs: int, model: str, bucket: int) -> None:
    if model not in MODELS:
        raise UserInputError(f"unknown fastText model {model!r}: use one of {', '.join(MODELS)}")
    for name, value in (("dim", dim), ("epochs", epochs), ("bucket", bucket)):
        if not isinstance(value, int) or value <= 0:
            raise UserInputError(f"fastText training option {name}={value!r} is invalid: give a positive integer")


def _train_unsupervised(options: dict[str, Any], seed: int) -> Any:
    """Train with ``seed``; fastText 0.9.3's Python wrapper does not accept a seed although its C++ core does."""
    fasttext = import_fasttext()
    try:
        return fasttext.train_unsupervised(**options, seed=seed)
    except TypeError as error:
        if "seed" not in str(error):
            raise
    model = _train_with_core_seed(fasttext, options, seed)
    if model is not None:
        return model
    if seed != 0:
        log.warning("this fasttext version cannot set the training seed: seed %d is ignored", seed)
    return fasttext.train_unsupervised(**options)


def _train_with_core_seed(fasttext: Any, options: dict[str, Any], seed: int) -> Any | None:
    """Train through the wrapper's internals with ``args.seed`` set; None when those internals are not there."""
    wrapper = getattr(fasttext, "FastText", None)
    needed = ("unsupervised_default", "_build_args", "_FastText", "fasttext")
    if wrapper is None or not all(hasattr(wrapper, name) for name in needed):
        return None
    settings = dict(wrapper.unsupervised_default, **options)
    args = wrapper._build_args(settings, set(options))
    if not hasattr(args, "seed"):
        return None
    args.seed = seed
    model = wrapper._FastText(args=args)
    wrapper.fasttext.train(model.f, args)
    model.set_args(model.f.getArgs())
    return model
