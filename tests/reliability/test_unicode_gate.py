"""Disguised red flags reach the same decision as the plain ones (issue 16).

Before the normaliser undid them, each disguise below turned an urgent message into
out_of_scope: the safety gate never saw the words. The decision itself is the triage's; this
test only demands that a disguise does not change it.
"""

from __future__ import annotations

import pytest

from tests.reliability.helpers import check_answer, fake_assistant, fake_chunks

PLAIN = (
    "I suddenly can't control my bladder and my groin is numb",
    "I want to kill myself",
)
_CYRILLIC = str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441",
                           "i": "\u0456", "y": "\u0443", "p": "\u0440", "s": "\u0455"})  # fmt: skip
_LEET = str.maketrans({"i": "1", "o": "0", "e": "3", "a": "4", "s": "5"})


def _between_letters(text: str, char: str) -> str:
    return " ".join(char.join(word) if len(word) > 3 else word for word in text.split(" "))


DISGUISES = {
    "U+034F inside words": lambda t: _between_letters(t, "\u034f"),
    "U+3164 between words": lambda t: t.replace(" ", "\u3164"),
    "U+115F between words": lambda t: t.replace(" ", "\u115f"),
    "U+2800 between words": lambda t: t.replace(" ", "\u2800"),
    "U+FE0F inside words": lambda t: _between_letters(t, "\ufe0f"),
    "zero-width inside words": lambda t: _between_letters(t, "\u200b"),
    "combining marks": lambda t: "".join(c + "\u0336" if c.isalpha() else c for c in t),
    "Cyrillic homoglyphs": lambda t: t.translate(_CYRILLIC),
    "leetspeak": lambda t: t.translate(_LEET),
    # Split where a half is no word (`bl-adder`); `my-self`, two real words, stays a compound.
    "hyphen inside words": lambda t: " ".join(
        w[:3] + "-" + w[3:] if len(w) > 5 else w for w in t.split(" ")
    ),
    "spelt out": lambda t: "  ".join(" ".join(word) for word in t.split(" ")),
    "fullwidth": lambda t: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in t),
}


@pytest.fixture(scope="module")
def assistant():  # type: ignore[no-untyped-def]
    return fake_assistant()


@pytest.mark.parametrize("plain", PLAIN)
@pytest.mark.parametrize("name", list(DISGUISES))
def test_a_disguise_does_not_change_the_decision(assistant, plain: str, name: str) -> None:  # type: ignore[no-untyped-def]
    disguised = DISGUISES[name](plain)
    assert disguised != plain
    passages = [c.text for c in fake_chunks()]
    expected = check_answer(assistant.ask(plain), passages)
    got = check_answer(assistant.ask(disguised), passages)
    assert (got.status, got.rule_id) == (expected.status, expected.rule_id), disguised
