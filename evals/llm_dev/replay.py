"""Replay the covered dev cases through both composers on the stored passages, and score both.

For every dev case with a reviewed reply (`replies.yaml`), the real assistant answers the case
twice with retrieval fixed to the stored hits (`captured.json`): once extractive, once in LLM
mode, where a scripted loopback server sends the stored reply. Both answers are scored with the
dev set's own metrics (`evals.metrics`, `evals.split_figures`). A reply is stale, and neither
answer is scored, when the request the replay sends carries other passages than the ones the
reply was written against (the composer now cites other passages), or when the dev case itself
changed. A case the product now decides before composing (refused, so no request is sent) is
scored in both modes: its answer is the same in each, and it is the product's answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import mean
from typing import TYPE_CHECKING, Any, Protocol

from evals.llm_dev.store import Capture, CapturedCase, Reply, passages_hash
from evals.metrics import MetricContext
from evals.models import EvalCase
from evals.runner import CaseResult, score_answer
from evals.split_figures import figures

if TYPE_CHECKING:
    from assistant.compose.llm import Fluent, LLMComposer
    from assistant.pipeline import Assistant
    from assistant.types import Answer, Hit
    from evals.llm_bench.server import ScriptedServer

__all__ = [
    "COMPARED",
    "Composers",
    "LLMAnswer",
    "ProductComposers",
    "Comparison",
    "compare",
    "comparison_figures",
    "format_comparison",
]

COMPARED = (
    "cases", "status_accuracy", "statement_recall", "false_refusal_rate", "redundancy_rate",
    "redundant_pairs", "patient_words_mean", "patient_words_max", "clinician_words_mean",
    "kept_as_llm_rate",
)  # fmt: skip
"""The figures printed side by side, in order."""


@dataclass(frozen=True)
class LLMAnswer:
    """What LLM mode answered, the passages its request carried, and what the verifier did."""

    answer: Answer
    sent: list[tuple[int, str]] | None
    """The numbered passages of the request (None: no request reached the model)."""
    mode: str
    removed: list[str] = field(default_factory=list)
    """"sentence -> reason" for each reply sentence the verifier removed."""


class Composers(Protocol):
    """Answers one case from fixed hits, extractive or in LLM mode with a given reply."""

    def extractive(self, case: EvalCase, hits: list[Hit]) -> Answer: ...

    def llm(self, case: EvalCase, hits: list[Hit], reply: str) -> LLMAnswer: ...


class _Recorded:
    """An LLMComposer that remembers its last result (the verifier's verdicts)."""

    def __init__(self, inner: LLMComposer) -> None:
        self.inner = inner
        self.last: Fluent | None = None

    def compose(self, *args: Any, **kwargs: Any) -> Generator[str, None, Fluent]:
        self.last = None
        fluent = yield from self.inner.compose(*args, **kwargs)
        self.last = fluent
        return fluent


class ProductComposers:
    """The real assistant, retrieval fixed to the given hits, LLM mode on a scripted server."""

    def __init__(self, assistant: Assistant, server: ScriptedServer) -> None:
        from evals.llm_bench.server import Reply as ServerReply
        from evals.llm_dev.search import FixedSearch

        self._reply = ServerReply
        self._assistant = assistant
        self._server = server
        self._search = FixedSearch.install(assistant)
        self._answer = assistant._composer  # the compose stage, whose LLM composer is switched
        if self._answer.llm is None:
            raise ValueError("the assistant must be built in LLM mode")
        self._llm = _Recorded(self._answer.llm)

    def extractive(self, case: EvalCase, hits: list[Hit]) -> Answer:
        """Return the extractive answer to the case from `hits`."""
        self._search.reset(hits)
        self._answer.llm = None
        try:
            return self._assistant.ask(case.question, case.history_dicts(), case.audience)
        finally:
            self._answer.llm = self._llm  # type: ignore[assignment]  # the same interface

    def llm(self, case: EvalCase, hits: list[Hit], reply: str) -> LLMAnswer:
        """Return the LLM-mode answer to the case from `hits`, the model replying `reply`."""
        from evals.llm_bench.server import sent_passages

        self._search.reset(hits)
        self._answer.llm = self._llm  # type: ignore[assignment]
        self._server.requests.clear()
        self._server.script = lambda request: self._reply(reply)
        answer = self._assistant.ask(case.question, case.history_dicts(), case.audience)
        requests = self._server.requests
        sent = sent_passages(requests[-1]["body"]) if requests else None
        fluent = self._llm.last
        removed = []
        if fluent is not None and fluent.verification is not None:
            removed = [f"{v.sentence} -> {v.reason}" for v in fluent.verification.verdicts
                       if not v.kept]  # fmt: skip
        return LLMAnswer(answer, sent, answer.mode, removed)


@dataclass
class Comparison:
    """Both composers' scored results on the covered cases of one split, and what was left out."""

    split: str
    extractive: list[CaseResult] = field(default_factory=list)
    llm: list[CaseResult] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    removed: dict[str, list[str]] = field(default_factory=dict)
    stale: dict[str, str] = field(default_factory=dict)
    """Case id -> why its reply no longer fits (not scored)."""
    uncovered: int = 0
    """Cases of the split that sent passages but have no reply (not scored)."""
    without_model: dict[str, str] = field(default_factory=dict)
    """Case id -> why LLM mode sent no request at replay (scored in both modes, with the answer
    the product gave without the model)."""

    def as_dict(self) -> dict[str, Any]:
        """Return the figures and the per-case detail as JSON-ready data."""
        cases = []
        for ext, llm, mode in zip(self.extractive, self.llm, self.modes, strict=True):
            cases.append({
                "id": ext.case.id, "audience": ext.case.audience, "mode": mode,
                "status": {"extractive": _status(ext), "llm": _status(llm)},
                "statement_recall": {"extractive": _recall(ext), "llm": _recall(llm)},
                "reasons": {"extractive": ext.scores["statement_recall"].reason,
                            "llm": llm.scores["statement_recall"].reason},
                "answers": {"extractive": ext.answer.answer if ext.answer else None,
                            "llm": llm.answer.answer if llm.answer else None},
                "removed": self.removed.get(ext.case.id, []),
            })  # fmt: skip
        return {
            "split": self.split, "figures": comparison_figures(self), "stale": self.stale,
            "uncovered": self.uncovered, "without_model": self.without_model, "cases": cases,
        }  # fmt: skip


def _status(result: CaseResult) -> str | None:
    return result.answer.status if result.answer else None


def _recall(result: CaseResult) -> float | None:
    return result.scores["statement_recall"].value


def compare(
    capture: Capture, replies: Mapping[str, Reply], cases: Iterable[EvalCase],
    composers: Composers, context: MetricContext, *, split: str = "test",
) -> Comparison:  # fmt: skip
    """Return both composers' results on the split's cases that have a reply."""
    current = {case.id: case for case in cases}
    result = Comparison(split)
    for captured in capture.cases:
        if captured.split != split or not captured.sent:
            continue
        reply = replies.get(captured.id)
        if reply is None:
            result.uncovered += 1
            continue
        case = current.get(captured.id)
        why = _changed(captured, case, reply)
        if why or case is None:
            result.stale[captured.id] = why or "the dev case is gone"
            continue
        hits = capture.hits(captured)
        llm = composers.llm(case, hits, reply.text)
        if llm.sent is None:
            # Decided before composing (now refused): both modes give the same answer, and it
            # is scored in both, as the product's answer in each mode.
            result.without_model[case.id] = f"no request at replay (status {llm.answer.status})"
        elif passages_hash(llm.sent) != reply.passages_hash:
            result.stale[case.id] = "the request carried other passages"
            continue
        extractive = composers.extractive(case, hits)
        result.extractive.append(CaseResult(case, extractive, score_answer(case, extractive,
                                                                           context)))  # fmt: skip
        result.llm.append(CaseResult(case, llm.answer, score_answer(case, llm.answer, context)))
        result.modes.append(llm.mode)
        if llm.removed:
            result.removed[case.id] = llm.removed
    return result


def _changed(captured: CapturedCase, case: EvalCase | None, reply: Reply) -> str:
    if case is None:
        return "the dev case is gone"
    asked = (case.question, case.audience, tuple((t.role, t.content) for t in case.history))
    if asked != (captured.question, captured.audience, captured.history):
        return "the dev case's question, audience or history changed"
    if reply.passages_hash != captured.passages_hash:
        return "the reply was written against other passages than the capture's"
    return ""


def _words(results: Sequence[CaseResult], audience: str) -> list[float]:
    return [
        v for r in results
        if r.answer is not None and r.answer.status == "answered" and r.case.audience == audience
        if (v := r.scores["answer_words"].value) is not None
    ]  # fmt: skip


def comparison_figures(comparison: Comparison) -> dict[str, dict[str, float | None]]:
    """Return the figures of each composer (extractive, llm) on the compared cases."""
    out: dict[str, dict[str, float | None]] = {}
    for name, results in (("extractive", comparison.extractive), ("llm", comparison.llm)):
        found = figures(results)
        words = _words(results, "clinician")
        found["clinician_words_mean"] = mean(words) if words else None
        found["kept_as_llm_rate"] = None
        out[name] = found
    asked = [mode for result, mode in zip(comparison.llm, comparison.modes, strict=True)
             if result.case.id not in comparison.without_model]  # fmt: skip
    if asked:
        out["llm"]["kept_as_llm_rate"] = Counter(asked)["llm"] / len(asked)
    return out


def _cell(value: float | None, name: str) -> str:
    if value is None:
        return "-"
    if name in ("cases", "redundant_pairs", "patient_words_max"):
        return f"{value:.0f}"
    if name.endswith("words_mean"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def format_comparison(comparison: Comparison) -> str:
    """Return extractive and LLM mode side by side, with what was not scored."""
    found = comparison_figures(comparison)
    lines = [f"dev {comparison.split}: {'figure':<22}{'extractive':>12}{'llm':>12}"]
    pad = " " * len(f"dev {comparison.split}: ")
    for name in COMPARED:
        row = "".join(f"{_cell(found[c].get(name), name):>12}" for c in ("extractive", "llm"))
        lines.append(f"{pad}{name:<22}{row}")
    removed = sum(len(r) for r in comparison.removed.values())
    lines.append(f"{pad}{'sentences removed':<22}{'':>12}{removed:>12}")
    lines.append(
        f"{pad}stale replies {len(comparison.stale)}, sent passages without a reply "
        f"{comparison.uncovered}"
    )
    for case_id, why in sorted(comparison.stale.items()):
        lines.append(f"{pad}  stale {case_id}: {why}")
    if comparison.without_model:
        lines.append(f"{pad}scored without a model request (decided before composing): "
                     f"{len(comparison.without_model)}")  # fmt: skip
    for case_id, why in sorted(comparison.without_model.items()):
        lines.append(f"{pad}  {case_id}: {why}")
    return "\n".join(lines)
