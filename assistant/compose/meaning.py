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

from assistant.compose.reading import (
    BREAKS,
    Reading,
    denied_by_not,
    is_adverb,
    is_word,
    read,
    words_of,
)
from assistant.language.polarity import polarity_lexicon
from assistant.language.tokens import CLAUSE_MARK, stem

__all__ = ["Conflict", "compare", "shared_share", "is_gap_sentence"]

_DENIALS = frozenset({"no", "not", "never", "none", "nothing", "without", "not_"})
_ALL_OR_NOTHING = frozenset({"no", "none", "nothing", "never"})
_PREPOSITIONS = frozenset({"in", "for", "at", "on", "of", "during", "after", "with", "among"})
"""End the thing compared ("over traditional PT in RCTs" compares with traditional PT)."""
_ARTICLES = frozenset({"the", "a", "an", "to"})
"""Words between a coordinator and the relation verb it joins ("and to promote")."""
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


def _doubted_subjects(mine: Sequence[str], theirs: Sequence[str]) -> set[str]:
    """Return the stems of the subject of a claim's "whether" clause ("whether topical NSAIDs
    are better") when the passage doubts a "whether" clause too: the doubt is of what is said
    about them, and the passage may name them only outside it ("... but it is unclear whether
    they are better")."""
    if "whether" not in theirs:
        return set()
    found: set[str] = set()
    for k, word in enumerate(mine):
        if word != "whether":
            continue
        for w in mine[k + 1 :]:
            if w in _BE or w in BREAKS or w in _PHRASE_ENDS:
                break
            if is_word(w):
                found.add(stem(w))
    return found


def _polarity_conflict(
    claim: Reading, evidence: Reading, doubted: set[str] | None = None
) -> Conflict | None:
    shared = sorted(claim.content & evidence.content)
    turned = [w for w in shared if not claim.values[w] & evidence.values[w]]
    turned = [w for w in turned if w not in (doubted or set())]
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
        if words[j] in _COORDINATORS:  # "and promote", "and to promote", "and the promotion"
            n = j + 2 if words[j + 1 : j + 2] and words[j + 1] in _ARTICLES else j + 1
            return n < len(words) and stem(words[n]) in relations
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
        aux = k - 1
        while aux > 0 and is_adverb(words[aux]):
            aux -= 1  # "is already reduced"
        passive = k > 0 and words[aux] in _BE and word.endswith("ed")
        if "by" in after:  # passive: "compression is increased by stretching"
            agent = {stem(w) for w in after[after.index("by") + 1 :] if is_word(w)}
            return agent, before
        if passive or (word.endswith("ed") and not any(is_word(w) for w in after)):
            # A participle with no object: what comes before undergoes the change ("and
            # inflammation sensitivity increased"), as in a passive.
            return set(), before
        return before, {stem(w) for w in after if is_word(w)}
    return None


def _segments(words: list[str], relations: frozenset[str]) -> list[tuple[set[str], set[str]]]:
    """Return (relation verb stems, content stems) of each stretch between clause words
    ("while", "but", "and"; punctuation does not end one: "excessive loading, including
    aggressive stretching, can hinder healing" is one), for those with a relation verb."""
    found: list[tuple[set[str], set[str]]] = []
    current: list[str] = []
    for word in [*words, "and"]:
        if word in BREAKS and word != CLAUSE_MARK:
            verbs = {stem(w) for w in current} & relations
            if verbs:
                found.append((verbs, {stem(w) for w in current if is_word(w)}))
            current = []
        else:
            current.append(word)
    return found


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
    segments = _segments(theirs, relations)
    for verb in sorted({stem(w) for w in mine} & {stem(w) for w in theirs} & relations):
        c, e = _roles(mine, verb), _roles(theirs, verb)
        if not (c and e):
            continue
        swapped = (c[0] & e[1]) - e[0] and (c[1] & e[0]) - e[1]
        # Another actor, one the passage names only as something acted on ("rest aggravates"),
        # or as the actor of another clause ("excessive loading weakens the tissue" against
        # "insufficient activity weakens the tissue, while excessive loading can hinder").
        other_actor = c[0] and not c[0] & e[0] and (c[0] & objects) - subjects
        crossed = c[0] and e[0] and not c[0] & e[0] and any(
            verb not in verbs and c[0] & stems for verbs, stems in segments
        )
        if swapped or other_actor or crossed:
            return Conflict("order", f"it swaps who does what in {verb!r}")
    return None


_CONDITIONS = frozenset(
    {"when", "if", "once", "after", "before", "for", "in", "with", "where", "while", "until",
     "during", "among", "at", "on", "to", "under", "by"}
)  # fmt: skip
"""What a restrictor restricts when it comes just before one: a condition or a group."""


def _restriction_conflict(mine: Sequence[str], theirs: Sequence[str]) -> Conflict | None:
    """Return a conflict when the claim makes a condition the only one ("only when it is
    prolonged", "only for athletes") and the passage restricts nothing itself, or concedes one
    the passage does not ("even when pain tells you to stop")."""
    lex = polarity_lexicon()
    for k, word in enumerate(mine):
        # "even when pain guides you to stop": a condition the passage does not concede.
        if word in lex.concessives and word not in theirs and mine[k + 1 : k + 2] and (
            mine[k + 1] in _CONDITIONS
        ):
            return Conflict("restriction", f"{word!r} {mine[k + 1]!r}: a condition the passage "
                            "does not concede")  # fmt: skip
    if any(w in lex.restrictors or stem(w) in lex.restriction_words for w in theirs):
        return None
    for k, word in enumerate(mine):
        if word not in lex.restrictors or (k > 0 and mine[k - 1] in _PLAIN_DENIALS):
            continue  # "not only ... but also" adds, it does not restrict
        if mine[k + 1 : k + 2] and mine[k + 1] in _CONDITIONS:
            return Conflict("restriction", f"{word!r} {mine[k + 1]!r}: a condition the passage "
                            "does not set")  # fmt: skip
    return None


def _phrase_size(words: Sequence[str], k: int, phrases: Sequence[tuple[str, ...]]) -> int:
    for phrase in phrases:
        if tuple(words[k : k + len(phrase)]) == phrase:
            return len(phrase)
    return 0


_REJECTED_REACH = 4
"""Content words a contrast marker rejects ("rather than on pain response")."""
_PHRASE_ENDS = _BE | {"can", "may", "might", "should", "must", "will", "would", "could", "has",
                      "have", "had", "do", "does"}  # fmt: skip
"""Words that end the thing rejected: the verb of the sentence follows."""


def _rejected(words: Sequence[str]) -> list[set[str]]:
    """Return, per contrast marker, the stems it rejects (content words and operators alike:
    "advised rather than avoided" rejects "avoid")."""
    markers = polarity_lexicon().contrast_markers
    found: list[set[str]] = []
    for k in range(len(words)):
        size = _phrase_size(words, k, markers)
        if not size:
            continue
        rejected: set[str] = set()
        for w in words[k + size :]:
            if w in BREAKS or len(rejected) >= _REJECTED_REACH:
                break
            if rejected and (w in _PHRASE_ENDS or w in _PREPOSITIONS):
                break  # "loading rather than rest is the mainstay": only "rest" is rejected
            if is_word(w) or w in polarity_lexicon().negators:
                rejected.add(stem(w))
        found.append(rejected)
    return found


def _contrast_conflict(
    mine: Sequence[str], theirs: Sequence[str], evidence: Reading
) -> Conflict | None:
    """Return a conflict when what the claim rejects ("X rather than Y", "instead of Y") is
    what the passage asserts and speaks well of, or an operator it states ("advised rather than
    avoided" against "avoid"), and the passage rejects nothing of it itself."""
    claim_rejects = _rejected(mine)
    if not claim_rejects:
        return None
    passage_rejects = set().union(*_rejected(theirs))
    stated = {stem(w) for w in theirs if w in polarity_lexicon().negators}
    # Only what the passage recommends or speaks well of is endorsed ("advised", "the mainstay"):
    # "gradual rather than aggressive" may reject what the passage says hinders healing.
    endorses = evidence.recommends or _valence(evidence.valence) > 0
    for rejected in claim_rejects:
        asserted = {w for w in rejected if 1 in evidence.values.get(w, frozenset())}
        asserted = (asserted if endorses else set()) | (rejected & stated)
        asserted -= passage_rejects
        if asserted:
            shown = ", ".join(repr(w) for w in sorted(asserted))
            return Conflict("contrast", f"it rejects {shown}, which the passage asserts")
    return None


def _events(
    words: Sequence[str], first: Sequence[tuple[str, ...]], second: Sequence[tuple[str, ...]]
) -> tuple[set[str], set[str]] | None:
    """Return (stems of what comes first, stems of what comes second) for the first ordering
    marker: a `first` marker ("A before B", "A by the time B", "Before B, A", "A beneath B")
    puts A first; a `second` marker ("A after B", "After B, A", "A above B") puts B first."""
    for k in range(len(words)):
        size = _phrase_size(words, k, first)
        swapped = False
        if not size:
            size = _phrase_size(words, k, second)
            swapped = bool(size)
        if not size:
            continue
        start = k
        while start > 0 and words[start - 1] not in BREAKS:
            start -= 1
        end = k + size
        while end < len(words) and words[end] not in BREAKS:
            end += 1
        main = {stem(w) for w in words[start:k] if is_word(w)}
        complement = {stem(w) for w in words[k + size : end] if is_word(w)}
        if not main and end < len(words):  # fronted: "By the time B, A", "After B, A"
            rest = end + 1
            while rest < len(words) and words[rest] not in BREAKS - {CLAUSE_MARK}:
                rest += 1
            main = {stem(w) for w in words[end + 1 : rest] if is_word(w)}
        if not (main and complement):
            continue
        return (complement, main) if swapped else (main, complement)
    return None


def _sequence_conflict(mine: Sequence[str], theirs: Sequence[str]) -> Conflict | None:
    """Return a conflict when the claim puts first what the passage puts second, and the
    reverse, in time ("symptoms appear before degeneration" against "by the time symptoms are
    noticeable, degeneration has occurred") or in place ("the muscles lie beneath the
    tendon" against "the tendon lies beneath the muscles")."""
    lex = polarity_lexicon()
    scales = (
        ("time", lex.earlier_markers, lex.later_markers),
        ("place", lex.below_markers, lex.above_markers),
    )
    for scale, first, second in scales:
        claim, evidence = _events(mine, first, second), _events(theirs, first, second)
        if not (claim and evidence):
            continue
        (c_first, c_second), (e_first, e_second) = claim, evidence
        if (c_first & e_second) - e_first and (c_second & e_first) - e_second:
            return Conflict("sequence", f"it swaps the order in {scale} the passage gives")
    return None


_GOVERN_STOPS = _PREPOSITIONS | {"from", "against", "to", "by", "into", "over", "under"}
"""Prepositions an effect verb does not govern across, unless it stands just before one."""
_GOVERN_REACH = 4
"""Tokens between an effect verb and the object it governs ("prevent further tendon damage")."""


_EFFECT_DENIALS = _PLAIN_DENIALS | {"without"}


def _denied_at(words: Sequence[str], k: int) -> bool:
    """Return True when a denial governs the word at k over function words only ("does not
    provoke", "without provoking", "avoids provoking"; not "not doing enough weakens")."""
    j = k - 1
    while j >= 0 and k - j <= _FUNCTION_GAP + 1:
        if words[j] in _EFFECT_DENIALS or words[j] in polarity_lexicon().negators:
            return True  # "avoids provoking pain" lowers pain as "does not provoke" does
        if is_word(words[j]) or words[j] in BREAKS:
            return False
        j -= 1
    return False


def _governed(words: Sequence[str]) -> dict[str, set[tuple[int, frozenset[str]]]]:
    """Return object stem -> (sign, subject stems) of each effect verb that governs it (+1
    brings about or raises it, -1 prevents or lowers it; a denial before the verb turns its
    sign; the subject is the content before the verb in its clause, empty for "it", "this")."""
    lex = polarity_lexicon()
    found: dict[str, set[tuple[int, frozenset[str]]]] = {}
    for j, word in enumerate(words):
        if not is_word(word) or stem(word) in lex.effect_verbs:
            continue
        k = j - 1
        while k >= 0 and j - k <= _GOVERN_REACH and words[k] not in BREAKS:
            sign = lex.effect_verbs.get(stem(words[k]))
            if sign is not None:
                if _denied_at(words, k):
                    sign = -sign
                start = k
                while start > 0 and words[start - 1] not in BREAKS:
                    start -= 1
                subject = frozenset(stem(w) for w in words[start:k] if is_word(w))
                found.setdefault(stem(word), set()).add((sign, subject))
                break
            if words[k] in lex.negators:
                break  # another operator governs it ("protect against damage")
            if words[k] in _GOVERN_STOPS and not (
                k > 0 and stem(words[k - 1]) in lex.effect_verbs
            ):
                break  # "protects the tendon from damage"; but "the prevention of damage"
            k -= 1
    return found


def _effect_conflict(mine: Sequence[str], theirs: Sequence[str]) -> Conflict | None:
    """Return a conflict when the claim keeps an object of the passage's effect verb, and its
    subject where both name one, but governs it with a verb of the other kind ("rest causes
    damage" against "rest prevents damage", "may cause degenerative changes" against "may
    reverse" them). Another actor ("gradual loading promotes healing" against "excessive
    loading can hinder healing") is left to the other checks."""
    claim, evidence = _governed(mine), _governed(theirs)
    for noun in sorted(set(claim) & set(evidence)):
        for sign, subject in sorted(claim[noun], key=lambda item: (item[0], sorted(item[1]))):
            given = {g for g, s in evidence[noun] if not (subject and s) or subject & s}
            if given and sign not in given:
                return Conflict("effect", f"{noun!r} is brought about on one side and "
                                "prevented or lowered on the other")  # fmt: skip
    return None


def _units(words: Sequence[str]) -> set[str]:
    units = polarity_lexicon().time_units
    return {units[w] for w in words if w in units}


def _duration_conflict(mine: Sequence[str], theirs: Sequence[str]) -> Conflict | None:
    """Return a conflict when the claim names a unit of time where the passage names another
    ("a weeks-long process" against "a months-long process")."""
    said, given = _units(mine), _units(theirs)
    extra = said - given
    if extra and given:
        return Conflict("duration", f"{', '.join(sorted(extra))} where the passage says "
                        f"{', '.join(sorted(given))}")  # fmt: skip
    return None


_ATTACH_REACH = 3
"""Tokens from an antonym word to the noun it qualifies ("short-term pain relief")."""


def _attachments(words: Sequence[str]) -> dict[str, set[str]]:
    """Return stem of an antonym-lexicon word -> the content stems it qualifies (the next
    content word in its clause)."""
    lex = polarity_lexicon()
    found: dict[str, set[str]] = {}
    for k, word in enumerate(words):
        if word not in lex.antonym_words or denied_by_not(words, k, lex):
            continue  # "relative rest, not complete rest" puts no "complete" on rest
        for w in words[k + 1 : k + 1 + _ATTACH_REACH]:
            if w in BREAKS:
                break
            if is_word(w) and w not in lex.antonym_words:
                found.setdefault(stem(word), set()).add(stem(w))
                break
    return found


def _qualifier_conflict(mine: Sequence[str], theirs: Sequence[str]) -> Conflict | None:
    """Return a conflict when the claim puts one side of a reviewed antonym pair on a noun the
    passage qualifies with the other side, though the passage uses both sides ("sustained pain
    relief" against "short-term pain relief, variable long-term benefit")."""
    claim, evidence = _attachments(mine), _attachments(theirs)
    for side_a, side_b in polarity_lexicon().antonyms:
        for own, other in ((side_a, side_b), (side_b, side_a)):
            for word in sorted(set(claim) & own):
                for noun in sorted(claim[word]):
                    same = any(noun in evidence[w] for w in set(evidence) & own)
                    opposite = sorted(w for w in set(evidence) & other if noun in evidence[w])
                    if opposite and not same:
                        return Conflict("antonym", f"{word!r} on {noun!r} where the passage "
                                        f"says {opposite[0]!r}")  # fmt: skip
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
        or _polarity_conflict(mine, theirs, _doubted_subjects(claim_words, evidence_words))
        or _denial_conflict(claim_words, evidence_words)
        or _antonym_conflict(mine, theirs)
        or _binding_conflict(mine, theirs)
        or _order_conflict(claim_words, evidence_words)
        or _qualifier_conflict(claim_words, evidence_words)
        or _restriction_conflict(claim_words, evidence_words)
        or _contrast_conflict(claim_words, evidence_words, theirs)
        or _sequence_conflict(claim_words, evidence_words)
        or _effect_conflict(claim_words, evidence_words)
        or _duration_conflict(claim_words, evidence_words)
    )
    if conflict:
        return conflict
    said, given = _valence(mine.valence), _valence(theirs.valence)
    if mine.recommends and said and given and said != given:
        return Conflict("valence", "it recommends or rates the opposite of the passage")
    lex = polarity_lexicon()
    named = {stem(w) for w in claim_words if w in lex.fact_words}
    invented = sorted(named - {stem(w) for w in words_of(passage)} - _implied(mine, theirs))
    if invented:
        return Conflict("fact", f"names what no cited passage names: {', '.join(invented)}")
    return None


def _implied(claim: Reading, evidence: Reading) -> set[str]:
    """Return the stems the claim denies that a word the passage denies implies ("does not need
    surgery" from "non-invasive"): naming them is not inventing them."""
    implied = polarity_lexicon().implied_denials
    allowed: set[str] = set()
    for word in evidence.prefixed | {w for w, v in evidence.values.items() if v == {-1}}:
        allowed |= implied.get(word, frozenset())
    return {w for w in allowed if claim.values.get(w) == {-1}}


def shared_share(claim: str, evidence: str) -> tuple[int, float]:
    """Return how many of the claim's content stems the evidence has, and their share."""
    meta = {stem(w) for w in polarity_lexicon().gap_words}
    mine, theirs = read(claim).content - meta, read(evidence).content
    if not mine:
        return 0, 0.0
    shared = len(mine & theirs)
    return shared, shared / len(mine)


def is_gap_sentence(claim: str, asked: str = "") -> bool:
    """Return True for "The passages do not say X" with no second clause and no number beyond
    those the user `asked` about ("... whether shockwave is safe for a 14 year old")."""
    if not polarity_lexicon().gap_re.search(claim.strip()):
        return False
    if read(claim).numbers - read(asked).numbers:
        return False
    return not re.search(r";|\bbut\b|\bhowever\b|\balthough\b", claim, re.IGNORECASE)
