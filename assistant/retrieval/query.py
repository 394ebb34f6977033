"""What is searched for a question: typos corrected, patient words expanded, follow-ups joined.

The query is for retrieval only; the answer still quotes the corpus.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from assistant.language.english import general_english
from assistant.language.lexicon import lexicon
from assistant.language.negation import negated_words
from assistant.language.tokens import terms
from assistant.language.turns import is_follow_up, user_turns
from assistant.language.typos import NearestWord
from assistant.retrieval.lexical import Vocabulary
from assistant.types import Chunk, History

__all__ = [
    "TYPO_CUTOFF",
    "SHORT_QUESTION_WORDS",
    "QueryCorrector",
    "QueryExpansions",
    "QueryPreparer",
    "retrieval_query",
    "denied_terms",
]

TYPO_CUTOFF = 0.84
"""Similarity ratio (InDel, as difflib's) from which a query word counts as a misspelling."""
SHORT_QUESTION_WORDS = 6
"""A question with at most this many words of 3+ letters leans on the one before it."""
_CONDITION = re.compile(
    r"\b(?:(?:my|the|a|this|with|for|of|about)\s+)?(?:proximal\s+)?hamstrings?\s+"
    r"(?:tendin|tendon|tendonopath)\w*|\bPHT\b",
    re.IGNORECASE,
)


KNOWN_WORD_COUNT = 100_000
"""A word seen this often in symspellpy's English web counts is a word, not a typo (tendon 0.8M,
hamstring 0.36M; the misspellings people type, "streching", "surgury", are not in it)."""


class QueryCorrector:
    """Corrects misspelt query words to the nearest word of the corpus vocabulary."""

    def __init__(
        self,
        vocabulary: set[str],
        cutoff: float = TYPO_CUTOFF,
        counts: Mapping[str, int] | None = None,
    ) -> None:
        self.nearest = NearestWord(vocabulary, cutoff, counts=counts)
        self.vocabulary = self.nearest.vocabulary

    def correct_word(self, word: str) -> str:
        """Return `word`, or the corpus word it is most likely a misspelling of.

        A word of general English is not a typo even when the corpus never uses it: "weather"
        is not "whether" (the dictionary leaves out misspellings such as "streching").
        """
        lower = word.lower()
        if lower in self.vocabulary or not lower.isalpha():
            return word
        if general_english().counts.get(lower, 0) >= KNOWN_WORD_COUNT:
            return word
        return self.nearest(lower) or word

    def correct(self, text: str) -> str:
        """Return `text` with each misspelt word replaced."""
        return re.sub(r"[A-Za-z]+", lambda m: self.correct_word(m.group(0)), text)


class QueryExpansions:
    """Patient words mapped to the words the guidance uses ("operation" -> "surgery")."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self._patterns = [
            (re.compile(rf"\b{re.escape(phrase)}(?:s|es)?\b", re.IGNORECASE), extra)
            for phrase, extra in sorted(mapping.items(), key=lambda item: -len(item[0]))
        ]

    @classmethod
    def load(cls) -> QueryExpansions:
        """Return the packaged expansions (language/lexicon/query_expansions.yaml)."""
        return cls(lexicon().query_expansions)

    def extra_terms(self, query: str) -> str:
        """Return " " + the guidance's words for the patient words in `query` (or "")."""
        extra = [words for pattern, words in self._patterns if pattern.search(query)]
        return (" " + " ".join(extra)) if extra else ""


class QueryPreparer:
    """Turns a question into the text that is searched (and scored against sentences)."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        vocabulary: Vocabulary,
        expansions: QueryExpansions | None = None,
    ) -> None:
        counts = Counter(w.lower() for c in chunks for w in re.findall(r"[A-Za-z]+", c.text))
        # Counts break ties between equally close words: the one the corpus uses more wins.
        self.corrector = QueryCorrector(set(counts) | lexicon().domain_words, counts=counts)
        self.expansions = expansions or QueryExpansions.load()
        self._vocabulary = vocabulary

    def __call__(self, query: str) -> str:
        """Return the query as it is searched: typos corrected, patient words expanded."""
        corrected = self.corrector.correct(query)
        # Expansions see the words as typed too: "operation" must not be "corrected" first. A
        # word the question denies ("better without an op") is not expanded: searching for
        # "surgery" would bring exactly what the question sets aside.
        plain = _without_denied(query)
        extra = self.expansions.extra_terms(plain) or self.expansions.extra_terms(
            _without_denied(corrected)
        )
        # Every passage is about the condition: naming it tells retrieval nothing, and it pulls
        # the query towards generic sentences. Keep it only when it is all the question says.
        focused = _CONDITION.sub(" ", corrected)
        if focused != corrected and self._vocabulary.names_something(
            focused + extra, known_only=True
        ):
            corrected = re.sub(r"\s+", " ", focused).strip()
        return corrected + extra


def _without_denied(text: str) -> str:
    denied = set(negated_words(text))
    if not denied:
        return text
    return re.sub(
        r"[A-Za-z']+", lambda m: " " if m.group(0).lower() in denied else m.group(0), text
    )


def denied_terms(question: str, expansions: QueryExpansions) -> set[str]:
    """Return the stems the question denies, with the guidance's words for them ("without an
    op" -> op, surgery): sentences about them do not answer it."""
    words = negated_words(question)
    if not words:
        return set()
    return set(terms(" ".join(words) + expansions.extra_terms(" ".join(words))))


def retrieval_query(question: str, history: History) -> str:
    """Return the text to retrieve with: follow-ups carry the previous user question along."""
    previous = user_turns(history)
    if not previous:
        return question
    short = len(re.findall(r"[A-Za-z]{3,}", question)) <= SHORT_QUESTION_WORDS
    if short or is_follow_up(question):
        return f"{question} {previous[-1]}"
    return question
