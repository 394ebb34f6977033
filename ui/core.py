"""The shared assistant and stores: built once per process, shown as st.error when they fail.

The assistant is built on a background thread (`assistant_loader`): a page can show its input
box at once and wait for the assistant only when a question needs it. `python -m ui.serve`
(what `make run` starts) builds it before the server prints its URL (`warm_assistant`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import NoReturn, Protocol

import streamlit as st

from assistant.errors import IndexNotReady, PHTError, StoreError
from assistant.settings import Settings
from assistant.types import Answer, Candidate, DocumentView
from ui.conversations import ConversationStore
from ui.store import AnswerStore

__all__ = [
    "AssistantLike",
    "AssistantLoader",
    "assistant_loader",
    "build_assistant",
    "forget_assistants",
    "load_assistant",
    "load_conversations",
    "load_settings",
    "load_store",
    "show_error_and_stop",
    "warm_assistant",
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
    # Imported here, not at the top: it loads the embedding model and Chroma, which the error
    # screens never need.
    from assistant import build_assistant as _build

    return _build(settings)  # type: ignore[no-any-return]


class AssistantLoader:
    """Builds one assistant on a background thread; pages ask whether it is ready, or wait."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._future: Future[AssistantLike] = Future()
        thread = threading.Thread(target=self._build, name="pht-assistant-loader", daemon=True)
        thread.start()

    def _build(self) -> None:
        logger.info("building the assistant for %r", self.settings)
        try:
            # Looked up at call time, so tests that replace ui.core.build_assistant are honoured.
            self._future.set_result(build_assistant(self.settings))
        except BaseException as exc:  # handed to whichever page waits for it
            self._future.set_exception(exc)

    def ready(self) -> bool:
        """Return whether the assistant was built (or failed, which `result` raises)."""
        return self._future.done()

    def wait(self, timeout: float) -> bool:
        """Return whether the build finished within `timeout` seconds."""
        try:
            self._future.exception(timeout)
        except TimeoutError:
            return False
        return True

    def failed(self) -> bool:
        """Return whether building it failed."""
        return self._future.done() and self._future.exception() is not None

    def result(self, timeout: float | None = None) -> AssistantLike:
        """Return the assistant, waiting for it; raise what building it raised."""
        return self._future.result(timeout)


_loaders: dict[str, AssistantLoader] = {}
_loaders_lock = threading.Lock()


def assistant_loader(settings: Settings) -> AssistantLoader:
    """Return the process's loader for these settings, starting it (again, after a failure)."""
    key = repr(settings)  # API key masked; one assistant per configuration, every session
    with _loaders_lock:
        loader = _loaders.get(key)
        if loader is None or loader.failed():
            loader = _loaders[key] = AssistantLoader(settings)
        return loader


def warm_assistant(settings: Settings) -> AssistantLike:
    """Build the assistant now and keep it for the pages of this process."""
    return assistant_loader(settings).result()


def forget_assistants() -> None:
    """Drop every built assistant (tests: each starts from a cold process)."""
    with _loaders_lock:
        _loaders.clear()


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


def load_assistant(settings: Settings, loader: AssistantLoader | None = None) -> AssistantLike:
    """Return the shared assistant (waiting for it), or stop the page with what to do."""
    loader = loader or assistant_loader(settings)
    try:
        if loader.ready():
            return loader.result()
        with st.spinner("Loading the guidance documents (first start only)…"):
            return loader.result()
    except IndexNotReady as exc:
        show_error_and_stop(
            f"The guidance documents have not been indexed yet. {exc} Then reload this page.",
            command=INGEST_COMMAND,
        )
    except PHTError as exc:
        show_error_and_stop(f"PHT Guide cannot start: {exc}")
    except Exception as exc:  # a bug or a broken install: log it, show a message, not a traceback
        logger.error("building the assistant failed", exc_info=exc)
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


@st.cache_resource(show_spinner=False)
def _shared_conversations(data_dir: str, enabled: bool, retention_days: int) -> ConversationStore:
    store = ConversationStore(Path(data_dir), enabled=enabled)
    # Once per process: what is past the retention period goes before anyone reads it.
    purged = store.purge(retention_days)
    if purged.conversations or purged.answers:
        logger.info("purged %s conversations, %s answers", purged.conversations, purged.answers)
    return store


def load_conversations(settings: Settings) -> ConversationStore:
    """Return the shared conversation store (disabled, with a warning, when it cannot open)."""
    try:
        return _shared_conversations(
            str(settings.data_dir), settings.answer_log, settings.retention_days
        )
    except StoreError as exc:
        logger.warning("conversation store unavailable: %s", exc)
        st.warning(f"Conversations will not survive a reload: {exc}", icon=":material/warning:")
        return ConversationStore(settings.data_dir, enabled=False)
