"""Per-language red-flag lexicons (rules/redflags_<lang>.yaml): reviewed regexes, own negation.

Each file holds one rule per category for one language. Text is folded to lower case without
accents before matching, so "orinar" matches "Orinár" and typed-without-accents text alike.
A negation cue among the `window` words before a match, in the same clause, cancels it, unless
the rule sets `negation: false` (crisis: raising it at all is reason enough to show help).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import RulesError
from assistant.rulefile import read_rules_file
from assistant.triage.patterns import Combo, compile_terms, expand_terms

__all__ = ["LEXICON_LANGUAGES", "LexiconRule", "Lexicon", "load_lexicons", "fold"]

LEXICON_LANGUAGES: tuple[str, ...] = ("es", "fr", "de", "it", "pt")
_RULES_DIR = Path(__file__).parent / "rules"
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Return text in lower case without accents (ß -> ss), apostrophes as spaces, collapsed."""
    spaced = text.casefold().replace("'", " ").replace("\u2019", " ")
    decomposed = unicodedata.normalize("NFKD", spaced)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.replace("ß", "ss").split())


class _Negation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cues: list[str] = Field(min_length=1)
    clause_breaks: list[str] = Field(default_factory=list)
    window: int = Field(ge=1, le=8)


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z-]*$")
    patterns: list[str | Combo] = Field(min_length=1)
    negation: bool = True
    positive_examples: list[str] = Field(min_length=2)
    negative_examples: list[str] = Field(min_length=2)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    language: str = Field(pattern=r"^[a-z]{2}$")
    negation: _Negation
    terms: dict[str, str] = Field(default_factory=dict)
    rules: list[_Rule] = Field(min_length=1)


@dataclass(frozen=True)
class LexiconRule:
    """One category's patterns in one language."""

    id: str
    language: str
    singles: tuple[re.Pattern[str], ...]
    combos: tuple[tuple[re.Pattern[str], ...], ...]
    negation: bool
    positive_examples: tuple[str, ...]
    negative_examples: tuple[str, ...]


class Lexicon:
    """The rules of one language with that language's negation."""

    def __init__(self, language: str, rules: Sequence[LexiconRule], negation: _Negation) -> None:
        self.language = language
        self.rules = tuple(rules)
        self._cues = frozenset(fold(cue) for cue in negation.cues)
        self._window = negation.window
        breaks = "|".join(re.escape(fold(word)) for word in negation.clause_breaks)
        self._clause_end = re.compile(r"[.!?;:,()\n]" + (rf"|\b(?:{breaks})\b" if breaks else ""))

    def _negated(self, text: str, start: int) -> bool:
        before = text[max(0, start - 120) : start]
        clause_start = 0
        for boundary in self._clause_end.finditer(before):
            clause_start = boundary.end()
        words = _WORD.findall(before[clause_start:])[-self._window :]
        return any(word in self._cues for word in words)

    def _hits(self, rule: LexiconRule, pattern: re.Pattern[str], texts: Sequence[str]) -> bool:
        for text in texts:
            for found in pattern.finditer(text):
                if not (rule.negation and self._negated(text, found.start())):
                    return True
        return False

    def matches(self, rule: LexiconRule, folded: Sequence[str]) -> bool:
        """Return whether `rule` trips on the folded texts (a combo may span texts)."""
        if any(self._hits(rule, pattern, folded) for pattern in rule.singles):
            return True
        return any(all(self._hits(rule, p, folded) for p in combo) for combo in rule.combos)

    def categories(self, texts: Sequence[str]) -> list[str]:
        """Return the ids of the rules that trip on `texts` (raw; folded here), in file order."""
        folded = [fold(text) for text in texts]
        return [rule.id for rule in self.rules if self.matches(rule, folded)]


def _compile(pattern: str, terms: dict[str, str], where: str) -> re.Pattern[str]:
    try:
        compiled = re.compile(expand_terms(pattern, terms))
    except KeyError as exc:
        raise RulesError(f"{where}: unknown term <{exc.args[0]}>.") from None
    except re.error as exc:
        raise RulesError(f"{where}: invalid regex ({exc}).") from exc
    if compiled.search("") is not None:
        raise RulesError(f"{where}: the regex matches empty text.")
    return compiled


def load_lexicon(path: Path, categories: Sequence[str] | None = None) -> Lexicon:
    """Return one language's lexicon; any problem is a RulesError naming the file."""
    spec = read_rules_file(path, _File)
    terms = compile_terms(spec.terms, str(path))
    rules = []
    seen: set[str] = set()
    for rule in spec.rules:
        where = f"{path}: rule {rule.id!r}"
        if rule.id in seen:
            raise RulesError(f"{where}: the id is used twice.")
        if categories is not None and rule.id not in categories:
            raise RulesError(f"{where}: not a red-flag category.")
        seen.add(rule.id)
        singles, combos = [], []
        for n, item in enumerate(rule.patterns, start=1):
            if isinstance(item, Combo):
                combos.append(
                    tuple(_compile(p, terms, f"{where} pattern {n}") for p in item.requires_all)
                )
            else:
                singles.append(_compile(item, terms, f"{where} pattern {n}"))
        rules.append(
            LexiconRule(
                rule.id, spec.language, tuple(singles), tuple(combos), rule.negation,
                tuple(rule.positive_examples), tuple(rule.negative_examples),
            )
        )  # fmt: skip
    return Lexicon(spec.language, rules, spec.negation)


def load_lexicons(
    directory: Path | None = None, categories: Sequence[str] | None = None
) -> dict[str, Lexicon]:
    """Return the lexicon of every non-English language, keyed by language code."""
    directory = directory or _RULES_DIR
    lexicons = {}
    for language in LEXICON_LANGUAGES:
        lexicon = load_lexicon(directory / f"redflags_{language}.yaml", categories)
        if lexicon.language != language:
            where = directory / f"redflags_{language}.yaml"
            raise RulesError(f"{where}: language must be {language}.")
        lexicons[language] = lexicon
    return lexicons
