"""Sentence spans, shared by chunking, the composer and LLM verification."""

from __future__ import annotations

import re

__all__ = ["sentence_spans"]

# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "vs", "etc", "dr", "mr", "mrs", "ms", "prof", "approx", "fig", "no", "st"}
)
_BOUNDARY = re.compile(r"([.!?])[\"')\]]*(\s+)(?=[\"'(\[]?[A-Z0-9•])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) character spans of the sentences in `text`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        word = re.search(r"([A-Za-z.]+)$", text[start : match.start(1)])
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        spans.append((start, match.end() - len(match.group(2))))
        start = match.end()
    spans.append((start, len(text)))
    trimmed: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed
