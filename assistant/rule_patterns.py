"""Reviewed pattern rules: strict YAML loading, `<term>` expansion, matching with simple negation.

Shared by the safety gate and the coverage check. A rule file has a `terms` vocabulary (named
regex alternatives, so typo-tolerant spellings live in one reviewed place) and `rules` whose
`patterns` are regexes that may use `<term>`. A pattern is either one regex, which trips the rule
on its own, or `{requires_all: [regex, ...]}`, which trips it only when every regex matches
somewhere in the texts checked (e.g. fever AND a hot, red or swollen area).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import RulesError

__all__ = [
    "Combo",
    "PatternItem",
    "RuleSpec",
    "Matcher",
    "normalise_for_matching",
    "compile_matcher",
    "compile_terms",
    "compile_rules",
    "expand_terms",
    "read_rules_file",
    "is_negated",
]

M = TypeVar("M", bound=BaseModel)

_TERM_REF = re.compile(r"(?<!\?P)<([a-z_][a-z0-9_]*)>")
_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})

# Negation: a cue word shortly before a match, in the same clause, cancels the match.
# Clause boundaries stop the scope ("no fever but it is red and hot": "red and hot" counts).
# "can't" / "cannot" / "unable" are NOT cues: inability is often the symptom itself
# ("I can't control my bladder"), and missing a red flag costs more than a false alarm.
_CLAUSE_END = re.compile(
    r"[.!?;:,()\n]|\b(?:but|however|although|though|yet|except|and|now|since|because|so|"
    r"whereas|while|until|till|then|after|when|which|who)\b"
)
_PSEUDO_NEGATION = re.compile(
    r"\b(?:no longer|not only|not just|not sure|not certain|no idea|no doubt|no matter|"
    r"don'?t know|do not know|didn'?t know|not able|can'?t stop|cannot stop|"
    r"doesn'?t matter|not long|no reason)\b"
)
_CUES = frozenset(
    "no not never without none nor neither don't dont doesn't doesnt didn't didnt haven't "
    "havent hasn't hasnt hadn't hadnt isn't isnt aren't arent wasn't wasnt weren't werent "
    "won't wont deny denies denied negative".split()
)
_CUE_WINDOW = 5
_LOOKBACK_CHARS = 160
_WORD = re.compile(r"[a-z']+")


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


def normalise_for_matching(text: str) -> str:
    """Return text folded for matching: NFKC, lower case, straight apostrophes, single spaces."""
    folded = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    return _SPACES.sub(" ", folded).strip()


def is_negated(text: str, start: int) -> bool:
    """Return whether a negation cue governs the match starting at `start` in normalised text."""
    # Five words fit well inside this many characters; looking further back only costs time.
    before = text[max(0, start - _LOOKBACK_CHARS) : start]
    clause_start = 0
    for boundary in _CLAUSE_END.finditer(before):
        clause_start = boundary.end()
    scope = _PSEUDO_NEGATION.sub(" ", before[clause_start:])
    words = _WORD.findall(scope)[-_CUE_WINDOW:]
    return any(word in _CUES for word in words)


@dataclass(frozen=True)
class Matcher:
    """Compiled patterns of one rule."""

    singles: tuple[re.Pattern[str], ...]
    combos: tuple[tuple[re.Pattern[str], ...], ...]
    negation: bool = True

    def _hits(self, pattern: re.Pattern[str], texts: Sequence[str]) -> bool:
        for text in texts:
            for found in pattern.finditer(text):
                if not (self.negation and is_negated(text, found.start())):
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


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (a reviewer would miss the silent override)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _entry_name(raw: Any, loc: tuple[Any, ...], list_key: str) -> str:
    if len(loc) >= 2 and loc[0] == list_key and isinstance(loc[1], int):
        entries = raw.get(list_key) if isinstance(raw, dict) else None
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        rule_id = entry.get("id") if isinstance(entry, dict) else None
        label = f"rule {rule_id!r}" if rule_id else f"rule #{loc[1] + 1}"
        rest = ".".join(str(part) for part in loc[2:])
        return f"{label}: {rest}" if rest else label
    return ".".join(str(part) for part in loc) or "top level"


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


def read_rules_file(path: Path, model: type[M], list_key: str = "rules") -> M:
    """Return the file parsed strictly into `model`; any problem becomes one RulesError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise RulesError(f"{path}: cannot read the rules file ({reason}).") from exc
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulesError(f"{path}: not valid YAML{line}: {problem}.") from exc
    if not isinstance(raw, dict):
        raise RulesError(f"{path}: expected a mapping (key: value lines) at the top level.")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{_entry_name(raw, tuple(err['loc']), list_key)}: {err['msg']}" for err in exc.errors()
        ]
        raise RulesError(f"{path}: " + "; ".join(problems) + ".") from exc
