"""The judge's support check and statement matcher (frozen; see this package's docstring).

A claim counts as supported only when its content words (lightly stemmed, synonyms folded) are
mostly present in the evidence, every number it states appears there, and no word the claim
asserts is denied by the evidence (or the other way round). An optional embedding similarity can
lift a borderline word overlap; it never overrides a number or negation mismatch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evals.matcher.lexicon import judge_lexicon
from evals.matcher.text import (
    content_stems,
    has_negation,
    negated_stems,
    number_values,
    numbers_in,
    split_sentences,
    strip_markers,
)

__all__ = ["MAX_MISSING_SHARE", "SIMILARITY_BONUS", "SupportResult", "Similarity", "support",
           "conveys"]  # fmt: skip

MAX_MISSING_SHARE = 0.2
"""Share of a claim's content words that may be absent from the evidence (rounded down)."""
SIMILARITY_BONUS = 0.8
"""An embedding similarity at least this high lets a claim of 3+ words miss one more word."""
_QUOTE_CHARS = 160
"""A reason quotes at most this much of the answer window it found."""


@dataclass(frozen=True)
class SupportResult:
    """Whether a claim is supported, a score in [0, 1], and the reason a person can check."""

    supported: bool
    score: float
    reason: str


def _negation_conflict(claim: str, evidence: str) -> str | None:
    claim_neg, claim_pos = negated_stems(claim)
    ev_neg, ev_pos = negated_stems(evidence)
    if has_negation(claim) and not has_negation(evidence):
        return "the claim negates something the evidence states without negation"
    denied = sorted(w for w in claim_pos & ev_neg if w not in ev_pos)
    if denied:
        return f"the evidence negates what the claim asserts ({', '.join(denied)})"
    asserted = sorted(w for w in claim_neg & ev_pos if w not in ev_neg)
    if asserted:
        return f"the claim negates what the evidence asserts ({', '.join(asserted)})"
    return None


def _antonym_conflict(claim_stems: set[str], evidence_stems: set[str]) -> str | None:
    for a, b in judge_lexicon().antonyms:
        for x, y in ((a, b), (b, a)):
            if x in claim_stems and y in evidence_stems and x not in evidence_stems:
                return f"the claim says {x!r} where the evidence says {y!r}"
    return None


def support(claim: str, evidence: str, similarity: float | None = None) -> SupportResult:
    """Return whether `evidence` supports `claim`: word overlap, numbers and negation agree."""
    claim_stems = content_stems(claim)
    if not claim_stems:
        return SupportResult(False, 0.0, "the claim has no content words to check")
    evidence_stems = content_stems(evidence)
    shared = claim_stems & evidence_stems
    missing_words = sorted(claim_stems - evidence_stems)
    score = len(shared) / len(claim_stems)
    allowed = int(MAX_MISSING_SHARE * len(claim_stems))
    if similarity is not None and similarity >= SIMILARITY_BONUS and len(claim_stems) >= 3:
        allowed += 1

    evidence_numbers = numbers_in(evidence)
    evidence_values = number_values(evidence_numbers)
    missing_numbers = sorted(
        n for n in numbers_in(claim)
        if n not in evidence_numbers and not ("-" not in n and n.rstrip("%") in evidence_values)
    )  # fmt: skip
    if missing_numbers:
        return SupportResult(
            False, score, f"numbers not in the evidence: {', '.join(missing_numbers)}"
        )
    conflict = _negation_conflict(claim, evidence) or _antonym_conflict(claim_stems, evidence_stems)
    if conflict:
        return SupportResult(False, score, conflict)
    overlap = f"{len(shared)}/{len(claim_stems)} content words found"
    if similarity is not None:
        overlap += f", similarity {similarity:.2f}"
    if len(missing_words) > allowed:
        shown = ", ".join(missing_words[:8])
        return SupportResult(False, score, f"{overlap}; missing: {shown}")
    return SupportResult(True, score, overlap)


Similarity = float | Callable[[str, str], float] | None
"""A fixed similarity, or a function (claim, text) -> cosine computed per window, or none."""


def conveys(statement: str, answer_text: str, similarity: Similarity = None) -> SupportResult:
    """Return the best support of `statement` by one answer sentence or two adjacent ones."""
    sentences = [strip_markers(s) for s in split_sentences(answer_text)]
    claim_stems = content_stems(statement)
    windows = list(sentences)
    for first, second in zip(sentences, sentences[1:], strict=False):
        # A pair counts only when each sentence brings claim words the other lacks.
        a, b = content_stems(first) & claim_stems, content_stems(second) & claim_stems
        if a - b and b - a:
            windows.append(f"{first} {second}")
    best = SupportResult(False, 0.0, "the answer has no sentences")
    best_window = ""
    for window in windows:
        sim = similarity(statement, window) if callable(similarity) else similarity
        result = support(statement, window, sim)
        if not best_window or (result.supported, result.score) > (best.supported, best.score):
            best, best_window = result, window
    if best_window:
        quoted = best_window
        if len(best_window) > _QUOTE_CHARS:
            quoted = best_window[: _QUOTE_CHARS - 3] + "..."
        best = SupportResult(best.supported, best.score, f"{best.reason} in: {quoted!r}")
    return best
