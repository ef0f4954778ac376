"""spaCy tokenisation of French and English sentences, with no model download.

``spacy.blank(lang)`` carries each language's tokenizer rules and exceptions, so French elisions and clitic hyphens
come out as in the lesson: ``"Qu'est-ce que c'est ?"`` → ``["qu'", "est", "-ce", "que", "c'", "est", "?"]``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Iterator

import spacy
from spacy.language import Language

from core.errors import UserInputError
from datamodules.text.joiners import JOINER, annotate


@lru_cache(maxsize=None)
def _blank(lang: str) -> Language:
    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError) as exc:  # unknown language code
        raise UserInputError(f"spaCy has no tokenizer for language {lang!r}: use a code such as 'fr' or 'en'") from exc


class SpacyTokenizer:
    """Tokenise text with ``spacy.blank(lang)``; optionally lower-case the tokens.

    Whitespace tokens (spaCy emits them for runs of spaces and for U+202F before "?") are dropped. With
    ``joiners=True`` each token also records where no space followed it (see :mod:`datamodules.text.joiners`), so
    the text can be rebuilt exactly: the target side's tokens.
    """

    def __init__(self, lang: str, lowercase: bool = True, joiners: bool = False) -> None:
        self.lang = lang
        self.lowercase = lowercase
        self.joiners = joiners

    def __call__(self, text: str) -> list[str]:
        return self._tokens(_blank(self.lang).tokenizer(self._clean(text)))

    def _clean(self, text: str) -> str:
        return text.replace(JOINER, "") if self.joiners else text

    def _tokens(self, doc) -> list[str]:
        spaced: list[tuple[str, bool]] = []
        space_before = True
        for t in doc:
            if t.is_space or not t.text.strip():
                space_before = True
                continue
            spaced.append((t.text.lower() if self.lowercase else t.text, space_before))
            space_before = bool(t.whitespace_)
        return annotate(spaced) if self.joiners else [text for text, _ in spaced]

    def pipe(self, texts: Iterable[str], batch_size: int = 2000) -> Iterator[list[str]]:
        """Tokenise many texts; faster than calling the tokenizer one text at a time."""
        for doc in _blank(self.lang).tokenizer.pipe((self._clean(t) for t in texts), batch_size=batch_size):
            yield self._tokens(doc)
