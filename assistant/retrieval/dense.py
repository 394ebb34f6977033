"""Dense retrieval: the query's embedding (remembered) and the nearest chunks in Chroma."""

from __future__ import annotations

import threading
from collections.abc import Callable

from assistant.index.chroma import DenseSearch

__all__ = ["DenseSearch", "QueryVectors", "VECTOR_CACHE"]

VECTOR_CACHE = 512
"""Query vectors remembered per process: the composer reuses the one retrieval computed."""


class QueryVectors:
    """The embedding of each prepared query, computed once (bounded, thread-safe)."""

    def __init__(
        self, embed_query: Callable[[str], list[float]], size: int = VECTOR_CACHE
    ) -> None:
        self._embed_query = embed_query
        self.size = size
        """How many vectors are remembered (oldest evicted first)."""
        self._vectors: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def __call__(self, prepared: str) -> list[float]:
        """Return the embedding of a prepared query."""
        cached = self._vectors.get(prepared)
        if cached is None:
            cached = self._embed_query(prepared)
            # Sessions share one assistant: evicting and inserting happen under one lock.
            with self._lock:
                if len(self._vectors) >= self.size:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[prepared] = cached
        return cached

    def clear(self) -> None:
        """Forget every remembered vector (benchmarks ask each question anew)."""
        with self._lock:
            self._vectors.clear()
