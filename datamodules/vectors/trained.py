"""fastText vectors trained on the project's own corpus when no pre-trained vectors are given.

The trained ``.bin`` is cached under a name keyed by a hash of the corpus and the training options, so a second run
with the same data reuses it instead of training again.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

from core.atomic import atomic_path, atomic_write_text
from core.errors import UserInputError
from core.hashing import short_hash
from datamodules.vectors.base import log
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
        with atomic_path(target) as tmp:
            self._train(corpus, tmp)
        self.path = target
        super().__init__(target)

    def fingerprint(self) -> str:
        return f"train:{self.options['model']}:d{self.dim}:e{self.options['epoch']}:s{self.seed}:{self.key}"

    def _train(self, corpus: str, out: Path) -> None:
        """Train in a fresh (spawned) process and save the model to ``out``.

        In a process that has already run torch/Lightning code, fastText's training on small corpora was seen to
        diverge (NaN) at random; a clean process avoids whatever process-wide state causes it.
        """
        with tempfile.TemporaryDirectory(prefix="fasttext-corpus-") as tmp:
            corpus_path = Path(tmp) / "corpus.txt"
            atomic_write_text(corpus_path, corpus)
            lr = 0.05
            for attempt in range(4):
                options = dict(self.options, input=str(corpus_path), thread=1, verbose=0, lr=lr)
                error = _train_in_subprocess(options, self.seed, out)
                if error is None:
                    return
                if "NaN" not in error or attempt == 3:
                    raise UserInputError(f"fastText training on the corpus failed ({error}): try another seed or "
                                         "size, or give a vectors file instead of 'train'")
                log.warning("fastText training diverged (NaN) at lr %g; retrying at lr %g", lr, lr / 2)
                lr /= 2


def _train_and_save(options: dict[str, Any], seed: int, out: str, errors: Any) -> None:
    """Child-process body: train, save to ``out``, report an error message (or None) on ``errors``."""
    try:
        with quiet_stderr():
            _train_unsupervised(options, seed).save_model(out)
        errors.put(None)
    except (ValueError, RuntimeError) as error:
        errors.put(str(error))


def _train_in_subprocess(options: dict[str, Any], seed: int, out: Path) -> str | None:
    """Run :func:`_train_and_save` in a spawned process; returns its error message, or None on success."""
    ctx = multiprocessing.get_context("spawn")
    errors = ctx.Queue()
    proc = ctx.Process(target=_train_and_save, args=(options, seed, str(out), errors))
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        return f"the training process exited with code {proc.exitcode}"
    return errors.get()


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
