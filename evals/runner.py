"""Run eval cases through an assistant and score every answer with every metric."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.errors import PHTError
from assistant.types import Answer
from evals.metrics import METRICS, Metric, MetricContext, Score
from evals.models import EvalCase

__all__ = ["AskingAssistant", "CaseResult", "score_answer", "run_case", "run_cases"]

log = logging.getLogger(__name__)


class AskingAssistant(Protocol):
    """What the runner needs of an assistant: `ask` (and, optionally, corpus_version)."""

    def ask(
        self, question: str, history: Sequence[Mapping[str, str]] = (), audience: str = "patient"
    ) -> Answer: ...


@dataclass
class CaseResult:
    """One case, the answer it got (None if asking failed), and each metric's score."""

    case: EvalCase
    answer: Answer | None
    scores: dict[str, Score]
    error: str | None = None

    @property
    def failures(self) -> list[str]:
        """Return the ratio metrics this case did not fully pass, in report order."""
        failed = []
        for name, score in self.scores.items():
            metric = METRICS.get(name)
            if metric and metric.kind == "ratio" and score.value is not None:
                if score.value < 1.0 - 1e-9:
                    failed.append(name)
        return failed

    @property
    def passed(self) -> bool:
        """Return True when the case got an answer and passed every ratio metric."""
        return self.error is None and not self.failures

    def to_dict(self) -> dict[str, Any]:
        """Return the result as the JSON report holds it."""
        return {
            "id": self.case.id,
            "question": self.case.question,
            "expect_status": self.case.expect_status,
            "tags": list(self.case.tags),
            "statements": list(self.case.statements),
            "forbidden": list(self.case.forbidden),
            "sources": list(self.case.sources),
            "history": self.case.history_dicts(),
            "passed": self.passed,
            "failures": self.failures,
            "error": self.error,
            "answer": self.answer.to_dict() if self.answer else None,
            "metrics": {n: {"value": s.value, "reason": s.reason} for n, s in self.scores.items()},
        }


def score_answer(
    case: EvalCase,
    answer: Answer,
    context: MetricContext,
    metrics: Iterable[Metric] | None = None,
) -> dict[str, Score]:
    """Return every metric's score of `answer` to `case`."""
    chosen = list(METRICS.values()) if metrics is None else list(metrics)
    return {m.name: m.fn(case, answer, context) for m in chosen}


def _failed(case: EvalCase, error: str) -> CaseResult:
    scores = {
        name: Score(0.0 if m.kind == "ratio" else None, f"no answer: {error}")
        for name, m in METRICS.items()
    }
    return CaseResult(case, None, scores, error)


def run_case(assistant: AskingAssistant, case: EvalCase, context: MetricContext) -> CaseResult:
    """Return the scored result of asking one case (a PHTError becomes a failed result)."""
    started = time.perf_counter()
    try:
        answer = assistant.ask(case.question, case.history_dicts(), audience=case.audience)
    except PHTError as exc:
        log.warning("case %s: %s", case.id, exc)
        return _failed(case, f"{type(exc).__name__}: {exc}")
    if "total" not in answer.timings_ms:
        answer.timings_ms["total"] = (time.perf_counter() - started) * 1000
    return CaseResult(case, answer, score_answer(case, answer, context))


def run_cases(
    assistant: AskingAssistant,
    cases: Sequence[EvalCase],
    context: MetricContext,
    progress: bool = False,
) -> list[CaseResult]:
    """Return the scored results of all `cases`, in order (a tqdm bar when `progress`)."""
    iterable: Iterable[EvalCase] = cases
    if progress:
        from tqdm import tqdm

        iterable = tqdm(cases, desc="eval", unit="case")
    return [run_case(assistant, case, context) for case in iterable]
