"""The product's search with its hits recorded (capture) or fixed to stored ones (replay).

The assistant calls `search(query, k)` once per question (retrieval); everything else it asks
of the search (prepare, vector, vocabulary) goes to the real one, so scope, safety and coverage
run as they do in the product.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from assistant.retrieval.search import HybridSearch
    from assistant.types import Hit

__all__ = ["FixedSearch"]


class FixedSearch:
    """Wraps a HybridSearch: records what `search` returns, or returns `fixed` when it is set."""

    def __init__(self, real: HybridSearch) -> None:
        self._real = real
        self.fixed: list[Hit] | None = None
        """The hits every search returns (None: search for real)."""
        self.last: list[Hit] | None = None
        """What the last search returned (None: no search since `reset`)."""

    @classmethod
    def install(cls, assistant: Assistant) -> FixedSearch:
        """Put a FixedSearch in front of the assistant's search; return it."""
        search = cls(assistant._search)
        assistant._search = search  # type: ignore[assignment]  # the same interface
        return search

    def reset(self, fixed: list[Hit] | None = None) -> None:
        """Forget the last search; make the next ones return `fixed` (None: real search)."""
        self.fixed, self.last = fixed, None

    def search(self, query: str, k: int) -> list[Hit]:
        """Return the fixed hits, or the real search's (recorded in `last`)."""
        found = list(self.fixed) if self.fixed is not None else self._real.search(query, k)
        self.last = found
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)
