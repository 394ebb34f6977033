"""The shared assistant and answer log: built once per process, shown as st.error when they fail."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn, Protocol

import streamlit as st

from assistant.errors import IndexNotReady, PHTError, StoreError
from assistant.settings import Settings
from assistant.types import Answer, Candidate, DocumentView
from ui.store import AnswerStore

__all__ = [
    "AssistantLike",
    "build_assistant",
    "load_settings",
    "load_assistant",
    "load_store",
    "show_error_and_stop",
]

logger = logging.getLogger(__name__)

INGEST_COMMAND = "make ingest        # or: .venv/bin/pht-ingest"


class AssistantLike(Protocol):
    """What the pages use of `assistant.Assistant` (tests pass a fake with the same shape)."""

    settings: Settings
    corpus_version: str

    def ask(
        self,
        question: str,
        history: Sequence[Mapping[str, str]] = (),
        audience: str = "patient",
    ) -> Answer: ...

    def search(self, query: str, k: int = 10) -> list[Candidate]: ...

    def documents(self) -> list[DocumentView]: ...


def build_assistant(settings: Settings) -> AssistantLike:
    """Return the real assistant (the one factory tests replace with a fake)."""
    # Imported here, not at the top: it loads the embedding model and Chroma, which the Review
    # page and the error screens never need.
    from assistant import build_assistant as _build

    return _build(settings)  # type: ignore[no-any-return]


def show_error_and_stop(message: str, *, command: str | None = None) -> NoReturn:
    """Show a problem the user can fix, with the command to run, and end this script run."""
    st.error(message, icon=":material/error:")
    if command:
        st.code(command, language="bash")
    st.stop()
    raise AssertionError("st.stop() returned")  # unreachable; keeps type checkers honest


def load_settings() -> Settings:
    """Return the settings from PHT_* variables, or stop the page with what is wrong."""
    try:
        return Settings.from_env()
    except PHTError as exc:
        show_error_and_stop(f"PHT Guide is not configured correctly: {exc}")


@st.cache_resource(show_spinner="Loading the guidance documents…")
def _shared_assistant(key: str, _settings: Settings) -> AssistantLike:
    # `key` is repr(settings) (API key masked): one assistant per configuration, shared by every
    # session. Failures raise, and st.cache_resource does not keep them, so a reload retries.
    logger.info("building the assistant for %s", key)
    return build_assistant(_settings)


def load_assistant(settings: Settings) -> AssistantLike:
    """Return the shared assistant, or stop the page with what to do when it cannot be built."""
    try:
        return _shared_assistant(repr(settings), settings)
    except IndexNotReady as exc:
        show_error_and_stop(
            f"The guidance documents have not been indexed yet. {exc} Then reload this page.",
            command=INGEST_COMMAND,
        )
    except PHTError as exc:
        show_error_and_stop(f"PHT Guide cannot start: {exc}")
    except Exception as exc:  # a bug or a broken install: log it, show a message, not a traceback
        logger.exception("building the assistant failed")
        show_error_and_stop(
            f"PHT Guide cannot start because of an unexpected error ({type(exc).__name__}). "
            "The details are in the server log."
        )


@st.cache_resource(show_spinner=False)
def _shared_store(data_dir: str, enabled: bool) -> AnswerStore:
    return AnswerStore(Path(data_dir), enabled=enabled)


def load_store(settings: Settings) -> AnswerStore:
    """Return the shared answer log; a log that cannot be opened is switched off with a warning."""
    try:
        return _shared_store(str(settings.data_dir), settings.answer_log)
    except StoreError as exc:
        logger.warning("answer log unavailable: %s", exc)
        st.warning(f"Answers are not being stored: {exc}", icon=":material/warning:")
        return AnswerStore(settings.data_dir, enabled=False)
