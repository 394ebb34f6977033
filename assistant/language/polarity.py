"""The LLM verifier's reviewed polarity and antonym lexicons (lexicon/polarity.yaml, antonyms.yaml).

Loaded once through the strict loader; words are folded by the shared tokeniser first, so the
lists match what `assistant.language.tokens.tokens` produces ("worse" is already "aggravate").
`assistant.compose.reading` is the one reader of these lists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.language.lexicon import LEXICON_DIR
from assistant.language.tokens import CLAUSE_MARK, stem, tokens
from assistant.rulefile import read_rules_file

__all__ = ["PolarityLexicon", "load_polarity", "polarity_lexicon"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _PolarityFile(_Strict):
    version: Literal[1]
    degree_words: list[str]
    comparison_markers: list[str] = Field(min_length=1)
    relation_verbs: list[str]
    rewrite: dict[str, str]
    prefixed: dict[str, str]
    negators: list[str] = Field(min_length=1)
    negator_phrases: list[str]
    reducers: list[str]
    nominal_reducers: dict[str, list[str]]
    post_negators: list[str]
    passive_auxiliaries: list[str]
    forward_window: int = Field(ge=1, le=20)
    backward_window: int = Field(ge=0, le=10)
    min_conflicting: int = Field(ge=1)
    extra_content: list[str]
    not_content: list[str]
    light_predicates: list[str]
    change_words: list[str]
    absolutes: list[str]
    lower_bounds: list[str]
    upper_bounds: list[str]
    positive: list[str]
    negative: list[str]
    recommendation: list[str]
    half_weight: list[str]
    fact_terms: list[str]
    gap_subjects: list[str] = Field(min_length=1)
    gap_verbs: list[str] = Field(min_length=1)
    restrictors: list[str] = Field(min_length=1)
    restriction_words: list[str]
    concessives: list[str] = Field(min_length=1)
    contrast_markers: list[str] = Field(min_length=1)
    earlier_markers: list[str] = Field(min_length=1)
    later_markers: list[str] = Field(min_length=1)
    below_markers: list[str] = Field(min_length=1)
    above_markers: list[str] = Field(min_length=1)
    effect_verbs: dict[Literal["raise", "lower"], list[str]]
    time_units: dict[str, list[str]] = Field(min_length=1)
    implied_denials: dict[str, list[str]]


class _AntonymsFile(_Strict):
    version: Literal[1]
    pairs: list[tuple[list[str], list[str]]] = Field(min_length=1)


def _folded(phrase: str) -> tuple[str, ...]:
    return tuple(t for t in tokens(phrase) if t != CLAUSE_MARK)


def _stems(words: Sequence[str]) -> frozenset[str]:
    return frozenset(stem(t) for w in words for t in _folded(w))


@dataclass(frozen=True)
class PolarityLexicon:
    """Every list of polarity.yaml and antonyms.yaml, folded and stemmed for the reader."""

    rewrite: re.Pattern[str]
    rewrites: dict[str, str]
    prefixed: dict[str, str]
    negators: frozenset[str]
    negator_phrases: tuple[tuple[str, ...], ...]
    reducers: frozenset[str]
    nominal: dict[str, frozenset[str]]
    post_negators: tuple[tuple[str, ...], ...]
    forward_window: int
    backward_window: int
    min_conflicting: int
    extra_content: frozenset[str]
    not_content: frozenset[str]
    light: frozenset[str]
    change: frozenset[str]
    absolutes: frozenset[str]
    lower_bounds: tuple[tuple[str, ...], ...]
    upper_bounds: tuple[tuple[str, ...], ...]
    valence: dict[str, float]
    """stem -> +1 good / -1 bad (half for `half_weight` words)."""
    recommendation: frozenset[str]
    degree: frozenset[str]
    comparison: frozenset[str]
    relations: frozenset[str]
    fact_words: frozenset[str]
    gap_words: frozenset[str]
    gap_re: re.Pattern[str]
    antonyms: tuple[tuple[frozenset[str], frozenset[str]], ...]
    antonym_words: frozenset[str]
    restrictors: frozenset[str]
    """Words that make a condition the only one ("only when", "solely in")."""
    restriction_words: frozenset[str]
    """Stems of evidence words that state a restriction themselves ("reserved for")."""
    concessives: frozenset[str]
    """Words that concede a condition ("even if"): the passage must concede it too."""
    contrast_markers: tuple[tuple[str, ...], ...]
    """"rather than", "instead of": what follows is rejected."""
    earlier_markers: tuple[tuple[str, ...], ...]
    later_markers: tuple[tuple[str, ...], ...]
    below_markers: tuple[tuple[str, ...], ...]
    above_markers: tuple[tuple[str, ...], ...]
    effect_verbs: dict[str, int]
    """stem -> +1 (brings about or raises its object) or -1 (prevents or lowers it)."""
    time_units: dict[str, str]
    """folded word -> its unit ("weeks" -> "week")."""
    implied_denials: dict[str, frozenset[str]]
    """stem a passage denies -> stems a claim may deny on its strength ("non-invasive": no
    surgery)."""


def load_polarity(folder: Path = LEXICON_DIR) -> PolarityLexicon:
    """Return the verifier's lexicon from `folder` (RulesError names any problem)."""
    data = read_rules_file(folder / "polarity.yaml", _PolarityFile)
    pairs = read_rules_file(folder / "antonyms.yaml", _AntonymsFile, list_key="pairs")
    valence = {stem(w): 1.0 for w in data.positive}
    valence.update({stem(w): -1.0 for w in data.negative})
    for word in data.half_weight:
        valence[stem(word)] = valence.get(stem(word), 1.0) * 0.5
    rewrite = re.compile(
        r"\b(" + "|".join(re.escape(k) for k in sorted(data.rewrite, key=len, reverse=True))
        + r")\b", re.IGNORECASE,
    )  # fmt: skip
    subjects, verbs = "|".join(data.gap_subjects), "|".join(data.gap_verbs)
    gap_re = re.compile(
        rf"^(?:but |however,? )?(?:the |these |my )?(?:{subjects})\b[^.;]*?\b"
        rf"(?:(?:do|does|did)(?: not|n't)|cannot|can not|can['’]t)\s+(?:\w+ly\s+)?(?:{verbs})\b"
        rf"|^there is no (?:information|mention)\b",
        re.IGNORECASE,
    )
    return PolarityLexicon(
        rewrite=rewrite,
        rewrites={k.lower(): v for k, v in data.rewrite.items()},
        prefixed=dict(data.prefixed),
        negators=frozenset(data.negators),
        negator_phrases=tuple(tuple(p.split()) for p in data.negator_phrases),
        reducers=frozenset(data.reducers),
        nominal={w: frozenset(p) for w, p in data.nominal_reducers.items()},
        post_negators=tuple(tuple(p.split()) for p in data.post_negators)
        + tuple((aux, r) for aux in data.passive_auxiliaries for r in data.reducers
                if r.endswith("ed")),  # fmt: skip
        forward_window=data.forward_window,
        backward_window=data.backward_window,
        min_conflicting=data.min_conflicting,
        extra_content=frozenset(data.extra_content),
        not_content=frozenset(data.not_content),
        light=frozenset(data.light_predicates),
        change=_stems(data.change_words),
        absolutes=frozenset(data.absolutes),
        lower_bounds=tuple(_folded(p) for p in data.lower_bounds),
        upper_bounds=tuple(_folded(p) for p in data.upper_bounds),
        valence=valence,
        recommendation=frozenset(stem(w) for w in data.recommendation),
        degree=_stems(data.degree_words),
        comparison=frozenset(" ".join(_folded(m)) for m in data.comparison_markers),
        relations=_stems(data.relation_verbs),
        fact_words=frozenset(data.fact_terms) | frozenset(w + "s" for w in data.fact_terms),
        gap_words=frozenset(data.gap_subjects),
        gap_re=gap_re,
        antonyms=tuple((_stems(a), _stems(b)) for a, b in pairs.pairs),
        antonym_words=frozenset(t for a, b in pairs.pairs for w in a + b for t in _folded(w)),
        restrictors=frozenset(t for w in data.restrictors for t in _folded(w)),
        restriction_words=_stems(data.restriction_words),
        concessives=frozenset(t for w in data.concessives for t in _folded(w)),
        contrast_markers=tuple(_folded(m) for m in data.contrast_markers),
        earlier_markers=tuple(_folded(m) for m in data.earlier_markers),
        later_markers=tuple(_folded(m) for m in data.later_markers),
        below_markers=tuple(_folded(m) for m in data.below_markers),
        above_markers=tuple(_folded(m) for m in data.above_markers),
        effect_verbs={stem(t): 1 if kind == "raise" else -1
                      for kind, words in data.effect_verbs.items() for w in words
                      for t in _folded(w)},  # fmt: skip
        time_units={t: unit for unit, words in data.time_units.items() for w in words
                    for t in _folded(w)},  # fmt: skip
        implied_denials={stem(t): _stems(ws) for w, ws in data.implied_denials.items()
                         for t in _folded(w)},  # fmt: skip
    )


@cache
def polarity_lexicon() -> PolarityLexicon:
    """Return the packaged verifier lexicon (read once per process)."""
    return load_polarity()
