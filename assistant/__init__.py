"""PHT Guide's core: answers about proximal hamstring tendinopathy from curated, cited guidance.

Importing this package is cheap; the embedding model and Chroma load in `build_assistant`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.errors import (
    ConfigError,
    CorpusError,
    EvalCaseError,
    IndexNotReady,
    InvalidQuestion,
    ModelUnavailable,
    PHTError,
    RulesError,
    ServerUnavailable,
    StoreError,
)
from assistant.settings import Settings
from assistant.types import Answer, Citation

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

__all__ = [
    "Assistant",
    "Answer",
    "Citation",
    "Settings",
    "build_assistant",
    "PHTError",
    "ConfigError",
    "CorpusError",
    "IndexNotReady",
    "InvalidQuestion",
    "ModelUnavailable",
    "ServerUnavailable",
    "RulesError",
    "StoreError",
    "EvalCaseError",
]


def build_assistant(settings: Settings) -> Assistant:
    """Return a ready Assistant over the index (see `assistant.factory.build_assistant`)."""
    from assistant.factory import build_assistant as _build

    return _build(settings)


def __getattr__(name: str) -> Any:
    # The Assistant class pulls in LangChain; load it only when someone asks for it.
    if name == "Assistant":
        from assistant.pipeline import Assistant

        return Assistant
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
