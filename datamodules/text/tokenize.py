"""spaCy tokenisation of French and English sentences, with no model download.

``spacy.blank(lang)`` carries each language's tokenizer rules and exceptions, so French elisions and clitic hyphens
come out as in the lesson: ``"Qu'est-ce que c'est ?"`` → ``["qu'", "est", "-ce", "que", "c'", "est", "?"]``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Iterator

import spacy
from spacy.language import Language

from datamodules.errors import UserInputError


@lru_cache(maxsize=None)
def _blank(lang: str) -> Language:
    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError) as exc:  # unknown language code
        raise UserInputError(f"spaCy has no tokenizer for language {lang!r}: use a code such as 'fr' or 'en'") from exc


class SpacyTokenizer:
    """Tokenise text with ``spacy.blank(lang)``; optionally lower-case the tokens.

    Whitespace tokens (spaCy emits them for runs of spaces and for U+202F before "?") are dropped.
    """

    def __init__(self, lang: str, lowercase: bool = True) -> None:
        self.lang = lang
        self.lowercase = lowercase

    def __call__(self, text: str) -> list[str]:
        return self._tokens(_blank(self.lang).tokenizer(text))

    def _tokens(self, doc) -> list[str]:
        toks = [t.text for t in doc if not t.is_space and t.text.strip()]
        return [t.lower() for t in toks] if self.lowercase else toks

    def pipe(self, texts: Iterable[str], batch_size: int = 2000) -> Iterator[list[str]]:
        """Tokenise many texts; faster than calling the tokenizer one text at a time."""
        for doc in _blank(self.lang).tokenizer.pipe(texts, batch_size=batch_size):
            yield self._tokens(doc)

    def settings(self) -> dict:
        """What decides the tokens (kept in checkpoints and cache keys)."""
        return {"lang": self.lang, "lowercase": self.lowercase, "spacy": spacy.__version__}
