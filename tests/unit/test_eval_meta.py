"""The eval itself: a deliberately bad assistant fails it, a perfect answer set passes it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
import yaml

from assistant.disclaimer import DISCLAIMER
from assistant.types import Answer, Candidate, Citation
from evals.cli import main
from evals.html import render_html
from evals.matcher import conveys
from evals.metrics import METRICS, MetricContext
from evals.models import EvalCase, load_cases
from evals.report import build_report, compare, format_comparison, format_table
from evals.runner import CaseResult, run_cases
from evals.summary import check_thresholds, load_thresholds, summarize, summarize_by_tag

CHECKLIST = Path(__file__).resolve().parents[2] / "evals" / "guideline_statements.yaml"
ITEMS = [
    (doc_id, item)
    for doc_id, items in yaml.safe_load(CHECKLIST.read_text(encoding="utf-8")).items()
    for item in items
]
CONTEXT = MetricContext(corpus_texts=frozenset(item for _, item in ITEMS), k=6)


class BadAssistant:
    """No citations, advice to stretch hard, always "answered"."""

    corpus_version = "bad"

    def ask(
        self, question: str, history: Sequence[Mapping[str, str]] = (), audience: str = "patient"
    ) -> Answer:
        text = (
            "Stretch the hamstring hard every day. Aggressive stretching of the hamstring is "
            "recommended. Surgery should be the first treatment."
        )
        return Answer(question, "answered", text, [], DISCLAIMER, timings_ms={"total": 1.0})


class PerfectAssistant:
    """Answers each case with the corpus statements its expected statements come from."""

    corpus_version = "perfect"

    def __init__(self, cases: Sequence[EvalCase]) -> None:
        self._cases = {c.question: c for c in cases}

    def ask(
        self, question: str, history: Sequence[Mapping[str, str]] = (), audience: str = "patient"
    ) -> Answer:
        case = self._cases[question]
        status = case.expect_status or "answered"
        if status in ("urgent", "out_of_scope") or not case.statements:
            rule = None
            if status == "urgent":
                rule = next(t for t in case.tags if t not in ("urgent", "patient", "clinician"))
            text = "Please seek urgent medical care now." if status == "urgent" else ""
            return Answer(
                question, status, text, [], DISCLAIMER, rule_id=rule, timings_ms={"total": 2.0}
            )
        sentences: list[str] = []
        citations: list[Citation] = []
        retrieved: list[Candidate] = []
        for statement in case.statements:
            doc_id, item = next((d, i) for d, i in ITEMS if conveys(statement, i).supported)
            marker = len(citations) + 1
            sentences.append(f"{item} [{marker}]")
            citations.append(
                Citation(marker, f"c{marker}", doc_id, "t", "s", "p", "src", item, 0.9)
            )
            retrieved.append(Candidate(f"c{marker}", doc_id, "s", 0.9, item, cited=True))
        return Answer(
            question, status, " ".join(sentences), citations, DISCLAIMER,
            retrieved=retrieved, timings_ms={"total": 3.0},
        )  # fmt: skip


@pytest.fixture(scope="module")
def cases() -> list[EvalCase]:
    return load_cases()


@pytest.fixture(scope="module")
def bad(cases: list[EvalCase]) -> list[CaseResult]:
    return run_cases(BadAssistant(), cases, CONTEXT)


@pytest.fixture(scope="module")
def perfect(cases: list[EvalCase]) -> list[CaseResult]:
    return run_cases(PerfectAssistant(cases), cases, CONTEXT)


def test_bad_assistant_scores_low_and_fails_thresholds(bad: list[CaseResult]) -> None:
    summary = summarize(bad)
    assert (summary["status_accuracy"].mean or 0) < 0.8
    assert (summary["statement_recall"].mean or 0) < 0.1
    assert (summary["citation_support"].mean or 0) == 0.0
    assert (summary["forbidden"].mean or 1) < 0.8
    assert (summary["source_recall"].mean or 0) == 0.0
    assert summarize_by_tag(bad)["urgent"]["status_accuracy"].mean == 0.0
    failed = [c for c in check_thresholds(bad, load_thresholds()) if not c.ok]
    assert {c.metric for c in failed} >= {"status_accuracy", "statement_recall", "citation_support"}
    assert sum(r.passed for r in bad) < len(bad) * 0.1


def test_perfect_answers_score_high_and_pass_thresholds(perfect: list[CaseResult]) -> None:
    summary = summarize(perfect)
    for name in ("status_accuracy", "urgent_rule", "statement_recall", "forbidden"):
        assert summary[name].mean == 1.0, name
    for name in ("citation_support", "citation_validity", "retrieval_recall", "disclaimer"):
        assert summary[name].mean == 1.0, name
    assert (summary["source_recall"].mean or 0) >= 0.95
    # Quoting whole corpus sentences is perfectly grounded but not plain: reading grade and
    # length are measures of style, which this answer set does not claim to be perfect at.
    checks = check_thresholds(perfect, load_thresholds())
    failed = [c for c in checks if not c.ok and METRICS[c.metric].kind == "ratio"]
    assert not failed, failed


def test_report_html_and_comparison(bad: list[CaseResult], perfect: list[CaseResult]) -> None:
    old = build_report(perfect, meta={"mode": "perfect"})
    new = build_report(bad, check_thresholds(bad, load_thresholds()), {"mode": "<bad>"})
    json.dumps(new)  # JSON-ready
    assert new["results"][0]["answer"]["disclaimer"] == DISCLAIMER
    page = render_html(new)
    assert "&lt;bad&gt;" in page and "<bad>" not in page
    assert page.index("class=fail") < page.index("</body>")
    comparison = compare(old, new)
    worse = {d.metric for d in comparison.deltas if d.worse}
    assert {"status_accuracy", "statement_recall", "citation_support"} <= worse
    assert comparison.worse_cases
    assert "got worse" in format_comparison(comparison)
    assert "statement_recall" in format_table(summarize(bad), summarize_by_tag(bad))


def test_html_escapes_hostile_answer_text(cases: list[EvalCase]) -> None:
    class Hostile(BadAssistant):
        def ask(self, question: str, *args: object, **kwargs: object) -> Answer:
            text = "<script>alert(1)</script> [1]"
            cite = Citation(1, "x", "<doc>", "t", "<s>", "p", "src", "<img src=x>", 0.5)
            return Answer(question, "answered", text, [cite], DISCLAIMER)

    page = render_html(build_report(run_cases(Hostile(), cases[:2], CONTEXT)))
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page


def test_cli_matcher_quality(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--matcher-quality"]) == 0
    assert "precision" in capsys.readouterr().out


def test_cli_reports_bad_cases_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("- id: x\n  question: q\n  colour: red\n", encoding="utf-8")
    assert main(["--cases", str(path)]) == 2
    assert "unknown key 'colour'" in capsys.readouterr().err


def test_subset_runs_do_not_fail_on_metrics_they_do_not_measure(bad: list[CaseResult]) -> None:
    urgent_only = [r for r in bad if "urgent" in r.case.tags]
    checks = check_thresholds(urgent_only, load_thresholds())
    recall = next(c for c in checks if c.metric == "statement_recall" and c.scope == "all")
    assert recall.value is None and recall.ok
    assert not next(c for c in checks if c.scope == "tag:urgent").ok
