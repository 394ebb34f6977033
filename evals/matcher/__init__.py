"""The eval's frozen statement matcher: does an answer convey a statement, is a claim supported?

It has its own copy of the language rules and lexicon (lexicon.yaml) and imports nothing from
`assistant.language` or `assistant.compose`, so a product change never moves the judge with it.
"""

from __future__ import annotations

from evals.matcher.support import Similarity, SupportResult, conveys, support
from evals.matcher.text import markers_of, split_sentences, strip_markers

__all__ = [
    "Similarity",
    "SupportResult",
    "conveys",
    "support",
    "markers_of",
    "split_sentences",
    "strip_markers",
]
