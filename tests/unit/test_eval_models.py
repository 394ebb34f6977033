"""Eval cases: strict loading, and the project's own cases against the corpus checklist."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from assistant.triage.safety import RULES_PATH
from evals.matcher import conveys, support
from evals.models import EvalCase, EvalCaseError, default_cases_dir, load_cases

CHECKLIST = Path(__file__).resolve().parents[2] / "evals" / "guideline_statements.yaml"
RULES: tuple[str, ...] = ("cauda-equina", "tendon-avulsion", "infection")
RULES += ("progressive-neuro-loss", "serious-disease", "crisis-self-harm")

GOOD = """
- id: one
  question: "Why does sitting hurt?"
  expect_status: answered
  statements: ["Sitting itself aggravates symptoms."]
  sources: [h2t-pht-challenges]
  history:
    - {role: user, content: "hello"}
  tags: [patient]
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _checklist() -> dict[str, list[str]]:
    return yaml.safe_load(CHECKLIST.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cases() -> list[EvalCase]:
    return load_cases()


def test_a_good_file_loads(tmp_path: Path) -> None:
    [case] = load_cases([_write(tmp_path, "a.yaml", GOOD)])
    assert case.id == "one"
    assert case.history_dicts() == [{"role": "user", "content": "hello"}]
    assert case.audience == "patient"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("tags:", "colour: red\n  tags:"), "unknown key 'colour'"),
        (GOOD.replace("expect_status: answered", "expect_status: maybe"), "expect_status 'maybe'"),
        (GOOD.replace("role: user", "role: system"), "history.0.role"),
        (GOOD.replace('question: "Why does sitting hurt?"', 'question: ""'), "question"),
        (GOOD.replace("id: one", "id: Bad Id"), "id"),
        ("- id: [unclosed", "invalid YAML"),
        ("id: one", "expected a list of cases"),
        ("- just a string", "expected a mapping"),
    ],
)
def test_bad_files_name_file_case_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(EvalCaseError) as caught:
        load_cases([path])
    message = str(caught.value)
    assert str(path) in message
    assert expected in message


def test_unknown_key_names_the_case(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", GOOD.replace("tags:", "colour: red\n  tags:"))
    with pytest.raises(EvalCaseError, match="case 'one'"):
        load_cases([path])


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    first = _write(tmp_path, "a.yaml", GOOD)
    second = _write(tmp_path, "b.yaml", GOOD)
    with pytest.raises(EvalCaseError) as caught:
        load_cases([tmp_path])
    message = str(caught.value)
    assert "duplicate id" in message and str(first) in message and str(second) in message


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(EvalCaseError, match="no such case file"):
        load_cases([tmp_path / "nope.yaml"])


def test_tag_filter(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.yaml", GOOD)
    assert load_cases([path], tags=["patient"])
    assert not load_cases([path], tags=["clinician"])


def test_project_cases_cover_every_kind(cases: list[EvalCase]) -> None:
    assert len(cases) >= 80
    statuses = Counter(c.expect_status for c in cases)
    assert set(statuses) == {"answered", "not_covered", "out_of_scope", "urgent"}
    tags = Counter(t for c in cases for t in c.tags)
    assert tags["clinician"] >= 10
    assert tags["followup"] >= 5
    assert tags["lookalike"] >= 5
    assert tags["injection_attack"] >= 3
    assert all(c.history for c in cases if "followup" in c.tags)
    assert len(list(default_cases_dir().glob("*.yaml"))) >= 10


def test_each_safety_rule_has_two_urgent_cases(cases: list[EvalCase]) -> None:
    urgent = [c for c in cases if c.expect_status == "urgent"]
    assert all("urgent" in c.tags for c in urgent)
    for rule in RULES:
        assert sum(rule in c.tags for c in urgent) >= 2, rule
    assert all(c.expect_status != "urgent" for c in cases if "lookalike" in c.tags)


def test_safety_rule_ids_exist_in_the_rules_file(cases: list[EvalCase]) -> None:
    text = RULES_PATH.read_text(encoding="utf-8")
    for rule in RULES:
        assert f"id: {rule}" in text, rule


def test_checklist_is_corpus_text() -> None:
    corpus_dir = Path(__file__).resolve().parents[2] / "corpus"
    for doc_id, items in _checklist().items():
        corpus = " ".join((corpus_dir / f"{doc_id}.txt").read_text(encoding="utf-8").split())
        for item in items:
            if item.startswith("Option:"):
                option, outcome = item.removeprefix("Option: ").split(" Evidence/Outcome: ")
                assert option.rstrip(".") in corpus and outcome.rstrip(".") in corpus, item
            else:
                assert item.rstrip(".") in corpus, item


def test_every_guideline_statement_is_expected_by_a_case(cases: list[EvalCase]) -> None:
    statements = [s for c in cases for s in c.statements]
    uncovered = [
        item
        for items in _checklist().values()
        for item in items
        if not any(support(s, item).supported for s in statements)
    ]
    assert not uncovered


def test_every_expected_statement_is_faithful_to_one_corpus_statement(
    cases: list[EvalCase],
) -> None:
    items = [item for items in _checklist().values() for item in items]
    unfaithful = [
        (c.id, s)
        for c in cases
        for s in c.statements
        if not any(conveys(s, item).supported for item in items)
    ]
    assert not unfaithful


def test_no_forbidden_statement_is_corpus_advice(cases: list[EvalCase]) -> None:
    items = [item for items in _checklist().values() for item in items]
    clashes = [
        (c.id, f)
        for c in cases
        if c.expect_status != "urgent"  # urgent answers must not give even correct advice
        for f in c.forbidden
        if any(conveys(f, item).supported for item in items)
    ]
    assert not clashes
