"""`PHTRetriever`: the hybrid search as a LangChain `BaseRetriever` (for LangChain users).

The pipeline calls `retrieval.search.retrieve` directly; this adapter gives the same passages
as Documents, with the chunk fields and scores in each Document's metadata.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, field_validator

from assistant.retrieval.search import HybridSearch
from assistant.types import Hit

__all__ = ["PHTRetriever", "checked_k", "hit_to_document"]


class PHTRetriever(BaseRetriever):
    """LangChain retriever over `HybridSearch`; scores travel in each Document's metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: HybridSearch
    k: int = 6
    """Documents per query; `invoke(query, k=n)` overrides it for one call."""

    @field_validator("k", mode="before")
    @classmethod
    def _valid_k(cls, value: object) -> int:
        return checked_k(value)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: object = None
    ) -> list[Document]:
        wanted = self.k if k is None else checked_k(k)
        return [hit_to_document(hit) for hit in self.search.search(query, wanted)]


def checked_k(value: object) -> int:
    """Return `value` as a number of documents (ValueError unless a whole number >= 1)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"k must be a whole number of at least 1, not {value!r}.")
    return value


def hit_to_document(hit: Hit) -> Document:
    """Return a LangChain Document for a hit (chunk fields and scores in the metadata)."""
    meta: dict[str, Any] = dict(hit.chunk.metadata)
    meta.update(
        chunk_id=hit.chunk.chunk_id,
        doc_id=hit.chunk.doc_id,
        section=hit.chunk.section,
        kind=hit.chunk.kind,
        start=hit.chunk.start,
        end=hit.chunk.end,
        refs=",".join(hit.chunk.refs),
        fused=hit.fused,
        dense=hit.dense,
        lexical=hit.lexical,
        dense_rank=hit.dense_rank,
        lexical_rank=hit.lexical_rank,
        question=hit.question,
        question_rank=hit.question_rank,
    )
    return Document(page_content=hit.chunk.text, metadata=meta, id=hit.chunk.chunk_id)
