"""The dev set's headline figures, and the train and test splits printed side by side.

Figures (over one split's results): status accuracy, statement recall (mean over cases that list
statements; a refused answer conveys none), false-refusal rate (answerable cases answered
not_covered or out_of_scope), redundancy rate (answered answers with a pair of sentences that say
the same thing, `metrics.redundant_pairs`), and the words of answered patient answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import mean

from evals.metrics import redundant_pairs
from evals.runner import CaseResult

__all__ = ["FIGURES", "figures", "format_side_by_side"]

FIGURES = (
    "cases",
    "status_accuracy",
    "statement_recall",
    "false_refusal_rate",
    "redundancy_rate",
    "redundant_pairs",
    "patient_words_mean",
    "patient_words_max",
)
"""The figures, in print order."""

_REFUSALS = ("not_covered", "out_of_scope")


def figures(results: Sequence[CaseResult]) -> dict[str, float | None]:
    """Return the figures of one split's results (None where nothing applies)."""
    asked = [r for r in results if r.answer is not None]
    expected = [r for r in results if r.case.expect_status]
    status = [r.answer is not None and r.answer.status == r.case.expect_status for r in expected]
    recall = [
        s.value for r in results
        if (s := r.scores.get("statement_recall")) is not None and s.value is not None
    ]  # fmt: skip
    answerable = [r for r in results if r.case.expect_status == "answered"]
    refused = [r for r in answerable if r.answer is None or r.answer.status in _REFUSALS]
    answered = [r for r in asked if r.answer is not None and r.answer.status == "answered"]
    pairs = [len(redundant_pairs(r.answer.answer)) for r in answered if r.answer is not None]
    words = [
        v for r in answered if r.case.audience == "patient"
        if (s := r.scores.get("answer_words")) is not None and (v := s.value) is not None
    ]  # fmt: skip
    return {
        "cases": float(len(results)),
        "status_accuracy": sum(status) / len(status) if status else None,
        "statement_recall": mean(recall) if recall else None,
        "false_refusal_rate": len(refused) / len(answerable) if answerable else None,
        "redundancy_rate": sum(1 for p in pairs if p) / len(pairs) if pairs else None,
        "redundant_pairs": float(sum(pairs)),
        "patient_words_mean": mean(words) if words else None,
        "patient_words_max": max(words) if words else None,
    }


def _cell(value: float | None, name: str) -> str:
    if value is None:
        return "-"
    if name in ("cases", "redundant_pairs", "patient_words_max"):
        return f"{value:.0f}"
    if name == "patient_words_mean":
        return f"{value:.1f}"
    return f"{value:.3f}"


def format_side_by_side(splits: Mapping[str, Mapping[str, float | None]]) -> str:
    """Return a table with one column per split (e.g. train and test) and one row per figure."""
    names = list(splits)
    lines = [f"{'figure':<22}" + "".join(f"{n:>12}" for n in names)]
    for figure in FIGURES:
        row = "".join(f"{_cell(splits[n].get(figure), figure):>12}" for n in names)
        lines.append(f"{figure:<22}{row}")
    return "\n".join(lines)
