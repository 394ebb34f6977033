"""Is a message about PHT at all? In this app it is, unless it clearly is about something else.

Order of the checks (reviewed words in rules/scope_terms.yaml, the model in scope_model.py):
  1. non_english   mostly non-Latin letters, or more foreign than English function words
  2. greeting / thanks   only greeting or thanks words
  3. in_scope      names PHT, the hamstring or the sit bone (`anchors`)
  4. out_of_scope  names another body part or condition (`other_topics`) and no `region` word
                   outside it, unless it compares with PHT (`comparisons`: "slower than my
                   achilles?")
  5. in_scope      names the buttock / back-of-thigh region (`region`)
  6. out_of_scope  the learned classifier is confident the message is about something else
  7. in_scope      everything else: "what causes this?", "is it safe?", "how long for?"
After retrieval (`unanswered`), an in-scope message the classifier leans off topic on is
out_of_scope when nothing retrieved answers it or nothing retrieved is close to it.
A question is data: "ignore previous instructions ..." is classified on what it asks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import RulesError
from assistant.language.normalise import normalise_for_matching
from assistant.language.typos import NearestWord
from assistant.rulefile import read_rules_file
from assistant.triage.scope_model import ScopeModel
from assistant.types import Request

__all__ = [
    "RULES_PATH",
    "OUT_OF_SCOPE_PROBABILITY",
    "UNANSWERED_OUT_OF_SCOPE",
    "LEANING_OUT_OF_SCOPE",
    "FAR_EVIDENCE",
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
OUT_OF_SCOPE_PROBABILITY = 0.7
"""The classifier must be at least this sure before a message is out of scope before retrieval
(in scope by default). Session 5 chose 0.85 for the regression alone. With the nearest
messages' vote (scope_model.NEIGHBOUR_SHARE) scores are less extreme: off-topic messages the
regression put at 0.86-0.92 ("are cheap mattresses any good?", "how do i get rid of a
migrane") now score 0.7-0.85, below 0.85, and were then answered not_covered by a coverage rule,
which decides before the after-retrieval scope check. Chosen again on the dev train split: 0.6
refuses a PHT question ("is there any way round this without going under the knife", 0.62, the
highest PHT message), 0.65 and 0.7 refuse none and leave the fewest off-topic messages to a
coverage rule, 0.75 and 0.8 leave 2 and 3 more."""
UNANSWERED_OUT_OF_SCOPE = 0.5
"""When retrieval finds nothing that answers a message, it is out of scope (not not_covered) if
the classifier leans this far towards another topic: the one written rule, "clearly about
something else" is out_of_scope, a PHT question the guidance does not answer is not_covered.
Chosen on the dev train split (0.5 and 0.6 tried; 0.5 catches one more off-topic message and
refuses no in-scope one)."""
LEANING_OUT_OF_SCOPE = 0.5
FAR_EVIDENCE = 0.4
"""A message the classifier puts at `LEANING_OUT_OF_SCOPE` or more whose best retrieved sentence
is less similar than `FAR_EVIDENCE` (its embedding, or its passage's nearest reviewed question)
is out of scope too, even when a word overlap made that sentence count as relevant ("should I
paint the hallway myself?" retrieves a sentence about doing the exercises oneself). With the
regression alone (session 5) 0.7 was chosen: lower refused vague PHT messages. Since the
classifier also takes the vote of the nearest training messages (scope_model.NEIGHBOUR_SHARE),
no PHT message of the dev train split scores above 0.62: at 0.5 none is refused and 3
off-topic messages are still not out_of_scope (0.6: 6, 0.7: 10; measured offline from the
baseline run's retrieval evidence)."""
_FUZZY_CUTOFF = 0.85
"""difflib ratio from which a word counts as a misspelling of a `fuzzy` topic word."""
_NON_LATIN_SHARE = 0.3
"""More than this share of non-Latin letters: the question is not in English."""

VectorOf = Callable[[str], Sequence[float]]


class _Replies(BaseModel):
    model_config = ConfigDict(extra="forbid")

    greeting: str
    thanks: str
    out_of_scope: str
    non_english: str


class _ScopeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[2]
    anchors: list[str] = Field(min_length=1)
    region: list[str] = Field(min_length=1)
    other_topics: list[str] = Field(min_length=1)
    comparisons: list[str] = Field(min_length=1)
    fuzzy: dict[str, Literal["anchor", "region"]] = Field(default_factory=dict)
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
    p_out: float | None = None
    """The classifier's probability that the message is about something else (None: not asked
    or no model). Coverage reads it when retrieval finds nothing that answers the message."""

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

    anchors: re.Pattern[str]
    region: re.Pattern[str]
    other: re.Pattern[str]
    comparisons: re.Pattern[str]
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
    lists = ("anchors", "region", "other_topics", "comparisons")
    compiled = {name: _alternation(getattr(spec, name), f"{path}: {name} entry") for name in lists}
    replies = {key: " ".join(value.split()) for key, value in spec.replies.model_dump().items()}
    examples = "\n".join(f"- {question}" for question in spec.example_questions)
    replies["out_of_scope"] = f"{replies['out_of_scope']} You could ask, for example:\n{examples}"
    foreign = [word for words in spec.foreign_words.values() for word in words]
    return ScopeTerms(
        anchors=compiled["anchors"],
        region=compiled["region"],
        other=compiled["other_topics"],
        comparisons=compiled["comparisons"],
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
    """Reviewed topic words first, then (when given) the learned classifier; in scope by default."""

    def __init__(
        self,
        terms: ScopeTerms | None = None,
        *,
        model: ScopeModel | None = None,
        vector_of: VectorOf | None = None,
        threshold: float = OUT_OF_SCOPE_PROBABILITY,
    ) -> None:
        if (model is None) != (vector_of is None):
            raise ValueError("the scope model needs `vector_of`, and the other way round")
        self.terms = load_scope_terms() if terms is None else terms
        self.model = model
        self._vector_of = vector_of
        self.threshold = threshold
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
        return {self.terms.fuzzy[close] for close in map(self._nearest, words) if close}

    def p_out(self, question: str) -> float | None:
        """Return the classifier's probability that `question` is about something else."""
        if self.model is None or self._vector_of is None:
            return None
        return self.model.p_out(self._vector_of(question))

    def _topic(
        self, question: str, text: str, words: list[str]
    ) -> tuple[ScopeKind, str, float | None]:
        terms = self.terms
        if terms.anchors.search(text) or "anchor" in self._fuzzy_kinds(words):
            return "in_scope", "names PHT, the hamstring or the sit bone", None
        # A region word inside another condition's name ("gluteal tendinopathy") does not count.
        rest = terms.other.sub(" ", text)
        region = terms.region.search(rest) or "region" in self._fuzzy_kinds(_WORDS.findall(rest))
        if terms.other.search(text) and not region and not terms.comparisons.search(text):
            return "out_of_scope", "about another body part or condition", None
        if region:
            return "in_scope", "names the buttock / back-of-thigh region", None
        p_out = self.p_out(question)
        if p_out is not None and p_out >= self.threshold:
            return "out_of_scope", f"the classifier says another topic (p={p_out:.2f})", p_out
        shown = "" if p_out is None else f" (classifier p_out={p_out:.2f})"
        return "in_scope", f"in scope by default{shown}", p_out

    def decide(self, request: Request) -> ScopeDecision:
        """Return the scope decision on a request (the message decides; history does not)."""
        return self.classify(request.question, request.history)

    def classify(self, question: str, history: Sequence[Mapping[str, str]] = ()) -> ScopeDecision:
        """Return the scope decision for a question.

        `history` is accepted for the callers' sake: a follow-up without topic words is in scope
        by default anyway, and one clearly about something else is out of scope whatever came
        before ("thanks. who won the match?").
        """
        terms = self.terms
        text = normalise_for_matching(question)
        words = _WORDS.findall(text)
        if self._is_non_english(text, words):
            return ScopeDecision("non_english", terms.replies["non_english"], "not in English")
        small_talk = self._small_talk(words)
        if small_talk is not None:
            return ScopeDecision(small_talk, terms.replies[small_talk], f"only {small_talk} words")
        kind, reason, p_out = self._topic(question, text, words)
        reply = terms.replies["out_of_scope"] if kind == "out_of_scope" else None
        return ScopeDecision(kind, reply, reason, p_out)

    def unanswered(
        self, decision: ScopeDecision, *, relevant: bool = False, evidence: float = 0.0
    ) -> ScopeDecision | None:
        """Return the out_of_scope decision for an in-scope message after retrieval, or None.

        Out of scope when the classifier leans towards another topic and retrieval could not
        answer it (`relevant` False, `UNANSWERED_OUT_OF_SCOPE`), or leans further and the best
        sentence retrieval found is far from it (`evidence`: `LEANING_OUT_OF_SCOPE`,
        `FAR_EVIDENCE`)."""
        p_out = decision.p_out
        if p_out is None:
            return None
        if not relevant and p_out >= UNANSWERED_OUT_OF_SCOPE:
            reason = "nothing retrieved answers it and the classifier leans off topic"
        elif p_out >= LEANING_OUT_OF_SCOPE and evidence < FAR_EVIDENCE:
            reason = "the classifier leans off topic and nothing retrieved is close to it"
        else:
            return None
        reason += f" (p={p_out:.2f})"
        return ScopeDecision("out_of_scope", self.terms.replies["out_of_scope"], reason)


@cache
def default_classifier() -> ScopeClassifier:
    """Return the rules-only classifier over the packaged vocabulary (built once per process)."""
    return ScopeClassifier()


def classify_scope(
    question: str,
    history: Sequence[Mapping[str, str]] = (),
    classifier: ScopeClassifier | None = None,
) -> ScopeDecision:
    """Return whether the question is in scope, small talk, another language or off topic."""
    return (classifier or default_classifier()).classify(question, history)
