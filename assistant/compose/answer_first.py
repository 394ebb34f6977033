"""Answer-first helpers of the extractive composer: what the question is about, which way a
yes/no question's best sentence points, and the lead-in that says so.

The lead-in is the only composer text in an answer: it names the topic ("On stretching, the
guidance says:") or, for a yes/no question, the direction that the first quoted sentence states
explicitly ("In short, no; the guidance says:"). It always ends with a colon, so checks that
read claims skip it; every claim stays a verbatim corpus sentence with its marker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from assistant.language.lexicon import lexicon
from assistant.language.negation import negated_words
from assistant.language.tokens import stem, terms

__all__ = [
    "Direction",
    "is_yes_no",
    "is_choice",
    "negated_terms",
    "direction",
    "topic_words",
    "lead_in",
]

Direction = Literal["yes", "no"]

_YES_NO = re.compile(
    r"^\s*(?:(?:so|and|but|ok|okay|then|also|well|hi|hey)[,\s]+)*"
    r"(?:is|are|was|were|does|do|did|can|could|should|shall|will|would|has|have|had|may|must|"
    r"isn't|aren't|doesn't|don't|won't|wouldn't|shouldn't|can't)\b",
    re.IGNORECASE,
)
_CHOICE = re.compile(r"\bor\b|\bwhich\b|\bvs\b|\bversus\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z']+")
_LEX = lexicon()
_UNSURE = frozenset({"may", "might", "unclear", "variable", "limited", "whether", "appears"})
"""Words that make a sentence hedge rather than state: no yes/no from such a sentence."""
_MIN_SHARED = 2
"""A yes needs at least this many of the question's terms stated positively by the sentence."""


_COMPARE = re.compile(r"\bor\b|\bvs\b\.?|\bversus\b|\bcompar\w*", re.IGNORECASE)


def is_choice(question: str) -> bool:
    """Return True for a question that weighs options ("shockwave or an injection?", "compare
    rest and loading"): its answer should say something about each option it names."""
    return bool(_COMPARE.search(question))


def is_yes_no(question: str) -> bool:
    """Return True for a closed question ("Is stretching good for it?"), not an either-or one."""
    first = re.split(r"[?.!]", question, maxsplit=1)[0]
    return bool(_YES_NO.match(first)) and not _CHOICE.search(first)


def negated_terms(text: str) -> set[str]:
    """Return the stems that `text` puts inside a denial's scope ("without an op" -> op)."""
    return {stem(token) for token in negated_words(text)}


def _positive_terms(text: str) -> set[str]:
    return set(terms(text)) - negated_terms(text)


def direction(question: str, sentence: str, topic: set[str]) -> Direction | None:
    """Return which way `sentence` answers the yes/no `question`, when it says so explicitly.

    "no": the sentence denies a term of the question ("Avoid excessive stretching" for "Should
    I stretch?"; "no effect on long-term outcomes" for "Do NSAIDs change the long-term
    outcome?"). "yes": it states the question's terms (at least two, the topic among them)
    without denial. None when the sentence hedges ("may", "unclear", "variable") or does
    neither; so does a question that is itself negative.
    """
    if not is_yes_no(question) or negated_terms(question):
        return None
    words = set(_WORD.findall(sentence.lower()))
    if words & _UNSURE:
        return None
    asked = set(terms(question))
    if asked & negated_terms(sentence):
        return "no"
    stated = asked & _positive_terms(sentence)
    if len(stated) >= _MIN_SHARED and stated & topic and len(stated) >= len(asked) - 1:
        return "yes"
    return None


_ACRONYMS = {"prp": "PRP", "eswt": "ESWT", "nsaid": "NSAID", "nsaids": "NSAIDs", "pht": "PHT",
             "hsr": "HSR", "rct": "RCT", "rcts": "RCTs", "mri": "MRI"}  # fmt: skip
"""Typed words shown in capitals in a lead-in (only these: "shockwave" stays lower case)."""
_TOPIC_PHRASES = 2
"""A lead-in names at most this many topics (a run of adjacent question words is one)."""


def topic_words(question: str, weights: Mapping[str, float], sentence: str) -> list[str]:
    """Return the question's words (as typed) for its specific terms that `sentence` states.

    A word is shown only as the sentence spells it (a plural aside), so a typo ("siting") or
    another form ("slow" for "slowly") is not echoed back; adjacent words make one topic
    ("manual therapy", not "manual and therapy"); acronyms keep their capitals.
    """
    found = set(terms(sentence))
    spelled = set(_WORD.findall(sentence.lower()))
    runs: list[list[str]] = []
    seen: set[str] = set()
    last = -2
    for position, word in enumerate(_WORD.findall(question.lower())):
        new = [t for t in terms(word) if t in weights and t in found and t not in seen]
        as_written = word in spelled or f"{word}s" in spelled or word.removesuffix("s") in spelled
        if not new or len(word) <= 2 or not as_written:
            continue
        seen.update(new)
        shown = _ACRONYMS.get(word, word)
        if position == last + 1 and runs:
            runs[-1].append(shown)
        else:
            runs.append([shown])
        last = position
    return [" ".join(run) for run in runs[:_TOPIC_PHRASES]]


def lead_in(topic: list[str], answer: Direction | None, *, yes_no: bool, audience: str) -> str:
    """Return the lead-in: the direction of a yes/no answer, the topic, or nothing."""
    source = "the curated sources say" if audience == "clinician" else "the guidance says"
    if yes_no:
        if answer is not None:
            return f"In short, {answer}; {source}:"
        return "The guidance gives no plain yes or no on this; what it says:"
    if topic:
        return f"On {' and '.join(topic)}, {source}:"
    return ""
