"""Coverage check: every reviewed example, message wording, covered look-alikes, strict loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import RulesError
from assistant.triage.coverage import CoverageRule, detect_uncovered, load_coverage_rules

RULES = load_coverage_rules()
REQUIRED = {"medication-dose", "exercise-dosage", "cost", "pregnancy", "children-teens"}


def _examples(kind: str) -> list[tuple[str, str]]:
    return [(rule.id, text) for rule in RULES for text in getattr(rule, kind)]


def test_required_rules_exist() -> None:
    assert REQUIRED <= {rule.id for rule in RULES}


@pytest.mark.parametrize(("rule_id", "question"), _examples("positive_examples"))
def test_positive_example_trips_its_rule(rule_id: str, question: str) -> None:
    found = detect_uncovered(question)
    assert found is not None, f"{question!r} should trip {rule_id}"
    assert found.id == rule_id


@pytest.mark.parametrize(("rule_id", "question"), _examples("negative_examples"))
def test_negative_example_is_covered(rule_id: str, question: str) -> None:
    found = detect_uncovered(question)
    assert found is None, f"{question!r} (negative of {rule_id}) tripped {found and found.id}"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_message_says_what_is_missing_and_who_to_ask(rule: CoverageRule) -> None:
    assert rule.message.startswith("The guidance does not ")
    assert any(
        who in rule.message
        for who in (
            "doctor",
            "pharmacist",
            "physiotherapist",
            "midwife",
            "clinician",
            "clinic",
            "insurer",
        )
    )
    assert not any(char.isdigit() for char in rule.message)  # never a number of our own


@pytest.mark.parametrize(
    ("question", "rule_id"),
    [
        ("how many mg of ibuprofen should i take", "medication-dose"),
        ("How much naproxen should I take?", "medication-dose"),
        ("how many sets and reps", "exercise-dosage"),
        ("give me a 12-week program", "exercise-dosage"),
        ("how much does shockwave cost", "cost"),
        ("how many sessions of shockwave", "treatment-parameters"),
        ("I'm pregnant, can I take ibuprofen?", "pregnancy"),  # population wins over the drug
    ],
)
def test_brief_examples(question: str, rule_id: str) -> None:
    found = detect_uncovered(question)
    assert found is not None and found.id == rule_id


@pytest.mark.parametrize(
    "question",
    [
        "how long does recovery take?",  # "months-long process" is stated
        "how many sessions of eccentric training do I need?",  # "20 to 30 sessions" is stated
        "Is shockwave therapy expensive?",  # "is expensive" is stated
        "how long should I ice it for?",  # "10-minute periods" is stated
        "After how long of failed conservative therapy is surgery an option?",
    ],
)
def test_what_the_corpus_states_is_not_flagged(question: str) -> None:
    assert detect_uncovered(question) is None


def test_request_carries_message_and_topic_query() -> None:
    found = detect_uncovered("how much ibuprofen should I take?")
    assert found is not None
    assert found.message.startswith("The guidance does not give medication doses")
    assert "pharmacist" in found.message
    assert "NSAIDs" in found.topic_query


def test_custom_rules_are_used_when_given(tmp_path: Path) -> None:
    path = tmp_path / "coverage.yaml"
    path.write_text(
        """version: 1
rules:
  - id: widgets
    patterns: ['\\bwidgets?\\b']
    message: The guidance does not discuss widgets; ask a doctor.
    topic_query: widgets
    rationale: A rule used only by this test.
    positive_examples: [widget, widgets, a widget, the widget]
    negative_examples: [one, two, three, four]
""",
        encoding="utf-8",
    )
    rules = load_coverage_rules(path)
    found = detect_uncovered("what about widgets?", rules)
    assert found is not None and found.id == "widgets"
    assert detect_uncovered("how many mg of ibuprofen", rules) is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    topic_query: widgets\n", ""), "rule 'widgets': topic_query: Field required"),
        (
            ("topic_query: widgets\n", "topic_query: widgets\n    extra: 1\n"),
            "rule 'widgets': extra: Extra inputs are not permitted",
        ),
        (("['\\bwidgets?\\b']", "['widgets[']"), "rule 'widgets': pattern 1: invalid regex"),
        (("[one, two, three, four]", "[one, two]"), "rule 'widgets': negative_examples"),
    ],
)
def test_bad_coverage_file_raises_rules_error(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    body = """version: 1
rules:
  - id: widgets
    patterns: ['\\bwidgets?\\b']
    message: The guidance does not discuss widgets; ask a doctor.
    topic_query: widgets
    rationale: A rule used only by this test.
    positive_examples: [widget, widgets, a widget, the widget]
    negative_examples: [one, two, three, four]
""".replace(*change)
    path = tmp_path / "coverage.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_coverage_rules(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_unknown_words_are_decided_after_retrieval() -> None:
    from dataclasses import dataclass

    from assistant.triage.coverage import UNKNOWN_EVIDENCE, CoverageCheck, CoverageDecision

    @dataclass(frozen=True)
    class Sentence:
        cosine: float
        overlap: float = 0.0
        question: float = 0.0

        @property
        def evidence(self) -> float:
            return max(self.cosine, self.question)

    check = CoverageCheck.__new__(CoverageCheck)
    unknown = CoverageDecision(None, ("kombucha",))
    far, close = Sentence(UNKNOWN_EVIDENCE - 0.1), Sentence(0.2, question=UNKNOWN_EVIDENCE + 0.1)
    assert not check.answers_unknown(unknown, [far])
    assert check.answers_unknown(unknown, [far, close])
    assert not check.answers_unknown(unknown, [])
    assert check.answers_unknown(CoverageDecision(), [far])


def test_a_question_next_to_a_rules_example_is_not_covered() -> None:
    from assistant.triage.coverage import NearestExamples

    rules = [r for r in load_coverage_rules() if r.id in {"cost", "imaging"}]
    # A toy embedding: one axis per word of a small vocabulary.
    words = ["cost", "price", "scan", "mri", "shockwave", "help", "pain", "sitting"]

    def vectors(texts: list[str]) -> list[list[float]]:
        return [[float(w in t.lower()) for w in words] + [0.05] for t in texts]

    examples = NearestExamples(rules, ["does shockwave help pain", "why is sitting painful"],
                               vectors, minimum=0.5, margin=0.1)  # fmt: skip
    near, _, _ = examples.nearest(vectors(["cost and price of shockwave?"])[0])
    assert near is not None and near.id == "cost"
    covered, top, other = examples.nearest(vectors(["does shockwave help my pain"])[0])
    assert covered is None and other > top - 0.1


def test_nearest_examples_are_embedded_once_and_can_be_warmed_at_build() -> None:
    from assistant.triage.coverage import NearestExamples

    rules = [r for r in load_coverage_rules() if r.id == "cost"]
    calls: list[int] = []

    def vectors(texts: list[str]) -> list[list[float]]:
        calls.append(len(texts))
        return [[float("cost" in t.lower()), 1.0] for t in texts]

    examples = NearestExamples(rules, ["does shockwave help pain"], vectors)
    assert calls == []  # nothing is embedded until it is needed or warmed
    examples.warm()
    assert len(calls) == 2  # the rules' positive examples, then the covered texts
    examples.nearest([1.0, 1.0])
    examples.warm()
    assert len(calls) == 2


def test_rules_also_see_the_typo_corrected_question() -> None:
    misspelt = "how oftne do you need shokwave"
    assert detect_uncovered(misspelt) is None
    corrected = "how often do you need shockwave"
    found = detect_uncovered(misspelt, also=[corrected])
    assert found is not None and found.id == "treatment-parameters"
    # A corrected spelling that trips nothing leaves the question covered.
    assert detect_uncovered("why does siting hurt", also=["why does sitting hurt"]) is None


def test_coverage_check_passes_the_corrected_question_to_the_rules() -> None:
    from assistant.settings import Settings
    from assistant.triage.coverage import CoverageCheck
    from assistant.types import Request

    fixes = {"oftne": "often", "shokwave": "shockwave"}

    def correct(text: str) -> str:
        return " ".join(fixes.get(word, word) for word in text.split())

    class NoVocabulary:
        def unknown_words(self, text: str) -> list[str]:
            return []

    request = Request(question="how oftne do you need shokwave", history=())
    plain = CoverageCheck(NoVocabulary(), str, Settings())  # type: ignore[arg-type]
    assert plain.before(request).uncovered is None
    fixed = CoverageCheck(NoVocabulary(), str, Settings(), correct=correct)  # type: ignore[arg-type]
    found = fixed.before(request).uncovered
    assert found is not None and found.id == "treatment-parameters"
