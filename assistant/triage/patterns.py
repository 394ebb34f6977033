"""Reviewed pattern rules: `<term>` expansion, compiling, matching with red-flag negation.

Shared by the safety gate and the coverage check; files are read by `assistant.rulefile`.
A rule file has a `terms` vocabulary (named regex alternatives, so typo-tolerant spellings live
in one reviewed place) and `rules` whose `patterns` are regexes that may use `<term>`. A pattern
is either one regex, which trips the rule on its own, or `{requires_all: [regex, ...]}`, which
trips it only when every regex matches somewhere in the texts checked (e.g. fever AND a hot, red
or swollen area).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import RulesError
from assistant.language.negation import red_flag_negated

__all__ = [
    "Combo",
    "PatternItem",
    "RuleSpec",
    "Matcher",
    "compile_matcher",
    "compile_terms",
    "compile_rules",
    "expand_terms",
]

_TERM_REF = re.compile(r"(?<!\?P)<([a-z_][a-z0-9_]*)>")


class Combo(BaseModel):
    """A pattern that trips only when every one of its regexes matches."""

    model_config = ConfigDict(extra="forbid")

    requires_all: list[str] = Field(min_length=2)


PatternItem = str | Combo


class RuleSpec(BaseModel):
    """The reviewed fields every pattern rule has."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    patterns: list[PatternItem] = Field(min_length=1)
    negation: bool = True
    """Whether a negation cue ("no", "don't", ...) shortly before a match cancels it."""
    rationale: str = Field(min_length=20)
    positive_examples: list[str] = Field(min_length=4)
    negative_examples: list[str] = Field(min_length=4)


@dataclass(frozen=True)
class Matcher:
    """Compiled patterns of one rule."""

    singles: tuple[re.Pattern[str], ...]
    combos: tuple[tuple[re.Pattern[str], ...], ...]
    negation: bool = True

    def _hits(self, pattern: re.Pattern[str], texts: Sequence[str]) -> bool:
        for text in texts:
            for found in pattern.finditer(text):
                if not (self.negation and red_flag_negated(text, found.start())):
                    return True
        return False

    def matches(self, texts: Sequence[str]) -> bool:
        """Return whether any pattern trips on the normalised texts (combos may span texts)."""
        if any(self._hits(pattern, texts) for pattern in self.singles):
            return True
        return any(all(self._hits(part, texts) for part in combo) for combo in self.combos)


def expand_terms(pattern: str, terms: Mapping[str, str]) -> str:
    """Return the pattern with each `<term>` replaced by its non-capturing group."""

    def _swap(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in terms:
            raise KeyError(name)
        return f"(?:{terms[name]})"

    return _TERM_REF.sub(_swap, pattern)


def compile_terms(raw: Mapping[str, str], where: str) -> dict[str, str]:
    """Return the terms with `<term>` references expanded; RulesError names a bad term."""
    # A term may use terms defined above it, never itself or one further down.
    done: dict[str, str] = {}
    for name, body in raw.items():
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise RulesError(f"{where}: term {name!r}: names use a-z, 0-9 and _ only.")
        try:
            done[name] = expand_terms(body, done)
        except KeyError as exc:
            raise RulesError(
                f"{where}: term {name!r} uses <{exc.args[0]}>, which is not defined above it."
            ) from None
        # A term may match empty text (a gap between words); only whole patterns may not.
        _compile(done[name], f"{where}: term {name!r}", allow_empty=True)
    return done


def _compile(pattern: str, where: str, *, allow_empty: bool = False) -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise RulesError(f"{where}: invalid regex ({exc}).") from exc
    if not allow_empty and compiled.search("") is not None:
        raise RulesError(f"{where}: the regex matches empty text, so it would match everything.")
    return compiled


def compile_matcher(
    patterns: Sequence[PatternItem],
    terms: Mapping[str, str],
    *,
    negation: bool,
    where: str,
) -> Matcher:
    """Return the compiled Matcher; RulesError names the pattern that is wrong."""

    def _one(source: str, label: str) -> re.Pattern[str]:
        try:
            expanded = expand_terms(source, terms)
        except KeyError as exc:
            raise RulesError(f"{where}: {label}: unknown term <{exc.args[0]}>.") from None
        return _compile(expanded, f"{where}: {label}")

    singles: list[re.Pattern[str]] = []
    combos: list[tuple[re.Pattern[str], ...]] = []
    for index, item in enumerate(patterns, start=1):
        if isinstance(item, Combo):
            combos.append(
                tuple(
                    _one(part, f"pattern {index}, requires_all {sub}")
                    for sub, part in enumerate(item.requires_all, start=1)
                )
            )
        else:
            singles.append(_one(item, f"pattern {index}"))
    return Matcher(tuple(singles), tuple(combos), negation)


R = TypeVar("R", bound=RuleSpec)


def compile_rules(
    path: Path, terms: Mapping[str, str], rules: Sequence[R]
) -> list[tuple[R, Matcher]]:
    """Return each rule of a file with its matcher; a repeated id or bad pattern is a RulesError."""
    compiled_terms = compile_terms(terms, f"{path}")
    compiled: list[tuple[R, Matcher]] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RulesError(f"{path}: rule {rule.id!r}: the id is used twice.")
        seen.add(rule.id)
        matcher = compile_matcher(
            rule.patterns, compiled_terms, negation=rule.negation,
            where=f"{path}: rule {rule.id!r}",
        )  # fmt: skip
        compiled.append((rule, matcher))
    return compiled
