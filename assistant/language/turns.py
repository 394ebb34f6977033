"""Conversation turns: the user's earlier questions, and whether a question is a follow-up."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.language.lexicon import lexicon
from assistant.language.normalise import normalise_for_matching

__all__ = ["user_turns", "is_follow_up"]

_FOLLOW_UP = re.compile("|".join(f"(?:{cue})" for cue in lexicon().follow_up_cues), re.IGNORECASE)


def user_turns(history: Sequence[Mapping[str, str]]) -> list[str]:
    """Return the text of every earlier user turn that has any, oldest first."""
    return [
        str(turn["content"])
        for turn in history
        if turn.get("role") == "user" and turn.get("content")
    ]


def is_follow_up(question: str) -> bool:
    """Return True when the question uses a follow-up cue ("what about ...", "is that ...")."""
    return _FOLLOW_UP.search(normalise_for_matching(question)) is not None
