"""Normalising text: a raw question cleaned (invisible characters out, length checked) and folding.

HTML is deliberately left alone: a question is plain text that the UI never renders as markup.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence

from assistant.errors import InvalidQuestion
from assistant.language.disguise import HIDDEN, reveal, undisguise

__all__ = ["clean_question", "clean_history", "normalise_for_matching", "ROLES"]

ROLES = ("user", "assistant")
"""The only speakers a history turn may name (exact, lower case)."""
_RAW_SLACK = 4
_RAW_EXTRA = 1000
"""Raw text may be 4x the limit plus 1,000 characters (invisible characters, padding) before
cleaning; anything longer is refused unread, so a 50 MB paste costs nothing."""

# Characters that change how text displays or compares without being visible: zero-width
# spaces and joiners, the word joiner, the byte-order mark, the soft hyphen, and the bidi
# embeddings, overrides and isolates (U+202A-202E, U+2066-2069) that can disguise text.
_INVISIBLE = frozenset(
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_WHITESPACE = re.compile(r"\s+")


def _visible_char(char: str) -> str:
    if char in _INVISIBLE or char in HIDDEN:
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
    if len(text) > max_chars * _RAW_SLACK + _RAW_EXTRA:
        raise InvalidQuestion(
            f"Your question is {len(text):,} characters; the limit is {max_chars:,}. "
            "Please shorten it."
        )
    visible = "".join(_visible_char(char) for char in reveal(text))
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


@functools.lru_cache(maxsize=4096)
def normalise_for_matching(text: str) -> str:
    """Return text folded for every decision: disguises undone, lower case, one line.

    NFKC; invisible, filler and joiner characters, stacked marks, lookalike letters of other
    scripts, digits for letters and split or spelt-out words undone (`language.disguise`);
    straight apostrophes; single spaces. Ordinary text in any language only changes case.
    """
    return _WHITESPACE.sub(" ", undisguise(text).translate(_APOSTROPHES)).strip()


def clean_history(
    history: Sequence[Mapping[str, object]], *, max_turns: int, max_turn_chars: int
) -> tuple[dict[str, str], ...]:
    """Return the earlier turns as {role, content} dicts (InvalidQuestion naming a bad turn).

    Limits are checked before anything reads a turn's text: how many turns, and each turn's
    length. A role must be exactly "user" or "assistant": a turn whose speaker is unknown
    ("USER", "human", none) would be skipped by the safety gate, and its red flags with it.
    """
    if not isinstance(history, Sequence) or isinstance(history, str):
        raise InvalidQuestion("The history must be a list of {role, content} turns.")
    if len(history) > max_turns:
        raise InvalidQuestion(
            f"The history has {len(history):,} earlier turns; the limit is "
            f"{max_turns:,}. Start a new conversation."
        )
    turns: list[dict[str, str]] = []
    for number, turn in enumerate(history, start=1):
        if not isinstance(turn, Mapping):
            raise InvalidQuestion(f"History turn {number} is not a {{role, content}} object.")
        role, content = turn.get("role"), turn.get("content")
        if role not in ROLES:
            raise InvalidQuestion(
                f"History turn {number} has role {role!r}: use 'user' or 'assistant'."
            )
        if not isinstance(content, str):
            raise InvalidQuestion(f"History turn {number} has no text content.")
        if len(content) > max_turn_chars:
            raise InvalidQuestion(
                f"History turn {number} is {len(content):,} characters; the limit is "
                f"{max_turn_chars:,}."
            )
        turns.append({"role": str(role), "content": content})
    return tuple(turns)
