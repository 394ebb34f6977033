"""The Chroma store: client (embedded or server), the corpus collection, paged reads, dense search.

Heavy imports (chromadb, langchain-chroma) happen inside the functions. Every collection is opened
with our embedding function, so Chroma never downloads a model of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import IndexNotReady, ServerUnavailable
from assistant.index.embeddings import offline
from assistant.settings import Settings
from assistant.types import Chunk

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from langchain_core.embeddings import Embeddings

__all__ = [
    "CORPUS_VERSION_KEY",
    "READ_PAGE",
    "ChromaEmbeddingFunction",
    "DenseSearch",
    "chroma_client",
    "open_collection",
    "read_collection",
    "read_chunks",
    "chunk_from_record",
    "chroma_dense_search",
]

CORPUS_VERSION_KEY = "corpus_version"
"""Collection metadata key holding the corpus version that ingest wrote."""
READ_PAGE = 5000
"""Records per `get()`: one get of ~100k records fails on SQLite's variable limit."""
_DOC_META_KEYS = ("section", "kind", "start", "end", "refs", "doc_id", "meta_hash")

DenseSearch = Callable[[list[float], int], list[tuple[str, float]]]
"""(query vector, k) -> [(chunk_id, cosine similarity)], best first."""


class ChromaEmbeddingFunction:
    """Chroma's embedding-function protocol over our LangChain embeddings.

    Passed to every collection we open, so Chroma never falls back to downloading its own model.
    """

    def __init__(self, embeddings: Embeddings) -> None:
        self._embeddings = embeddings

    def __call__(self, input: Sequence[str]) -> list[list[float]]:  # noqa: A002 (chroma's name)
        return self._embeddings.embed_documents(list(input))

    def embed_query(self, input: Sequence[str]) -> list[list[float]]:  # noqa: A002
        return [self._embeddings.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "pht-guide-local"

    def is_legacy(self) -> bool:
        return True


def chroma_client(settings: Settings, *, create: bool = False) -> ClientAPI:
    """Return a Chroma client: a server when PHT_CHROMA_HOST is set, else the embedded store."""
    offline()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
            client.heartbeat()
        except Exception as exc:  # connection refused, DNS, HTTP errors: all mean "not reachable"
            raise ServerUnavailable(
                f"Chroma server at {settings.chroma_host}:{settings.chroma_port} is not reachable "
                f"({type(exc).__name__}). Start it with `chroma run --path DIR --host "
                f"{settings.chroma_host} --port {settings.chroma_port}` or unset PHT_CHROMA_HOST."
            ) from exc
        return client
    path = Path(settings.chroma_path)
    if not create and not path.exists():
        raise IndexNotReady(f"No index at {path}: run `pht-ingest` first.")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def open_collection(
    client: ClientAPI, settings: Settings, embeddings: Embeddings, *, create: bool = False
) -> Collection:
    """Return the corpus collection, created with cosine space when `create` is true."""
    function: Any = ChromaEmbeddingFunction(embeddings)
    if create:
        return client.get_or_create_collection(
            settings.collection,
            embedding_function=function,
            configuration={"hnsw": {"space": "cosine"}},
        )
    try:
        collection = client.get_collection(settings.collection, embedding_function=function)
    except Exception as exc:  # chromadb raises NotFoundError or ValueError across versions
        where = settings.chroma_host or settings.chroma_path
        raise IndexNotReady(
            f"No collection '{settings.collection}' at {where}: run `pht-ingest` first."
        ) from exc
    if collection.count() == 0:
        raise IndexNotReady(f"The index at {settings.chroma_path} is empty: run `pht-ingest`.")
    return collection


def read_collection(
    collection: Collection, include: list[str], page: int = READ_PAGE
) -> dict[str, list[Any]]:
    """Return ids and the `include` fields of every record, read in pages."""
    out: dict[str, list[Any]] = {"ids": [], **{field: [] for field in include}}
    offset = 0
    while True:
        found: Any = collection.get(include=include, limit=page, offset=offset)  # type: ignore[arg-type]
        for field in out:
            out[field].extend(found.get(field) or [])
        if len(found["ids"]) < page:
            return out
        offset += page


def chunk_from_record(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    """Return the Chunk stored in Chroma as (id, document, metadata)."""
    doc_meta = {k: v for k, v in meta.items() if k not in _DOC_META_KEYS}
    refs = str(meta.get("refs", "") or "")
    return Chunk(
        chunk_id=chunk_id,
        doc_id=str(meta.get("doc_id", "")),
        text=text,
        section=str(meta.get("section", "")),
        start=int(meta.get("start", 0) or 0),
        end=int(meta.get("end", 0) or 0),
        kind=str(meta.get("kind", "paragraph")),
        refs=tuple(r for r in refs.split(",") if r),
        metadata=doc_meta,
    )


def read_chunks(collection: Collection) -> tuple[list[Chunk], str]:
    """Return every chunk of the collection and the corpus version ingest stored with it."""
    try:
        stored = read_collection(collection, ["documents", "metadatas"])
    except Exception as exc:  # transport errors of a remote server
        raise ServerUnavailable(f"Could not read the index: {exc}") from exc
    chunks = [
        chunk_from_record(chunk_id, text or "", dict(meta or {}))
        for chunk_id, text, meta in zip(
            stored["ids"], stored["documents"] or [], stored["metadatas"] or [], strict=True
        )
    ]
    return chunks, str((collection.metadata or {}).get(CORPUS_VERSION_KEY, ""))


def chroma_dense_search(
    client: ClientAPI, settings: Settings, embeddings: Embeddings
) -> DenseSearch:
    """Return the dense search over the collection (ServerUnavailable if it stops answering)."""
    from langchain_chroma import Chroma

    store = Chroma(
        client=client, collection_name=settings.collection, embedding_function=embeddings
    )

    def dense(vector: list[float], k: int) -> list[tuple[str, float]]:
        try:
            found = store.similarity_search_by_vector_with_relevance_scores(vector, k=k)
        except Exception as exc:  # a remote server that went away mid-run
            raise ServerUnavailable(_stopped_answering(settings, exc)) from exc
        # This call returns cosine *distances* for a cosine-space collection.
        return [(str(doc.id), 1.0 - float(distance)) for doc, distance in found]

    return dense


def _stopped_answering(settings: Settings, exc: Exception) -> str:
    """Return what to tell the user when the index fails mid-run (the next ask reconnects)."""
    if settings.chroma_host:
        where = f"{settings.chroma_host}:{settings.chroma_port}"
        return (
            f"The Chroma server at {where} stopped answering ({type(exc).__name__}). Start it "
            f"again (`chroma run --path DIR --host {settings.chroma_host} --port "
            f"{settings.chroma_port}`), then ask again: PHT Guide reconnects by itself."
        )
    return (
        f"The Chroma store at {settings.chroma_path} stopped answering ({type(exc).__name__}): "
        "check that the folder is still there and readable, then ask again."
    )
