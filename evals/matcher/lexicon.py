"""The judge's lexicon (lexicon.yaml beside this module), read once through the strict loader."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.rulefile import read_rules_file

__all__ = ["LEXICON_PATH", "JudgeLexicon", "judge_lexicon"]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    stopwords: list[str] = Field(min_length=1)
    negations: list[str] = Field(min_length=1)
    clause_breaks: list[str] = Field(min_length=1)
    passive_negations: list[str]
    passive_auxiliaries: list[str]
    negation_cancellers: list[str]
    scope_words: int = Field(ge=1)
    keep_unstemmed: list[str]
    table_labels: list[str]
    number_words: dict[str, str]
    synonyms: dict[str, list[str]]
    antonyms: list[tuple[str, str]]


@dataclass(frozen=True)
class JudgeLexicon:
    """The word lists the frozen matcher uses."""

    stopwords: frozenset[str]
    negations: frozenset[str]
    clause_breaks: frozenset[str]
    passive_negations: frozenset[str]
    """Negations that can close a passive and deny its subject ("X should be avoided")."""
    passive_auxiliaries: frozenset[str]
    """Forms of "be" that make such a negation a passive participle."""
    negation_cancellers: frozenset[str]
    """Words that, with "to", turn a negation into an assertion ("hard to avoid X")."""
    scope_words: int
    keep_unstemmed: frozenset[str]
    table_labels: tuple[str, ...]
    number_words: dict[str, str]
    synonyms: dict[str, str]
    antonyms: tuple[tuple[str, str], ...]


LEXICON_PATH = Path(__file__).with_name("lexicon.yaml")


@cache
def judge_lexicon() -> JudgeLexicon:
    """Return the judge's lexicon (RulesError names the entry that is wrong)."""
    raw = read_rules_file(LEXICON_PATH, _File)
    return JudgeLexicon(
        stopwords=frozenset(raw.stopwords),
        negations=frozenset(raw.negations),
        clause_breaks=frozenset(raw.clause_breaks),
        passive_negations=frozenset(raw.passive_negations),
        passive_auxiliaries=frozenset(raw.passive_auxiliaries),
        negation_cancellers=frozenset(raw.negation_cancellers),
        scope_words=raw.scope_words,
        keep_unstemmed=frozenset(raw.keep_unstemmed),
        table_labels=tuple(raw.table_labels),
        number_words=dict(raw.number_words),
        synonyms={p: canon for canon, phrases in raw.synonyms.items() for p in phrases},
        antonyms=tuple(raw.antonyms),
    )
