"""clean_question: invisible characters removed, whitespace normalised, bad input rejected."""

from __future__ import annotations

import pytest

from assistant.errors import InvalidQuestion, PHTError
from assistant.language.normalise import clean_question


def test_plain_question_is_unchanged() -> None:
    assert clean_question("Why does sitting hurt?", 2000) == "Why does sitting hurt?"


@pytest.mark.parametrize(
    "raw",
    [
        "Why does\u200b sitting hurt?",  # zero-width space
        "Why does sit\u200dting hurt?",  # zero-width joiner
        "\ufeffWhy does sitting hurt?",  # byte-order mark
        "Why does \u202esitting\u202c hurt?",  # right-to-left override
        "Why does \u2066sitting\u2069 hurt?",  # left-to-right isolate
        "Why does sitting\x00\x07 hurt?",  # NUL and BEL
        "Why does sitting\x1b hurt?",  # ESC
        "Why does sit\u00adting hurt?",  # soft hyphen
    ],
)
def test_invisible_and_control_characters_are_removed(raw: str) -> None:
    assert clean_question(raw, 2000) == "Why does sitting hurt?"


def test_whitespace_is_collapsed_and_trimmed() -> None:
    raw = "  Why\tdoes \n\n sitting\r\n hurt?\u00a0\u3000 "
    assert clean_question(raw, 2000) == "Why does sitting hurt?"


def test_nfkc_folds_compatibility_characters() -> None:
    # Fullwidth letters and the "fi" ligature become their plain forms.
    assert clean_question("\uff30\uff32\uff30 or steroid? \ufb01ne", 2000) == "PRP or steroid? fine"


def test_html_is_kept_as_text() -> None:
    raw = "<script>alert(1)</script> does ice help?"
    assert clean_question(raw, 2000) == raw


@pytest.mark.parametrize("raw", ["", "   ", "\n\t ", "\u200b\u200b", "\x00\x01", "\u202e \u2069"])
def test_empty_questions_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidQuestion, match="empty"):
        clean_question(raw, 2000)


def test_too_long_question_names_both_numbers() -> None:
    with pytest.raises(InvalidQuestion) as info:
        clean_question("a" * 2345, 2000)
    assert str(info.value) == (
        "Your question is 2,345 characters; the limit is 2,000. Please shorten it."
    )


def test_length_is_measured_after_cleaning() -> None:
    # Invisible padding does not count against the limit; the visible text fits exactly.
    raw = "b" * 20 + "\u200b" * 100 + "   "
    assert clean_question(raw, 20) == "b" * 20
    with pytest.raises(InvalidQuestion):
        clean_question("b" * 21, 20)


def test_non_text_is_rejected() -> None:
    with pytest.raises(InvalidQuestion, match="text"):
        clean_question(None, 2000)  # type: ignore[arg-type]


def test_invalid_question_is_a_pht_error() -> None:
    with pytest.raises(PHTError):
        clean_question("", 2000)
