"""Safety gate: every reviewed example, message rules, history, negation and strict loading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.errors import PHTError, RulesError
from assistant.triage.safety import SafetyGate, SafetyRule, load_rules

RULES = load_rules()
GATE = SafetyGate(RULES)
REQUIRED = {
    "crisis-self-harm",
    "cauda-equina",
    "tendon-avulsion",
    "infection",
    "progressive-neuro-loss",
    "serious-disease",
}


def _examples(kind: str) -> list[tuple[str, str]]:
    return [(rule.id, text) for rule in RULES for text in getattr(rule, kind)]


def test_required_rules_exist_and_crisis_comes_first() -> None:
    assert REQUIRED <= {rule.id for rule in RULES}
    assert RULES[0].id == "crisis-self-harm"
    # Cauda equina is the most time-critical symptom rule and must win ties after crisis.
    assert RULES[1].id == "cauda-equina"


@pytest.mark.parametrize(("rule_id", "question"), _examples("positive_examples"))
def test_positive_example_trips_its_rule(rule_id: str, question: str) -> None:
    tripped = GATE.check(question)
    assert tripped is not None, f"{question!r} should trip {rule_id}"
    assert tripped.id == rule_id


@pytest.mark.parametrize(("rule_id", "question"), _examples("negative_examples"))
def test_negative_example_trips_no_rule(rule_id: str, question: str) -> None:
    tripped = GATE.check(question)
    assert tripped is None, f"{question!r} (negative of {rule_id}) tripped {tripped and tripped.id}"


# Words that would make an urgent message into self-treatment advice.
_ADVICE = re.compile(
    r"\b(exercis\w*|stretch\w*|ice|heat|rest|load\w*|ibuprofen|nsaids?|painkillers?|"
    r"paracetamol|massage|cushion|foam|sets?|reps?|squat\w*|bridges?|isometric\w*)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_message_leads_with_call_to_action_and_gives_no_advice(rule: SafetyRule) -> None:
    first_sentence = rule.message.split(". ")[0]
    assert rule.message.startswith("Please ")
    assert re.search(r"emergency|doctor|crisis line", first_sentence)
    assert not _ADVICE.search(rule.message), _ADVICE.search(rule.message)
    assert rule.message.count(". ") <= 2  # the call to action and one sentence of why


def test_crisis_message_gives_crisis_lines() -> None:
    message = RULES[0].message
    assert "local emergency number" in message
    assert "988" in message and "116 123" in message


def test_crisis_wins_over_a_symptom_rule() -> None:
    tripped = GATE.check("My groin is numb and I want to kill myself")
    assert tripped is not None and tripped.id == "crisis-self-harm"


def test_red_flag_in_an_earlier_user_turn_still_counts() -> None:
    history = [
        {"role": "user", "content": "I suddenly can't control my bladder"},
        {"role": "assistant", "content": "Please seek urgent medical care now..."},
    ]
    tripped = GATE.check("what about shockwave?", history)
    assert tripped is not None and tripped.id == "cauda-equina"


def test_assistant_turns_are_not_read() -> None:
    # The urgent message itself names red flags; it must not keep re-tripping the gate.
    history = [{"role": "assistant", "content": RULES[1].message}]
    assert GATE.check("Does shockwave help?", history) is None


def test_combination_can_span_turns() -> None:
    history = [{"role": "user", "content": "I've had a fever since yesterday"}]
    tripped = GATE.check("and now my buttock is red and swollen", history)
    assert tripped is not None and tripped.id == "infection"
    assert GATE.check("and now my buttock is red and swollen") is None


@pytest.mark.parametrize(
    "question",
    [
        "I have no numbness in my groin",
        "I don't have any bladder problems",
        "never had any bowel problems",
        "I have no fever but the area is swollen",
    ],
)
def test_simple_negation_does_not_trip(question: str) -> None:
    assert GATE.check(question) is None


@pytest.mark.parametrize(
    "question",
    [
        "I can't control my bladder",  # inability is not negation
        "I'm not able to hold my pee",
        "I can no longer feel my groin",
        "No, I do have numbness in my groin",  # "No," answers a question
        "I don't sit much but my groin is numb",  # "but" ends the negation
        "I haven't been running and now my groin is numb",
        "I no longer have control of my bladder",  # "no longer" is not a negation
        # The cue is more than five words before the symptom: it negates something else.
        "I never thought sitting at my desk all day would give me numbness in my groin",
    ],
)
def test_negation_scope_is_limited(question: str) -> None:
    tripped = GATE.check(question)
    assert tripped is not None and tripped.id == "cauda-equina"


def test_curly_apostrophes_and_case_are_folded() -> None:
    tripped = GATE.check("I CAN\u2019T CONTROL MY BLADDER")
    assert tripped is not None and tripped.id == "cauda-equina"


def test_gate_is_fast() -> None:
    import time

    start = time.perf_counter()
    for _ in range(50):
        GATE.check("Why does sitting make my deep buttock pain worse when I run uphill? " * 5)
    assert (time.perf_counter() - start) / 50 < 0.02


# --- strict loading -------------------------------------------------------------------------

_GOOD_RULE = """
  - id: demo
    patterns: ['\\bdemo\\b']
    message: Please call your local emergency number now.
    rationale: A rule used only by the loading tests.
    positive_examples: [demo, a demo, demo two, demo three]
    negative_examples: [one, two, three, four]
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_minimal_valid_file_loads(tmp_path: Path) -> None:
    rules = load_rules(_write(tmp_path, "version: 1\nrules:" + _GOOD_RULE))
    assert [rule.id for rule in rules] == ["demo"]
    assert SafetyGate(rules).check("this is a demo") is rules[0]


def _with(old: str, new: str) -> str:
    return "version: 1\nrules:" + _GOOD_RULE.replace(old, new)


_PATTERN = "['\\bdemo\\b']"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("version: 1\nrules: [", "not valid YAML"),
        ("- just a list", "expected a mapping"),
        (
            _with("    rationale", "    colour: red\n    rationale"),
            "rule 'demo': colour: Extra inputs are not permitted",
        ),
        (_with(_PATTERN, "['(unclosed']"), "rule 'demo': pattern 1: invalid regex"),
        (_with(_PATTERN, "['(demo)?']"), "matches empty text"),
        (_with(_PATTERN, "['<nope> demo']"), "unknown term <nope>"),
        (_with("[one, two, three, four]", "[one]"), "rule 'demo': negative_examples"),
        ("version: 1\nrules:" + _GOOD_RULE + _GOOD_RULE, "rule 'demo': the id is used twice"),
        ("version: 2\nrules:" + _GOOD_RULE, "version"),
        ("version: 1\nversion: 1\nrules:" + _GOOD_RULE, "duplicate key 'version'"),
        ("version: 1\nterms: {a: '(x'}\nrules:" + _GOOD_RULE, "term 'a': invalid regex"),
        ("version: 1\nterms: {a: '<b>', b: x}\nrules:" + _GOOD_RULE, "not defined above it"),
        (
            _with(_PATTERN, "[{requires_all: ['demo', '(bad']}]"),
            "pattern 1, requires_all 2: invalid regex",
        ),
        (_with(_PATTERN, "[{requires_all: ['demo']}]"), "requires_all"),
        (_with(_PATTERN, "[{any_of: ['demo', 'x']}]"), "Extra inputs are not permitted"),
    ],
)
def test_bad_files_raise_one_named_error(tmp_path: Path, body: str, expected: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(RulesError) as info:
        load_rules(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_missing_file_is_a_rules_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "absent.yaml")


def test_rules_error_is_a_pht_error() -> None:
    assert issubclass(RulesError, PHTError)
