"""The question collection: reviewed questions embedded beside the chunk each one maps to.

The LangChain multi-vector pattern with Chroma: one record per question whose metadata names its
chunk (`chunk_id`), kept in a collection of its own next to the corpus collection, so the chunk
collection, its paged reads and BM25 stay exactly as they were. An index without questions (an
older store, or a corpus without sidecars) simply has no question search.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.errors import ServerUnavailable
from assistant.index.failures import is_store_failure, translate
from assistant.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from langchain_core.embeddings import Embeddings

__all__ = [
    "QUESTION_SUFFIX",
    "CHUNK_KEY",
    "QuestionSearch",
    "question_collection_name",
    "open_question_collection",
    "best_per_chunk",
    "chroma_question_search",
    "open_question_search",
    "open_question_index",
    "QuestionIndex",
]

QUESTION_SUFFIX = "_questions"
CHUNK_KEY = "chunk_id"
"""Metadata key of a question record naming the chunk it maps to."""
_PER_CHUNK = 8
"""Questions fetched per wanted chunk: a chunk's own questions crowd the nearest ranks."""

QuestionSearch = Callable[[list[float], int], list[tuple[str, float]]]
"""(query vector, k) -> [(chunk_id, cosine of its nearest question)], best first, k chunks."""


def question_collection_name(settings: Settings) -> str:
    """Return the name of the question collection that belongs to the corpus collection."""
    # Chroma allows 512 characters; the corpus name may already use them all.
    return settings.collection[: 512 - len(QUESTION_SUFFIX)] + QUESTION_SUFFIX


def open_question_collection(
    client: ClientAPI, settings: Settings, embedding_function: Any, *, create: bool = False
) -> Collection | None:
    """Return the question collection (created when `create`), or None when there is none."""
    name = question_collection_name(settings)
    if create:
        return client.get_or_create_collection(
            name, embedding_function=embedding_function,
            configuration={"hnsw": {"space": "cosine"}},
        )
    try:
        return client.get_collection(name, embedding_function=embedding_function)
    except Exception:  # chromadb raises NotFoundError or ValueError across versions
        return None


def best_per_chunk(
    found: Sequence[tuple[str, float]], k: int
) -> list[tuple[str, float]]:
    """Return [(chunk_id, best similarity)] for the first `k` chunks of question hits."""
    best: dict[str, float] = {}
    for chunk_id, similarity in found:
        if chunk_id not in best:
            best[chunk_id] = similarity
            if len(best) >= k:
                break
    return list(best.items())


def chroma_question_search(collection: Collection, settings: Settings) -> QuestionSearch:
    """Return the question search over `collection` (ServerUnavailable if it stops answering)."""
    total = collection.count()

    def search(vector: list[float], k: int) -> list[tuple[str, float]]:
        n = min(total, k * _PER_CHUNK)
        if n <= 0:
            return []
        try:
            query: Any = [vector]
            found: Any = collection.query(
                query_embeddings=query, n_results=n, include=["metadatas", "distances"]
            )
        except Exception as exc:  # a remote server that went away mid-run
            if is_store_failure(exc):  # says host:port and what to do (index.failures)
                raise translate(settings, exc, settings.chroma_timeout_s) from exc
            where = settings.chroma_host or settings.chroma_path
            raise ServerUnavailable(
                f"The question index at {where} stopped answering ({type(exc).__name__}); "
                "ask again once the store is back."
            ) from exc
        metas = found["metadatas"][0] if found.get("metadatas") else []
        distances = found["distances"][0] if found.get("distances") else []
        pairs = [
            (str((meta or {}).get(CHUNK_KEY, "")), 1.0 - float(distance))
            for meta, distance in zip(metas, distances, strict=True)
        ]
        return best_per_chunk([pair for pair in pairs if pair[0]], k)

    return search


@dataclass(frozen=True)
class QuestionIndex:
    """The index's reviewed questions: their search, and their ids (the corpus version's)."""

    search: QuestionSearch
    ids: tuple[str, ...]


def open_question_index(
    client: ClientAPI, settings: Settings, embeddings: Embeddings
) -> QuestionIndex | None:
    """Return the index's reviewed questions, or None when it holds none."""
    from assistant.index.chroma import ChromaEmbeddingFunction, read_collection

    collection = open_question_collection(client, settings, ChromaEmbeddingFunction(embeddings))
    if collection is None or collection.count() == 0:
        return None
    ids = tuple(read_collection(collection, [])["ids"])
    return QuestionIndex(search=chroma_question_search(collection, settings), ids=ids)


def open_question_search(
    client: ClientAPI, settings: Settings, embeddings: Embeddings
) -> QuestionSearch | None:
    """Return the search over the index's reviewed questions, or None when it holds none."""
    index = open_question_index(client, settings, embeddings)
    return index.search if index else None
