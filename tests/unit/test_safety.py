"""Red-flag gate: every reviewed example, the help per category, conversation rules, loading."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant.errors import PHTError, RulesError
from assistant.triage.classifier import ClassifierResult
from assistant.triage.dataset import CATEGORIES
from assistant.triage.replies import load_replies
from assistant.triage.safety import SafetyGate, SafetyRule, load_rules
from assistant.types import Request

REPLIES = load_replies(categories=CATEGORIES)
RULES = load_rules(replies=REPLIES)
GATE = SafetyGate(RULES, replies=REPLIES, detect=False)
LANGS = ("en", "es", "fr", "de", "it", "pt")


def _examples(kind: str) -> list[tuple[str, str]]:
    return [(rule.id, text) for rule in RULES for text in getattr(rule, kind)]


def _decide(question: str, history: Sequence[dict[str, str]] = (), gate: SafetyGate = GATE):
    return gate.decide(Request(question=question, history=tuple(history)))


def test_every_category_has_an_english_rule_and_crisis_comes_first() -> None:
    assert {rule.id for rule in RULES} == set(CATEGORIES)
    assert RULES[0].id == "crisis-self-harm"
    assert RULES[1].id == "cauda-equina"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_each_rule_has_at_least_four_examples_each_way(rule: SafetyRule) -> None:
    assert len(rule.positive_examples) >= 4
    assert len(rule.negative_examples) >= 4


@pytest.mark.parametrize(("rule_id", "question"), _examples("positive_examples"))
def test_positive_example_trips_its_rule(rule_id: str, question: str) -> None:
    tripped = GATE.check(question)
    assert tripped is not None, f"{question!r} should trip {rule_id}"
    assert tripped.id == rule_id


@pytest.mark.parametrize(("rule_id", "question"), _examples("negative_examples"))
def test_negative_example_trips_no_rule(rule_id: str, question: str) -> None:
    tripped = GATE.check(question)
    assert tripped is None, f"{question!r} (negative of {rule_id}) tripped {tripped and tripped.id}"


# Words that would make an urgent message into self-treatment advice (English).
_ADVICE = re.compile(
    r"\b(exercis\w*|stretch\w*|ice|heat|rest|load\w*|ibuprofen|nsaids?|painkillers?|"
    r"paracetamol|massage|cushion|foam|sets?|reps?|squat\w*|bridges?|isometric\w*)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("category", CATEGORIES)
def test_english_message_leads_with_call_to_action_and_gives_no_advice(category: str) -> None:
    message = REPLIES.message(category, "en")
    first_sentence = message.split(". ")[0]
    assert message.startswith("Please ")
    assert re.search(r"emergency|doctor|crisis line|ambulance|assessment", first_sentence)
    assert not _ADVICE.search(message), _ADVICE.search(message)


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_has_a_message_in_every_language(category: str, language: str) -> None:
    message = REPLIES.message(category, language)
    assert "{" not in message
    if category in ("cauda-equina", "blood-clot", "fracture", "chest-breathless", "infection"):
        assert REPLIES.numbers(language) in message, (category, language)


@pytest.mark.parametrize(
    ("category", "must_say"),
    [
        ("cauda-equina", r"emergency department now"),
        ("fracture", r"do not walk on it.*ambulance"),
        ("blood-clot", r"call .*now"),
        ("chest-breathless", r"emergency number now"),
        ("crisis-self-harm", r"988.*116 123.*emergency"),
        ("tendon-avulsion", r"same-day assessment"),
        ("infection", r"doctor today or go to an emergency department"),
        ("serious-disease", r"doctor within the next few days"),
        ("progressive-neuro-loss", r"assessment today"),
    ],
)
def test_each_category_gets_its_own_kind_of_help(category: str, must_say: str) -> None:
    assert re.search(must_say, REPLIES.message(category, "en"))


def test_crisis_reply_ends_warmly() -> None:
    assert "do not have to face this alone" in REPLIES.message("crisis-self-harm")


def test_safety_net_names_every_category_in_one_line() -> None:
    net = REPLIES.safety_net("en")
    assert "\n" not in net
    for words in ("between the legs", "bladder", "pop", "fever", "weakness", "weight loss",
                  "cancer", "calf", "breathlessness", "fall", "bear weight", "chest pain",
                  "harming yourself"):  # fmt: skip
        assert words in net


def test_crisis_wins_over_a_symptom_rule() -> None:
    tripped = GATE.check("My groin is numb and I want to kill myself")
    assert tripped is not None and tripped.id == "crisis-self-harm"


# --- conversation rules ----------------------------------------------------------------------

_FLAG = [
    {"role": "user", "content": "I suddenly can't control my bladder"},
    {"role": "assistant", "content": "Please go to an emergency department now..."},
]


def test_an_unassessed_earlier_flag_stays_on_top_of_later_answers() -> None:
    decision = _decide("what about shockwave?", _FLAG)
    assert decision.kind == "still_urgent" and decision.urgent
    assert decision.category == "cauda-equina"
    assert decision.message.startswith("Earlier in this conversation you described")
    assert REPLIES.message("cauda-equina") in decision.message
    assert "I went to A&E and it was fine" in decision.message  # how to leave the state


def test_saying_it_was_assessed_ends_the_urgent_state() -> None:
    history = [*_FLAG, {"role": "user", "content": "I went to A&E, the MRI was clear"}]
    decision = _decide("which exercises can I do now?", history)
    assert decision.kind == "assessed" and not decision.urgent
    assert decision.preamble.startswith("You said your earlier symptoms were checked")
    # The assessment in the question itself counts too.
    assert _decide("I went to A&E and it was fine, what now?", _FLAG).kind == "assessed"


def test_a_new_flag_after_assessment_is_urgent_again() -> None:
    history = [*_FLAG, {"role": "user", "content": "went to A&E, MRI was clear"}]
    assert _decide("now I have a fever and my buttock is hot and swollen", history).urgent


def test_old_flags_count_however_far_back() -> None:
    history = _FLAG + [{"role": "user", "content": f"question {i}"} for i in range(30)]
    assert _decide("and cushions?", history).kind == "still_urgent"


def test_urgent_reply_says_how_to_leave_the_urgent_state() -> None:
    decision = _decide("I can't feel the toilet paper when I wipe")
    assert decision.urgent and "I went to A&E and it was fine" in decision.message


def test_a_general_question_gets_information_and_the_safety_net() -> None:
    decision = _decide("Can proximal hamstring tendinopathy cause bladder problems?")
    assert decision.kind == "hypothetical" and not decision.urgent
    assert "If you ever have these symptoms yourself" in decision.preamble
    # A question about one's own symptom is not general.
    assert _decide("Can I wait for physio if I can't control my bladder?").urgent


def test_crisis_is_never_downgraded_to_a_general_question() -> None:
    assert _decide("Is it normal to want to kill myself with this pain?").urgent


def test_assistant_turns_are_not_read() -> None:
    history = [{"role": "assistant", "content": REPLIES.message("cauda-equina")}]
    assert _decide("Does shockwave help?", history).kind == "clear"


def test_combination_can_span_turns() -> None:
    history = [{"role": "user", "content": "I've had a fever since yesterday"}]
    assert _decide("and now my buttock is red and swollen", history).category == "infection"
    assert _decide("and now my buttock is red and swollen").kind == "clear"


@pytest.mark.parametrize(
    "question",
    ["I have no numbness in my groin", "I don't have any bladder problems",
     "never had any bowel problems", "I have no fever but the area is swollen"],
)  # fmt: skip
def test_simple_negation_does_not_trip(question: str) -> None:
    assert GATE.check(question) is None


@pytest.mark.parametrize(
    "question",
    ["I can't control my bladder", "I'm not able to hold my pee", "I can no longer feel my groin",
     "No, I do have numbness in my groin", "I don't sit much but my groin is numb"],
)  # fmt: skip
def test_negation_scope_is_limited(question: str) -> None:
    tripped = GATE.check(question)
    assert tripped is not None and tripped.id == "cauda-equina"


def test_wet_myself_laughing_is_not_cauda_equina() -> None:
    assert GATE.check("I wet myself laughing at my physio's joke, anyway what helps?") is None
    tripped = GATE.check("I wet myself yesterday and didn't notice")
    assert tripped is not None and tripped.id == "cauda-equina"


# --- other languages -------------------------------------------------------------------------


def test_a_spanish_red_flag_gets_the_spanish_reply_with_numbers_and_english() -> None:
    gate = SafetyGate(RULES, replies=REPLIES)  # with language detection
    decision = _decide("Mi padre se cayó y no puede apoyar la pierna", gate=gate)
    assert decision.urgent and decision.category == "fracture"
    assert decision.message.startswith("No camines sobre esa pierna")
    assert "112" in decision.message and "Please do not walk on it" in decision.message


def test_a_routine_non_english_question_carries_the_safety_net_in_its_language() -> None:
    gate = SafetyGate(RULES, replies=REPLIES)
    decision = _decide("¿Por qué me duele el isquion cuando estoy sentado mucho tiempo?", gate=gate)
    assert not decision.urgent and decision.languages[0] == "es"
    assert REPLIES.safety_net("es") in decision.wrap("answer")
    assert "112" in decision.wrap("answer")


def test_a_mixed_language_message_is_triaged_in_each() -> None:
    gate = SafetyGate(RULES, replies=REPLIES)
    decision = _decide(
        "My buttock has hurt for months when I sit at work. Ich will nicht mehr leben.", gate=gate
    )
    assert decision.urgent and decision.category == "crisis-self-harm"
    assert "TelefonSeelsorge" in decision.message and "988" in decision.message


# --- the classifier is part of the union -----------------------------------------------------


class _Fake:
    """Flags any text containing 'zzflag' as a blood clot with score 0.9."""

    def __init__(self) -> None:
        self.vectors: list[object] = []

    def classify(self, text: str, vector: Sequence[float] | None = None) -> ClassifierResult:
        self.vectors.append(vector)
        hit = "zzflag" in text
        return ClassifierResult(0.9 if hit else 0.1, "blood-clot", text, hit)


def test_the_classifier_alone_can_make_a_message_urgent_and_reuses_the_query_vector() -> None:
    fake = _Fake()
    gate = SafetyGate(RULES, replies=REPLIES, detect=False, classifier=fake,
                      vector_for=lambda text: [1.0, 0.0])  # fmt: skip
    decision = _decide("my leg feels zzflag odd", gate=gate)
    assert decision.urgent and decision.category == "blood-clot"
    assert decision.sources == ("classifier",)
    assert fake.vectors[0] == [1.0, 0.0]
    assert not _decide("why does sitting hurt?", gate=gate).urgent


# --- bad input -------------------------------------------------------------------------------


def test_a_flag_anywhere_in_a_long_message_is_found() -> None:
    filler = "I have had an ache at the sit bone for months and sitting makes it worse. "
    for position in range(0, 27, 6):
        text = filler * position + "Since this morning I can't control my bladder. " + filler * (
            26 - position
        )
        assert len(text) >= 1900
        assert GATE.check(text[:2000]) is not None, position


@pytest.mark.parametrize(
    "text",
    ["I can\u200bt control my bladder", "\uff29 \uff43\uff41\uff4e'\uff54 pee",
     "\u0399 \u0441an't feel the toilet paper", "\x00\x01", "\U0001f600" * 50, "\ud800abc"],
)  # fmt: skip
def test_odd_unicode_never_raises(text: str) -> None:
    SafetyGate(RULES, replies=REPLIES).decide(Request(question=text))


def test_gate_is_fast() -> None:
    import time

    start = time.perf_counter()
    for n in range(50):
        GATE.decide(Request(question=f"Why does sitting make my deep buttock pain worse {n}? " * 5))
    # Generous: the machine running make test is shared; a regex blow-up takes seconds.
    assert (time.perf_counter() - start) / 50 < 0.25


# --- strict loading ----------------------------------------------------------------------------

_GOOD_RULE = """
  - id: demo
    patterns: ['\\bdemo\\b']
    rationale: A rule used only by the loading tests.
    positive_examples: [demo, a demo, demo two, demo three]
    negative_examples: [one, two, three, four]
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_minimal_valid_file_loads(tmp_path: Path) -> None:
    rules = load_rules(_write(tmp_path, "version: 1\nrules:" + _GOOD_RULE), replies=REPLIES)
    assert [rule.id for rule in rules] == ["demo"]
    gate = SafetyGate(rules, replies=REPLIES, detect=False, lexicons={})
    assert gate.flag("this is a demo") is not None


def _with(old: str, new: str) -> str:
    return "version: 1\nrules:" + _GOOD_RULE.replace(old, new)


_PATTERN = "['\\bdemo\\b']"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("version: 1\nrules: [", "not valid YAML"),
        ("- just a list", "expected a mapping"),
        (_with("    rationale", "    colour: red\n    rationale"), "Extra inputs"),
        (_with(_PATTERN, "['(unclosed']"), "rule 'demo': pattern 1: invalid regex"),
        (_with(_PATTERN, "['(demo)?']"), "matches empty text"),
        (_with(_PATTERN, "['<nope> demo']"), "unknown term <nope>"),
        (_with("[one, two, three, four]", "[one]"), "rule 'demo': negative_examples"),
        ("version: 1\nrules:" + _GOOD_RULE + _GOOD_RULE, "rule 'demo': the id is used twice"),
        ("version: 2\nrules:" + _GOOD_RULE, "version"),
        ("version: 1\nversion: 1\nrules:" + _GOOD_RULE, "duplicate key 'version'"),
        ("version: 1\nterms: {a: '(x'}\nrules:" + _GOOD_RULE, "term 'a': invalid regex"),
        ("version: 1\nterms: {a: '<b>', b: x}\nrules:" + _GOOD_RULE, "not defined above it"),
    ],
)
def test_bad_files_raise_one_named_error(tmp_path: Path, body: str, expected: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(RulesError) as info:
        load_rules(path, replies=REPLIES)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_missing_file_is_a_rules_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "absent.yaml", replies=REPLIES)


def test_rules_error_is_a_pht_error() -> None:
    assert issubclass(RulesError, PHTError)
