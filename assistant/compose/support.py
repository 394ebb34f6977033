"""Lexical support checks: does a passage back a claim, numbers and negations too?

Embedding cosine alone lets negations and wrong numbers through (DESIGN.md), so a claim counts as
supported only when its content words (lightly stemmed, synonyms folded together) are mostly
present in the evidence, every number it states appears there, and no word the claim asserts is
denied by the evidence (or the other way round). An optional similarity from an embedding model
can lift a borderline word overlap; it never overrides a number or negation mismatch.
(The eval's judge has its own frozen copy of this check in evals/matcher/.)
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.language.lexicon import lexicon
from assistant.language.negation import has_negation, negated_stems
from assistant.language.tokens import content_stems, number_values, numbers_in

__all__ = [
    "SupportResult",
    "MAX_MISSING_SHARE",
    "SIMILARITY_BONUS",
    "support",
    "missing_numbers",
]

MAX_MISSING_SHARE = 0.2
"""Share of a claim's content words that may be absent from the evidence (rounded down): a claim
of up to 4 content words must match all of them, one of 5-9 may miss one, and so on."""

SIMILARITY_BONUS = 0.8
"""An embedding similarity at least this high lets a claim of 3+ words miss one more word."""
_BONUS_MIN_WORDS = 3
"""The similarity bonus needs a claim of at least this many content words."""


@dataclass(frozen=True)
class SupportResult:
    """Whether a claim is supported, a score in [0, 1], and the reason a person can check."""

    supported: bool
    score: float
    reason: str


def missing_numbers(claim: str, evidence: str) -> list[str]:
    """Return the numbers `claim` states that `evidence` does not (a range's ends count)."""
    stated = numbers_in(evidence)
    values = number_values(stated)
    return sorted(
        n for n in numbers_in(claim)
        if n not in stated and not ("-" not in n and n.rstrip("%") in values)
    )  # fmt: skip


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
    for a, b in lexicon().antonyms:
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
    if (
        similarity is not None
        and similarity >= SIMILARITY_BONUS
        and len(claim_stems) >= _BONUS_MIN_WORDS
    ):
        allowed += 1
    absent = missing_numbers(claim, evidence)
    if absent:
        return SupportResult(False, score, f"numbers not in the evidence: {', '.join(absent)}")
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
