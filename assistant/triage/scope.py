"""Is a question about PHT at all? Greetings, thanks, other languages and other topics get a reply.

Plain keyword rules over a reviewed vocabulary (rules/scope_terms.yaml) with a little typo
tolerance; no model. The order of the checks is written at the top of that file. A question is data:
"ignore previous instructions ..." is classified on what it asks, like any other text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import RulesError
from assistant.language.normalise import normalise_for_matching
from assistant.language.turns import is_follow_up, user_turns
from assistant.language.typos import NearestWord
from assistant.rulefile import read_rules_file
from assistant.types import Request

__all__ = [
    "RULES_PATH",
    "ScopeKind",
    "ScopeDecision",
    "ScopeTerms",
    "ScopeClassifier",
    "load_scope_terms",
    "classify_scope",
    "default_classifier",
]

ScopeKind = Literal["in_scope", "greeting", "thanks", "out_of_scope", "non_english"]

_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
RULES_PATH = Path(__file__).parent / "rules" / "scope_terms.yaml"
_FUZZY_CUTOFF = 0.85
"""difflib ratio from which a word counts as a misspelling of a `fuzzy` topic word."""
_FOLLOW_UP_MAX_WORDS = 12
"""A question with no topic words of its own and at most this many words is a follow-up."""
_HISTORY_TURNS = 3
"""How many earlier user turns can make a topic-less question a follow-up."""
_NON_LATIN_SHARE = 0.3
"""More than this share of non-Latin letters: the question is not in English."""


class _Replies(BaseModel):
    model_config = ConfigDict(extra="forbid")

    greeting: str
    thanks: str
    out_of_scope: str
    non_english: str


class _ScopeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    pht: list[str] = Field(min_length=1)
    region: list[str] = Field(min_length=1)
    care: list[str] = Field(min_length=1)
    other_conditions: list[str] = Field(min_length=1)
    off_topic: list[str] = Field(min_length=1)
    fuzzy: dict[str, Literal["pht", "region"]] = Field(default_factory=dict)
    greeting_words: list[str] = Field(min_length=1)
    thanks_words: list[str] = Field(min_length=1)
    filler_words: list[str] = Field(default_factory=list)
    english_words: list[str] = Field(min_length=1)
    foreign_words: dict[str, list[str]] = Field(min_length=1)
    foreign_greetings: list[str] = Field(default_factory=list)
    example_questions: list[str] = Field(min_length=3)
    replies: _Replies


@dataclass(frozen=True)
class ScopeDecision:
    """What the scope check decided, the reply for anything not in scope, and why."""

    kind: ScopeKind
    reply: str | None = None
    reason: str = ""

    @property
    def in_scope(self) -> bool:
        """Return True when the question goes on to retrieval."""
        return self.kind == "in_scope"


def _alternation(patterns: Sequence[str], where: str) -> re.Pattern[str]:
    for index, pattern in enumerate(patterns, start=1):
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise RulesError(f"{where} {index}: invalid regex ({exc}).") from exc
        if compiled.search("") is not None:
            raise RulesError(f"{where} {index}: the regex matches empty text.")
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.IGNORECASE)


@dataclass(frozen=True)
class ScopeTerms:
    """The compiled vocabulary of scope_terms.yaml."""

    pht: re.Pattern[str]
    region: re.Pattern[str]
    care: re.Pattern[str]
    other: re.Pattern[str]
    off_topic: re.Pattern[str]
    fuzzy: Mapping[str, str]
    greeting_words: frozenset[str]
    thanks_words: frozenset[str]
    filler_words: frozenset[str]
    english_words: frozenset[str]
    foreign_words: frozenset[str]
    foreign_greetings: frozenset[str]
    example_questions: tuple[str, ...]
    replies: Mapping[str, str]


def _words(items: Sequence[str]) -> frozenset[str]:
    return frozenset(normalise_for_matching(item) for item in items)


def load_scope_terms(path: Path | None = None) -> ScopeTerms:
    """Return the compiled scope vocabulary from `path` (the packaged file by default)."""
    path = RULES_PATH if path is None else Path(path)
    spec = read_rules_file(path, _ScopeFile)
    lists = ("pht", "region", "care", "other_conditions", "off_topic")
    compiled = {name: _alternation(getattr(spec, name), f"{path}: {name} entry") for name in lists}
    replies = {key: " ".join(value.split()) for key, value in spec.replies.model_dump().items()}
    examples = "\n".join(f"- {question}" for question in spec.example_questions)
    replies["out_of_scope"] = f"{replies['out_of_scope']} You could ask, for example:\n{examples}"
    foreign = [word for words in spec.foreign_words.values() for word in words]
    return ScopeTerms(
        pht=compiled["pht"],
        region=compiled["region"],
        care=compiled["care"],
        other=compiled["other_conditions"],
        off_topic=compiled["off_topic"],
        fuzzy={normalise_for_matching(word): kind for word, kind in spec.fuzzy.items()},
        greeting_words=_words(spec.greeting_words),
        thanks_words=_words(spec.thanks_words),
        filler_words=_words(spec.filler_words),
        english_words=_words(spec.english_words),
        foreign_words=_words(foreign) - _words(spec.english_words),
        foreign_greetings=_words(spec.foreign_greetings),
        example_questions=tuple(spec.example_questions),
        replies=replies,
    )


class ScopeClassifier:
    """Classifies questions with one compiled vocabulary."""

    def __init__(self, terms: ScopeTerms | None = None) -> None:
        self.terms = load_scope_terms() if terms is None else terms
        self._nearest = NearestWord(self.terms.fuzzy, _FUZZY_CUTOFF)

    def _is_non_english(self, text: str, words: list[str]) -> bool:
        letters = [char for char in text if char.isalpha()]
        if letters:
            non_latin = sum(
                1 for char in letters if not unicodedata.name(char, "").startswith("LATIN")
            )
            if non_latin / len(letters) > _NON_LATIN_SHARE:
                return True
        english = sum(1 for word in words if word in self.terms.english_words)
        foreign = sum(1 for word in words if word in self.terms.foreign_words)
        if "¿" in text or "¡" in text:
            return english <= foreign
        if foreign >= 2 and foreign > english:
            return True
        return (
            0 < len(words) <= 3
            and english == 0
            and any(word in self.terms.foreign_greetings for word in words)
        )

    def _small_talk(self, words: list[str]) -> ScopeKind | None:
        terms = self.terms
        if not words:
            return None
        if all(word in terms.greeting_words or word in terms.filler_words for word in words):
            if any(word in terms.greeting_words for word in words):
                return "greeting"
        chat = terms.greeting_words | terms.thanks_words | terms.filler_words
        if all(word in chat for word in words) and any(w in terms.thanks_words for w in words):
            return "thanks"
        return None

    def _fuzzy_kinds(self, words: list[str]) -> set[str]:
        kinds: set[str] = set()
        for word in words:
            close = self._nearest(word)
            if close:
                kinds.add(self.terms.fuzzy[close])
        return kinds

    def _topic(self, text: str, words: list[str]) -> tuple[ScopeKind | None, str]:
        """Return in_scope/out_of_scope from the question alone, or None when it says nothing."""
        terms = self.terms
        if terms.pht.search(text) or "pht" in self._fuzzy_kinds(words):
            return "in_scope", "names PHT or the hamstring / sit bone"
        # A region word inside another condition's name ("gluteal tendinopathy") does not count.
        rest = terms.other.sub(" ", text)
        if terms.region.search(rest) or "region" in self._fuzzy_kinds(_WORDS.findall(rest)):
            return "in_scope", "names the buttock / hamstring region"
        if terms.other.search(text):
            return "out_of_scope", "about another joint or condition"
        if terms.off_topic.search(text):
            return "out_of_scope", "about an unrelated topic"
        if terms.care.search(text):
            return "in_scope", "about care the guidance discusses"
        return None, "no topic words"

    def _history_in_scope(self, history: Sequence[Mapping[str, str]]) -> bool:
        for turn in user_turns(history)[-_HISTORY_TURNS:]:
            text = normalise_for_matching(turn)
            if self._topic(text, _WORDS.findall(text))[0] == "in_scope":
                return True
        return False

    def decide(self, request: Request) -> ScopeDecision:
        """Return the scope decision on a request (earlier user turns count for follow-ups)."""
        return self.classify(request.question, request.history)

    def classify(self, question: str, history: Sequence[Mapping[str, str]] = ()) -> ScopeDecision:
        """Return the scope decision for a question, using the earlier user turns for follow-ups."""
        terms = self.terms
        text = normalise_for_matching(question)
        words = _WORDS.findall(text)
        if self._is_non_english(text, words):
            return ScopeDecision("non_english", terms.replies["non_english"], "not in English")
        small_talk = self._small_talk(words)
        if small_talk is not None:
            return ScopeDecision(small_talk, terms.replies[small_talk], f"only {small_talk} words")
        kind, reason = self._topic(text, words)
        if kind == "in_scope":
            return ScopeDecision("in_scope", None, reason)
        if kind is None and words and self._history_in_scope(history):
            if len(words) <= _FOLLOW_UP_MAX_WORDS or is_follow_up(text):
                return ScopeDecision("in_scope", None, "a follow-up to an in-scope question")
        return ScopeDecision("out_of_scope", terms.replies["out_of_scope"], reason)


@cache
def default_classifier() -> ScopeClassifier:
    """Return the classifier over the packaged vocabulary (built once per process)."""
    return ScopeClassifier()


def classify_scope(
    question: str,
    history: Sequence[Mapping[str, str]] = (),
    classifier: ScopeClassifier | None = None,
) -> ScopeDecision:
    """Return whether the question is in scope, small talk, another language or off topic."""
    return (classifier or default_classifier()).classify(question, history)
