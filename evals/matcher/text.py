"""The judge's text handling: sentences with their markers, tokens, stems, numbers, negation."""

from __future__ import annotations

import functools
import re

from evals.matcher.lexicon import judge_lexicon

__all__ = [
    "strip_markers",
    "markers_of",
    "split_sentences",
    "stem",
    "tokens",
    "content_stems",
    "numbers_in",
    "number_values",
    "negated_stems",
    "has_negation",
]

_LEX = judge_lexicon()
_LABELS = "|".join(re.escape(label) for label in _LEX.table_labels)
_MARKER_RE = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")
_LABEL_RE = re.compile(rf"\b(?:{_LABELS})\s*:\s*", re.IGNORECASE)
_LATER_LABELS = "|".join(re.escape(label) for label in _LEX.table_labels[1:])
_SENTENCE_END_RE = re.compile(
    r"(?<=[.!?])((?:\s*\[\d+(?:\s*[,–-]\s*\d+)*\])*)\s+"
    # A table row ("Option: X. Evidence/Outcome: Y.") stays one sentence: it is one claim.
    rf"(?=[\"“(•*\-A-Z0-9])(?!(?:{_LATER_LABELS}):)"
)
_NUMBER_RE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(?:\s*(?:–|—|-|to)\s*(\d+(?:\.\d+)?))?\s*(%|percent\b)?"
)
_WORD_NUMBER_RE = re.compile(r"\b(" + "|".join(_LEX.number_words) + r")\b")
_SYNONYM_RE = re.compile(
    r"(?<![a-z])("
    + "|".join(re.escape(k) for k in sorted(_LEX.synonyms, key=len, reverse=True))
    + r")(?![a-z])"
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


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return a light stem of one lowercase word (plurals, then one or two suffixes removed)."""
    w = word.lower()
    if w in _LEX.keep_unstemmed or len(w) <= 3 or not w.isalpha():
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


def _inflections() -> dict[str, str]:
    """Return the past and -ing forms of the one-word synonyms the lists give in an -s form.

    The lists name a verb as it reads in a sentence ("needs", "relieves", "worsens"); its
    other inflections ("needed", "relieving", "worsened") fold the same. Derivations are left
    alone ("nearly" is not "near").
    """
    out: dict[str, str] = {}
    for phrase, canonical in _LEX.synonyms.items():
        if not phrase.isalpha() or len(phrase) < 5 or not phrase.endswith("s"):
            continue
        if phrase.endswith(("ss", "is", "us")):
            continue
        root = phrase[:-1]
        forms = (root + "d", root[:-1] + "ing") if root.endswith("e") else (
            root + "ed", root + "ing")
        for form in forms:
            if form not in _LEX.synonyms and form not in _LEX.stopwords:
                out.setdefault(form, canonical)
    return out


_INFLECTIONS = _inflections()


def _normalise(text: str) -> str:
    text = strip_markers(text)
    text = _LABEL_RE.sub("", text).lower()
    text = text.replace("’", "'").replace("‘", "'")
    # A possessive goes before synonyms fold a phrase ("tendinopathy's" -> "pht 's" -> "s").
    text = re.sub(r"(?<=[a-z])'s\b", "", text)
    text = _SYNONYM_RE.sub(lambda m: " " + _LEX.synonyms[m.group(1)] + " ", text)
    return re.sub(r"\bnon[- ](?=[a-z])", "non", text)


def tokens(text: str) -> list[str]:
    """Return normalised tokens with clause breaks kept as ","."""
    out: list[str] = []
    for piece in re.findall(r"[a-z0-9%]+(?:'[a-z]+)?|[,;:.!?()]", _normalise(text)):
        piece = piece.removesuffix("'s")
        if piece in ",;:.!?()":
            out.append(",")
        elif piece in _LEX.number_words:
            out.append(_LEX.number_words[piece])
        elif piece in _INFLECTIONS:
            out.extend(_INFLECTIONS[piece].split())
        else:
            out.append(piece)
    return out


def _is_content(token: str) -> bool:
    return (
        token not in _LEX.stopwords
        and token not in _LEX.negations
        and token != ","
        and not token[0].isdigit()
    )


def content_stems(text: str) -> set[str]:
    """Return the stems of the content words of `text` (stopwords, numbers, negations left out)."""
    return {stem(t) for t in tokens(text) if _is_content(t)}


def numbers_in(text: str) -> set[str]:
    """Return the numbers `text` states, ranges as "6-12" and percentages as "89%"."""
    normalised = _WORD_NUMBER_RE.sub(lambda m: _LEX.number_words[m.group(1)], _normalise(text))
    found: set[str] = set()
    for low, high, percent in _NUMBER_RE.findall(normalised):
        value = f"{low}-{high}" if high else low
        found.add(value + ("%" if percent else ""))
    return found


def number_values(numbers: set[str]) -> set[str]:
    """Return every single value of some numbers ("6-12" gives "6" and "12")."""
    return {part for n in numbers for part in n.rstrip("%").split("-")}


def negated_stems(text: str) -> tuple[set[str], set[str]]:
    """Return (stems inside a negation's scope, stems stated positively) of `text`.

    A negation covers the next `scope_words` content words of its clause; one that closes a
    passive ("excessive stretching should be avoided") covers the content words before it in
    the clause instead, up to as many, unless the passive is itself denied ("should not be
    avoided").
    """
    words: list[tuple[str, bool]] = []
    clause_start = 0
    remaining = 0
    sequence = tokens(text)
    for i, token in enumerate(sequence):
        if _breaks_clause(token):
            remaining = 0
            clause_start = len(words)
            continue
        if _denies(sequence, i):
            if _closes_passive(sequence, i):
                start = max(clause_start, len(words) - _LEX.scope_words)
                words[start:] = [(word, True) for word, _ in words[start:]]
            else:
                remaining = _LEX.scope_words
            continue
        if not _is_content(token):
            continue
        words.append((stem(token), remaining > 0))
        remaining = max(remaining - 1, 0)
    negated = {word for word, denied in words if denied}
    positive = {word for word, denied in words if not denied}
    return negated, positive


def _breaks_clause(token: str) -> bool:
    return token == "," or token in _LEX.clause_breaks


def _denies(sequence: list[str], at: int) -> bool:
    """Return True when the token at `at` is a negation not cancelled by "hard to" before it.

    "Hard to avoid compression" says compression happens: it denies nothing.
    """
    if sequence[at] not in _LEX.negations:
        return False
    return not (at >= 2 and sequence[at - 1] == "to"
                and sequence[at - 2] in _LEX.negation_cancellers)  # fmt: skip


def _closes_passive(sequence: list[str], at: int) -> bool:
    """Return True when the negation at `at` is a participle after "be" with no denial between.

    Only the function words since the clause's last content word are looked at: in "X should
    be avoided" they are "should be"; in "X should not be avoided" the "not" denies the passive.
    """
    if sequence[at] not in _LEX.passive_negations:
        return False
    between: list[str] = []
    for token in reversed(sequence[:at]):
        if _breaks_clause(token) or _is_content(token):
            break
        between.append(token)
    if not between or between[0] not in _LEX.passive_auxiliaries:
        return False
    return not any(token in _LEX.negations for token in between)


def has_negation(text: str) -> bool:
    """Return True when the text has a negation word anywhere."""
    sequence = tokens(text)
    return any(_denies(sequence, i) for i in range(len(sequence)))
