"""Does a claim say what the passage words it quotes say? Numbers, polarity, antonyms, roles.

`compare(claim, evidence, passage)`: `evidence` is the passage sentence(s) that hold the model's
quote, `passage` every cited text. The claim fails when
- it states a number the evidence does not, or drops or changes a number's bound ("up to 89%"
  is not "89%"; "6-12 months" is not "at least 6 months": a range is not a minimum);
- it claims more than the evidence: an absolute ("always", "guarantees", "cures", "no
  complications") the evidence does not use;
- words it shares with the evidence are turned the other way (negated, reduced, limited, "no
  effect on"), weighed so that one stray scope artefact in a long sentence is not enough but a
  denial of what the passage only asserts is;
- it uses one side of a reviewed antonym pair where the evidence uses the other, moves a degree
  word onto another noun ("excessive activity"), swaps the sides of a comparison or who does
  what to whom ("compression increases stretching");
- it recommends the opposite of what the evidence recommends;
- it names a treatment, test, body part or activity that no cited passage names.
Embedding similarity plays no part here: it can only help a claim with few shared words count
as being about its quote (`assistant.compose.verify`), never outweigh a conflict.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.compose.reading import BREAKS, Reading, is_word, read, words_of
from assistant.language.polarity import polarity_lexicon
from assistant.language.tokens import stem

__all__ = ["Conflict", "compare", "shared_share", "is_gap_sentence"]

_DENIALS = frozenset({"no", "not", "never", "none", "nothing", "without", "not_"})
_ALL_OR_NOTHING = frozenset({"no", "none", "nothing", "never"})
_PREPOSITIONS = frozenset({"in", "for", "at", "on", "of", "during", "after", "with", "among"})
"""End the thing compared ("over traditional PT in RCTs" compares with traditional PT)."""
_COORDINATORS = frozenset({"and", "or"})
"""Join the nouns of one side of a relation ("compression and irritability"), not clauses."""
_BE = frozenset({"is", "are", "be", "been", "being", "was", "were", "get", "gets", "got"})
_BACKWARD_WEIGHT = 0.5
"""A claim's own clause-final denial reaching back over its subject ("X after Y is limited")
is a weak reading; the passage's is not (dropping "... is limited" is the error)."""
_DENIAL_WEIGHT = 2.0
"""A word the claim's own negator governs and that comes out the other way round."""


@dataclass(frozen=True)
class Conflict:
    """Why a claim does not say what its evidence says."""

    kind: str
    detail: str


def _stated_bounds(reading: Reading, words: Sequence[str]) -> frozenset[str]:
    """Return the bound kinds a text states: a one-word bound ("over", "under", "within") is a
    preposition unless a number follows it ("over the long term" bounds nothing)."""
    lex = polarity_lexicon()
    kinds = {k for ks in reading.bounds.values() for k in ks}
    for kind, phrases in (("lower", lex.lower_bounds), ("upper", lex.upper_bounds)):
        if kind in kinds or kind not in reading.bound_kinds:
            continue
        for i in range(len(words)):
            for phrase in phrases:
                if tuple(words[i : i + len(phrase)]) != phrase:
                    continue
                after = words[i + len(phrase) : i + len(phrase) + 3]
                if len(phrase) > 1 or any(w[:1].isdigit() for w in after):
                    kinds.add(kind)
    return frozenset(kinds)


def _number_conflict(
    claim: Reading, evidence: Reading, claim_words: Sequence[str] = ()
) -> Conflict | None:
    ranges = {n for n in evidence.numbers if "-" in n.rstrip("%")}
    endpoints = {part for n in ranges for part in n.rstrip("%").split("-")}
    singles = {n.rstrip("%") for n in evidence.numbers if "-" not in n}
    for number in sorted(claim.numbers):
        bare = number.rstrip("%")
        if number in evidence.numbers or bare in singles:
            key = bare.split("-")[0]
            wanted = evidence.bounds.get(key, frozenset())
            said = claim.bounds.get(key, frozenset())
            if said != wanted:
                shown = "/".join(sorted(wanted)) or "no bound"
                return Conflict("number", f"{number}: the passage gives {shown}")
            continue
        if bare in endpoints:
            return Conflict("number", f"{number} is one end of a range the passage gives")
        return Conflict("number", f"{number} is not in the quoted passage")
    extra = _stated_bounds(claim, claim_words) - evidence.bound_kinds
    if extra and (claim.numbers or evidence.numbers or evidence.bound_kinds):
        return Conflict("number", f"a {'/'.join(sorted(extra))} bound the passage does not give")
    return None


def _absolute_conflict(
    claim: Reading, evidence: Reading, evidence_words: set[str]
) -> Conflict | None:
    extra = set(claim.absolutes - evidence.absolutes)
    if evidence_words & _DENIALS:
        extra -= _ALL_OR_NOTHING - {"never"}  # "no effect" may paraphrase "do not alter"
    if extra:
        return Conflict("absolute", f"{', '.join(sorted(extra))}: more than the passage says")
    return None


def _polarity_conflict(claim: Reading, evidence: Reading) -> Conflict | None:
    shared = sorted(claim.content & evidence.content)
    turned = [w for w in shared if not claim.values[w] & evidence.values[w]]
    for word in turned:
        if (word in evidence.prefixed) != (word in claim.prefixed):
            # "invasive" against "non-invasive": the word itself is the other way round.
            return Conflict("polarity", f"{word!r} is the opposite of the passage's word")

    def weight(word: str) -> float:
        if word in claim.weak and 1 in evidence.values[word]:
            return _BACKWARD_WEIGHT
        if word in claim.negated:
            return _DENIAL_WEIGHT  # the claim's own "not" turns it: a denial, not scope noise
        return 1.0

    total = sum(weight(w) for w in turned)
    agreeing = len(shared) - len(turned)
    if turned and (total >= polarity_lexicon().min_conflicting or total >= agreeing):
        shown = ", ".join(repr(w) for w in turned)
        return Conflict("polarity", f"{shown} turned the other way in the passage")
    return None


_PLAIN_DENIALS = frozenset({"not", "no", "never", "nor", "cannot"})
_FUNCTION_GAP = 2
"""Function words allowed between a denial and the operator it denies ("does not really")."""


def _denied_operators(words: Sequence[str]) -> tuple[set[str], set[str]]:
    """Return (stems of operators a plain denial governs, stems of operators stated plainly).

    "does not hinder healing" denies "hinder"; "can hinder healing" states it."""
    lex = polarity_lexicon()
    operators = lex.negators | lex.reducers
    denied: set[str] = set()
    stated: set[str] = set()
    for k, word in enumerate(words):
        if word not in operators or word in _PLAIN_DENIALS:
            continue
        j = k - 1
        while j >= 0 and k - j <= _FUNCTION_GAP + 1 and words[j] not in _PLAIN_DENIALS:
            j = -1 if is_word(words[j]) or words[j] in BREAKS else j - 1
        if j >= 0 and words[j] in _PLAIN_DENIALS:
            denied.add(stem(word))
        else:
            stated.add(stem(word))
    return denied, stated


def _denial_conflict(mine: Sequence[str], theirs: Sequence[str]) -> Conflict | None:
    """Return a conflict when the claim denies an operator the passage states, or the reverse
    ("does not hinder healing" against "can hinder healing")."""
    c_denied, c_stated = _denied_operators(mine)
    e_denied, e_stated = _denied_operators(theirs)
    for word in sorted((c_denied & e_stated) - e_denied) + sorted((c_stated & e_denied) - e_stated):
        return Conflict("polarity", f"{word!r} denied on one side and stated on the other")
    return None


def _antonym_conflict(claim: Reading, evidence: Reading) -> Conflict | None:
    for side_a, side_b in polarity_lexicon().antonyms:
        for mine, theirs in ((side_a, side_b), (side_b, side_a)):
            if evidence.stems & mine:
                continue  # the passage uses this side too ("reduces ... and increases ...")
            used = claim.stems & mine
            opposite = (evidence.stems & theirs) - claim.stems
            for word in sorted(used):
                for other in sorted(opposite):
                    if claim.opposed[word] & evidence.opposed[other]:
                        return Conflict("antonym", f"{word!r} where the passage says {other!r}")
    return None


def _binding_conflict(claim: Reading, evidence: Reading) -> Conflict | None:
    moved = {m for ms in evidence.bindings.values() for m in ms}
    for noun, modifiers in sorted(claim.bindings.items()):
        if noun not in evidence.content:
            continue
        given = evidence.bindings.get(noun, frozenset())
        if not given:
            continue  # the passage does not qualify it: word order, not a moved qualifier
        for modifier in sorted(modifiers - given):
            if modifier in moved:
                return Conflict("binding", f"{modifier!r} qualifies another word in the passage")
    return None


def _sides(words: list[str]) -> tuple[set[str], set[str], set[str]] | None:
    """Return the content stems before and after the first comparison marker, and the thing
    compared after it (its first content words, up to a preposition or clause break)."""
    markers = polarity_lexicon().comparison
    for k, word in enumerate(words):
        size = 2 if " ".join(words[k : k + 2]) in markers else (1 if word in markers else 0)
        if not size or (word == "over" and words[k + 1 : k + 2] and words[k + 1][0].isdigit()):
            continue
        before = {stem(w) for w in words[:k] if is_word(w)}
        after = words[k + size :]
        compared: set[str] = set()
        for w in after:
            if w in BREAKS or w in _PREPOSITIONS:
                break
            if is_word(w):
                compared.add(stem(w))
        return before, {stem(w) for w in after if is_word(w)}, compared
    return None


def _roles(words: list[str], verb: str) -> tuple[set[str], set[str]] | None:
    """Return (subject stems, object stems) of a relation verb within its clause.

    "and"/"or" join nouns on either side; a passive ("treatment can be delayed", "compression
    is increased by stretching") has its agent after "by" and its object before the verb."""
    relations = polarity_lexicon().relations

    def ends(j: int) -> bool:
        # A coordinator before another relation verb joins two predicates, not two nouns.
        if words[j] in _COORDINATORS:
            return j + 1 < len(words) and stem(words[j + 1]) in relations
        return words[j] in BREAKS

    for k, word in enumerate(words):
        if stem(word) != verb:
            continue
        start = k
        while start > 0 and not ends(start - 1):
            start -= 1
        end = k + 1
        while end < len(words) and not ends(end):
            end += 1
        before = {stem(w) for w in words[start:k] if is_word(w)}
        after = words[k + 1 : end]
        passive = k > 0 and words[k - 1] in _BE and word.endswith("ed")
        if "by" in after:  # passive: "compression is increased by stretching"
            agent = {stem(w) for w in after[after.index("by") + 1 :] if is_word(w)}
            return agent, before
        if passive:
            return set(), before
        return before, {stem(w) for w in after if is_word(w)}
    return None


def _order_conflict(mine: list[str], theirs: list[str]) -> Conflict | None:
    """Return a conflict when the claim swaps what is compared, or who does what to whom."""
    claim_sides, evidence_sides = _sides(mine), _sides(theirs)
    if claim_sides and evidence_sides:
        (c_left, c_right, _), (e_left, e_right, e_compared) = claim_sides, evidence_sides
        # What the passage compares against must move to the claim's first side; words of
        # circumstance ("in RCTs", "for pain") may sit on either side of a paraphrase.
        if (c_left & e_compared) - e_left - c_right and (c_right & e_left) - e_right:
            return Conflict("order", "it swaps the two sides of the passage's comparison")
    relations = polarity_lexicon().relations
    subjects: set[str] = set()
    objects: set[str] = set()
    for verb in {stem(w) for w in theirs} & relations:
        roles = _roles(theirs, verb)
        if roles:
            subjects |= roles[0]
            objects |= roles[1]
    for verb in sorted({stem(w) for w in mine} & {stem(w) for w in theirs} & relations):
        c, e = _roles(mine, verb), _roles(theirs, verb)
        if not (c and e):
            continue
        swapped = (c[0] & e[1]) - e[0] and (c[1] & e[0]) - e[1]
        # Another actor, one the passage names only as something acted on ("rest aggravates").
        other_actor = c[0] and not c[0] & e[0] and (c[0] & objects) - subjects
        if swapped or other_actor:
            return Conflict("order", f"it swaps who does what in {verb!r}")
    return None


def _valence(values: Sequence[float]) -> int:
    if not values or (any(v > 0 for v in values) and any(v < 0 for v in values)):
        return 0
    total = sum(values)
    return (total > 0) - (total < 0)


def compare(claim: str, evidence: str, passage: str) -> Conflict | None:
    """Return the first way `claim` misstates `evidence` (from `passage`), or None."""
    mine, theirs = read(claim), read(evidence)
    claim_words, evidence_words = words_of(claim), words_of(evidence)
    conflict = (
        _number_conflict(mine, theirs, claim_words)
        or _absolute_conflict(mine, theirs, set(evidence_words))
        or _polarity_conflict(mine, theirs)
        or _denial_conflict(claim_words, evidence_words)
        or _antonym_conflict(mine, theirs)
        or _binding_conflict(mine, theirs)
        or _order_conflict(claim_words, evidence_words)
    )
    if conflict:
        return conflict
    said, given = _valence(mine.valence), _valence(theirs.valence)
    if mine.recommends and said and given and said != given:
        return Conflict("valence", "it recommends or rates the opposite of the passage")
    lex = polarity_lexicon()
    named = {stem(w) for w in claim_words if w in lex.fact_words}
    invented = sorted(named - {stem(w) for w in words_of(passage)})
    if invented:
        return Conflict("fact", f"names what no cited passage names: {', '.join(invented)}")
    return None


def shared_share(claim: str, evidence: str) -> tuple[int, float]:
    """Return how many of the claim's content stems the evidence has, and their share."""
    meta = {stem(w) for w in polarity_lexicon().gap_words}
    mine, theirs = read(claim).content - meta, read(evidence).content
    if not mine:
        return 0, 0.0
    shared = len(mine & theirs)
    return shared, shared / len(mine)


def is_gap_sentence(claim: str) -> bool:
    """Return True for "The passages do not say X" with no number and no second clause."""
    if not polarity_lexicon().gap_re.search(claim.strip()):
        return False
    if read(claim).numbers:
        return False
    return not re.search(r";|\bbut\b|\bhowever\b|\balthough\b", claim, re.IGNORECASE)
