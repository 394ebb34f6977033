"""The one sentence splitter: chunk text (spans), answers and model replies (sentences + markers).

A sentence ends at ".", "!" or "?" (after any closing quotes and citation markers like "[1]",
which stay with their sentence) followed by space and a capital, a digit or a bullet; not after
an abbreviation ("e.g."), and not inside a table row ("Option: X. Evidence/Outcome: Y." is one
claim). Answers are split by line first, so each bullet is its own sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.language.lexicon import lexicon

__all__ = [
    "sentence_spans",
    "split_sentences",
    "strip_markers",
    "markers_of",
    "SentenceStream",
]

# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "vs", "etc", "dr", "mr", "mrs", "ms", "prof", "approx", "fig", "no", "st"}
)
_MARKERS = r"\[\d+(?:\s*[,–-]\s*\d+)*\]"
_BOUNDARY = re.compile(
    r"([.!?])[\"')\]]*"
    rf"((?:\s*{_MARKERS})*)"
    r"(\s+)"
    rf"(?!{_MARKERS})"
    r"(?=[\"'“(\[•*\-]?[A-Z0-9•])"
    # A row's later cells (every label but the first) never start a sentence of their own.
    r"(?!(?:" + "|".join(re.escape(label) for label in lexicon().table_labels[1:]) + r"):)"
)
_MARKER_RE = re.compile(rf"\s*{_MARKERS}")
_BULLETS = "•*-–"


def _boundaries(text: str) -> Iterator[tuple[int, int]]:
    """Yield (end of a sentence, start of the next) for every boundary in `text`."""
    start = 0
    for match in _BOUNDARY.finditer(text):
        word = re.search(r"([A-Za-z.]+)$", text[start : match.start(1)])
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        yield match.start(3), match.end()
        start = match.end()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) character spans of the sentences in `text`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for end, following in _boundaries(text):
        spans.append((start, end))
        start = following
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
    """Return the sentences of `text` (lines and bullets split too), each keeping its markers."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip().lstrip(_BULLETS).strip()
        sentences.extend(line[s:e] for s, e in sentence_spans(line))
    return sentences


def strip_markers(text: str) -> str:
    """Return `text` without citation markers like "[1]" or "[2, 3]"."""
    return _MARKER_RE.sub("", text).strip()


def markers_of(sentence: str) -> list[int]:
    """Return the citation marker numbers in a sentence, in order, without repeats."""
    found: list[int] = []
    for group in re.findall(r"\[(\d+(?:\s*,\s*\d+)*)\]", sentence):
        for part in group.split(","):
            number = int(part.strip())
            if number not in found:
                found.append(number)
    return found


class SentenceStream:
    """Cuts streamed text into sentences; a sentence is complete once the next one starts."""

    def __init__(self) -> None:
        self.buffer = ""

    def feed(self, piece: str) -> list[str]:
        """Return the sentences that `piece` completed (none until the next one starts)."""
        self.buffer += piece
        sentences = split_sentences(self.buffer)
        if len(sentences) < 2:
            return []
        done = sentences[:-1]
        # Keep the unfinished tail; split_sentences strips, so find it from the end.
        self.buffer = self.buffer[self.buffer.rfind(sentences[-1]) :]
        return done

    def flush(self) -> list[str]:
        """Return what is left in the buffer as sentences, and empty it."""
        rest, self.buffer = split_sentences(self.buffer), ""
        return rest
