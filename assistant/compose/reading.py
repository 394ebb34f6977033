"""What a sentence asserts, word by word: the signs its operators give each content word.

The LLM verifier reads a claim and the passage words it quotes the same way, then compares them
(`assistant.compose.meaning`). Operators come from the reviewed lexicon
(`assistant.language.polarity`):
- negators ("not", "no effect on", "limited", "avoid") deny the rest of their clause; a
  clause-final one ("is limited", "has not helped", "is hard") reaches back over its subject;
  two in a row cancel ("hard to avoid compression" asserts compression);
- reducers ("reduces", "relief of", "fewer") lower what they govern: "reduces healing capacity"
  turns "healing capacity" around, as "increases healing capacity" does not;
- a negative prefix ("non-invasive", "inexpensive") turns only its own word;
- a negated change word ("no effect on", "do not alter") means "no change" (sign 0).
It also collects numbers and the bounds on them ("up to", "a minimum of"), absolute words
("always", "guarantees"), what is said to be good or bad, and which degree word qualifies which
noun ("excessive loading"). Pure Python over the shared tokeniser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.language.polarity import PolarityLexicon, polarity_lexicon
from assistant.language.tokens import CLAUSE_MARK, is_content, numbers_in, stem, tokens

__all__ = ["Reading", "read", "words_of", "is_word", "is_adverb", "denied_by_not", "BREAKS"]

BREAKS = frozenset(
    {CLAUSE_MARK, "but", "however", "although", "though", "yet", "whereas", "while", "which",
     "who", "whose", "and", "because", "since", "so", "when", "if", "once", "unless", "until"}
)  # fmt: skip
"""Words that end an operator's clause, like punctuation does."""
_AFTER_POST = frozenset({"in", "for", "during", "at", "when", "because"})
_DETERMINERS = frozenset({"the", "a", "an", "your", "their", "its", "this", "that", "my"})
_PREFIX_NOT = "not_"
"""What a negative prefix becomes: a negator of the one word it is part of."""
_BETWEEN_RE = re.compile(r"\bbetween (\w+) and (\w+)\b", re.IGNORECASE)
_PER_CENT_RE = re.compile(r"\bper cent\b", re.IGNORECASE)
_REDUCER_STOPS = frozenset(
    {"or", "of", "for", "in", "on", "with", "from", "during", "than", "compared"}
)
_PREPOSITIONS = frozenset({"for", "after", "in", "at", "during", "within", "over"})
_NOMINAL_REACH = 2
"""Content words a noun operator governs after its preposition ("relief of tendinopathy pain")."""


@dataclass(frozen=True)
class Reading:
    """What a text asserts: each content stem with the signs it carries, and more."""

    values: dict[str, frozenset[int]]
    """stem -> {+1 asserted, -1 turned around, 0 "no change"} over its occurrences."""
    opposed: dict[str, frozenset[int]]
    """Signs for the antonym check (content and antonym-lexicon words): only an operator
    reading forward counts ("is easy to avoid" still says "easy")."""
    weak: frozenset[str]
    """Stems turned around only by a clause-final operator reaching back."""
    negated: frozenset[str]
    """Stems a negator (not a reducer) governs, reading forward ("does not relieve pain")."""
    prefixed: frozenset[str]
    """Stems denied by a negative prefix ("non-invasive", "unsafe")."""
    absolutes: frozenset[str]
    recommends: bool
    """True when the text recommends or advises against something."""
    valence: tuple[float, ...]
    numbers: frozenset[str]
    bounds: dict[str, frozenset[str]]
    """number (its first value) -> {"lower", "upper"} bounds attached to it."""
    bound_kinds: frozenset[str]
    bindings: dict[str, frozenset[str]]
    """noun stem -> the degree words that qualify it ("excessive loading")."""

    @property
    def content(self) -> frozenset[str]:
        """Return the content stems."""
        return frozenset(self.values)

    @property
    def stems(self) -> frozenset[str]:
        """Return every stem the antonym check can use."""
        return frozenset(self.opposed)


def _prepare(text: str, lex: PolarityLexicon) -> str:
    text = _BETWEEN_RE.sub(r"\1 to \2", _PER_CENT_RE.sub("percent", text))
    return lex.rewrite.sub(lambda m: lex.rewrites[m.group(1).lower()], text)


def words_of(text: str) -> list[str]:
    """Return the folded words of `text` as the verifier reads them (prefixes split off)."""
    lex = polarity_lexicon()
    out: list[str] = []
    for token in tokens(_prepare(text, lex)):
        if token in lex.prefixed:
            out += [_PREFIX_NOT, lex.prefixed[token]]
        else:
            out.append(token)
    return out


def is_word(token: str) -> bool:
    """Return True for a word that carries content (not an operator, break or function word)."""
    lex = polarity_lexicon()
    if not token:
        return False
    if token in lex.extra_content:
        return True
    return (
        token not in lex.negators and token not in lex.reducers and token not in lex.nominal
        and token != _PREFIX_NOT and token not in BREAKS and token not in lex.not_content
        and is_content(token)
    )  # fmt: skip


def _phrase_at(words: list[str], i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
    for phrase in phrases:
        if tuple(words[i : i + len(phrase)]) == phrase:
            return len(phrase)
    return 0


SENTENCE_ADVERBS = frozenset({"already", "still", "also", "often", "then", "now", "further"})
"""Adverbs that may stand inside a passive ("is already reduced"): they change no polarity."""


def is_adverb(word: str) -> bool:
    """Return True for a word that may stand inside a passive ("already", "clearly")."""
    return word in SENTENCE_ADVERBS or word.endswith("ly")


def _post_phrase_at(words: list[str], i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
    """Return the length of a clause-final operator at i ("is reduced", "is hard"), letting
    adverbs stand after its first word ("is already reduced", "is clearly limited")."""
    if i >= len(words):
        return 0
    j = i + 1
    while j < len(words) and is_adverb(words[j]):
        j += 1
    rest = [words[i], *words[j:]]
    size = _phrase_at(rest, 0, phrases)
    return size + (j - i - 1) if size > 1 else size


def _operator_at(words: list[str], i: int, lex: PolarityLexicon) -> tuple[int, str]:
    """Return (length, kind) of the operator that starts at i, or (0, "")."""
    size = _post_phrase_at(words, i, lex.post_negators)
    if size and (i + size >= len(words) or words[i + size] in BREAKS | _AFTER_POST):
        return size, "post"  # "avoiding compression is hard (in daily life)."
    size = _phrase_at(words, i, lex.negator_phrases)
    if size:
        return size, "negator"
    word = words[i]
    following = words[i + 1] if i + 1 < len(words) else ""
    if word in lex.negators:
        return 1, "negator"
    if word == _PREFIX_NOT:
        return 1, "prefix"
    if word in lex.nominal and following in lex.nominal[word]:
        return 1, "nominal"
    if word in lex.reducers and i > 0 and words[i - 1].endswith("ly"):
        return 0, ""  # "severely impaired cases", "badly limiting cases": a description
    if word in lex.reducers and (following in _DETERMINERS or is_word(following)):
        return 1, "reducer"
    if word in lex.nominal or word in lex.reducers:
        return 1, "before"  # "pain relief": the noun before it
    return 0, ""


def _next_operator(words: list[str], j: int, lex: PolarityLexicon) -> tuple[int, int, str]:
    """Return (position, length, kind) of an operator reached from j over function words."""
    while j < len(words) and words[j] not in BREAKS and not _operator_at(words, j, lex)[0]:
        if is_word(words[j]):
            return j, 0, ""
        j += 1
    if j >= len(words):
        return j, 0, ""
    return (j, *_operator_at(words, j, lex))


def _before(words: list[str], i: int, limit: int) -> list[int]:
    found: list[int] = []
    k = i - 1
    while k >= 0 and words[k] not in BREAKS and len(found) < limit:
        if is_word(words[k]):
            found.append(k)
        k -= 1
    return found


def _scope(
    words: list[str], i: int, size: int, kind: str, lex: PolarityLexicon
) -> tuple[list[int], list[int]]:
    """Return the content positions an operator at i governs: (forward, backward)."""
    j = i + size
    if kind == "post":
        return [], _before(words, i, lex.forward_window)
    if kind == "before":
        return [], ([i - 1] if i > 0 and is_word(words[i - 1]) else [])
    if kind == "prefix":
        return ([j] if j < len(words) else []), []
    limit = lex.forward_window
    if kind == "nominal":
        j, limit = j + 1, _NOMINAL_REACH
    elif kind == "reducer" and words[i].endswith("ed"):
        limit = 1  # an adjective: "reduced activity", "delayed diagnosis"
    # A reducer lowers its object, not what a preposition adds to it ("relieves the pain of
    # chronic tendinopathy"); a negator denies the rest of its clause.
    stops = BREAKS if kind == "negator" else BREAKS | _REDUCER_STOPS
    forward: list[int] = []
    while j < len(words) and words[j] not in stops and len(forward) < limit:
        if forward and _operator_at(words, j, lex)[0]:
            break  # the next operator governs what follows it
        if is_word(words[j]):
            forward.append(j)
        j += 1
    clause_final = j >= len(words) or words[j] in BREAKS
    # "treatment has not helped", "resolution is not provided": a denied verb at the end of its
    # clause denies its subject too ("to prevent further damage" does not).
    predicate = len(forward) == 1 and (
        words[forward[0]] in lex.light or words[forward[0]].endswith(("ed", "en"))
    )
    # "if conservative therapy fails for three months": the denial is of its subject.
    prepositional = kind == "negator" and words[i + size : i + size + 1] and (
        words[i + size] in _PREPOSITIONS
    )
    if prepositional:
        return [], _before(words, i, lex.backward_window)  # not the duration after "for"
    if not forward or (kind == "negator" and predicate and clause_final):
        return forward, _before(words, i, lex.backward_window)
    return forward, []


@dataclass
class _Marks:
    """Per-word marks the operators leave."""

    flips: list[int]
    denied: list[int]
    zero: list[bool]
    forward: list[bool]
    denied_forward: list[bool]
    operator: list[bool]
    prefixed: list[bool]


def _mark(words: list[str], lex: PolarityLexicon) -> _Marks:
    n = len(words)
    marks = _Marks([0] * n, [0] * n, [False] * n, [False] * n, [False] * n, [False] * n,
                   [False] * n)  # fmt: skip
    i = 0
    while i < n:
        size, kind = _operator_at(words, i, lex)
        if not size:
            i += 1
            continue
        at, after, next_kind = _next_operator(words, i + size, lex)
        if kind == "negator" and next_kind in ("negator", "post"):
            # "hard to avoid", "should not be avoided": two denials assert.
            marks.denied[at] += 1
            i = at + after
            continue
        for k in range(i, i + size):
            marks.operator[k] = True
        forward, backward = _scope(words, i, size, kind, lex)
        change = any(stem(words[k]) in lex.change for k in forward + backward)
        denies = kind in ("negator", "prefix", "post")
        for k in forward + backward:
            marks.flips[k] += 1
            marks.denied[k] += denies
            marks.zero[k] = marks.zero[k] or (denies and change)
        for k in forward:
            marks.forward[k] = True
            marks.denied_forward[k] = marks.denied_forward[k] or denies
            marks.prefixed[k] = marks.prefixed[k] or kind == "prefix"
        i += size
    return marks


def _bounds(words: list[str], lex: PolarityLexicon) -> tuple[dict[str, set[str]], set[str]]:
    attached: dict[str, set[str]] = {}
    kinds: set[str] = set()
    for i in range(len(words)):
        for kind, phrases in (("lower", lex.lower_bounds), ("upper", lex.upper_bounds)):
            size = _phrase_at(words, i, phrases)
            if not size:
                continue
            kinds.add(kind)
            near = [w for w in words[i + size : i + size + 3] + words[max(0, i - 3) : i]
                    if w[:1].isdigit()]  # fmt: skip
            for number in near[:1]:
                attached.setdefault(number.rstrip("%"), set()).add(kind)
    return attached, kinds


def _bindings(words: list[str], marks: _Marks, lex: PolarityLexicon) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for k, word in enumerate(words):
        if stem(word) not in lex.degree or word.endswith("ly") or marks.operator[k]:
            continue
        n = k + 1
        if words[n : n + 1] in (["or"], ["and"]) and n + 1 < len(words):
            n += 2  # "excessive or incorrect loading": both qualify "loading"
        if n < len(words) and is_word(words[n]) and stem(words[n]) not in lex.degree:
            found.setdefault(stem(words[n]), set()).add(stem(word))
    return found


_ARTICLES = frozenset({"a", "an", "the"})
_STRONG_WHEN_DENIED = frozenset({"any", "no", "none", "nothing", "never"})
"""Absolutes that stay absolute after "not": "not any effect" says "no effect at all"."""


def denied_by_not(words: Sequence[str], k: int, lex: PolarityLexicon) -> bool:
    """Return True when a "not" governs the word at `k`, over articles and absolutes between
    ("not complete rest", "not a complete cure", "not always")."""
    j = k - 1
    while j >= 0 and (words[j] in _ARTICLES or words[j] in lex.absolutes):
        j -= 1
    return j >= 0 and words[j] == "not"


def _denied_absolute(words: list[str], k: int, lex: PolarityLexicon) -> bool:
    """Return True for an absolute a "not" governs: it claims less than the passage, not more
    (whether the denial itself is faithful is the polarity check's question)."""
    return words[k] not in _STRONG_WHEN_DENIED and denied_by_not(words, k, lex)


def _absolutes(words: list[str], lex: PolarityLexicon) -> frozenset[str]:
    found = set()
    for k, word in enumerate(words):
        if word not in lex.absolutes or _denied_absolute(words, k, lex):
            continue
        if k == 0 and words[1:2] == [CLAUSE_MARK]:
            continue  # "No, ..." answers a question; it claims nothing
        following = words[k + 1] if k + 1 < len(words) else ""
        if word == "all" and not (is_word(following) or following in ("of", "the")):
            continue  # "X, Y and Z all make it hard": a summary, not a quantifier
        found.add(word)
    return frozenset(found)


def read(text: str) -> Reading:
    """Return what `text` asserts: signed stems, absolutes, valence, numbers and bounds."""
    lex = polarity_lexicon()
    words = words_of(text)
    marks = _mark(words, lex)
    values: dict[str, set[int]] = {}
    opposed: dict[str, set[int]] = {}
    weak: set[str] = set()
    negated: set[str] = set()
    prefixed: set[str] = set()
    valence: list[float] = []
    for k, word in enumerate(words):
        s = stem(word)
        weight = lex.valence.get(s, lex.valence.get(word))
        if weight is not None:
            valence.append(weight * (-1 if marks.denied[k] % 2 else 1))
        content = is_word(word) and not marks.operator[k]
        if not content and word not in lex.antonym_words:
            continue
        turned = marks.flips[k] % 2 == 1
        opposed.setdefault(s, set()).add(-1 if turned and marks.forward[k] else 1)
        if not content:
            continue
        value = 0 if (marks.zero[k] and marks.denied[k] % 2) else (-1 if turned else 1)
        values.setdefault(s, set()).add(value)
        if value != 1 and not marks.forward[k]:
            weak.add(s)
        if marks.denied_forward[k]:
            negated.add(s)
        if marks.prefixed[k]:
            prefixed.add(s)
    attached, kinds = _bounds(words, lex)
    return Reading(
        values={s: frozenset(v) for s, v in values.items()},
        opposed={s: frozenset(v) for s, v in opposed.items()},
        weak=frozenset(weak),
        negated=frozenset(negated),
        prefixed=frozenset(prefixed),
        absolutes=_absolutes(words, lex),
        recommends=any(stem(w) in lex.recommendation for w in words),
        valence=tuple(valence),
        numbers=frozenset(numbers_in(_prepare(text, lex))),
        bounds={n: frozenset(k) for n, k in attached.items()},
        bound_kinds=frozenset(kinds),
        bindings={n: frozenset(m) for n, m in _bindings(words, marks, lex).items()},
    )
