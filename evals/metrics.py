"""Answer-quality metrics: pure functions `metric(case, answer, context) -> Score(value, reason)`.

A value of None means the metric does not apply to this case (e.g. no expected statements).
Ratio metrics lie in [0, 1] and a case passes one only at 1.0; measures (length, reading grade,
latency) are numbers that only the run's thresholds judge.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from assistant.disclaimer import DISCLAIMER
from assistant.types import Answer
from evals.matcher import Similarity, conveys, markers_of, split_sentences, strip_markers
from evals.matcher import support as support_claim
from evals.models import EvalCase

__all__ = [
    "Score",
    "MetricContext",
    "Metric",
    "METRICS",
    "status_accuracy",
    "urgent_rule",
    "statement_recall",
    "forbidden_statements",
    "citation_support",
    "citation_validity",
    "source_recall",
    "retrieval_recall",
    "disclaimer_present",
    "answer_length",
    "redundancy",
    "redundant_pairs",
    "reading_grade",
    "latency_ms",
    "claim_sentences",
    "syllables",
    "flesch_kincaid_grade",
]

_GROUNDED = ("answered", "not_covered")


@dataclass(frozen=True)
class Score:
    """A metric's value (None when it does not apply) and the reason to believe it."""

    value: float | None
    reason: str


@dataclass(frozen=True)
class MetricContext:
    """What some metrics need beyond the case and the answer."""

    corpus_texts: frozenset[str] = frozenset()
    """The texts of every indexed chunk (citation validity)."""
    similarity: Similarity = None
    """Optional embedding similarity for the statement matcher."""
    k: int = 6
    """Retrieval recall looks at the first k retrieved passages."""


MetricFn = Callable[[EvalCase, Answer, MetricContext], Score]


@dataclass(frozen=True)
class Metric:
    """A named metric, whether it is a ratio (pass at 1.0) or a measure, and what it means."""

    name: str
    fn: MetricFn
    kind: Literal["ratio", "measure"]
    description: str
    better: Literal["higher", "lower"] = field(default="higher")


_REFERENCES_RE = re.compile(r"^\s*References\b", re.IGNORECASE)


def claim_sentences(text: str) -> list[str]:
    """Return the sentences of an answer that make claims.

    Left out: lead-ins that end with a colon ("Here is what the guidance says:") and a trailing
    reference list (from a line starting "References" on): they frame, they do not claim.
    """
    lines = []
    for line in text.splitlines():
        if _REFERENCES_RE.match(line):
            break
        lines.append(line)
    return [s for s in split_sentences("\n".join(lines)) if not s.rstrip().endswith(":")]


def _listing(items: list[str], limit: int = 3) -> str:
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


def status_accuracy(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return 1.0 when the answer's status is the expected one."""
    if case.expect_status is None:
        return Score(None, "the case expects no particular status")
    rule = f" (rule {answer.rule_id})" if answer.rule_id else ""
    if answer.status == case.expect_status:
        return Score(1.0, f"status {answer.status}{rule} as expected")
    return Score(0.0, f"expected {case.expect_status}, got {answer.status}{rule}")


def urgent_rule(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return 1.0 when an urgent case was caught by the safety rule its tags name."""
    if case.expect_status != "urgent":
        return Score(None, "not an urgent case")
    if answer.status != "urgent":
        return Score(0.0, f"not flagged urgent (status {answer.status})")
    if answer.rule_id and answer.rule_id in case.tags:
        return Score(1.0, f"flagged by rule {answer.rule_id}")
    return Score(0.0, f"flagged by rule {answer.rule_id!r}, the case names {list(case.tags)}")


def statement_recall(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return the share of expected statements the answer conveys."""
    if not case.statements:
        return Score(None, "the case lists no expected statements")
    missing = []
    for statement in case.statements:
        result = conveys(statement, answer.answer, context.similarity)
        if not result.supported:
            missing.append(f"{statement!r} ({result.reason})")
    found = len(case.statements) - len(missing)
    reason = f"{found}/{len(case.statements)} statements conveyed"
    if missing:
        reason += f"; missing: {_listing(missing)}"
    return Score(found / len(case.statements), reason)


def forbidden_statements(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return 1.0 when the answer makes none of the forbidden statements (less per one made)."""
    if not case.forbidden:
        return Score(None, "the case lists no forbidden statements")
    made = []
    for statement in case.forbidden:
        result = conveys(statement, answer.answer, context.similarity)
        if result.supported:
            made.append(f"{statement!r} ({result.reason})")
    if not made:
        return Score(1.0, f"none of {len(case.forbidden)} forbidden statements made")
    return Score(1 - len(made) / len(case.forbidden), f"made: {_listing(made)}")


def citation_support(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return the share of answer sentences supported by the passages their markers point to."""
    if answer.status not in _GROUNDED:
        return Score(None, f"a {answer.status} answer quotes no passages")
    passages = {c.marker: c.text for c in answer.citations}
    sentences = claim_sentences(answer.answer)
    cited = [s for s in sentences if markers_of(s)]
    uncited = [s for s in sentences if not markers_of(s)]
    if answer.status == "not_covered":
        # The "not covered" notice itself cites nothing; only its cited sentences are checked.
        uncited = []
        if not cited:
            return Score(None, "the not-covered answer cites no passage")
    checked = cited + uncited
    if not checked:
        return Score(0.0, "the answer has no sentences")
    failures = [f"no marker: {s!r}" for s in uncited]
    for sentence in cited:
        markers = markers_of(sentence)
        unknown = [m for m in markers if m not in passages]
        if unknown:
            failures.append(f"[{unknown[0]}] points to no citation: {sentence!r}")
            continue
        evidence = " ".join(passages[m] for m in markers)
        result = support_claim(strip_markers(sentence), evidence)
        if not result.supported:
            failures.append(f"{sentence!r}: {result.reason}")
    supported = len(checked) - len(failures)
    reason = f"{supported}/{len(checked)} sentences supported by their cited passages"
    if failures:
        reason += f"; unsupported: {_listing(failures)}"
    return Score(supported / len(checked), reason)


def _squash(text: str) -> str:
    return " ".join(text.split())


def citation_validity(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return the share of cited passages whose text is indexed corpus text, verbatim."""
    if not answer.citations:
        return Score(None, "the answer cites nothing")
    if not context.corpus_texts:
        return Score(None, "no corpus texts were given to check against")
    corpus = {_squash(t) for t in context.corpus_texts}
    invalid = []
    for citation in answer.citations:
        text = _squash(citation.text)
        if not text or (text not in corpus and not any(text in chunk for chunk in corpus)):
            invalid.append(f"[{citation.marker}] {citation.text[:60]!r}")
    valid = len(answer.citations) - len(invalid)
    reason = f"{valid}/{len(answer.citations)} cited passages are corpus text"
    if invalid:
        reason += f"; not in the corpus: {_listing(invalid)}"
    return Score(valid / len(answer.citations), reason)


def source_recall(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return the share of the expected documents that the answer cites."""
    if not case.sources:
        return Score(None, "the case expects no particular sources")
    cited = {c.doc_id for c in answer.citations}
    missing = [doc for doc in case.sources if doc not in cited]
    found = len(case.sources) - len(missing)
    reason = f"{found}/{len(case.sources)} expected documents cited"
    if missing:
        reason += f"; not cited: {', '.join(missing)}"
    return Score(found / len(case.sources), reason)


def retrieval_recall(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return the share of expected statements backed by one of the first k retrieved passages."""
    if not case.statements:
        return Score(None, "the case lists no expected statements")
    if case.expect_status in ("urgent", "out_of_scope"):
        return Score(None, f"a {case.expect_status} case needs no retrieval")
    top = answer.retrieved[: context.k]
    if not top:
        return Score(0.0, "nothing was retrieved")
    missing = []
    for statement in case.statements:
        if not any(conveys(statement, c.text, context.similarity).supported for c in top):
            missing.append(repr(statement))
    found = len(case.statements) - len(missing)
    reason = f"{found}/{len(case.statements)} statements backed within the top {len(top)}"
    if missing:
        reason += f"; not retrieved: {_listing(missing)}"
    return Score(found / len(case.statements), reason)


def disclaimer_present(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return 1.0 when the answer carries the fixed disclaimer, unchanged."""
    if _squash(answer.disclaimer) == _squash(DISCLAIMER):
        return Score(1.0, "the fixed disclaimer is present")
    if not answer.disclaimer.strip():
        return Score(0.0, "no disclaimer")
    return Score(0.0, "the disclaimer differs from the fixed text")


_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


def answer_length(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return the answer's length in words (citation markers left out)."""
    words = len(_WORD_RE.findall(strip_markers(answer.answer)))
    return Score(float(words), f"{words} words")


def redundant_pairs(text: str) -> list[tuple[str, str]]:
    """Return the pairs of claim sentences in which one says what the other says.

    "Says": the judge's support check (evals/matcher) finds one sentence backed by the other:
    its content words present, numbers and negations agreeing. Sentences that only share a
    subject ("Proximal hamstring tendinopathy is ...") are not redundant.
    """
    sentences = [strip_markers(s) for s in claim_sentences(text)]
    pairs = []
    for i, first in enumerate(sentences):
        for second in sentences[i + 1 :]:
            if support_claim(first, second).supported or support_claim(second, first).supported:
                pairs.append((first, second))
    return pairs


def redundancy(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return 1.0 when no two sentences of an answered answer say the same thing."""
    if answer.status != "answered":
        return Score(None, f"a {answer.status} answer is not checked for repeats")
    pairs = redundant_pairs(answer.answer)
    if not pairs:
        return Score(1.0, "no sentence repeats another")
    shown = [f"{a[:60]!r} ~ {b[:60]!r}" for a, b in pairs]
    return Score(0.0, f"{len(pairs)} redundant pair(s): {_listing(shown)}")


def syllables(word: str) -> int:
    """Return an estimate of the syllables in one English word (vowel groups, silent e)."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 0
    if len(w) <= 3:
        return 1
    groups = re.findall(r"[aeiouy]+", w)
    count = len(groups)
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1  # silent final e: "make", "compare"
    elif w.endswith(("es", "ed")) and not w.endswith(
        ("ted", "ded", "ses", "ces", "zes", "ges", "les")
    ):
        count -= 1 if count > 1 else 0  # "rates", "advised": the ending adds no syllable
    # Two syllables in one vowel group ("radio", "ischial"), except "-tion", "-cial", "-gion".
    count += len(re.findall(r"(?<![tscxgh])(?:ia|io|ua)", w))
    return max(1, count)


def flesch_kincaid_grade(text: str) -> float:
    """Return the Flesch-Kincaid grade level of `text` (0.0 for text without words)."""
    sentences = [s for s in split_sentences(strip_markers(text)) if _WORD_RE.search(s)]
    words = _WORD_RE.findall(strip_markers(text))
    if not words:
        return 0.0
    total = sum(syllables(w) for w in words)
    return 0.39 * len(words) / max(1, len(sentences)) + 11.8 * total / len(words) - 15.59


def reading_grade(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return the Flesch-Kincaid grade of a patient answer (clinician answers are not graded)."""
    if case.audience != "patient":
        return Score(None, "clinician cases are not graded for reading level")
    if answer.status not in _GROUNDED or not answer.answer.strip():
        return Score(None, f"a {answer.status} answer is fixed text")
    grade = flesch_kincaid_grade(" ".join(claim_sentences(answer.answer)))
    return Score(round(grade, 2), f"Flesch-Kincaid grade {grade:.1f}")


def latency_ms(case: EvalCase, answer: Answer, context: MetricContext) -> Score:
    """Return the answer's total time in milliseconds."""
    total = answer.timings_ms.get("total")
    if total is None:
        return Score(None, "the answer reports no total time")
    return Score(round(float(total), 2), f"{total:.0f} ms")


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("status_accuracy", status_accuracy, "ratio", "status is the expected one"),
        Metric("urgent_rule", urgent_rule, "ratio", "urgent via the rule the case names"),
        Metric("statement_recall", statement_recall, "ratio", "expected statements conveyed"),
        Metric("forbidden", forbidden_statements, "ratio", "no forbidden statement made"),
        Metric("citation_support", citation_support, "ratio", "sentences backed by their cites"),
        Metric("citation_validity", citation_validity, "ratio", "cited passages are corpus text"),
        Metric("source_recall", source_recall, "ratio", "expected documents cited"),
        Metric("retrieval_recall", retrieval_recall, "ratio", "supporting passages retrieved"),
        Metric("disclaimer", disclaimer_present, "ratio", "fixed disclaimer present"),
        Metric("redundancy", redundancy, "ratio", "no two answer sentences say the same"),
        Metric("answer_words", answer_length, "measure", "answer length in words", "lower"),
        Metric("reading_grade", reading_grade, "measure", "Flesch-Kincaid grade", "lower"),
        Metric("latency_ms", latency_ms, "measure", "total time per answer", "lower"),
    )
}
"""Every metric, in report order."""
