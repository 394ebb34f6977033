"""Lexical support checks: does a passage (or an answer) back a claim, numbers and negations too?

Embedding cosine alone lets negations and wrong numbers through (DESIGN.md), so a claim counts as
supported only when its content words (lightly stemmed, domain synonyms folded together) are
mostly present in the evidence, every number it states appears there, and no word the claim
asserts is denied by the evidence (or the other way round). An optional similarity from an
embedding model can lift a borderline word overlap; it never overrides a number or negation
mismatch. Pure Python: the composer, the LLM verifier and the evals all share it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "SupportResult",
    "MAX_MISSING_SHARE",
    "SIMILARITY_BONUS",
    "stem",
    "strip_markers",
    "markers_of",
    "split_sentences",
    "content_words",
    "content_stems",
    "numbers_in",
    "negated_stems",
    "support",
    "Similarity",
    "conveys",
]

MAX_MISSING_SHARE = 0.2
"""Share of a claim's content words that may be absent from the evidence (rounded down): a claim
of up to 4 content words must match all of them, one of 5-9 may miss one, and so on."""

SIMILARITY_BONUS = 0.8
"""An embedding similarity at least this high lets a claim of 3+ words miss one more word."""
_SCOPE_WORDS = 4

_MARKER_RE = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")
_LABEL_RE = re.compile(r"\b(?:Option|Evidence/Outcome|Additional Notes)\s*:\s*", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(
    r"(?<=[.!?])((?:\s*\[\d+(?:\s*[,–-]\s*\d+)*\])*)\s+"
    # A table row ("Option: X. Evidence/Outcome: Y.") stays one sentence: it is one claim.
    r"(?=[\"“(•*\-A-Z0-9])(?!Evidence/Outcome:|Additional Notes:)"
)
_WORD_RE = re.compile(r"[a-z0-9%]+(?:'[a-z]+)?")
_NUMBER_RE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(?:\s*(?:–|—|-|to)\s*(\d+(?:\.\d+)?))?\s*(%|percent\b)?"
)
_CLAUSE_BREAKS = frozenset(
    {"but", "while", "whereas", "although", "though", "however", "yet", "because", "since", "which"}
)

_NUMBER_WORDS = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
}  # fmt: skip

# Phrases folded to one canonical form before tokenising (longest match first), grouped by
# that form; "|" separates the phrases. Keys are lowercase.
_SYNONYM_GROUPS: dict[str, str] = {
    "eswt": (
        "extracorporeal shock wave therapy|extracorporeal shockwave therapy|shock wave therapy|"
        "shockwave therapy|shock wave|shockwave"
    ),
    "prp": "platelet-rich plasma|platelet rich plasma",
    "nsaid": (
        "non-steroidal anti-inflammatory drugs|anti-inflammatory drugs|"
        "anti-inflammatory medication|anti-inflammatory medicines|anti-inflammatories|"
        "anti inflammatories|ibuprofen|naproxen|nsaids"
    ),
    "sitbone": (
        "ischial tuberosity|ischial tuberosities|sitting bones|sitting bone|sit bones|sit bone|"
        "sitbones"
    ),
    "steroid": "corticosteroids|corticosteroid|cortisone|steroids",
    "ice": "cryotherapy|icing|ice water",
    "physio": "physical therapy|physiotherapy|physiotherapist|pt",
    "rct": (
        "randomised controlled trials|randomized controlled trials|randomised trials|"
        "randomized trials|rcts"
    ),
    "hsr": "heavy slow resistance|heavy/slow resistance",
    "conservative": "non-operative|nonoperative|non-surgical|nonsurgical",
    "surgery": "operative|operation|surgical|tenotomy",
    "shortterm": "short-term|short term",
    "longterm": "long-term|long term|lasting",
    "buttock": "gluteal|glutes|bum|butt",
    "tendinopathy": "tendinosis|tendonitis|tendinitis|tendon problem",
    "analgesic": "painkillers|pain killers|painkiller|analgesics",
    "exercise": "exercises|exercising",
    "return sport": "return-to-sport|return to sport",
    "rehab": "rehabilitation",
    "aggravate": "worsens|worse|aggravates|flares",
    "pht": "proximal hamstring tendinopathy",
    "hamstring strain": "pulled hamstring",
    "mistaken for": "confused with|mixed up with",
    "insufficient": "too little|not enough",
    "close": "next to|near",
    "unresponsive": (
        "has not worked|have not worked|hasn't worked|haven't worked|did not work|didn't work|"
        "not responded|not responding"
    ),
    "most effective": "works best|work best",
    "alter": "effect on|changes|change|alters|affects|affect",
    "excessive": "overdo|overdoing|too much",
    "relief": "relieves|relieve|relieving",
    "require": "requires|requiring|needs|need",
    "provide": "gives|give|provides",
    "not": "do not|does not|did not|don't|doesn't|didn't|cannot|can't|won't|isn't|aren't",
}
_SYNONYMS = {p: canon for canon, ps in _SYNONYM_GROUPS.items() for p in ps.split("|")}
_WORD_NUMBER_RE = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")
_SYNONYM_RE = re.compile(
    r"(?<![a-z])("
    + "|".join(re.escape(k) for k in sorted(_SYNONYMS, key=len, reverse=True))
    + r")(?![a-z])"
)

_NEGATIONS = frozenset(
    {"not", "no", "never", "without", "avoid", "avoiding", "neither", "nor", "none", "nothing",
     "unclear", "lack", "lacks", "avoided", "avoids", "stop", "against", "few", "little",
     "rarely", "seldom", "hardly"}
)  # fmt: skip

_STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    below between both by can could did do does doing down during each either etc few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me might more most must my myself of off on once only or other our ours out over own same
    shall she should so some such than that the their theirs them then there these they this
    those through to too under until up upon very was we were what when where which while who
    whom why will with would you your yours yourself it's i'm i've what's that's there's
    get gets got may often usually typically generally really quite like well thing things
    something anything much many make makes made one ones someone people person
    way ways use used using include includes including especially particular beneath below
    take takes taking took condition conditions
    ok okay yes please tell know want wondering question""".split()
)

# (suffix, replacement), tried longest first; one suffix per pass.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ational", "ate"), ("ization", "ize"), ("iveness", "ive"), ("fulness", "ful"),
    ("ousness", "ous"), ("ivity", ""), ("ability", ""), ("ibility", ""), ("ation", ""),
    ("ition", ""), ("uction", "uc"), ("ative", ""), ("atory", ""), ("ingly", ""), ("ement", ""),
    ("ment", ""), ("ness", ""), ("able", ""), ("ible", ""), ("edly", ""), ("ing", ""),
    ("ion", ""), ("ity", ""), ("ive", ""), ("ate", ""), ("en", ""), ("ful", ""), ("ous", ""),
    ("ly", ""), ("ed", ""), ("er", ""), ("al", ""), ("ic", ""), ("y", ""), ("e", ""),
)  # fmt: skip
_KEEP = frozenset({"pain", "less", "ice", "bone", "prp", "eswt", "hsr", "rct", "nsaid", "physio"})


@dataclass(frozen=True)
class SupportResult:
    """Whether a claim is supported, a score in [0, 1], and the reason a person can check."""

    supported: bool
    score: float
    reason: str


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return a light stem of one lowercase word (plurals, then one or two suffixes removed)."""
    # Cached: texts repeat few distinct words, and stemming was most of the cost of BM25
    # indexing and of scoring each question's sentences.
    w = word.lower()
    if w in _KEEP or len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for _ in range(2):
        for suffix, replacement in _SUFFIXES:
            if w.endswith(suffix) and len(w) - len(suffix) + len(replacement) >= 3:
                w = w[: len(w) - len(suffix)] + replacement
                break
        else:
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]
    return w


def strip_markers(text: str) -> str:
    """Return `text` without citation markers like "[1]" or "[2, 3]"."""
    return _MARKER_RE.sub("", text).strip()


def markers_of(sentence: str) -> list[int]:
    """Return the citation marker numbers in a sentence, in order, without repeats."""
    found: list[int] = []
    for group in re.findall(r"\[(\d+(?:\s*,\s*\d+)*)\]", sentence):
        for part in group.split(","):
            number = int(part.strip())
            if number not in found:
                found.append(number)
    return found


def split_sentences(text: str) -> list[str]:
    """Return the sentences of `text` (lines and bullets split too), each keeping its markers."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip().lstrip("•*-–").strip()
        if not line:
            continue
        parts = _SENTENCE_END_RE.split(line)
        # split() with one group alternates text, captured markers, text, ...
        for i in range(0, len(parts), 2):
            sentence = parts[i] + (parts[i + 1] if i + 1 < len(parts) else "")
            if sentence.strip():
                sentences.append(sentence.strip())
    return sentences


def _normalise(text: str) -> str:
    text = strip_markers(text)
    text = _LABEL_RE.sub("", text).lower()
    text = text.replace("’", "'").replace("‘", "'")
    text = _SYNONYM_RE.sub(lambda m: " " + _SYNONYMS[m.group(1)] + " ", text)
    return re.sub(r"\bnon[- ](?=[a-z])", "non", text)


def _tokens(text: str) -> list[str]:
    """Return normalised tokens with clause breaks kept as ","."""
    out: list[str] = []
    for piece in re.findall(r"[a-z0-9%]+(?:'[a-z]+)?|[,;:.!?()]", _normalise(text)):
        piece = piece.removesuffix("'s")
        if piece in ",;:.!?()":
            out.append(",")
        elif piece in _NUMBER_WORDS:
            out.append(_NUMBER_WORDS[piece])
        else:
            out.append(piece)
    return out


def _is_content(token: str) -> bool:
    return (
        token not in _STOPWORDS
        and token not in _NEGATIONS
        and token != ","
        and not (token[0].isdigit())
    )


def content_words(text: str) -> list[str]:
    """Return the content words of `text` in order: normalised, synonyms folded, not stemmed."""
    return [t for t in _tokens(text) if _is_content(t)]


def content_stems(text: str) -> set[str]:
    """Return the stems of the content words of `text` (stopwords, numbers, negations left out)."""
    return {stem(t) for t in content_words(text)}


def numbers_in(text: str) -> set[str]:
    """Return the numbers `text` states, ranges as "6-12" and percentages as "89%"."""
    normalised = _WORD_NUMBER_RE.sub(lambda m: _NUMBER_WORDS[m.group(1)], _normalise(text))
    found: set[str] = set()
    for low, high, percent in _NUMBER_RE.findall(normalised):
        value = f"{low}-{high}" if high else low
        found.add(value + ("%" if percent else ""))
    return found


def _number_values(numbers: set[str]) -> set[str]:
    values: set[str] = set()
    for n in numbers:
        n = n.rstrip("%")
        values.update(n.split("-"))
    return values


def negated_stems(text: str) -> tuple[set[str], set[str]]:
    """Return (stems inside a negation's scope, stems stated positively) of `text`."""
    negated: set[str] = set()
    positive: set[str] = set()
    remaining = 0
    for token in _tokens(text):
        if token == "," or token in _CLAUSE_BREAKS:
            remaining = 0
            continue
        if token in _NEGATIONS:
            remaining = _SCOPE_WORDS
            continue
        if not _is_content(token):
            continue
        if remaining > 0:
            negated.add(stem(token))
            remaining -= 1
        else:
            positive.add(stem(token))
    return negated, positive


def _has_negation(text: str) -> bool:
    return any(t in _NEGATIONS for t in _tokens(text))


def _negation_conflict(claim: str, evidence: str) -> str | None:
    claim_neg, claim_pos = negated_stems(claim)
    ev_neg, ev_pos = negated_stems(evidence)
    if _has_negation(claim) and not _has_negation(evidence):
        return "the claim negates something the evidence states without negation"
    denied = sorted(w for w in claim_pos & ev_neg if w not in ev_pos)
    if denied:
        return f"the evidence negates what the claim asserts ({', '.join(denied)})"
    asserted = sorted(w for w in claim_neg & ev_pos if w not in ev_neg)
    if asserted:
        return f"the claim negates what the evidence asserts ({', '.join(asserted)})"
    return None


_ANTONYMS = (
    ("shortterm", "longterm"), ("increas", "decreas"), ("increas", "reduc"),
    ("superior", "inferior"), ("safe", "unsafe"), ("effect", "ineffect"), ("aggravate", "eas"),
    ("increas", "minimiz"), ("increas", "minimis"), ("high", "low"), ("good", "poor"),
    ("cheap", "expens"),
    ("slow", "fast"), ("slow", "quick"),
)  # fmt: skip


def _antonym_conflict(claim_stems: set[str], evidence_stems: set[str]) -> str | None:
    for a, b in _ANTONYMS:
        for x, y in ((a, b), (b, a)):
            if x in claim_stems and y in evidence_stems and x not in evidence_stems:
                return f"the claim says {x!r} where the evidence says {y!r}"
    return None


def support(claim: str, evidence: str, similarity: float | None = None) -> SupportResult:
    """Return whether `evidence` supports `claim`: word overlap, numbers and negation agree."""
    claim_stems = content_stems(claim)
    if not claim_stems:
        return SupportResult(False, 0.0, "the claim has no content words to check")
    evidence_stems = content_stems(evidence)
    shared = claim_stems & evidence_stems
    missing_words = sorted(claim_stems - evidence_stems)
    score = len(shared) / len(claim_stems)
    allowed = int(MAX_MISSING_SHARE * len(claim_stems))
    if similarity is not None and similarity >= SIMILARITY_BONUS and len(claim_stems) >= 3:
        allowed += 1

    claim_numbers = numbers_in(claim)
    evidence_numbers = numbers_in(evidence)
    evidence_values = _number_values(evidence_numbers)
    missing_numbers = sorted(
        n for n in claim_numbers
        if n not in evidence_numbers and not ("-" not in n and n.rstrip("%") in evidence_values)
    )  # fmt: skip
    if missing_numbers:
        return SupportResult(
            False, score, f"numbers not in the evidence: {', '.join(missing_numbers)}"
        )
    conflict = _negation_conflict(claim, evidence) or _antonym_conflict(claim_stems, evidence_stems)
    if conflict:
        return SupportResult(False, score, conflict)
    overlap = f"{len(shared)}/{len(claim_stems)} content words found"
    if similarity is not None:
        overlap += f", similarity {similarity:.2f}"
    if len(missing_words) > allowed:
        shown = ", ".join(missing_words[:8])
        return SupportResult(False, score, f"{overlap}; missing: {shown}")
    return SupportResult(True, score, overlap)


Similarity = float | Callable[[str, str], float] | None
"""A fixed similarity, or a function (claim, text) -> cosine computed per window, or none."""


def conveys(statement: str, answer_text: str, similarity: Similarity = None) -> SupportResult:
    """Return the best support of `statement` by one answer sentence or two adjacent ones."""
    sentences = [strip_markers(s) for s in split_sentences(answer_text)]
    claim_stems = content_stems(statement)
    windows = list(sentences)
    for first, second in zip(sentences, sentences[1:], strict=False):
        # A pair counts only when each sentence brings claim words the other lacks.
        a, b = content_stems(first) & claim_stems, content_stems(second) & claim_stems
        if a - b and b - a:
            windows.append(f"{first} {second}")
    best = SupportResult(False, 0.0, "the answer has no sentences")
    best_window = ""
    for window in windows:
        sim = similarity(statement, window) if callable(similarity) else similarity
        result = support(statement, window, sim)
        if not best_window or (result.supported, result.score) > (best.supported, best.score):
            best, best_window = result, window
    if best_window:
        quoted = best_window if len(best_window) <= 160 else best_window[:157] + "..."
        best = SupportResult(best.supported, best.score, f"{best.reason} in: {quoted!r}")
    return best
