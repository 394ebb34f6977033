"""The dev set: hand-written phrasing families, split whole into train and test, up to date."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from evals.dev.build import DEV_DIR, load_families, main, split
from evals.matcher import conveys
from evals.metrics import redundant_pairs
from evals.models import load_cases
from evals.split_figures import FIGURES, format_side_by_side

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def _cases(side: str) -> list:
    return load_cases([DEV_DIR / side])


def test_split_files_are_generated_from_the_families() -> None:
    assert main(["--check"]) == 0


def test_families_stay_whole_and_every_kind_is_on_both_sides() -> None:
    train, test = _cases("train"), _cases("test")
    assert len(train) + len(test) >= 600
    assert not {c.family for c in train} & {c.family for c in test}
    for status in ("answered", "not_covered", "out_of_scope"):
        assert any(c.expect_status == status for c in train)
        assert any(c.expect_status == status for c in test)
    for tag in ("followup", "clinician", "two_in_one", "typo", "slang", "yes_no"):
        assert any(tag in c.tags for c in train) and any(tag in c.tags for c in test)
    share = len(train) / (len(train) + len(test))
    assert 0.5 <= share <= 0.7


def test_the_split_is_deterministic() -> None:
    groups = load_families()
    first, second = split(groups), split(groups)
    assert {k: [f.family for f in v] for k, v in first["test"].items()} == {
        k: [f.family for f in v] for k, v in second["test"].items()
    }


def test_every_fact_is_asked_at_least_six_ways() -> None:
    counts = Counter(c.family for c in _cases("train") + _cases("test"))
    assert min(counts.values()) >= 4
    facts = [
        f for fs in load_families().values() for f in fs
        if f.kind == "answered" and f.questions[0].reg not in ("followup", "two_in_one")
    ]  # fmt: skip
    assert len(facts) >= 45
    for family in facts:
        registers = {q.reg for q in family.questions}
        assert len(family.questions) >= 6 and len(registers) >= 6, family.family


def test_expected_statements_are_what_the_corpus_says() -> None:
    texts = {p.stem: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
    # The table's rows as the chunker renders them ("Option: X. Evidence/Outcome: Y.").
    rows = []
    for line in texts["h2t-pht-challenges"].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] and not cells[0].startswith("-"):
            rows.append(f"Option: {cells[0]}. Evidence/Outcome: {cells[1]}.")
    expected = {
        (statement, case.sources)
        for case in _cases("train") + _cases("test")
        for statement in case.statements
    }
    for statement, sources in sorted(expected):
        evidence = "\n".join([texts[s] for s in sources] + rows)
        assert conveys(statement, evidence).supported, statement


def test_no_dev_question_repeats_a_gate_case() -> None:
    gate = {c.question.lower() for c in load_cases()}
    assert not [c.id for c in _cases("train") + _cases("test") if c.question.lower() in gate]


def test_redundant_pairs_are_restatements_not_shared_subjects() -> None:
    same = (
        "Tendons regenerate slowly, making recovery a months-long process [1]. "
        "Recovery is a months-long process because tendons regenerate slowly [2]."
    )
    different = (
        "Proximal hamstring tendinopathy is frequently mistaken for other conditions [1]. "
        "Proximal hamstring tendinopathy is especially challenging to resolve [1]."
    )
    assert len(redundant_pairs(same)) == 1
    assert redundant_pairs(different) == []


def test_side_by_side_table_has_a_row_per_figure() -> None:
    table = format_side_by_side({"train": {"status_accuracy": 0.5}, "test": {}})
    lines = table.splitlines()
    assert lines[0].split() == ["figure", "train", "test"]
    assert len(lines) == 1 + len(FIGURES)
    assert "0.500" in table and "-" in lines[2]
