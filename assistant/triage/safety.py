"""The red-flag safety gate: reviewed rules (rules/safety_rules.yaml) checked before retrieval.

A tripped rule's message is the whole answer (status "urgent"). The gate reads the current
question and every earlier user turn: a red flag someone mentioned before still counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.language.normalise import normalise_for_matching
from assistant.language.turns import user_turns
from assistant.rulefile import read_rules_file
from assistant.triage.patterns import Matcher, PatternItem, RuleSpec, compile_rules
from assistant.types import Request

__all__ = ["RULES_PATH", "SafetyRule", "SafetyDecision", "SafetyGate", "load_rules", "user_texts"]

RULES_PATH = Path(__file__).parent / "rules" / "safety_rules.yaml"


class _SafetyRuleSpec(RuleSpec):
    message: str = Field(min_length=20)


class _SafetyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    terms: dict[str, str] = Field(default_factory=dict)
    rules: list[_SafetyRuleSpec] = Field(min_length=1)


@dataclass(frozen=True)
class SafetyRule:
    """One reviewed red-flag rule: what trips it, what the person is told, and why."""

    id: str
    message: str
    rationale: str
    patterns: tuple[PatternItem, ...]
    positive_examples: tuple[str, ...]
    negative_examples: tuple[str, ...]
    matcher: Matcher = field(repr=False, compare=False)

    def matches(self, question: str, history: Sequence[Mapping[str, str]] = ()) -> bool:
        """Return whether this rule trips on the question or an earlier user turn."""
        return self.matcher.matches(user_texts(question, history))


def user_texts(question: str, history: Sequence[Mapping[str, str]] = ()) -> list[str]:
    """Return the question and the earlier user turns, normalised for matching."""
    return [normalise_for_matching(text) for text in (question, *user_turns(history))]


@dataclass(frozen=True)
class SafetyDecision:
    """What the gate decided: the rule that tripped (the answer is urgent), or None."""

    rule: SafetyRule | None = None

    @property
    def urgent(self) -> bool:
        """Return True when a red-flag or crisis rule tripped."""
        return self.rule is not None


def load_rules(path: Path | None = None) -> list[SafetyRule]:
    """Return the safety rules from `path` (the packaged file by default), in priority order."""
    path = RULES_PATH if path is None else Path(path)
    spec = read_rules_file(path, _SafetyFile)
    return [
        SafetyRule(
            id=rule.id,
            message=" ".join(rule.message.split()),
            rationale=" ".join(rule.rationale.split()),
            patterns=tuple(rule.patterns),
            positive_examples=tuple(rule.positive_examples),
            negative_examples=tuple(rule.negative_examples),
            matcher=matcher,
        )
        for rule, matcher in compile_rules(path, spec.terms, spec.rules)
    ]


class SafetyGate:
    """Checks a question (and the user's earlier turns) against the red-flag rules in order."""

    def __init__(self, rules: Sequence[SafetyRule] | None = None) -> None:
        self.rules: tuple[SafetyRule, ...] = tuple(load_rules() if rules is None else rules)

    def decide(self, request: Request) -> SafetyDecision:
        """Return the decision on a request: every earlier user turn counts, however old."""
        return SafetyDecision(self.check(request.question, request.history))

    def check(self, question: str, history: Sequence[Mapping[str, str]] = ()) -> SafetyRule | None:
        """Return the first rule that trips (crisis first, then most urgent), or None."""
        texts = user_texts(question, history)
        for rule in self.rules:
            if rule.matcher.matches(texts):
                return rule
        return None
