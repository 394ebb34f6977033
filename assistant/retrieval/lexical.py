"""BM25 over chunk texts (with their sections), built once per index, and what its idf tells.

Rare terms name a topic; common ones ("pain", "hamstring") do not. `Vocabulary` answers the
questions the composer and the coverage check ask of the corpus's words.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence

from assistant.language.tokens import TONE_TERMS, terms
from assistant.types import Chunk

__all__ = ["SPECIFIC_IDF", "LexicalIndex", "Vocabulary"]

SPECIFIC_IDF = 1.9
"""Terms at least this rare (BM25 idf) name a topic; commoner ones ("pain") do not."""
_MIN_UNKNOWN_LETTERS = 4
"""A word the corpus lacks must have this many letters to count as an unknown topic."""


class Vocabulary:
    """The corpus's terms with their idf: which question words name something, and how rare."""

    def __init__(
        self, idf: Mapping[str, float], unseen_idf: float, specific_idf: float = SPECIFIC_IDF
    ) -> None:
        self.idf = idf
        self.unseen_idf = unseen_idf
        self.specific_idf = specific_idf

    def names_something(self, text: str, known_only: bool = False) -> bool:
        """Return True when the text names something only a few passages mention.

        Words the corpus never uses count too, unless `known_only`.
        """
        default = 0.0 if known_only else self.unseen_idf
        return any(
            self.idf.get(t, default) >= self.specific_idf
            for t in terms(text)
            if t not in TONE_TERMS
        )

    def term_weights(self, question: str) -> dict[str, float]:
        """Return the question's specific terms with their weights (rarer terms weigh more).

        Terms found in many passages ("hamstring", "pain") say little about which sentence
        answers; when a question has none but those, all its terms count.
        """
        found = [t for t in terms(question) if t not in TONE_TERMS]
        weights = {t: self.idf.get(t, self.unseen_idf) for t in found}
        specific = {t: w for t, w in weights.items() if w >= self.specific_idf}
        return specific or weights

    def unknown_words(self, question: str) -> list[str]:
        """Return the question's topic words the corpus never uses, when it names no other.

        "Does acupuncture help?" -> ["acupuncture"]; empty when the question also names
        something the corpus does cover ("can I run while sitting hurts?").
        """
        if self.names_something(question, known_only=True):
            return []
        unknown: list[str] = []
        pattern = rf"[A-Za-z][A-Za-z-]{{{_MIN_UNKNOWN_LETTERS - 1},}}"
        for word in re.findall(pattern, question):
            found = [t for t in terms(word) if t not in TONE_TERMS]
            if found and all(t not in self.idf for t in found) and word.lower() not in unknown:
                unknown.append(word.lower())
        return unknown


class LexicalIndex:
    """BM25 over chunk texts (with their sections), built once."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG on import, which puts a line on every CLI's stderr.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.chunks = list(chunks)
        corpus = [terms(f"{c.section} {c.text}", cached=False) or ["_empty_"] for c in self.chunks]
        self.vocabulary = {term for found in corpus for term in found}
        n = len(corpus)
        df: dict[str, int] = {}
        for found in corpus:
            for term in set(found):
                df[term] = df.get(term, 0) + 1
        self.idf: dict[str, float] = {
            term: math.log(1 + (n - count + 0.5) / (count + 0.5)) for term, count in df.items()
        }
        """Inverse document frequency of each term; unseen terms get `unseen_idf`."""
        self.unseen_idf = math.log(1 + (n + 0.5) / 0.5)
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)

    def words(self) -> Vocabulary:
        """Return the index's vocabulary with its idf."""
        return Vocabulary(self.idf, self.unseen_idf)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Return [(chunk position, BM25 score)] for the query, best first, scores > 0 only."""
        found = [t for t in terms(query) if t in self.vocabulary]
        if not found or not self.chunks:
            return []
        k = min(k, len(self.chunks))
        positions, scores = self._bm25.retrieve([found], k=k, show_progress=False)
        return [
            (int(p), float(s)) for p, s in zip(positions[0], scores[0], strict=True) if s > 0
        ]
