"""The page's translation requests, as plain functions of a loaded model (tested without a server)."""
from __future__ import annotations

import threading
import time

from lightning_modules.inference import TranslationInference
from lightning_modules.translator import Translator

MAX_CHARS = 20_000
EOS = "</s>"


class TranslateHandler:
    """French text → English with the n-best list, scores and attention of every hypothesis. One model, loaded
    once; requests from several browsers take turns on it (a lock), so none sees another's state."""

    def __init__(self, module: TranslationInference) -> None:
        self.module = module
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load what the first request would otherwise wait for (the tokeniser's rules, the first batch's kernels)."""
        self.translate("Bonjour.", beam=2, n_best=1)

    def translate(self, text: str, beam: int = 5, n_best: int = 3) -> dict:
        """``{"translation", "sentences": [...], "seconds", "beam"}``, or ``{"error": message}`` for input the model
        cannot take. Each sentence: its source, source tokens, and hypotheses (text, score, tokens, attention
        ``(len(tokens) + 1) × (len(source tokens) + 1)``, the last row and column ``</s>``)."""
        if not isinstance(text, str) or not text.strip():
            return {"error": "Type a French sentence (or several) to translate."}
        if len(text) > MAX_CHARS:
            return {"error": f"That is {len(text):,} characters; the page translates up to {MAX_CHARS:,} at a time "
                             "(use translate.py for whole files)."}
        if "\x00" in text:
            return {"error": "The text holds a NUL character (binary data?): paste plain text."}
        beam = max(1, min(int(beam), 10))
        n_best = max(1, min(int(n_best), beam))
        with self._lock:
            t0 = time.perf_counter()
            lines = Translator(self.module, beam, n_best, batch_size=16).translate(text.splitlines() or [text],
                                                                                    attention=True)
            seconds = time.perf_counter() - t0
        sentences = [{"source": s.source, "source_tokens": [*s.source_tokens, EOS],
                      "hypotheses": [{"text": h.text, "score": round(h.score, 4), "tokens": [*h.tokens, EOS],
                                      "attention": None if h.attention is None else
                                      [[round(float(v), 4) for v in row] for row in h.attention]}
                                     for h in s.hypotheses]}
                     for line in lines for s in line.sentences]
        return {"translation": "\n".join(line.text for line in lines), "sentences": sentences,
                "seconds": round(seconds, 4), "beam": beam}
