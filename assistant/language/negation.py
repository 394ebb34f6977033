"""The one negation module, over lexicon/negation.yaml: red-flag matches and claims.

Red flags: `red_flag_negated` says whether a cue shortly before a regex match, in the same
clause, cancels it ("no numbness"). Claims: `negated_stems` splits a text's content stems into
those inside a negation's scope and those stated positively. The lexicon's comments say why the
two readers' cue lists differ.
"""

from __future__ import annotations

import re

from assistant.language.lexicon import lexicon
from assistant.language.tokens import CLAUSE_MARK, is_content, stem, tokens

__all__ = ["red_flag_negated", "negated_stems", "has_negation"]

_LEX = lexicon()
_RED_FLAG_CUES = frozenset((*_LEX.negation_cues, *_LEX.contractions, *_LEX.denials))
_CLAIM_CUES = frozenset((*_LEX.negation_cues, *_LEX.hedges))
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


def negated_stems(text: str) -> tuple[set[str], set[str]]:
    """Return (stems inside a negation's scope, stems stated positively) of `text`."""
    negated: set[str] = set()
    positive: set[str] = set()
    remaining = 0
    for token in tokens(text):
        if token == CLAUSE_MARK or token in _CLAUSE_BREAKS:
            remaining = 0
            continue
        if token in _CLAIM_CUES:
            remaining = _LEX.claim_window
            continue
        if not is_content(token):
            continue
        if remaining > 0:
            negated.add(stem(token))
            remaining -= 1
        else:
            positive.add(stem(token))
    return negated, positive


def has_negation(text: str) -> bool:
    """Return True when the text has a claim negation cue anywhere."""
    return any(t in _CLAIM_CUES for t in tokens(text))
