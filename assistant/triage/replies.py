"""What the triage gate says, per category and language (rules/triage_replies.yaml, reviewed).

Every urgent message leads with the call to action for its category (emergency department,
ambulance, emergency number, same-day assessment, crisis lines) and never gives self-care or
exercise advice; the safety net names every category in one line; `{numbers}` and
`{crisis_lines}` are filled with the language's emergency and crisis numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import RulesError
from assistant.rulefile import read_rules_file

__all__ = ["REPLIES_PATH", "Replies", "load_replies"]

REPLIES_PATH = Path(__file__).parent / "rules" / "triage_replies.yaml"
_LANGUAGES = ("en", "es", "fr", "de", "it", "pt")


class _Language(BaseModel):
    model_config = ConfigDict(extra="forbid")

    numbers: str = Field(min_length=3)
    crisis_lines: str = Field(min_length=3)
    safety_net: str = Field(min_length=40)
    cannot_answer: str = Field(min_length=20)
    still_urgent: str | None = None
    assessed_reminder: str | None = None
    hypothetical: str | None = None


class _Category(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rationale: str = Field(min_length=40)
    what: dict[str, str]
    message: dict[str, str]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    languages: dict[str, _Language]
    categories: dict[str, _Category]


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Replies:
    """The reviewed reply texts."""

    spec: _File

    def _lang(self, language: str) -> _Language:
        return self.spec.languages.get(language) or self.spec.languages["en"]

    def message(self, category: str, language: str = "en") -> str:
        """Return the urgent message of `category` in `language` (English when missing)."""
        entry = self.spec.categories[category]
        lang = language if language in entry.message else "en"
        info = self._lang(lang)
        return _one_line(entry.message[lang]).format(
            numbers=info.numbers, crisis_lines=info.crisis_lines
        )

    def urgent(self, category: str, languages: Sequence[str]) -> str:
        """Return the urgent reply: the message in each detected language, English last."""
        order = [lang for lang in languages if lang != "en"] + ["en"]
        texts = [self.message(category, lang) for lang in dict.fromkeys(order)]
        return "\n\n".join([*texts, self.leave_hint()])

    def leave_hint(self) -> str:
        """Return how to leave the urgent state (the chat never feels stuck)."""
        return (
            "If this has already been checked by a doctor, tell me (for example \"I went to A&E "
            "and it was fine\") and I will answer your questions about the tendon."
        )

    def safety_net(self, language: str = "en") -> str:
        """Return the one-line safety net that names every category."""
        return _one_line(self._lang(language).safety_net)

    def numbers(self, language: str = "en") -> str:
        """Return the emergency numbers of `language`."""
        return self._lang(language).numbers

    def foreign_note(self, language: str) -> str:
        """Return what every reply to a message in `language` carries: net and numbers."""
        info = self._lang(language)
        return _one_line(
            f"{info.cannot_answer} {info.safety_net} {info.numbers}. {info.crisis_lines}."
        )

    def what(self, category: str) -> str:
        """Return the short English description of `category` (for reminders)."""
        return self.spec.categories[category].what.get("en", category)

    def still_urgent(self, category: str) -> str:
        """Return the line that explains why an earlier red flag still decides the answer."""
        template = self.spec.languages["en"].still_urgent or ""
        return _one_line(template).format(what=self.what(category), help=self._help(category))

    def assessed(self) -> str:
        """Return the one-line reminder after the user said the flag was checked."""
        return _one_line(self.spec.languages["en"].assessed_reminder or "")

    def hypothetical(self, category: str) -> str:
        """Return the safety net for a general question about a red flag."""
        template = self.spec.languages["en"].hypothetical or ""
        return _one_line(template).format(help=self.message(category, "en"))

    def _help(self, category: str) -> str:
        first = self.message(category, "en").split(". ")[0]
        return first[len("Please ") :] if first.startswith("Please ") else first


def load_replies(path: Path | None = None, categories: Sequence[str] = ()) -> Replies:
    """Return the reply texts; a category or language without its text is a RulesError."""
    path = path or REPLIES_PATH
    spec = read_rules_file(path, _File, list_key="categories")
    missing = [lang for lang in _LANGUAGES if lang not in spec.languages]
    for category in categories:
        if category not in spec.categories:
            missing.append(category)
        else:
            missing += [
                f"{category}/{lang}"
                for lang in _LANGUAGES
                if lang not in spec.categories[category].message
            ]
    if missing:
        raise RulesError(f"{path}: missing texts for {', '.join(missing)}.")
    en = spec.languages["en"]
    if not (en.still_urgent and en.assessed_reminder and en.hypothetical):
        raise RulesError(f"{path}: English needs still_urgent, assessed_reminder, hypothetical.")
    return Replies(spec)
