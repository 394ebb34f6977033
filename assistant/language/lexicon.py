"""The reviewed word lists of `lexicon/*.yaml`, loaded once through the strict loader."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.rulefile import read_rules_file

__all__ = ["LEXICON_DIR", "Lexicon", "lexicon", "load_lexicon"]

LEXICON_DIR = Path(__file__).with_name("lexicon")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _WordsFile(_Strict):
    version: Literal[1]
    stopwords: list[str] = Field(min_length=1)
    tone_words: list[str] = Field(min_length=1)
    number_words: dict[str, str] = Field(min_length=1)
    keep_unstemmed: list[str] = Field(min_length=1)
    domain_words: list[str] = Field(min_length=1)
    table_labels: list[str] = Field(default_factory=list)


class _NegationFile(_Strict):
    version: Literal[1]
    cues: list[str] = Field(min_length=1)
    contractions: list[str] = Field(min_length=1)
    denials: list[str] = Field(min_length=1)
    hedges: list[str] = Field(min_length=1)
    pseudo_negations: list[str] = Field(min_length=1)
    clause_breaks: list[str] = Field(min_length=1)
    red_flag_window: int = Field(ge=1, le=20)
    claim_window: int = Field(ge=1, le=20)


class _SynonymsFile(_Strict):
    version: Literal[1]
    synonyms: dict[str, list[str]] = Field(min_length=1)


class _AntonymsFile(_Strict):
    version: Literal[1]
    pairs: list[tuple[list[str], list[str]]] = Field(min_length=1)


class _FollowUpFile(_Strict):
    version: Literal[1]
    cues: list[str] = Field(min_length=1)


class _ExpansionsFile(_Strict):
    version: Literal[1]
    expansions: dict[str, str] = Field(min_length=1)


@dataclass(frozen=True)
class Lexicon:
    """Every word list the language module uses (see the comments in each YAML file)."""

    stopwords: frozenset[str]
    tone_words: tuple[str, ...]
    number_words: dict[str, str]
    keep_unstemmed: frozenset[str]
    domain_words: frozenset[str]
    table_labels: tuple[str, ...]
    negation_cues: tuple[str, ...]
    contractions: tuple[str, ...]
    denials: tuple[str, ...]
    hedges: tuple[str, ...]
    pseudo_negations: tuple[str, ...]
    clause_breaks: tuple[str, ...]
    red_flag_window: int
    claim_window: int
    synonyms: dict[str, str]
    """phrase -> canonical form."""
    antonym_sides: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    """antonyms.yaml's pairs as written: (words of one side, words of the other)."""
    follow_up_cues: tuple[str, ...]
    query_expansions: dict[str, str]

    @cached_property
    def antonyms(self) -> tuple[tuple[str, str], ...]:
        """Return antonyms.yaml as (stem, stem) pairs, every word of one side against every
        word of the other, folded and stemmed as `tokens.content_stems` does."""
        return _antonym_stems(self)


def load_lexicon(folder: Path = LEXICON_DIR) -> Lexicon:
    """Return the lexicon in `folder` (RulesError names the file and entry that is wrong)."""
    words = read_rules_file(folder / "words.yaml", _WordsFile)
    negation = read_rules_file(folder / "negation.yaml", _NegationFile)
    synonyms = read_rules_file(folder / "synonyms.yaml", _SynonymsFile)
    follow_up = read_rules_file(folder / "follow_up.yaml", _FollowUpFile)
    expansions = read_rules_file(folder / "query_expansions.yaml", _ExpansionsFile)
    opposites = read_rules_file(folder / "antonyms.yaml", _AntonymsFile, list_key="pairs")
    return Lexicon(
        stopwords=frozenset(words.stopwords),
        tone_words=tuple(words.tone_words),
        number_words=dict(words.number_words),
        keep_unstemmed=frozenset(words.keep_unstemmed),
        domain_words=frozenset(words.domain_words),
        table_labels=tuple(words.table_labels),
        negation_cues=tuple(negation.cues),
        contractions=tuple(negation.contractions),
        denials=tuple(negation.denials),
        hedges=tuple(negation.hedges),
        pseudo_negations=tuple(negation.pseudo_negations),
        clause_breaks=tuple(negation.clause_breaks),
        red_flag_window=negation.red_flag_window,
        claim_window=negation.claim_window,
        synonyms={
            phrase: canon for canon, phrases in synonyms.synonyms.items() for phrase in phrases
        },
        antonym_sides=tuple((tuple(a), tuple(b)) for a, b in opposites.pairs),
        follow_up_cues=tuple(follow_up.cues),
        query_expansions=dict(expansions.expansions),
    )


def _antonym_stems(lex: Lexicon) -> tuple[tuple[str, str], ...]:
    # The tokeniser reads this module's lists, so it is imported only once they are loaded.
    from assistant.language.tokens import stem, tokens

    def stems(words: tuple[str, ...]) -> list[str]:
        return sorted({stem(t) for w in words for t in tokens(w) if t.isalnum()})

    pairs = {(a, b) for one, other in lex.antonym_sides for a in stems(one) for b in stems(other)}
    return tuple(sorted((a, b) for a, b in pairs if a != b))


@cache
def lexicon() -> Lexicon:
    """Return the packaged lexicon (read once per process)."""
    return load_lexicon()
