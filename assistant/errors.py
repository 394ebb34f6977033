"""The one error tree of PHT Guide.

    PHTError
    ├── ConfigError          a setting is invalid
    ├── CorpusError          a corpus document or the manifest is missing, unreadable or invalid
    ├── IndexNotReady        no index (or an empty one) where the assistant expects one
    ├── InvalidQuestion      a question that cannot be asked (empty, too long)
    ├── RulesError           a reviewed rules or lexicon file (triage rules, lexicon) is invalid
    ├── ModelUnavailable     the embedding model cannot be loaded
    ├── ServerUnavailable    a Chroma or LLM server cannot be reached or answered badly
    ├── StoreError           the SQLite answer log cannot be opened or written
    └── EvalCaseError        an eval case file, report or labelled-pairs file is invalid

Messages say what is wrong and what to do. Out-of-scope or red-flag questions are not errors:
they are Answers with their own status.
"""

from __future__ import annotations

__all__ = [
    "PHTError",
    "ConfigError",
    "CorpusError",
    "IndexNotReady",
    "InvalidQuestion",
    "RulesError",
    "ModelUnavailable",
    "ServerUnavailable",
    "StoreError",
    "EvalCaseError",
]


class PHTError(Exception):
    """Base class of every error PHT Guide raises on purpose."""


class ConfigError(PHTError):
    """A setting has a value the product cannot use."""


class CorpusError(PHTError):
    """A corpus document or the manifest is missing, unreadable or invalid."""


class IndexNotReady(PHTError):
    """The Chroma index is missing or empty."""


class InvalidQuestion(PHTError):
    """The question cannot be asked as given (empty, whitespace only, too long)."""


class RulesError(PHTError):
    """A reviewed rules file is missing, not valid YAML, or has an invalid entry or regex."""


class ModelUnavailable(PHTError):
    """The embedding model could not be loaded from its local path."""


class ServerUnavailable(PHTError):
    """A Chroma or LLM server could not be reached or gave an unusable reply."""


class StoreError(PHTError):
    """The answer log could not be opened or written."""


class EvalCaseError(PHTError):
    """An eval case file, an earlier report or the matcher's labelled pairs are invalid."""
