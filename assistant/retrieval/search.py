"""The retrieval stage: `HybridSearch` over one index, and `retrieve` -> `Retrieved`.

The BM25 index is built once per index (from the chunks stored in Chroma), never per query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.index.questions import QuestionSearch
from assistant.retrieval.dense import DenseSearch, QueryVectors
from assistant.retrieval.fusion import QUESTION_WEIGHT, fuse
from assistant.retrieval.lexical import LexicalIndex, Vocabulary
from assistant.retrieval.query import (
    QueryExpansions,
    QueryPreparer,
    denied_terms,
    retrieval_query,
)
from assistant.types import Chunk, Hit, Request

__all__ = ["CANDIDATES", "HybridSearch", "Retrieved", "retrieve"]

CANDIDATES = 20
"""Passages each ranking contributes to fusion: enough that a passage ranked low by one and
high by the other still gets in."""


class HybridSearch:
    """Dense + BM25 + reviewed-question search fused by reciprocal rank, near-duplicates removed.

    A hit on a question stands for the chunk it maps to (the multi-vector pattern): a question
    worded like the user's finds its passage even when the passage shares no words with it.
    """

    def __init__(
        self,
        chunks: Sequence[Chunk],
        dense: DenseSearch,
        embed_query: Callable[[str], list[float]],
        candidates: int = CANDIDATES,
        expansions: QueryExpansions | None = None,
        questions: QuestionSearch | None = None,
        question_weight: float = QUESTION_WEIGHT,
    ) -> None:
        self.chunks = list(chunks)
        self._by_id = {chunk.chunk_id: i for i, chunk in enumerate(self.chunks)}
        self.lexical = LexicalIndex(self.chunks)
        self.vocabulary: Vocabulary = self.lexical.words()
        self.prepare = QueryPreparer(self.chunks, self.vocabulary, expansions)
        self.corrector = self.prepare.corrector
        self.vector = QueryVectors(embed_query)
        self._dense = dense
        self._candidates = candidates
        self._questions = questions
        """The reviewed questions nearest the query, as chunk ids (None: the index has none)."""
        self.question_weight = question_weight

    def search(self, query: str, k: int) -> list[Hit]:
        """Return the top `k` fused hits for `query`."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a whole number of at least 1, not {k!r}.")
        prepared = self.prepare(query)
        # Each ranking offers at least k candidates: a pool smaller than k capped k silently.
        n = min(max(self._candidates, k), len(self.chunks))
        vector = self.vector(prepared)
        dense = self._dense(vector, n)
        lexical = self.lexical.search(prepared, n)
        questions = self._questions(vector, n) if self._questions else []
        return fuse(
            self.chunks, self._by_id, dense, lexical, k, questions, self.question_weight
        )


@dataclass(frozen=True)
class Retrieved:
    """What retrieval hands to the composer: the passages, and what to score sentences with."""

    hits: list[Hit]
    focus: str
    """The prepared text whose words a sentence should share (term overlap)."""
    vector: list[float]
    """The embedding of the searched query (sentence cosine)."""
    denied: frozenset[str] = frozenset()
    """Stems the question sets aside ("without an op": op, surgery), with the guidance's words."""
    asked: str = ""
    """The question as the user asked it (its form: an either-or question, a yes/no one)."""


def retrieve(search: HybridSearch, request: Request, query: str, k: int) -> Retrieved:
    """Return the top `k` passages for `query` (the question, or a coverage topic query).

    A follow-up is searched together with the previous user question; its sentences are scored
    against its own words when it names its own topic ("what about injections?").
    """
    searched = retrieval_query(query, request.history)
    hits = search.search(searched, k)
    prepared = search.prepare(searched)
    vector = search.vector(prepared)  # remembered by the search that just ran
    focus = search.prepare(query)
    if focus == prepared or not search.vocabulary.names_something(focus):
        focus = prepared
    denied = frozenset(denied_terms(request.question, search.prepare.expansions))
    return Retrieved(hits, focus, vector, denied, request.question)
