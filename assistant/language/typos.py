"""The one typo mechanism: the nearest word of a known vocabulary (difflib ratio), remembered.

Retrieval corrects query words to corpus words; the scope check recognises misspelt topic words.
Each passes its own vocabulary and cutoff. (Misspellings that reviewed rules must catch, like
"runnning", are written into those rules' regexes, where a reviewer sees them.)
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable

__all__ = ["NearestWord", "MIN_TYPO_LENGTH"]

MIN_TYPO_LENGTH = 6
"""Shorter words are too often a different real word ("need" is not "needs")."""
_CACHE = 4096
"""Bounded: users keep typing new words, and a shared assistant lives for days."""


class NearestWord:
    """Finds the word of a vocabulary that a (lowercase) word is most likely a misspelling of."""

    def __init__(
        self, vocabulary: Iterable[str], cutoff: float, min_length: int = MIN_TYPO_LENGTH
    ) -> None:
        self.vocabulary = frozenset(vocabulary)
        self._sorted = sorted(self.vocabulary)
        self._cutoff = cutoff
        self._min_length = min_length
        self._nearest = functools.lru_cache(maxsize=_CACHE)(self._find)

    def __call__(self, word: str) -> str | None:
        """Return the vocabulary word closest to `word` (itself if known), or None."""
        if word in self.vocabulary:
            return word
        if len(word) < self._min_length:
            return None
        return self._nearest(word)

    def _find(self, word: str) -> str | None:
        close = difflib.get_close_matches(word, self._sorted, n=1, cutoff=self._cutoff)
        return close[0] if close else None

    def cache_clear(self) -> None:
        """Forget remembered words (benchmarks measure cold lookups)."""
        self._nearest.cache_clear()
