"""Answer-first helpers: yes/no questions, the direction one sentence states, the lead-in."""

from __future__ import annotations

import pytest

from assistant.compose.answer_first import (
    direction,
    is_yes_no,
    lead_in,
    negated_terms,
    topic_words,
)
from assistant.language.tokens import terms

STRETCH_ROW = (
    "Option: Avoid excessive stretching. Evidence/Outcome: Stretching increases tendon "
    "compression and irritability."
)
NSAIDS = (
    "NSAIDs are recommended for short-term pain relief, but have no effect on long-term outcomes."
)
REST = (
    "The current treatment guidelines recommend relative rest and reduced activity to prevent "
    "further damage and promote healing and pain relief."
)
TOPICAL = (
    "Topical NSAIDs may be effective and have fewer systemic side effects, but it is unclear "
    "whether they are better than other analgesics."
)


@pytest.mark.parametrize(
    ("question", "closed"),
    [
        ("Is stretching good for it?", True),
        ("so should I stretch?", True),
        ("Does ice help?", True),
        ("What causes this?", False),
        ("Is shockwave or an injection better?", False),
        ("why does sitting hurt", False),
    ],
)
def test_yes_no_questions(question: str, closed: bool) -> None:
    assert is_yes_no(question) is closed


def test_a_denied_term_is_not_the_topic() -> None:
    assert terms("surgery")[0] in negated_terms("can this get better without surgery?")
    assert negated_terms("Does ice help?") == set()


def test_no_when_the_sentence_denies_what_is_asked() -> None:
    assert direction("Is stretching good for it?", STRETCH_ROW, {"stretch"}) == "no"
    assert direction("Should I stretch my hamstring?", STRETCH_ROW, {"stretch"}) == "no"
    assert direction("Do NSAIDs change the long-term outcome?", NSAIDS, {"nsaid"}) == "no"


def test_yes_only_when_the_sentence_states_it() -> None:
    assert direction("Is relative rest recommended?", REST, {"rest", "relative"}) == "yes"
    assert direction("Is relative rest recommended?", STRETCH_ROW, {"rest"}) is None


def test_a_hedged_sentence_gives_no_direction() -> None:
    question = "Are topical NSAIDs better than other painkillers?"
    assert direction(question, TOPICAL, {"topical", "nsaid"}) is None


def test_lead_ins_say_something_and_end_with_a_colon() -> None:
    assert lead_in([], "no", yes_no=True, audience="patient") == "In short, no; the guidance says:"
    assert lead_in([], None, yes_no=True, audience="patient").startswith("The guidance gives no")
    assert lead_in(["stretching"], None, yes_no=False, audience="patient") == (
        "On stretching, the guidance says:"
    )
    assert lead_in([], None, yes_no=False, audience="clinician") == ""
    assert lead_in(["PRP"], None, yes_no=False, audience="clinician").endswith("sources say:")



def _topic(question: str, sentence: str) -> list[str]:
    return topic_words(question, {t: 1.0 for t in terms(question)}, sentence)


def test_the_topic_is_shown_as_the_sentence_spells_it_and_adjacent_words_join() -> None:
    assert _topic("Does manual therapy help?", "Manual therapy is an option.") == ["manual therapy"]
    assert _topic("is siting bad for it", "Sitting itself aggravates symptoms.") == []
    assert _topic("why is it slow to heal", "Tendons regenerate slowly.") == []
    assert _topic("do nsaids help", NSAIDS) == ["NSAIDs"]
    assert _topic("is shockwave or PRP better", "Shockwave and PRP are options.") == [
        "shockwave", "PRP"
    ]
