"""Undo the disguises that hide words from a decision, keeping the words themselves.

Each step was found hiding a red flag from the safety gate (issue 16): invisible and filler
characters inside or between words (U+200B, U+034F, U+3164, U+115F, U+2800, variation selectors),
combining marks stacked on letters, letters of another script that look Latin (Cyrillic `а`,
Ukrainian `і`, Greek `ο`, small capitals), digits and symbols for letters (`k1ll`, `$uicide`),
words split by a hyphen or dot (`bl-adder`) and words spelt out letter by letter (`k i l l`).

Which reading is meant is decided with an English word list (symspellpy's frequency dictionary,
82,765 words): a change is kept only when it turns a non-word into a word, so ordinary text in
any language passes unchanged. The homoglyph table is Unicode's confusables data as shipped by
`confusable-homoglyphs` (letters that have an ASCII-letter lookalike), plus a few Cyrillic and
small-capital letters it lacks. A word is only mapped to Latin when it sits in Latin text, or
mixes Latin with the lookalikes: a Russian or Ukrainian message keeps its own letters.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
import unicodedata
from importlib import resources

__all__ = ["undisguise", "reveal", "english_words", "HIDDEN"]

# Characters that show as nothing (or as a blank) but split a word for a matcher: everything of
# category Cf, plus fillers and joiners of other categories.
HIDDEN = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u2800\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
_MARKER = "\x00"
_LEET = {
    "0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "il", "|": "li", "+": "t", "€": "e", "£": "l",
}  # fmt: skip
_SPLITTERS = "-_.·•‧*~"
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"})
# Lookalikes Unicode's table lacks (the italic or small forms people use as Latin letters).
_EXTRA = {
    "к": "k", "м": "m", "т": "t", "н": "h", "в": "b", "п": "n", "и": "u", "ь": "b", "г": "r",
    "є": "e", "ё": "e", "ї": "i", "й": "u", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ꞵ": "b", "ғ": "f",
}  # fmt: skip
_SCRIPTED = ("CYRILLIC", "GREEK", "LATIN", "ARMENIAN", "CHEROKEE")
_NUMBERISH = re.compile(r"\d+[a-z]{1,3}|[a-z]{1,2}\d+")
_MAX_VARIANTS = 64


@functools.cache
def english_words() -> dict[str, int]:
    """Return the English word list with frequencies (lower case)."""
    path = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    words: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, count = line.partition(" ")
        if word.isalpha():
            words[word] = int(count or 1)
    return words


_COMMON = 1_000_000
"""A piece of a hyphenated word this frequent is a word in its own right (`follow-up`)."""


def _is_word(text: str, min_count: int = 1) -> bool:
    lowered = text.lower()
    if "'" in lowered:  # can't, I'm, don't: the part before the apostrophe decides
        lowered = lowered.split("'", 1)[0]
    if lowered in ("a", "i"):
        return True
    return len(lowered) >= 2 and english_words().get(lowered, 0) >= min_count


@functools.cache
def _to_latin() -> dict[str, str]:
    """Return {letter: ASCII lookalike} for letters of other scripts (and odd Latin forms)."""
    import confusable_homoglyphs

    path = resources.files(confusable_homoglyphs) / "confusables.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for char, glyphs in data.items():
        if len(char) != 1 or not char.isalpha() or char.isascii():
            continue
        names = unicodedata.name(char, "")
        if not names.startswith(_SCRIPTED):
            continue  # mathematical and fullwidth forms are NFKC's job
        for glyph in glyphs:
            target = glyph["c"]
            if len(target) == 1 and target.isascii() and target.isalpha():
                table[char] = target
                break
    for code in range(0x1D00, 0x1D2C):  # LATIN LETTER SMALL CAPITAL X
        name = unicodedata.name(chr(code), "")
        if name.startswith("LATIN LETTER SMALL CAPITAL ") and len(name.split()[-1]) == 1:
            table.setdefault(chr(code), name.split()[-1].lower())
    for char in "ɪʟʀʏʜɢʙɴ":
        table.setdefault(char, unicodedata.name(char).split()[-1].lower())
    for char, target in _EXTRA.items():
        table.setdefault(char, target)
        table.setdefault(char.upper(), target.upper())
    return table


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name.startswith(_SCRIPTED) else "OTHER"


def _strip_marks(text: str) -> str:
    """Drop marks stacked on Latin, Greek or Cyrillic letters (other scripts keep theirs).

    After NFKC a mark stays separate only when it could not compose: a stack or an overlay,
    which no language writes. A word with one loses all its accents (`su\u0301\u0302icide` ->
    `suicide`); words with ordinary precomposed letters (é, й, ї) are left as they are.
    """
    out: list[str] = []
    for token in text.split(" "):
        stacked = any(
            unicodedata.category(char) in ("Mn", "Me")
            and (i == 0 or _script(token[i - 1]) in ("LATIN", "GREEK", "CYRILLIC")
                 or unicodedata.category(token[i - 1]) in ("Mn", "Me"))
            for i, char in enumerate(token)
        )  # fmt: skip
        if stacked:
            decomposed = unicodedata.normalize("NFD", token)
            token = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Me"))
        out.append(token)
    return " ".join(out)


def _hide_to_markers(text: str) -> str:
    out: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if char in HIDDEN or category in ("Cf", "Cs", "Co"):
            out.append(_MARKER)
        elif char.isspace():
            out.append(" ")
        elif category == "Cc":
            out.append(_MARKER)
        else:
            out.append(char)
    return "".join(out)


def _join_or_split(pieces: list[str], separator: str = "") -> str:
    """Return pieces glued into one word, or kept apart when each is a word and the glue is not."""
    pieces = [piece for piece in pieces if piece]
    joined = "".join(pieces)
    if len(pieces) < 2:
        return joined
    core = joined.strip("'\".,!?;:()[]")
    if _is_word(core):
        return joined
    if all(_is_word(piece.strip("'\".,!?;:()[]")) for piece in pieces):
        return " ".join(pieces) if separator == "" else separator.join(pieces)
    return joined


def _resolve_markers(text: str) -> str:
    if _MARKER not in text:
        return text
    return " ".join(_join_or_split(token.split(_MARKER)) for token in text.split(" "))


def _latin_text(text: str) -> bool:
    latin = other = 0
    for char in text:
        if char.isalpha():
            if char.isascii():
                latin += 1
            elif _script(char) in ("CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"):
                other += 1
    return latin >= other


def _unconfuse(text: str) -> str:
    table = _to_latin()
    latin_text = _latin_text(text)
    out: list[str] = []
    for token in re.split(r"(\s+)", text):
        letters = [char for char in token if char.isalpha()]
        lookalikes = [char for char in letters if char in table]
        if not lookalikes:
            out.append(token)
            continue
        has_ascii = any(char.isascii() for char in letters)
        all_lookalike = len(lookalikes) == len(letters)
        # Mixed scripts in one word, or a whole word of lookalikes in Latin text: a disguise.
        if (has_ascii and all(c.isascii() or c in table for c in letters)) or (
            all_lookalike and latin_text
        ):
            out.append("".join(table.get(char, char) for char in token))
        else:
            out.append(token)
    return "".join(out)


def _deleet_token(token: str) -> str:
    core = token.strip("'\".,?;:()[]")
    if core.endswith("!"):
        core = core.rstrip("!")
    letters = sum(char.isalpha() for char in core)
    leets = [i for i, char in enumerate(core) if char in _LEET]
    if not leets or letters < 2 or len(leets) > letters + 2 or _NUMBERISH.fullmatch(core):
        return token
    if not all(char.isalpha() or char in _LEET or char in "'-" for char in core):
        return token
    options = [_LEET[char] if char in _LEET else char for char in core]
    best = None
    for variant in itertools.islice(itertools.product(*options), _MAX_VARIANTS):
        word = "".join(variant)
        if _is_word(word) and len(word) >= 3:
            score = english_words().get(word, 0)
            if best is None or score > best[0]:
                best = (score, word)
    if best is None:
        return token
    return token.replace(core, best[1], 1)


def _join_split_word(token: str) -> str:
    """Return `bl-adder` as `bladder`, keeping `self-harm` (both halves are words)."""
    match = re.fullmatch(r"([^\w]*)(.*?)([^\w]*)", token)
    if match is None:
        return token
    before, core, after = match.groups()
    pieces = re.split(f"[{re.escape(_SPLITTERS)}]", core)
    if len(pieces) < 2 or not all(piece.isalpha() for piece in pieces):
        return token
    joined = "".join(pieces)
    if len(pieces) >= 3 and all(len(piece) == 1 for piece in pieces):
        return before + joined + after  # spelt out: k-i-l-l, e.q.u.i.n.a
    if len(joined) < 4 or not _is_word(joined):
        return token
    if all(_is_word(piece, _COMMON) for piece in pieces):
        return token  # follow-up, self-harm: a compound of common words, not a disguise
    return before + joined + after


def _segment(letters: str) -> str:
    """Return a run of letters split into the likeliest English words (Viterbi on frequency)."""
    words = english_words()
    total = math.log(sum(words.values()))
    best: list[tuple[float, int]] = [(0.0, 0)] + [(-math.inf, 0)] * len(letters)
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - 20), end):
            piece = letters[start:end]
            if piece in words and (len(piece) > 1 or piece in ("a", "i")):
                score = best[start][0] + math.log(words[piece]) - total
                if score > best[end][0]:
                    best[end] = (score, start)
    if best[-1][0] == -math.inf:
        return letters
    pieces: list[str] = []
    end = len(letters)
    while end > 0:
        start = best[end][1]
        pieces.append(letters[start:end])
        end = start
    return " ".join(reversed(pieces))


def _recase(segmented: str, original: str) -> str:
    letters = iter(original)
    return "".join(char if char == " " else next(letters) for char in segmented)


def _join_spelled_out(text: str) -> str:
    """Return `k i l l  m y s e l f` as `kill myself` (case kept).

    A run of three or more single letters is one spelt-out stretch; two spaces (or more) mark
    where its words end, else the likeliest split into English words is taken. A group between
    double spaces that is all single letters is joined even when short (`t o`).
    """
    groups = re.split(r"(\s{2,})", text)
    spelt_groups = sum(
        1 for g in groups if g.strip() and all(len(t) == 1 for t in g.split())
    )
    out: list[str] = []
    for group in groups:
        if not group.strip():
            out.append(group)
            continue
        tokens = group.split(" ")
        whole = spelt_groups >= 2 and all(len(t) == 1 for t in tokens if t)
        rebuilt: list[str] = []
        run: list[str] = []
        for token in [*tokens, ""]:
            if len(token) == 1 and (token.isalpha() or token == "'"):
                run.append(token)
                continue
            if len(run) >= 3 or (whole and len(run) >= 2):
                joined = "".join(run)
                lowered = joined.lower()
                split = lowered if _is_word(lowered) or whole else _segment(lowered)
                rebuilt.append(_recase(split, joined))
            else:
                rebuilt.extend(run)
            run = []
            if token:
                rebuilt.append(token)
        out.append(" ".join(rebuilt))
    return "".join(out)


def reveal(text: str) -> str:
    """Return `text` with hidden characters and spelt-out words resolved, case and script kept.

    What the user sees of their question: invisible, filler and control characters are removed
    inside a word and become a space between words; `k i l l  m e` becomes `kill me`.
    """
    return _join_spelled_out(_resolve_markers(_hide_to_markers(text)))


def undisguise(text: str) -> str:
    """Return `text` (NFKC) with hidden characters, marks, lookalikes, leet and splits undone.

    The result is lower case, on one line, with single spaces.
    """
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    # Spaces are kept as they are until the end: two spaces mark a word boundary in `k i l l  m e`.
    text = _resolve_markers(_hide_to_markers(text))
    text = _unconfuse(_strip_marks(text)).casefold()
    tokens = [
        _join_split_word(_deleet_token(token)) if token else ""
        for token in text.split(" ")
    ]
    return re.sub(r"\s+", " ", _join_spelled_out(" ".join(tokens))).strip()
