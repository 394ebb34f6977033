"""Coverage: what the guidance cannot answer, decided before retrieval and after it.

One written rule: a message clearly about something else is out_of_scope (the scope check); a
message about PHT that asks for what the guidance never states is not_covered. Decided here:

- reviewed rules (rules/coverage_rules.yaml) for what the corpus never states: doses, rep
  schemes, prices, populations it omits (pregnancy, children), post-operative logistics
  (crutches, driving, return to work), scans, treatments and products it never discusses. A
  match means "not_covered": say so plainly, say who to ask, and add what the guidance does say
  on the topic (retrieved with `topic_query`, cited by the composer);
- a question whose only topic words are ones the corpus never uses AND that are rare in general
  English (english.py: "Does kombucha help?"; not "am I stuck with this forever?");
- after retrieval (`CoverageCheck.relevant`): nothing retrieved is related at all.
This check never invents the missing number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from assistant.language.english import GeneralEnglish, general_english
from assistant.language.normalise import normalise_for_matching
from assistant.retrieval.lexical import Vocabulary
from assistant.rulefile import read_rules_file
from assistant.settings import Settings
from assistant.triage.patterns import Matcher, RuleSpec, compile_rules
from assistant.types import Request

__all__ = [
    "RULES_PATH",
    "NOT_COVERED_MESSAGE",
    "CoverageRule",
    "UncoveredRequest",
    "CoverageDecision",
    "CoverageCheck",
    "load_coverage_rules",
    "detect_uncovered",
    "covered_topics_text",
]

RULES_PATH = Path(__file__).parent / "rules" / "coverage_rules.yaml"

NOT_COVERED_MESSAGE = (
    "The guidance I draw on does not answer this question. A physiotherapist or doctor who can "
    "examine you is the right person to ask."
)


class _CoverageRuleSpec(RuleSpec):
    message: str = Field(min_length=20)
    topic_query: str = Field(min_length=3)


class _CoverageFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    terms: dict[str, str] = Field(default_factory=dict)
    rules: list[_CoverageRuleSpec] = Field(min_length=1)


@dataclass(frozen=True)
class UncoveredRequest:
    """What the guidance does not give, who to ask, and a query for what it does say."""

    id: str
    message: str
    topic_query: str


@dataclass(frozen=True)
class CoverageRule:
    """One reviewed not-covered rule with its examples."""

    id: str
    message: str
    topic_query: str
    rationale: str
    positive_examples: tuple[str, ...]
    negative_examples: tuple[str, ...]
    matcher: Matcher = field(repr=False, compare=False)

    def request(self) -> UncoveredRequest:
        """Return the UncoveredRequest this rule produces."""
        return UncoveredRequest(self.id, self.message, self.topic_query)


def load_coverage_rules(path: Path | None = None) -> list[CoverageRule]:
    """Return the coverage rules from `path` (the packaged file by default), in order."""
    path = RULES_PATH if path is None else Path(path)
    spec = read_rules_file(path, _CoverageFile)
    return [
        CoverageRule(
            id=rule.id,
            message=" ".join(rule.message.split()),
            topic_query=rule.topic_query,
            rationale=" ".join(rule.rationale.split()),
            positive_examples=tuple(rule.positive_examples),
            negative_examples=tuple(rule.negative_examples),
            matcher=matcher,
        )
        for rule, matcher in compile_rules(path, spec.terms, spec.rules)
    ]


@cache
def _default_rules() -> tuple[CoverageRule, ...]:
    return tuple(load_coverage_rules())


def detect_uncovered(
    question: str, rules: Sequence[CoverageRule] | None = None
) -> UncoveredRequest | None:
    """Return what the question asks that the guidance never states, or None if nothing."""
    texts = [normalise_for_matching(question)]
    for rule in _default_rules() if rules is None else rules:
        if rule.matcher.matches(texts):
            return rule.request()
    return None


def covered_topics_text(topics: Sequence[str]) -> str:
    """Return "It covers a, b and c." from the manifest's topics (empty when there are none)."""
    unique = list(dict.fromkeys(t.strip() for t in topics if t.strip()))
    if not unique:
        return ""
    listed = unique[0] if len(unique) == 1 else f"{', '.join(unique[:-1])} and {unique[-1]}"
    return f"It covers {listed}."


class Scored(Protocol):
    """A chosen sentence as the composer scored it (`compose.extractive.ScoredUnit`)."""

    @property
    def cosine(self) -> float: ...

    @property
    def overlap(self) -> float: ...


@dataclass(frozen=True)
class CoverageDecision:
    """Coverage before retrieval: a rule that matched, or the topic words the corpus lacks."""

    uncovered: UncoveredRequest | None = None
    unknown: tuple[str, ...] = ()
    """Topic words of a first question that the corpus never uses (answer now: not_covered)."""

    @property
    def final(self) -> bool:
        """Return True when the answer is decided without retrieval."""
        return bool(self.unknown)

    def query(self, request: Request) -> str:
        """Return what to retrieve: the rule's topic query, or the question itself."""
        return self.uncovered.topic_query if self.uncovered else request.question


class CoverageCheck:
    """What the guidance covers: reviewed rules, the corpus vocabulary, the relevance floor."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        prepare: Callable[[str], str],
        settings: Settings,
        *,
        covered_topics: str = "",
        rules: Sequence[CoverageRule] | None = None,
        english: GeneralEnglish | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.covered_topics = covered_topics
        self._prepare = prepare
        self._settings = settings
        self._rules = rules
        self._english = english

    def before(self, request: Request) -> CoverageDecision:
        """Return the decision before retrieval (a rule, or rare words the corpus never uses)."""
        uncovered = detect_uncovered(request.question, self._rules)
        if uncovered:
            return CoverageDecision(uncovered)
        english = self._english or general_english()
        unknown = self.vocabulary.unknown_words(self._prepare(request.question))
        return CoverageDecision(None, tuple(w for w in unknown if english.is_rare(w)))

    def unknown_text(self, decision: CoverageDecision) -> str:
        """Return the not_covered answer for a question about words the corpus never uses."""
        # Name the missing topic only when it is one word: a list reads like noise.
        missing = "does not cover this"
        if len(decision.unknown) == 1:
            missing = f"does not mention {decision.unknown[0]}"
        return (
            f"The guidance I draw on {missing}, so it cannot answer this. A physiotherapist "
            f"or doctor who knows your case can advise you. {self.covered_topics}"
        ).strip()

    def relevant(self, chosen: Sequence[Scored]) -> bool:
        """Return True when the best chosen sentence is relevant enough to answer with."""
        return bool(chosen) and (
            chosen[0].cosine >= self._settings.min_answer_cosine
            or chosen[0].overlap >= self._settings.min_answer_overlap
        )

    def not_relevant_text(self) -> str:
        """Return the not_covered answer when nothing retrieved is relevant enough."""
        return f"{NOT_COVERED_MESSAGE} {self.covered_topics}".strip()
