"""Requests the guidance never answers: a dose, a rep scheme, a price, a population it omits.

The rules live in coverage_rules.yaml, reviewed like the safety rules. A match means the answer is
"not_covered": say so plainly, say who to ask, and add what the guidance does say on the topic
(retrieved with `topic_query`, cited by the composer). This check never invents the missing number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.rule_patterns import (
    Matcher,
    RuleSpec,
    compile_rules,
    normalise_for_matching,
    read_rules_file,
)

__all__ = ["CoverageRule", "UncoveredRequest", "load_coverage_rules", "detect_uncovered"]


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
    path = Path(__file__).with_name("coverage_rules.yaml") if path is None else Path(path)
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
