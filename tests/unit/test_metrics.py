"""Each eval metric on hand-made answers that must pass and answers that must fail."""

from __future__ import annotations

import pytest

from assistant.disclaimer import DISCLAIMER
from assistant.types import Answer, Candidate, Citation
from evals.metrics import (
    METRICS,
    MetricContext,
    answer_length,
    citation_support,
    citation_validity,
    claim_sentences,
    disclaimer_present,
    flesch_kincaid_grade,
    forbidden_statements,
    latency_ms,
    reading_grade,
    retrieval_recall,
    source_recall,
    statement_recall,
    status_accuracy,
    syllables,
    urgent_rule,
)
from evals.models import EvalCase

SIT = "Sitting itself aggravates symptoms, limiting rest and prolonging recovery."
STRETCH = (
    "Option: Avoid excessive stretching. Evidence/Outcome: Stretching increases tendon "
    "compression and irritability."
)
NSAID = (
    "NSAIDs are recommended for short-term pain relief, but have no effect on long-term outcomes."
)
H2T, DRO = "h2t-pht-challenges", "droracle-hamstring-sciatica-guidelines"
CTX = MetricContext(corpus_texts=frozenset({SIT, STRETCH, NSAID}), k=3)


def _citation(marker: int, text: str, doc_id: str = H2T) -> Citation:
    return Citation(marker, f"c{marker}", doc_id, "Title", "Section", "Pub", "src", text, 0.8)


def _answer(text: str, citations: list[Citation], status: str = "answered", **kw: object) -> Answer:
    return Answer("q", status, text, citations, DISCLAIMER, **kw)  # type: ignore[arg-type]


def _case(**kw: object) -> EvalCase:
    data: dict[str, object] = {"id": "c", "question": "q", "expect_status": "answered"}
    data.update(kw)
    return EvalCase.model_validate(data)


GOOD = _answer(
    f"{SIT} [1] {STRETCH} [2]",
    [_citation(1, SIT), _citation(2, STRETCH)],
    retrieved=[Candidate("c1", H2T, "s", 0.9, SIT), Candidate("c2", H2T, "s", 0.8, STRETCH)],
    timings_ms={"total": 42.0},
)
BAD = _answer("Stretch your hamstring hard every day. Aggressive stretching is recommended.", [])


def test_status_accuracy() -> None:
    assert status_accuracy(_case(), GOOD, CTX).value == 1.0
    wrong = status_accuracy(_case(expect_status="urgent"), GOOD, CTX)
    assert wrong.value == 0.0 and "expected urgent, got answered" in wrong.reason
    assert status_accuracy(_case(expect_status=None), GOOD, CTX).value is None


def test_urgent_rule() -> None:
    case = _case(expect_status="urgent", tags=["urgent", "cauda-equina"])
    right = _answer("Seek care now.", [], "urgent", rule_id="cauda-equina")
    other = _answer("Seek care now.", [], "urgent", rule_id="infection")
    assert urgent_rule(case, right, CTX).value == 1.0
    assert urgent_rule(case, other, CTX).value == 0.0
    assert urgent_rule(case, GOOD, CTX).value == 0.0
    assert urgent_rule(_case(), GOOD, CTX).value is None


def test_statement_recall() -> None:
    case = _case(statements=["Sitting aggravates symptoms and prolongs recovery.", NSAID])
    half = statement_recall(case, GOOD, CTX)
    assert half.value == 0.5 and "1/2" in half.reason and "NSAIDs" in half.reason
    assert statement_recall(_case(statements=[SIT]), GOOD, CTX).value == 1.0
    assert statement_recall(_case(statements=[SIT]), BAD, CTX).value == 0.0
    assert statement_recall(_case(), GOOD, CTX).value is None


def test_forbidden_statements() -> None:
    case = _case(forbidden=["Aggressive stretching is recommended.", "Surgery should be first."])
    assert forbidden_statements(case, GOOD, CTX).value == 1.0
    made = forbidden_statements(case, BAD, CTX)
    assert made.value == 0.5 and "Aggressive stretching" in made.reason
    assert forbidden_statements(_case(), BAD, CTX).value is None


def test_citation_support_passes_grounded_sentences() -> None:
    score = citation_support(_case(), GOOD, CTX)
    assert score.value == 1.0, score.reason


def test_citation_support_fails_uncited_and_mis_cited_sentences() -> None:
    assert citation_support(_case(), BAD, CTX).value == 0.0
    swapped = _answer(f"{SIT} [2] {STRETCH} [1]", [_citation(1, SIT), _citation(2, STRETCH)])
    assert citation_support(_case(), swapped, CTX).value == 0.0
    dangling = _answer(f"{SIT} [3]", [_citation(1, SIT)])
    score = citation_support(_case(), dangling, CTX)
    assert score.value == 0.0 and "points to no citation" in score.reason
    twisted = _answer("Sitting never aggravates symptoms [1].", [_citation(1, SIT)])
    assert citation_support(_case(), twisted, CTX).value == 0.0


def test_citation_support_skips_fixed_texts_and_not_covered_notice() -> None:
    urgent = _answer("Seek urgent care.", [], "urgent")
    assert citation_support(_case(), urgent, CTX).value is None
    notice = _answer(f"The guidance does not say. {SIT} [1]", [_citation(1, SIT)], "not_covered")
    assert citation_support(_case(), notice, CTX).value == 1.0


def test_citation_validity() -> None:
    assert citation_validity(_case(), GOOD, CTX).value == 1.0
    forged = _answer("x [1]", [_citation(1, "Stretch hard, it cures everything.")])
    score = citation_validity(_case(), forged, CTX)
    assert score.value == 0.0 and "not in the corpus" in score.reason
    part = _answer("x [1]", [_citation(1, "Stretching increases tendon compression")])
    assert citation_validity(_case(), part, CTX).value == 1.0
    assert citation_validity(_case(), GOOD, MetricContext()).value is None
    assert citation_validity(_case(), BAD, CTX).value is None


def test_source_recall() -> None:
    assert source_recall(_case(sources=[H2T]), GOOD, CTX).value == 1.0
    score = source_recall(_case(sources=[H2T, DRO]), GOOD, CTX)
    assert score.value == 0.5 and DRO in score.reason
    assert source_recall(_case(sources=[H2T]), BAD, CTX).value == 0.0


def test_retrieval_recall() -> None:
    case = _case(statements=["Sitting aggravates symptoms and prolongs recovery.", NSAID])
    score = retrieval_recall(case, GOOD, CTX)
    assert score.value == 0.5 and "not retrieved" in score.reason
    assert retrieval_recall(_case(statements=[SIT]), BAD, CTX).value == 0.0
    late = _answer(
        SIT, [], retrieved=[Candidate(f"x{i}", H2T, "s", 0.1, "other") for i in range(3)]
    )
    late.retrieved.append(Candidate("c1", H2T, "s", 0.05, SIT))
    assert retrieval_recall(_case(statements=[SIT]), late, CTX).value == 0.0  # beyond k=3
    assert retrieval_recall(_case(statements=[SIT], expect_status="urgent"), BAD, CTX).value is None


def test_disclaimer_present() -> None:
    assert disclaimer_present(_case(), GOOD, CTX).value == 1.0
    missing = Answer("q", "answered", "x", [], "")
    assert disclaimer_present(_case(), missing, CTX).value == 0.0
    edited = Answer("q", "answered", "x", [], DISCLAIMER[:50])
    assert (
        disclaimer_present(_case(), edited, CTX).reason
        == "the disclaimer differs from the fixed text"
    )


def test_answer_length_ignores_markers() -> None:
    assert answer_length(_case(), _answer("Sitting hurts a lot [1] [2].", []), CTX).value == 4.0


@pytest.mark.parametrize(
    ("word", "count"),
    [("the", 1), ("tendon", 2), ("compression", 3), ("muscles", 2), ("make", 1),
     ("people", 2), ("tuberosity", 5), ("advised", 2), ("loaded", 2), ("radio", 3)],
)  # fmt: skip
def test_syllables(word: str, count: int) -> None:
    assert syllables(word) == count


def test_reading_grade_ranks_plain_below_dense_text() -> None:
    plain = flesch_kincaid_grade("Sit less. Use a cushion. Move a bit each day.")
    dense = flesch_kincaid_grade(
        "Proximal hamstring tendinopathy is especially challenging to resolve due to its deep "
        "anatomical location, chronic nature, loading sensitivity, and delayed diagnosis."
    )
    assert plain < 3 < 14 < dense
    assert reading_grade(_case(tags=["patient"]), GOOD, CTX).value is not None
    assert reading_grade(_case(tags=["clinician"]), GOOD, CTX).value is None
    assert reading_grade(_case(), _answer("Call 999.", [], "urgent"), CTX).value is None


def test_latency() -> None:
    assert latency_ms(_case(), GOOD, CTX).value == 42.0
    assert latency_ms(_case(), BAD, CTX).value is None


def test_registry_names_and_kinds() -> None:
    assert list(METRICS)[:2] == ["status_accuracy", "urgent_rule"]
    assert {m.kind for m in METRICS.values()} == {"ratio", "measure"}
    assert all(METRICS[n].better == "lower" for n in ("answer_words", "latency_ms"))


def test_lead_ins_and_reference_lists_make_no_claims() -> None:
    text = (
        f"From the curated sources:\n\n- {SIT} [1]\n\nReferences listed by Dr.Oracle (markers 1):\n"
        "- Guideline Directed Topic Overview. Dr.Oracle, 2025 (Guideline)"
    )
    assert claim_sentences(text) == [f"{SIT} [1]"]
    answer = _answer(text, [_citation(1, SIT)])
    assert citation_support(_case(), answer, CTX).value == 1.0
