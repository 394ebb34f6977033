"""Anchored reply sentences: split a reply, read each sentence's anchors, find quotes verbatim.

A model anchors every sentence to the words it rests on: `claim [1: "exact words"].` (several
anchors may follow one another; a plain `[1]` marker is read as an anchor without a quote).
Quotes are located in the passage after light normalisation only (case, whitespace, typographic
quotes and dashes, a trailing full stop); "..." may join pieces that appear in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.language.sentences import sentence_spans

__all__ = [
    "Anchor", "AnchoredSentence", "ReplyStream", "locate", "parse_sentence", "split_reply",
    "window_of",
]  # fmt: skip

_ANCHOR_GROUP_RE = re.compile(
    r"\[\s*\d+\s*(?::\s*[\"“”].*?[\"“”]\s*)?\]"  # [1] or [1: "quote"]
    r"|\[\s*\d+(?:\s*,\s*\d+)+\s*\]"  # [1, 2]
)
_PLACEHOLDER = "\u27e6{}\u27e7"
_PLACEHOLDER_RE = re.compile("\u27e6(\\d+)\u27e7")
_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[\"“(A-Z0-9])")
_BULLET_RE = re.compile(r"(?m)^\s*(?:\d+[.)]|[-*•])\s+")
_ELLIPSIS_RE = re.compile(r"\s*(?:\.\.\.|…)\s*")
_TRANSLATE = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})


@dataclass(frozen=True)
class Anchor:
    """A passage number and the quote the sentence rests on ("" for a plain [n] marker)."""

    number: int
    quote: str


@dataclass(frozen=True)
class AnchoredSentence:
    """One reply sentence: as written, its claim without anchors, and its anchors in order."""

    text: str
    claim: str
    anchors: tuple[Anchor, ...]

    @property
    def markers(self) -> tuple[int, ...]:
        """Return the passage numbers cited, in order, without repeats."""
        return tuple(dict.fromkeys(a.number for a in self.anchors))


def split_reply(reply: str) -> list[str]:
    """Return the sentences of a reply, each with its anchors (quotes are never split)."""
    text = _BULLET_RE.sub("", reply)
    held: list[str] = []

    def hold(match: re.Match[str]) -> str:
        held.append(match.group(0))
        return _PLACEHOLDER.format(len(held) - 1)

    protected = _ANCHOR_GROUP_RE.sub(hold, text)
    sentences: list[str] = []
    for line in protected.splitlines():
        for part in _SPLIT_RE.split(line.strip()):
            part = part.strip()
            if part:
                sentences.append(_PLACEHOLDER_RE.sub(lambda m: held[int(m.group(1))], part))
    return sentences


class ReplyStream:
    """Cuts a streamed reply into sentences; a sentence is complete once the next one starts."""

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, piece: str) -> list[str]:
        """Add streamed text; return the sentences it completed."""
        self._buffer += piece
        if self._buffer.rfind("[") > self._buffer.rfind("]"):
            return []  # an anchor is still open: its quote may hold a full stop
        sentences = split_reply(self._buffer)
        if len(sentences) < 2:
            return []
        # Keep the unfinished tail; split_reply strips, so find it from the end.
        self._buffer = self._buffer[self._buffer.rfind(sentences[-1]) :]
        return sentences[:-1]

    def flush(self) -> list[str]:
        """Return what is left, as sentences."""
        rest, self._buffer = split_reply(self._buffer), ""
        return rest


def parse_sentence(sentence: str) -> AnchoredSentence:
    """Return the sentence's claim (anchors removed) and its anchors."""
    anchors: list[Anchor] = []
    for group in _ANCHOR_GROUP_RE.findall(sentence):
        inner = group.strip()[1:-1]
        if ":" not in inner:
            anchors += [Anchor(int(n), "") for n in re.findall(r"\d+", inner)]
            continue
        number, _, quote = inner.partition(":")
        anchors.append(Anchor(int(number.strip()), quote.strip().strip("\"“”'").strip()))
    claim = _ANCHOR_GROUP_RE.sub("", sentence)
    claim = re.sub(r"\s+([.!?,;:])", r"\1", claim).strip()
    claim = re.sub(r"\s{2,}", " ", claim)
    return AnchoredSentence(sentence, claim, tuple(anchors))


def _normalised(text: str) -> tuple[str, list[int]]:
    """Return lowercased text with whitespace collapsed, and each character's original index."""
    out: list[str] = []
    index: list[int] = []
    space = False
    for i, char in enumerate(text.translate(_TRANSLATE).lower()):
        if char.isspace():
            if not space and out:
                out.append(" ")
                index.append(i)
            space = True
            continue
        space = False
        out.append(char)
        index.append(i)
    return "".join(out), index


def locate(quote: str, passage: str) -> tuple[int, int] | None:
    """Return the (start, end) of `quote` in `passage`, verbatim up to case and spacing."""
    pieces = [p for p in _ELLIPSIS_RE.split(quote) if p.strip()]
    if not pieces:
        return None
    haystack, index = _normalised(passage)
    start = end = -1
    cursor = 0
    for piece in pieces:
        needle, _ = _normalised(piece.strip().rstrip(".").strip())
        if not needle:
            return None
        at = haystack.find(needle, cursor)
        if at < 0:
            return None
        if start < 0:
            start = at
        cursor = end = at + len(needle)
    return index[start], index[end - 1] + 1


def window_of(passage: str, span: tuple[int, int], table_row: bool) -> str:
    """Return the passage sentence(s) that hold `span` (a table row is one sentence)."""
    if table_row:
        return passage
    parts = [(s, e) for s, e in sentence_spans(passage) if s < span[1] and e > span[0]]
    if not parts:
        return passage
    return passage[parts[0][0] : parts[-1][1]]
