"""The red-flag gate: reviewed rules, per-language lexicons and a learned classifier, in union.

For each message the gate asks three detectors: the English rules (rules/safety_rules.yaml),
the lexicon of every other supported language (rules/redflags_<lang>.yaml) and, when one is
given, the learned classifier (classifier.py). Any of them finding a red flag makes the answer
urgent; its category decides the help (triage_replies.yaml). The conversation rules (README,
"Red flags in a conversation") decide what an earlier red flag means for a later question.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.language.normalise import normalise_for_matching
from assistant.language.turns import user_turns
from assistant.rulefile import read_rules_file
from assistant.triage.classifier import Classifies
from assistant.triage.conversation import is_general_question, says_assessed
from assistant.triage.dataset import CATEGORIES
from assistant.triage.language import detect_languages
from assistant.triage.lexicon import Lexicon, load_lexicons
from assistant.triage.patterns import Matcher, PatternItem, RuleSpec, compile_rules
from assistant.triage.replies import Replies, load_replies
from assistant.types import Request

__all__ = [
    "RULES_PATH",
    "SafetyRule",
    "SafetyDecision",
    "SafetyGate",
    "Flag",
    "load_rules",
    "user_texts",
]

RULES_PATH = Path(__file__).parent / "rules" / "safety_rules.yaml"
_CACHE = 512
"""Per-process memory of each user turn's flag (earlier turns are re-read on every ask)."""
# Category order decides ties: crisis first, then the most time-critical.
_PRIORITY = (
    "crisis-self-harm", "cauda-equina", "chest-breathless", "blood-clot", "fracture",
    "infection", "progressive-neuro-loss", "tendon-avulsion", "serious-disease",
)  # fmt: skip

Kind = Literal["clear", "urgent", "still_urgent", "assessed", "hypothetical"]


class _SafetyRuleSpec(RuleSpec):
    pass


class _SafetyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    terms: dict[str, str] = Field(default_factory=dict)
    rules: list[_SafetyRuleSpec] = Field(min_length=1)


@dataclass(frozen=True)
class SafetyRule:
    """One reviewed English red-flag rule: its category (id), what trips it, what is said."""

    id: str
    message: str
    rationale: str
    patterns: tuple[PatternItem, ...]
    positive_examples: tuple[str, ...]
    negative_examples: tuple[str, ...]
    matcher: Matcher = field(repr=False, compare=False)

    def matches(self, question: str, history: Sequence[Mapping[str, str]] = ()) -> bool:
        """Return whether this rule trips on the question or an earlier user turn."""
        return self.matcher.matches(user_texts(question, history))


def user_texts(question: str, history: Sequence[Mapping[str, str]] = ()) -> list[str]:
    """Return the question and the earlier user turns, normalised for matching."""
    return [normalise_for_matching(text) for text in (question, *user_turns(history))]


@dataclass(frozen=True)
class Flag:
    """What the detectors found in one message."""

    category: str
    sources: tuple[str, ...]
    """Which detectors fired: "rules", "lexicon:<lang>", "classifier"."""
    score: float = 0.0
    """The classifier's score (0 when it did not run)."""


@dataclass(frozen=True)
class SafetyDecision:
    """What the gate decided for one request.

    `kind`: "urgent" (the reply is the whole answer), "still_urgent" (an earlier red flag is not
    yet assessed: its reminder and help are the whole answer), "assessed" (it was: a one-line
    reminder on top of the answer), "hypothetical" (a general question naming a red flag:
    information plus that category's safety net) or "clear".
    """

    rule: SafetyRule | None = None
    kind: Kind = "clear"
    category: str | None = None
    languages: tuple[str, ...] = ("en",)
    message: str = ""
    """The urgent reply (kind "urgent" or "still_urgent")."""
    preamble: str = ""
    """The note that goes on top of a routine answer (assessed, hypothetical)."""
    note: str = ""
    """What every reply to a non-English message carries: safety net and emergency numbers."""
    sources: tuple[str, ...] = ()

    @property
    def urgent(self) -> bool:
        """Return True when the answer is the urgent reply (now, or still from earlier)."""
        return self.kind in ("urgent", "still_urgent")

    def wrap(self, text: str) -> str:
        """Return a routine answer's text with the preamble on top and the language note below."""
        parts = [part for part in (self.preamble, text, self.note) if part]
        return "\n\n".join(parts)


def load_rules(path: Path | None = None, replies: Replies | None = None) -> list[SafetyRule]:
    """Return the English rules from `path` (the packaged file by default), in priority order."""
    path = RULES_PATH if path is None else Path(path)
    spec = read_rules_file(path, _SafetyFile)
    texts = replies or load_replies(categories=CATEGORIES)
    known = set(texts.spec.categories)
    return [
        SafetyRule(
            id=rule.id,
            message=texts.message(rule.id) if rule.id in known else _fallback(rule.id),
            rationale=" ".join(rule.rationale.split()),
            patterns=tuple(rule.patterns),
            positive_examples=tuple(rule.positive_examples),
            negative_examples=tuple(rule.negative_examples),
            matcher=matcher,
        )
        for rule, matcher in compile_rules(path, spec.terms, spec.rules)
    ]


def _fallback(rule_id: str) -> str:
    return f"Please call your local emergency number or see a doctor now ({rule_id})."


class SafetyGate:
    """Decides whether a request is urgent, and what the conversation's history means for it."""

    def __init__(
        self,
        rules: Sequence[SafetyRule] | None = None,
        *,
        classifier: Classifies | None = None,
        lexicons: Mapping[str, Lexicon] | None = None,
        replies: Replies | None = None,
        detect: bool = True,
        vector_for: Callable[[str], Sequence[float]] | None = None,
    ) -> None:
        self.replies = replies or load_replies(categories=CATEGORIES)
        self.rules: tuple[SafetyRule, ...] = tuple(
            load_rules(replies=self.replies) if rules is None else rules
        )
        self.lexicons = dict(load_lexicons(categories=CATEGORIES) if lexicons is None else lexicons)
        self.classifier = classifier
        self._detect = detect
        self._vector_for = vector_for
        """The retrieval's query vector of a message (shared cache), so it is embedded once."""
        self._memo: OrderedDict[str, Flag | None] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ one message
    def flag(self, text: str, vector: Sequence[float] | None = None) -> Flag | None:
        """Return what the detectors find in one message (None: no red flag)."""
        with self._lock:
            if text in self._memo:
                self._memo.move_to_end(text)
                return self._memo[text]
        found = self._flag(text, vector)
        with self._lock:
            self._memo[text] = found
            if len(self._memo) > _CACHE:
                self._memo.popitem(last=False)
        return found

    def _flag(self, text: str, vector: Sequence[float] | None) -> Flag | None:
        votes: dict[str, list[str]] = {}
        folded = [normalise_for_matching(text)]
        for rule in self.rules:
            if rule.matcher.matches(folded):
                votes.setdefault(rule.id, []).append("rules")
        for language, lexicon in self.lexicons.items():
            for category in lexicon.categories([text]):
                votes.setdefault(category, []).append(f"lexicon:{language}")
        score = 0.0
        if self.classifier is not None and _enough_words(text):
            result = self.classifier.classify(text, vector)
            score = result.score
            if result.urgent:
                votes.setdefault(result.category, []).append("classifier")
        if not votes:
            return None
        category = min(votes, key=lambda c: _PRIORITY.index(c) if c in _PRIORITY else 99)
        sources = tuple(sorted({source for found in votes.values() for source in found}))
        return Flag(category, sources, score)

    def rule_for(self, category: str) -> SafetyRule | None:
        """Return the English rule of a category (the Answer's rule_id), if there is one."""
        return next((rule for rule in self.rules if rule.id == category), None)

    # ------------------------------------------------------------------ a conversation
    def decide(self, request: Request, vector: Sequence[float] | None = None) -> SafetyDecision:
        """Return the decision on a request: every earlier user turn counts, however old."""
        question = request.question
        languages = detect_languages(question) if self._detect else ("en",)
        note = self.replies.foreign_note(languages[0]) if languages[0] != "en" else ""
        if vector is None and self._vector_for is not None and self.classifier is not None:
            vector = self._vector_for(question)
        current = self.flag(question, vector)
        earlier, assessed = self._history_state(user_turns(request.history))
        if current is None and earlier is None and not assessed:
            # Combinations may span turns ("fever" yesterday, "red and swollen" today).
            current = self._spanning(question, request.history)
        if current is not None:
            general = is_general_question(question) and current.category != "crisis-self-harm"
            if general and "en" in languages[:1]:
                return SafetyDecision(
                    kind="hypothetical", category=current.category, languages=languages,
                    preamble=self.replies.hypothetical(current.category), note=note,
                    sources=current.sources,
                )  # fmt: skip
            return SafetyDecision(
                rule=self.rule_for(current.category), kind="urgent", category=current.category,
                languages=languages, message=self.replies.urgent(current.category, languages),
                sources=current.sources,
            )  # fmt: skip
        if says_assessed(question) and earlier is not None:
            earlier, assessed = None, True
        if earlier is not None:
            # Until the user says it was checked, the earlier red flag's help is the answer.
            message = self.replies.still_urgent(earlier) + "\n\n" + self.replies.urgent(
                earlier, languages
            )
            return SafetyDecision(
                rule=self.rule_for(earlier), kind="still_urgent", category=earlier,
                languages=languages, message=message,
            )  # fmt: skip
        if assessed:
            return SafetyDecision(
                kind="assessed", languages=languages, preamble=self.replies.assessed(), note=note
            )
        return SafetyDecision(languages=languages, note=note)

    def _history_state(self, turns: Sequence[str]) -> tuple[str | None, bool]:
        """Return (category of an unassessed earlier red flag, whether one was assessed)."""
        active: str | None = None
        assessed = False
        for turn in turns:  # oldest first
            if says_assessed(turn) and active is not None:
                active, assessed = None, True
                continue
            found = self.flag(turn)
            if found is not None and not (
                is_general_question(turn) and found.category != "crisis-self-harm"
            ):
                active, assessed = found.category, False
        return active, assessed

    def _spanning(self, question: str, history: Sequence[Mapping[str, str]]) -> Flag | None:
        texts = user_texts(question, history)
        for rule in self.rules:
            if rule.matcher.matches(texts):
                return Flag(rule.id, ("rules",))
        return None

    def check(self, question: str, history: Sequence[Mapping[str, str]] = ()) -> SafetyRule | None:
        """Return the English rule of the urgent category for a question, or None (tests, evals)."""
        request = Request(question=question, history=tuple(dict(t) for t in history))
        decision = self.decide(request)
        if decision.urgent and decision.category is not None:
            return decision.rule or self.rule_for(decision.category) or SafetyRule(
                decision.category, decision.message, "", (), (), (), Matcher((), ())
            )
        return None


# The classifier reads meaning from context; a greeting or a single word gives it none, and it then
# scores far-from-training text ("hello!") as a red flag. Short explicit red flags ("suicidal",
# "can't pee") are the reviewed rules' and lexicons' job, which run on every message.
_MIN_CLASSIFIER_WORDS = 3


def _enough_words(text: str) -> bool:
    """Return True when `text` has enough words for the classifier to judge it."""
    return len(re.findall(r"\w+", text)) >= _MIN_CLASSIFIER_WORDS
