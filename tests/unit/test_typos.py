"""SymSpell typo correction: what it fixes, what it leaves alone, and that it stays fast."""

from __future__ import annotations

import random
import string
import time

import pytest

from assistant.language.typos import NearestWord

_VOCABULARY = {
    "stretching", "shockwave", "sitting", "tendinopathy", "surgery", "injections", "hamstring",
    "eccentric", "exercise", "cryotherapy", "inflammation", "strengthening", "recommended",
    "setting", "suffering", "buffering", "needs", "need",
}  # fmt: skip


@pytest.fixture(scope="module")
def nearest() -> NearestWord:
    return NearestWord(_VOCABULARY, cutoff=0.84)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("strechting", "stretching"),  # a letter missing and one added
        ("shokwave", "shockwave"),  # deletion
        ("sittting", "sitting"),  # insertion
        ("tendinopthy", "tendinopathy"),
        ("surgury", "surgery"),  # substitution in a 7-letter word
        ("injectons", "injections"),
        ("hamsrting", "hamstring"),  # transposition
        ("ecentric", "eccentric"),
        ("excercise", "exercise"),
        ("inflamation", "inflammation"),
        ("strenghtening", "strengthening"),
        ("recomended", "recommended"),
    ],
)
def test_misspellings_find_the_corpus_word(nearest: NearestWord, typed: str, meant: str) -> None:
    assert nearest(typed) == meant


@pytest.mark.parametrize(
    "word",
    [
        "tendonitis",  # a different word, three edits away
        "physiotherapy",  # nothing close
        "needz",  # shorter than the minimum length
        "acupuncture",
    ],
)
def test_words_that_are_not_typos_are_left_alone(nearest: NearestWord, word: str) -> None:
    assert nearest(word) is None


def test_known_words_are_themselves_even_when_short(nearest: NearestWord) -> None:
    assert nearest("need") == "need"
    assert nearest("sitting") == "sitting"


def test_the_cutoff_rejects_far_candidates() -> None:
    # "sittign" is two edits (a swap counts one in SymSpell) from "sitting" and from "setting";
    # a strict cutoff keeps neither, a loose one keeps the closer.
    assert NearestWord({"sitting"}, cutoff=0.99)("sittign") is None
    assert NearestWord({"sitting"}, cutoff=0.8)("sittign") == "sitting"


def test_ties_go_to_the_commoner_word_then_alphabetical() -> None:
    counts = {"setting": 1, "sitting": 40}
    assert NearestWord({"setting", "sitting"}, 0.8, counts=counts)("sytting") == "sitting"
    assert NearestWord({"setting", "sitting"}, 0.8)("sytting") == "setting"


def test_lookups_stay_fast_on_a_large_vocabulary() -> None:
    rng = random.Random(7)
    vocabulary = {
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 14)))
        for _ in range(10_000)
    }
    nearest = NearestWord(vocabulary, cutoff=0.84)
    typed = [word[:3] + word[4:] + "q" for word in sorted(vocabulary)[:300] if len(word) >= 8]
    started = time.perf_counter()
    for word in typed:
        nearest(word)
    per_word_ms = (time.perf_counter() - started) * 1000 / len(typed)
    # difflib took ~60 ms a word at this size (150 ms at 26k words); SymSpell well under 1 ms.
    assert per_word_ms < 5, per_word_ms


def test_a_word_of_general_english_is_never_corrected_to_a_corpus_word() -> None:
    from assistant.retrieval.query import QueryCorrector

    corrector = QueryCorrector({"whether", "stretching", "surgery", "tendon"})
    assert corrector.correct("what's the weather like") == "what's the weather like"
    assert corrector.correct("is streching ok after surgury") == (
        "is stretching ok after surgery"  # misspellings are not in the dictionary: corrected
    )
