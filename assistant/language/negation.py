"""The one negation module, over lexicon/negation.yaml: red-flag matches and claims.

Red flags: `red_flag_negated` says whether a cue shortly before a regex match, in the same
clause, cancels it ("no numbness"). Claims: `negated_stems` splits a text's content stems into
those inside a negation's scope and those stated positively. Questions: `negated_words` returns
the words a question sets aside ("better without an op" -> op; "avoid stretching"). The
lexicon's comments say why the readers' cue lists differ.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Set

from assistant.language.lexicon import lexicon
from assistant.language.tokens import CLAUSE_MARK, is_content, stem, tokens

__all__ = ["red_flag_negated", "negated_stems", "negated_words", "has_negation"]

_LEX = lexicon()
_RED_FLAG_CUES = frozenset((*_LEX.negation_cues, *_LEX.contractions, *_LEX.denials))
_CLAIM_CUES = frozenset((*_LEX.negation_cues, *_LEX.hedges))
_DENIAL_CUES = frozenset(
    (*_LEX.negation_cues, "avoid", "avoided", "avoiding", "avoids", "against", "stop")
)
"""Words after which a term a question names is set aside ("avoid excessive stretching")."""
_CLAUSE_BREAKS = frozenset(_LEX.clause_breaks)
_CLAUSE_END = re.compile(r"[.!?;:,()\n]|\b(?:" + "|".join(_LEX.clause_breaks) + r")\b")
_PSEUDO_NEGATION = re.compile(r"\b(?:" + "|".join(_LEX.pseudo_negations) + r")\b")
_LOOKBACK_CHARS = 160
"""The red-flag window's words fit well inside this many characters; further back only costs."""
_WORD = re.compile(r"[a-z']+")


def red_flag_negated(text: str, start: int) -> bool:
    """Return whether a negation cue governs the match starting at `start` in folded text."""
    before = text[max(0, start - _LOOKBACK_CHARS) : start]
    clause_start = 0
    for boundary in _CLAUSE_END.finditer(before):
        clause_start = boundary.end()
    scope = _PSEUDO_NEGATION.sub(" ", before[clause_start:])
    words = _WORD.findall(scope)[-_LEX.red_flag_window :]
    return any(word in _RED_FLAG_CUES for word in words)


def _scoped(text: str, cues: Set[str]) -> Iterator[tuple[str, bool]]:
    """Yield each content token of `text` with whether a cue's scope covers it: a cue opens
    `claim_window` content words, a clause mark or clause-break word closes the scope."""
    remaining = 0
    for token in tokens(text):
        if token == CLAUSE_MARK or token in _CLAUSE_BREAKS:
            remaining = 0
        elif token in cues:
            remaining = _LEX.claim_window
        elif is_content(token):
            yield token, remaining > 0
            remaining = max(remaining - 1, 0)


def negated_stems(text: str) -> tuple[set[str], set[str]]:
    """Return (stems inside a negation's scope, stems stated positively) of `text`."""
    negated: set[str] = set()
    positive: set[str] = set()
    for token, inside in _scoped(text, _CLAIM_CUES):
        (negated if inside else positive).add(stem(token))
    return negated, positive


def negated_words(text: str) -> list[str]:
    """Return the content words (as folded tokens) that `text` puts inside a denial's scope."""
    return [token for token, inside in _scoped(text, _DENIAL_CUES) if inside]


def has_negation(text: str) -> bool:
    """Return True when the text has a claim negation cue anywhere."""
    return any(t in _CLAIM_CUES for t in tokens(text))
