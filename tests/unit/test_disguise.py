"""The normaliser undoes disguises and leaves ordinary text alone (issue 16)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from assistant.language.disguise import undisguise
from assistant.language.normalise import normalise_for_matching

ROOT = Path(__file__).resolve().parents[2]

DISGUISED = {
    # invisible, filler and joiner characters inside and between words
    "my bla\u034fdder": "my bladder",
    "numb\u3164groin": "numb groin",
    "numb\u115fgroin": "numb groin",
    "kill\u2800myself": "kill myself",
    "kill\ufe0f myself": "kill myself",
    "su\u200bicide": "suicide",
    "kill\u200bmyself": "kill myself",
    "su\u2060ic\u00adide": "suicide",
    "\u202ekill myself\u202c": "kill myself",
    # marks stacked on letters
    "b\u0337l\u0337a\u0337d\u0337d\u0337e\u0337r\u0337": "bladder",
    "ki\u0336l\u0336l myself": "kill myself",
    "su\u0301\u0302icide": "suicide",
    # lookalike letters: Cyrillic, Ukrainian, Greek, small capitals, mathematical, fullwidth
    "\u0441hest \u0440\u0430in": "chest pain",
    "su\u0456c\u0456de": "suicide",
    "\u0456 want to k\u0456ll my\u0455elf": "i want to kill myself",
    "bl\u0430dd\u0435r": "bladder",
    "n\u03c5mb gr\u03bfin": "numb groin",
    "\u1d0b\u026a\u029f\u029f \u1d0d\u028fs\u1d07\u029f\u0493": "kill myself",
    "\U0001d424\U0001d422\U0001d425\U0001d425 me": "kill me",
    "\uff4b\uff49\uff4c\uff4c myself": "kill myself",
    # digits and symbols for letters
    "k1ll myself": "kill myself",
    "$uicide": "suicide",
    "k!ll myself": "kill myself",
    "loss of bowel c0ntr0l": "loss of bowel control",
    "5u1c1d3": "suicide",
    # split and spelt-out words
    "my bl-adder": "my bladder",
    "sui-cide": "suicide",
    "sui\u2013cide": "suicide",
    "k i l l  m y s e l f": "kill myself",
    "k i l l m y s e l f": "kill myself",
    "k-i-l-l myself": "kill myself",
    "c.a.u.d.a e.q.u.i.n.a": "cauda equina",
}


@pytest.mark.parametrize(("disguised", "plain"), list(DISGUISED.items()))
def test_disguises_are_undone(disguised: str, plain: str) -> None:
    assert undisguise(disguised) == plain
    assert normalise_for_matching(disguised) == normalise_for_matching(plain)


UNCHANGED = [
    "Why does sitting make my buttock pain worse?",
    "I take 10mg at 10am for the 3rd day, 2x a week, 4-6 weeks",
    "self-harm", "follow-up", "well-known", "numb-ness", "e.g. sitting", "a.m.",
    "B12 and D3", "L5/S1 and S1-S2", "h2t-pht-challenges", "covid19", "100% sure", "I feel great!",
    "\u00bfPor qu\u00e9 me duele el gl\u00fateo cuando estoy sentado?",
    "\u041f\u043e\u0447\u0435\u043c\u0443 \u0431\u043e\u043b\u0438\u0442 \u043f\u0440\u0438 "
    "\u0441\u0438\u0434\u0435\u043d\u0438\u0438?",
    "\u041c\u0435\u043d\u0456 \u0431\u043e\u043b\u044f\u0447\u0435 \u0441\u0438\u0434\u0456"
    "\u0442\u0438, \u0457\u0436\u0430\u043a",
    "\u4e3a\u4ec0\u4e48\u5750\u7740\u7684\u65f6\u5019\u81c0\u90e8\u4f1a\u75db",
    "\u0644\u0645\u0627\u0630\u0627 \u064a\u0624\u0644\u0645\u0646\u064a \u0627\u0644\u062c"
    "\u0644\u0648\u0633\u061f",
    "\u0915\u094d\u092f\u093e \u092c\u0948\u0920\u0928\u0947 \u0938\u0947 \u0926\u0930\u094d"
    "\u0926 \u0939\u094b\u0924\u093e \u0939\u0948?",
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9",
]  # fmt: skip


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


@pytest.mark.parametrize("text", UNCHANGED)
def test_ordinary_text_in_any_language_is_unchanged(text: str) -> None:
    assert undisguise(text) == _plain(text)


def test_the_corpus_and_every_eval_question_pass_unchanged() -> None:
    lines = [line for path in sorted((ROOT / "corpus").glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]  # fmt: skip
    for path in sorted((ROOT / "evals" / "cases").glob("*.yaml")):
        lines += [case["question"] for case in yaml.safe_load(path.read_text(encoding="utf-8"))]
    dashes = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
    changed = [line for line in lines if undisguise(line) != _plain(line).translate(dashes)]
    assert len(lines) > 150
    assert changed == []


def test_long_input_is_linear_not_explosive() -> None:
    import time

    text = ("k1ll m3 " * 100 + "a b c d e f g h i j k l m n o p " * 50 + "\u200b" * 500) * 2
    started = time.perf_counter()
    undisguise(text)
    assert time.perf_counter() - started < 1.0
