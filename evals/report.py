"""The eval report: JSON (one result per case plus summaries), comparison with an older report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evals.html import render_html
from evals.metrics import METRICS
from evals.models import EvalCaseError
from evals.runner import CaseResult
from evals.summary import MetricSummary, ThresholdCheck, summarize, summarize_by_tag

__all__ = [
    "build_report",
    "write_json",
    "write_html",
    "load_report",
    "Delta",
    "Comparison",
    "compare",
    "format_table",
    "format_comparison",
]


def build_report(
    results: Sequence[CaseResult],
    checks: Sequence[ThresholdCheck] = (),
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the whole report as JSON-ready data: meta, summaries, checks, then every case."""
    return {
        "meta": {
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **(meta or {}),
        },
        "summary": {n: asdict(s) for n, s in summarize(results).items()},
        "by_tag": {
            tag: {n: asdict(s) for n, s in per.items()}
            for tag, per in summarize_by_tag(results).items()
        },
        "thresholds": [asdict(c) for c in checks],
        "passed_cases": sum(r.passed for r in results),
        "total_cases": len(results),
        "results": [r.to_dict() for r in results],
    }


def write_json(report: dict[str, Any], path: Path) -> None:
    """Write the report as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


def write_html(report: dict[str, Any], path: Path) -> None:
    """Write the report as one self-contained HTML page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")


def load_report(path: Path) -> dict[str, Any]:
    """Return a report written by `write_json`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EvalCaseError(f"{path}: cannot read the report to compare with ({exc}).") from exc
    if not isinstance(data, dict) or "results" not in data or "summary" not in data:
        raise EvalCaseError(f"{path}: not a pht-eval report (no 'summary' or 'results').")
    return data


@dataclass(frozen=True)
class Delta:
    """One metric's mean before and after."""

    metric: str
    old: float | None
    new: float | None

    @property
    def change(self) -> float | None:
        """Return new - old, or None when either is missing."""
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def worse(self) -> bool:
        """Return True when the metric moved the wrong way."""
        change = self.change
        if change is None or abs(change) < 1e-9:
            return False
        metric = METRICS.get(self.metric)
        return change > 0 if metric and metric.better == "lower" else change < 0


@dataclass(frozen=True)
class Comparison:
    """Per-metric deltas and, per case, the ratio metrics that dropped."""

    deltas: list[Delta]
    worse_cases: dict[str, list[str]]
    new_cases: list[str]
    removed_cases: list[str]


def compare(old: dict[str, Any], new: dict[str, Any]) -> Comparison:
    """Return how `new` differs from `old`: metric means and the cases that got worse."""
    deltas = [
        Delta(n, old["summary"].get(n, {}).get("mean"), new["summary"].get(n, {}).get("mean"))
        for n in METRICS
    ]
    old_results = {r["id"]: r for r in old["results"]}
    new_results = {r["id"]: r for r in new["results"]}
    worse: dict[str, list[str]] = {}
    for case_id, result in new_results.items():
        before = old_results.get(case_id)
        if before is None:
            continue
        dropped = []
        for name, metric in METRICS.items():
            if metric.kind != "ratio":
                continue
            a = before["metrics"].get(name, {}).get("value")
            b = result["metrics"].get(name, {}).get("value")
            if a is not None and b is not None and b < a - 1e-9:
                dropped.append(f"{name} {a:.2f} -> {b:.2f}")
        if dropped:
            worse[case_id] = dropped
    return Comparison(
        deltas,
        worse,
        sorted(set(new_results) - set(old_results)),
        sorted(set(old_results) - set(new_results)),
    )


def _cell(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(
    summary: dict[str, MetricSummary], by_tag: dict[str, dict[str, MetricSummary]]
) -> str:
    """Return the summary as two plain-text tables: per metric, then per tag."""
    lines = [f"{'metric':<18} {'mean':>9} {'p95':>9} {'n':>4} {'at 1.0':>7}"]
    for name, s in summary.items():
        passed = "" if s.passed is None else f"{s.passed}/{s.n}"
        lines.append(f"{name:<18} {_cell(s.mean):>9} {_cell(s.p95):>9} {s.n:>4} {passed:>7}")
    short = ["status_accuracy", "statement_recall", "forbidden", "citation_support"]
    short += ["source_recall", "retrieval_recall", "reading_grade"]
    heads = ["status", "stmt", "forbid", "cite", "source", "retr", "grade"]
    lines += ["", f"{'tag':<22} {'n':>4} " + " ".join(f"{h:>7}" for h in heads)]
    for tag, per in by_tag.items():
        count = max((s.n for s in per.values()), default=0)
        cells = " ".join(f"{_cell(per[m].mean, 2):>7}" for m in short)
        lines.append(f"{tag:<22} {count:>4} {cells}")
    return "\n".join(lines)


def format_comparison(comparison: Comparison) -> str:
    """Return the comparison as text: deltas per metric, then the cases that got worse."""
    lines = [f"{'metric':<18} {'old':>9} {'new':>9} {'delta':>9}"]
    for d in comparison.deltas:
        flag = "  worse" if d.worse else ""
        change = "-" if d.change is None else f"{d.change:+.3f}"
        lines.append(f"{d.metric:<18} {_cell(d.old):>9} {_cell(d.new):>9} {change:>9}{flag}")
    if comparison.worse_cases:
        lines.append(f"\n{len(comparison.worse_cases)} case(s) got worse:")
        for case_id, dropped in comparison.worse_cases.items():
            lines.append(f"  {case_id}: {', '.join(dropped)}")
    if comparison.new_cases:
        lines.append(f"new cases: {', '.join(comparison.new_cases)}")
    if comparison.removed_cases:
        lines.append(f"removed cases: {', '.join(comparison.removed_cases)}")
    return "\n".join(lines)
