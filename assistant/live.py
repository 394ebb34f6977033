"""An assistant that follows its index: a new corpus is picked up without a restart (issue 16).

A background thread asks the index every `index_check_s` seconds for three cheap facts: the
collection's id, its record count and its corpus_version label. When any of them changes (a
re-ingest, a rebuild, the collection deleted and created again) it builds a complete new
Assistant (chunks, BM25, sources, sentence vectors) and swaps it in with one assignment, so an
ask in flight finishes on the old one and the next ask uses the new one. Asks never wait for
the check or the rebuild: a red flag is answered even while the index is stalled or broken.
A rebuild that fails (the index is mid-write, or gone) keeps the old assistant and tries again.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from assistant.errors import PHTError, StoreError
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

__all__ = ["LiveAssistant", "IndexProbe"]

log = logging.getLogger(__name__)

IndexProbe = Callable[[], tuple[str, ...]]
"""Returns what identifies the index's content now (collection id, count, version label)."""


class LiveAssistant:
    """Delegates to the current Assistant; a watcher thread replaces it when the index changes."""

    def __init__(
        self, build: Callable[[], Assistant], probe: IndexProbe, settings: Settings
    ) -> None:
        self._build = build
        self._probe = probe
        self.settings = settings
        self._current = build()
        self._seen = self._safe_probe()
        self._lock = threading.Lock()
        self.reloads = 0
        """How many times a new index was picked up (for tests and the log)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def current(self) -> Assistant:
        """Return the Assistant that answers now."""
        return self._current

    @property
    def corpus_version(self) -> str:
        """Return the corpus version of the index being answered from."""
        return self._current.corpus_version

    def __getattr__(self, name: str) -> Any:
        # Called only for names this class lacks: ask, ask_stream, search, documents, retriever
        # (and the pipeline's own attributes, which tests reach into).
        if name.startswith("__") or name in ("_current", "_thread", "_lock", "_stop"):
            raise AttributeError(name)
        self._start()
        return getattr(self._current, name)

    def ask(self, *args: Any, **kwargs: Any) -> Any:
        """Answer with the current Assistant; if the store changed under it, reload and retry once.

        A `pht-ingest --rebuild` swaps the store's folder: an ask that was already reading the old
        one fails with a StoreError before the watcher's next check. Such an ask checks the index
        at once and, when it did change, is answered by the new Assistant instead of failing.
        """
        self._start()
        current = self._current
        try:
            return current.ask(*args, **kwargs)
        except StoreError:
            if self._current is current:
                self.check_now()  # waits for a reload the watcher may have begun
            if self._current is current:
                raise  # the index did not change: the error stands
            return self._current.ask(*args, **kwargs)

    def close(self) -> None:
        """Stop watching the index."""
        self._stop.set()

    def check_now(self) -> bool:
        """Compare the index with the one in use; rebuild if it changed. Return True if so."""
        with self._lock:
            seen = self._safe_probe()
            if seen is None or seen == self._seen:
                return False
            try:
                fresh = self._build()
            except PHTError as exc:
                log.warning("index changed but could not be loaded yet (%s); will retry", exc)
                return False
            self._current, self._seen = fresh, self._safe_probe() or seen
            self.reloads += 1
            log.info("index changed: now answering from corpus_version %s", fresh.corpus_version)
            return True

    def _safe_probe(self) -> tuple[str, ...] | None:
        try:
            return self._probe()
        except PHTError as exc:
            log.warning("could not check the index for changes: %s", exc)
            return None

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=_watch, args=(weakref.ref(self), self._stop, self.settings),
                    name="pht-index-watch", daemon=True,
                )  # fmt: skip
                self._thread.start()


def _watch(
    ref: weakref.ReferenceType[LiveAssistant], stop: threading.Event, settings: Settings
) -> None:
    """Check the index every `index_check_s` seconds while the assistant is alive."""
    while not stop.wait(settings.index_check_s):
        live = ref()
        if live is None:
            return
        try:
            live.check_now()
        except Exception:  # never let the watcher die silently: log it and keep watching
            log.exception("checking the index failed")
        del live
