"""How common a word is in general English: symspellpy's frequency dictionary (82,765 words).

The coverage check uses it to confine the "words the corpus never uses" rule to words that name
something specific (acupuncture, collagen, crutches: rare in general English) and to leave
everyday words alone ("stuck", "forever", "socks", "plain English": common). A word missing from
the dictionary counts as rare unless it is a misspelling of a common one ("secconds").
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

__all__ = ["RARE_COUNT", "TYPO_SCORE", "GeneralEnglish", "general_english"]

log = logging.getLogger(__name__)

RARE_COUNT = 4_000_000
"""Words seen fewer times than this in the dictionary's web corpus count as specific. Measured on
the dev train split's unknown words: treatments and products sit below (acupuncture 2.8M,
turmeric 0.3M, crutches 0.4M), everyday words above (socks 8.6M, stuck 9.1M, knife 11.3M)."""
TYPO_SCORE = 85.0
"""rapidfuzz ratio from which a word missing from the dictionary is a misspelling of one in it."""


class GeneralEnglish:
    """Word counts of general English, and whether a word is rare (names something specific)."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self._by_initial: dict[str, list[str]] = {}
        for word, count in counts.items():
            if count >= RARE_COUNT:
                self._by_initial.setdefault(word[:1], []).append(word)
        self.is_rare = functools.lru_cache(maxsize=4096)(self._is_rare)

    @classmethod
    def from_symspellpy(cls) -> GeneralEnglish:
        """Return the counts of the dictionary that ships with symspellpy."""
        import symspellpy

        path = Path(symspellpy.__file__).with_name("frequency_dictionary_en_82_765.txt")
        counts: dict[str, int] = {}
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                word, _, count = line.partition(" ")
                counts[word] = int(count)
        return cls(counts)

    def _is_rare(self, word: str) -> bool:
        word = word.lower()
        count = self.counts.get(word)
        if count is not None:
            return count < RARE_COUNT
        from rapidfuzz import fuzz, process

        near = process.extractOne(
            word, self._by_initial.get(word[:1], []), scorer=fuzz.ratio, score_cutoff=TYPO_SCORE
        )
        return near is None


@functools.cache
def general_english() -> GeneralEnglish:
    """Return the packaged word counts (read once per process)."""
    return GeneralEnglish.from_symspellpy()
