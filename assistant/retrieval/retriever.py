"""`PHTRetriever`: the hybrid search as a LangChain `BaseRetriever` (for LangChain users).

The pipeline calls `retrieval.search.retrieve` directly; this adapter gives the same passages
as Documents, with the chunk fields and scores in each Document's metadata.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.retrieval.search import HybridSearch
from assistant.types import Hit

__all__ = ["PHTRetriever", "hit_to_document"]


class PHTRetriever(BaseRetriever):
    """LangChain retriever over `HybridSearch`; scores travel in each Document's metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: HybridSearch
    k: int = 6

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [hit_to_document(hit) for hit in self.search.search(query, self.k)]


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
    )
    return Document(page_content=hit.chunk.text, metadata=meta, id=hit.chunk.chunk_id)
