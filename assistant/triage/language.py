"""Which of the six supported languages a message is written in (lingua, only those six loaded).

The gate runs every language's lexicon on every message anyway (a short message is easy to
misdetect, and a missed red flag costs more than a regex); detection decides the language of
the reply, and a message mixing languages is answered in each language it uses.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

__all__ = ["SUPPORTED", "detect_languages", "primary_language"]

SUPPORTED: tuple[str, ...] = ("en", "es", "fr", "de", "it", "pt")
_MIN_CONFIDENCE = 0.4
"""Below this, a sentence's language is unknown and does not change the reply."""
_MIN_WORDS = 3
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder  # noqa: PLC0415 - heavy, once

    languages = [
        Language.ENGLISH, Language.SPANISH, Language.FRENCH,
        Language.GERMAN, Language.ITALIAN, Language.PORTUGUESE,
    ]  # fmt: skip
    return LanguageDetectorBuilder.from_languages(*languages).build()


def _best(text: str) -> tuple[str, float]:
    with _LOCK:
        values = _detector().compute_language_confidence_values(text)
    if not values:
        return "en", 0.0
    top = values[0]
    return top.language.iso_code_639_1.name.lower(), float(top.value)


def _whole(text: str) -> str:
    if len(text.split()) < _MIN_WORDS:
        return "en"
    code, confidence = _best(text)
    return code if confidence >= _MIN_CONFIDENCE and code in SUPPORTED else "en"


def detect_languages(text: str) -> tuple[str, ...]:
    """Return the languages used, the one with the most text first ("en" when unsure).

    Each sentence of three or more words is detected on its own, so a message mixing languages
    lists each of them; a message with no such sentence is detected as a whole.
    """
    weight: dict[str, int] = {}
    for sentence in _SENTENCES.split(text):
        if len(sentence.split()) < _MIN_WORDS:
            continue
        code, confidence = _best(sentence)
        if confidence >= _MIN_CONFIDENCE and code in SUPPORTED:
            weight[code] = weight.get(code, 0) + len(sentence)
    if not weight:
        return (_whole(text),)
    return tuple(sorted(weight, key=lambda code: -weight[code]))


def primary_language(text: str) -> str:
    """Return the message's main language ("en" when unsure: the corpus language)."""
    return detect_languages(text)[0]
