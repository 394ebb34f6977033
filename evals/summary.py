"""Aggregate case results per metric and per tag, and check them against thresholds.yaml."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from evals.metrics import METRICS
from evals.models import EvalCaseError
from evals.runner import CaseResult

__all__ = [
    "MetricSummary",
    "summarize",
    "summarize_by_tag",
    "Bound",
    "Thresholds",
    "ThresholdCheck",
    "default_thresholds_path",
    "load_thresholds",
    "check_thresholds",
]

Stat = Literal["mean", "p95", "max", "min"]


@dataclass(frozen=True)
class MetricSummary:
    """One metric over a set of cases: mean, 95th percentile, count, and cases at 1.0 (ratios)."""

    mean: float | None
    p95: float | None
    max: float | None
    min: float | None
    n: int
    passed: int | None

    def stat(self, name: Stat) -> float | None:
        """Return the named statistic."""
        return {"mean": self.mean, "p95": self.p95, "max": self.max, "min": self.min}[name]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, math.ceil(share * len(ordered)) - 1)
    return ordered[index]


def _summary(name: str, results: Sequence[CaseResult]) -> MetricSummary:
    values = [
        r.scores[name].value
        for r in results
        if name in r.scores and r.scores[name].value is not None
    ]
    floats = [float(v) for v in values if v is not None]
    if not floats:
        return MetricSummary(None, None, None, None, 0, None)
    passed = sum(v >= 1.0 - 1e-9 for v in floats) if METRICS[name].kind == "ratio" else None
    return MetricSummary(
        sum(floats) / len(floats), _percentile(floats, 0.95), max(floats), min(floats),
        len(floats), passed,
    )  # fmt: skip


def summarize(results: Sequence[CaseResult]) -> dict[str, MetricSummary]:
    """Return each metric's summary over `results`, in report order."""
    return {name: _summary(name, results) for name in METRICS}


def summarize_by_tag(results: Sequence[CaseResult]) -> dict[str, dict[str, MetricSummary]]:
    """Return per tag (sorted), each metric's summary over the cases with that tag."""
    tags = sorted({t for r in results for t in r.case.tags})
    return {tag: summarize([r for r in results if tag in r.case.tags]) for tag in tags}


class Bound(BaseModel):
    """A lower and/or upper bound on one statistic of a metric."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float | None = None
    max: float | None = None
    stat: Stat = "mean"

    @model_validator(mode="after")
    def _some_bound(self) -> Bound:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        return self

    def describe(self) -> str:
        """Return the bound as text, e.g. "mean >= 0.95"."""
        parts = []
        if self.min is not None:
            parts.append(f"{self.stat} >= {self.min:g}")
        if self.max is not None:
            parts.append(f"{self.stat} <= {self.max:g}")
        return " and ".join(parts)


def _known(bounds: dict[str, Bound]) -> dict[str, Bound]:
    unknown = sorted(set(bounds) - set(METRICS))
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {sorted(METRICS)}")
    return bounds


class Thresholds(BaseModel):
    """Bounds over all cases (`metrics`) and over the cases of one tag (`tags`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metrics: dict[str, Bound] = {}
    tags: dict[str, dict[str, Bound]] = {}

    @field_validator("metrics")
    @classmethod
    def _metric_names(cls, value: dict[str, Bound]) -> dict[str, Bound]:
        return _known(value)

    @field_validator("tags")
    @classmethod
    def _tag_metric_names(cls, value: dict[str, dict[str, Bound]]) -> dict[str, dict[str, Bound]]:
        for bounds in value.values():
            _known(bounds)
        return value


@dataclass(frozen=True)
class ThresholdCheck:
    """One bound checked: where (all cases or a tag), which metric, the value and the verdict."""

    scope: str
    metric: str
    bound: str
    value: float | None
    ok: bool


def default_thresholds_path() -> Path:
    """Return the path of the project's thresholds (evals/thresholds.yaml)."""
    return Path(__file__).resolve().parent / "thresholds.yaml"


def load_thresholds(path: Path | None = None) -> Thresholds:
    """Return the thresholds of a YAML file, strictly validated."""
    path = path or default_thresholds_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Thresholds.model_validate(data)
    except OSError as exc:
        raise EvalCaseError(f"{path}: cannot read the thresholds ({exc}).") from exc
    except yaml.YAMLError as exc:
        raise EvalCaseError(f"{path}: invalid YAML ({exc}).") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise EvalCaseError(f"{path}: invalid thresholds ({problems}).") from exc


def _check(scope: str, name: str, bound: Bound, summary: MetricSummary) -> ThresholdCheck:
    value = summary.stat(bound.stat)
    if value is None:
        # No case of this run measures it (e.g. `--tag urgent` has no statements): nothing to judge.
        return ThresholdCheck(scope, name, bound.describe(), None, True)
    ok = (bound.min is None or value >= bound.min - 1e-9) and (
        bound.max is None or value <= bound.max + 1e-9
    )
    return ThresholdCheck(scope, name, bound.describe(), value, ok)


def check_thresholds(results: Sequence[CaseResult], thresholds: Thresholds) -> list[ThresholdCheck]:
    """Return every bound of `thresholds` checked against `results`."""
    overall = summarize(results)
    checks = [_check("all", n, b, overall[n]) for n, b in thresholds.metrics.items()]
    by_tag = summarize_by_tag(results)
    for tag, bounds in thresholds.tags.items():
        if tag not in by_tag:
            continue  # a --tag or --cases run without this tag's cases
        checks.extend(_check(f"tag:{tag}", n, b, by_tag[tag][n]) for n, b in bounds.items())
    return checks
