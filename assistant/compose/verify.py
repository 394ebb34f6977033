"""Verification of a model's answer against the numbered passages it was given.

Every sentence must end with [n] markers that point to passages actually given, and be supported
by one sentence (or two adjacent sentences) of a cited passage under the shared support check
(`assistant.compose.support`: content words, numbers, negation). Every number must appear in a cited
passage. Sentences that fail are removed; `Verification.usable` says whether enough survived.
Pure Python: no model and no network here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.compose.extractive import citation_for
from assistant.compose.support import MAX_MISSING_SHARE, SupportResult, missing_numbers
from assistant.compose.support import support as support_check
from assistant.language.sentences import markers_of, sentence_spans, split_sentences, strip_markers
from assistant.language.tokens import content_stems
from assistant.types import Citation, Hit

__all__ = [
    "MIN_KEPT_SHARE",
    "MIN_KEPT_SENTENCES",
    "Passage",
    "Verdict",
    "Verification",
    "Renumbering",
    "Similarity",
    "EmbeddingSimilarity",
    "check_sentence",
    "verify",
]

MIN_KEPT_SHARE = 0.5
"""A reply is used only when at least this share of its checkable sentences survives: when most
of what the model wrote is unsupported, it did not follow the passages, and the survivors may
have lost the sentences that qualified them."""
MIN_KEPT_SENTENCES = 1
"""... and at least this many sentences survive."""

_FILLER_WORDS = 3
"""An unmarked sentence with fewer content words than this is filler, not a claim."""

Similarity = Callable[[str, str], float]
"""(claim, passage window) -> embedding cosine; lets a paraphrase miss one more content word."""


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk as the model sees it: the number it is given and its text."""

    number: int
    hit: Hit

    @property
    def text(self) -> str:
        """Return the passage text, verbatim from the corpus."""
        return self.hit.chunk.text


@dataclass(frozen=True)
class Verdict:
    """One sentence of the reply: kept or removed, and why."""

    sentence: str
    """As the model wrote it."""
    claim: str
    """The sentence without its markers."""
    markers: tuple[int, ...]
    kept: bool
    reason: str
    evidence: tuple[tuple[int, str], ...] = ()
    """(passage number, passage sentence) pairs that support the claim (for highlights)."""
    counted: bool = True
    """False for filler ("Sure.", "I hope this helps."): removed, but it neither helps nor hurts
    the share of kept sentences."""


@dataclass
class Verification:
    """The verdict on every sentence of a reply and whether the reply can be used."""

    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def kept(self) -> list[Verdict]:
        """Return the sentences that passed, in reply order."""
        return [v for v in self.verdicts if v.kept]

    @property
    def removed(self) -> list[Verdict]:
        """Return the checkable sentences that failed, in reply order."""
        return [v for v in self.verdicts if v.counted and not v.kept]

    @property
    def usable(self) -> bool:
        """Return True when enough of the reply survived (MIN_KEPT_SENTENCES, MIN_KEPT_SHARE)."""
        counted = [v for v in self.verdicts if v.counted]
        kept = self.kept
        return (
            len(kept) >= MIN_KEPT_SENTENCES
            and bool(counted)
            and len(kept) / len(counted) >= MIN_KEPT_SHARE
        )

    def summary(self) -> str:
        """Return a one-line account: how many sentences were kept and why others were not."""
        counted = [v for v in self.verdicts if v.counted]
        parts = [f"{len(self.kept)}/{len(counted)} sentences kept"]
        parts += [f"removed {v.claim[:60]!r}: {v.reason}" for v in self.removed]
        return "; ".join(parts)


class EmbeddingSimilarity:
    """Cosine similarity of two texts under an embedding function, with a per-text cache."""

    def __init__(self, embed_texts: Callable[[list[str]], list[list[float]]]) -> None:
        self._embed_texts = embed_texts
        self._cache: dict[str, list[float]] = {}

    def __call__(self, a: str, b: str) -> float:
        missing = [t for t in dict.fromkeys((a, b)) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self._embed_texts(missing), strict=True):
                self._cache[text] = vector
        va, vb = self._cache[a], self._cache[b]
        dot = sum(x * y for x, y in zip(va, vb, strict=True))
        norm = math.sqrt(sum(x * x for x in va)) * math.sqrt(sum(y * y for y in vb))
        return dot / norm if norm else 0.0


def _windows(passage: Passage) -> list[tuple[str, ...]]:
    """Return the passage's sentences and adjacent pairs (a table row is one sentence)."""
    text = passage.text
    if passage.hit.chunk.kind == "table_row":
        return [(text,)]
    sentences = [text[s:e] for s, e in sentence_spans(text)] or [text]
    windows: list[tuple[str, ...]] = [(s,) for s in sentences]
    windows += [(a, b) for a, b in zip(sentences, sentences[1:], strict=False)]
    return windows


def _one_word_short(stems: set[str], result: SupportResult) -> bool:
    """Return True when `result` missed by exactly the one word the similarity bonus allows."""
    missing = round(len(stems) * (1 - result.score))
    return len(stems) >= 3 and missing == int(MAX_MISSING_SHARE * len(stems)) + 1


def check_sentence(
    sentence: str, passages: Mapping[int, Passage], similarity: Similarity | None = None
) -> Verdict:
    """Return whether one reply sentence is backed by a passage it cites (and why not)."""
    claim = strip_markers(sentence)
    markers = tuple(markers_of(sentence))
    stems = content_stems(claim)
    if not stems:
        return Verdict(sentence, claim, markers, False, "no content words", counted=False)
    if not markers:
        # "Sure.", "I hope this helps." make no claim worth counting against the reply.
        filler = len(stems) < _FILLER_WORDS
        return Verdict(sentence, claim, markers, False, "no [n] marker", counted=not filler)
    unknown = [m for m in markers if m not in passages]
    if unknown:
        shown = ", ".join(f"[{m}]" for m in unknown)
        return Verdict(sentence, claim, markers, False, f"{shown} points to no passage given")
    cited = [passages[m] for m in markers]
    missing = missing_numbers(claim, " ".join(p.text for p in cited))
    if missing:
        reason = f"numbers not in the cited passage: {', '.join(missing)}"
        return Verdict(sentence, claim, markers, False, reason)
    best_reason = "no cited passage supports it"
    best_score = -1.0
    for passage in cited:
        for window in _windows(passage):
            joined = " ".join(window)
            result = support_check(claim, joined)
            if not result.supported and similarity is not None and _one_word_short(stems, result):
                # Embedding the claim costs ~10 ms: only when the similarity bonus could help.
                result = support_check(claim, joined, similarity(claim, joined))
            if result.supported:
                evidence = tuple((passage.number, part) for part in window)
                return Verdict(sentence, claim, markers, True, result.reason, evidence)
            if result.score > best_score:
                best_score, best_reason = result.score, f"[{passage.number}]: {result.reason}"
    return Verdict(sentence, claim, markers, False, best_reason)


def _sentences(reply: str) -> list[str]:
    # Models number or bullet their sentences despite the prompt; the marks carry no claim.
    text = re.sub(r"(?m)^\s*(?:\d+[.)]|[-*•])\s+", "", reply)
    return split_sentences(text)


def verify(
    reply: str, passages: Sequence[Passage], similarity: Similarity | None = None
) -> Verification:
    """Return the verdict on every sentence of a model's reply against the passages given."""
    by_number = {p.number: p for p in passages}
    return Verification([check_sentence(s, by_number, similarity) for s in _sentences(reply)])


class Renumbering:
    """Renumbers kept sentences' markers 1, 2, ... by first citation, and builds the citations.

    Incremental, so streamed sentences get the same numbers as the final answer.
    """

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._passages = {p.number: p for p in passages}
        self._new: dict[int, int] = {}
        self._highlights: dict[int, list[str]] = {}

    def render(self, verdict: Verdict) -> str:
        """Return a kept sentence with its markers renumbered, e.g. "Sitting hurts. [1]"."""
        for number in verdict.markers:
            self._new.setdefault(number, len(self._new) + 1)
        for number, part in verdict.evidence:
            spans = self._highlights.setdefault(number, [])
            if part not in spans:
                spans.append(part)
        claim = verdict.claim.strip()
        if not claim.endswith((".", "!", "?")):
            claim += "."
        markers = ", ".join(str(self._new[n]) for n in verdict.markers)
        return f"{claim} [{markers}]"

    def citations(self) -> list[Citation]:
        """Return a Citation for every passage cited so far, in new-marker order."""
        ordered = sorted(self._new.items(), key=lambda item: item[1])
        return [
            citation_for(new, self._passages[old].hit, self._highlights.get(old, []))
            for old, new in ordered
        ]
