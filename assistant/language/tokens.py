"""Words, stems, numbers: the one tokeniser of PHT Guide (support checks, BM25, sentence scoring).

Text is folded first: citation markers and table labels removed, lower case, straight
apostrophes, synonym phrases replaced by their canonical form (lexicon/synonyms.yaml), so that
"shock wave therapy" and "ESWT" are one word. Stopwords and negations are not content.
"""

from __future__ import annotations

import functools
import re

from assistant.language.lexicon import lexicon
from assistant.language.sentences import strip_markers

__all__ = [
    "stem",
    "fold_phrases",
    "tokens",
    "is_content",
    "content_words",
    "content_stems",
    "numbers_in",
    "number_values",
    "terms",
    "TONE_TERMS",
    "CLAUSE_MARK",
]

CLAUSE_MARK = ","
"""What every punctuation mark that ends a clause becomes in `tokens`."""

_LEX = lexicon()
_LABEL_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(label) for label in _LEX.table_labels) + r")\s*:\s*",
    re.IGNORECASE,
)
_TOKEN_RE = re.compile(r"[a-z0-9%]+(?:'[a-z]+)?|[,;:.!?()]")
_NUMBER_RE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(?:\s*(?:–|—|-|to)\s*(\d+(?:\.\d+)?))?\s*(%|percent\b)?"
)
_WORD_NUMBER_RE = re.compile(r"\b(" + "|".join(_LEX.number_words) + r")\b")
_SYNONYM_RE = re.compile(
    r"(?<![a-z])("
    + "|".join(re.escape(k) for k in sorted(_LEX.synonyms, key=len, reverse=True))
    + r")(?![a-z])"
)
# Words that are never content: function words, and every negation word of either reader.
_NOT_CONTENT = _LEX.stopwords | frozenset(_LEX.negation_cues) | frozenset(_LEX.hedges)

# (suffix, replacement), tried longest first; one suffix per pass.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ational", "ate"), ("ization", "ize"), ("iveness", "ive"), ("fulness", "ful"),
    ("ousness", "ous"), ("ivity", ""), ("ability", ""), ("ibility", ""), ("ation", ""),
    ("ition", ""), ("uction", "uc"), ("ative", ""), ("atory", ""), ("ingly", ""), ("ement", ""),
    ("ment", ""), ("ness", ""), ("able", ""), ("ible", ""), ("edly", ""), ("ing", ""),
    ("ion", ""), ("ity", ""), ("ive", ""), ("ate", ""), ("en", ""), ("ful", ""), ("ous", ""),
    ("ly", ""), ("ed", ""), ("er", ""), ("al", ""), ("ic", ""), ("y", ""), ("e", ""),
)  # fmt: skip
_MIN_STEM = 3
"""A suffix comes off only if at least this many letters remain ("bed" stays "bed")."""
_STEM_CACHE = 65536
"""Texts repeat few distinct words; stemming was most of BM25 indexing and sentence scoring."""
_TERMS_CACHE = 8192
"""Each question re-tokenises its retrieved passages and their sentences: a few hundred texts."""


@functools.lru_cache(maxsize=_STEM_CACHE)
def stem(word: str) -> str:
    """Return a light stem of one lowercase word (plurals, then one or two suffixes removed)."""
    w = word.lower()
    if w in _LEX.keep_unstemmed or len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for _ in range(2):
        for suffix, replacement in _SUFFIXES:
            if w.endswith(suffix) and len(w) - len(suffix) + len(replacement) >= _MIN_STEM:
                w = w[: len(w) - len(suffix)] + replacement
                break
        else:
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]
    return w


def fold_phrases(text: str) -> str:
    """Return text without markers or table labels, lower case, synonym phrases canonical."""
    text = strip_markers(text)
    text = _LABEL_RE.sub("", text).lower()
    text = text.replace("’", "'").replace("‘", "'")
    text = _SYNONYM_RE.sub(lambda m: " " + _LEX.synonyms[m.group(1)] + " ", text)
    return re.sub(r"\bnon[- ](?=[a-z])", "non", text)


def tokens(text: str) -> list[str]:
    """Return folded tokens, number words as digits, clause punctuation kept as CLAUSE_MARK."""
    out: list[str] = []
    for piece in _TOKEN_RE.findall(fold_phrases(text)):
        piece = piece.removesuffix("'s")
        if piece in ",;:.!?()":
            out.append(CLAUSE_MARK)
        elif piece in _LEX.number_words:
            out.append(_LEX.number_words[piece])
        else:
            out.append(piece)
    return out


def is_content(token: str) -> bool:
    """Return True for a token that carries meaning (not a stopword, negation, mark or number)."""
    return token not in _NOT_CONTENT and token != CLAUSE_MARK and not token[0].isdigit()


def content_words(text: str) -> list[str]:
    """Return the content words of `text` in order: normalised, synonyms folded, not stemmed."""
    return [t for t in tokens(text) if is_content(t)]


def content_stems(text: str) -> set[str]:
    """Return the stems of the content words of `text` (stopwords, numbers, negations left out)."""
    return {stem(t) for t in content_words(text)}


def numbers_in(text: str) -> set[str]:
    """Return the numbers `text` states, ranges as "6-12" and percentages as "89%"."""
    folded = _WORD_NUMBER_RE.sub(lambda m: _LEX.number_words[m.group(1)], fold_phrases(text))
    found: set[str] = set()
    for low, high, percent in _NUMBER_RE.findall(folded):
        value = f"{low}-{high}" if high else low
        found.add(value + ("%" if percent else ""))
    return found


def number_values(numbers: set[str]) -> set[str]:
    """Return every single value of some numbers ("6-12" gives "6" and "12"; "89%" gives "89")."""
    return {part for n in numbers for part in n.rstrip("%").split("-")}


def _term(token: str) -> str:
    term = stem(token)
    # "diagnosis" and "diagnosed" should meet: drop the Greek "-is" the stemmer keeps.
    return term[:-2] if term.endswith("sis") and len(term) > 6 else term


def _terms(text: str) -> tuple[str, ...]:
    return tuple(_term(word) for word in content_words(text))


_cached_terms = functools.lru_cache(maxsize=_TERMS_CACHE)(_terms)


def terms(text: str, *, cached: bool = True) -> list[str]:
    """Return the search terms of `text` (stemmed content words, in order, repeats kept).

    `cached=False` for texts seen once (indexing), so they do not push out per-question texts.
    """
    return list(_cached_terms(text) if cached else _terms(text))


TONE_TERMS = frozenset(terms(" ".join(_LEX.tone_words), cached=False))
"""Terms that carry a question's tone, not its topic ("is it any good", "does it help")."""
