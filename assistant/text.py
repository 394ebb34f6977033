"""Small text helpers shared by ingestion and the composer: sentence spans and normalisation."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["sentence_spans", "split_sentences", "normalize_space", "strip_markers"]

# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "vs", "etc", "dr", "mr", "mrs", "ms", "prof", "approx", "fig", "no", "st"}
)
_BOUNDARY = re.compile(r"([.!?])[\"')\]]*(\s+)(?=[\"'(\[]?[A-Z0-9•])")
_MARKER = re.compile(r"\s*\[\d+\]")


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


def split_sentences(text: str) -> list[str]:
    """Return the sentences of `text`."""
    return [text[s:e] for s, e in sentence_spans(text)]


def normalize_space(text: str) -> str:
    """Return `text` NFKC-normalised with runs of whitespace collapsed to one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def strip_markers(text: str) -> str:
    """Return `text` without citation markers such as "[2]"."""
    return _MARKER.sub("", text).strip()
