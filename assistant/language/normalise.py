"""Normalising text: a raw question cleaned (invisible characters out, length checked) and folding.

HTML is deliberately left alone: a question is plain text that the UI never renders as markup.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.errors import InvalidQuestion

__all__ = ["clean_question", "normalise_for_matching"]

# Characters that change how text displays or compares without being visible: zero-width
# spaces and joiners, the word joiner, the byte-order mark, the soft hyphen, and the bidi
# embeddings, overrides and isolates (U+202A-202E, U+2066-2069) that can disguise text.
_INVISIBLE = frozenset(
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_WHITESPACE = re.compile(r"\s+")


def _visible_char(char: str) -> str:
    if char in _INVISIBLE:
        return ""
    category = unicodedata.category(char)
    if category == "Cc":
        # Tabs and line breaks separate words; other control characters are noise.
        return " " if char.isspace() else ""
    if category in ("Cf", "Cs", "Co"):
        return ""
    return char


def clean_question(text: str, max_chars: int) -> str:
    """Return the question without invisible characters, NFKC-normalised, on one line of text.

    Raises InvalidQuestion when nothing is left or the cleaned text is longer than max_chars.
    """
    if not isinstance(text, str):
        raise InvalidQuestion("A question must be text.")
    visible = "".join(_visible_char(char) for char in text)
    normalised = unicodedata.normalize("NFKC", visible)
    cleaned = _WHITESPACE.sub(" ", normalised).strip()
    if not cleaned:
        raise InvalidQuestion("Your question is empty. Please type a question.")
    if len(cleaned) > max_chars:
        raise InvalidQuestion(
            f"Your question is {len(cleaned):,} characters; the limit is {max_chars:,}. "
            "Please shorten it."
        )
    return cleaned


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


def normalise_for_matching(text: str) -> str:
    """Return text folded for matching: NFKC, lower case, straight apostrophes, single spaces."""
    folded = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    return _WHITESPACE.sub(" ", folded).strip()
