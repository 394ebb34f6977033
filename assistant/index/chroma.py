"""The Chroma store: client (embedded or server), the corpus collection, paged reads, dense search.

Heavy imports (chromadb, langchain-chroma) happen inside the functions. Every collection is opened
with our embedding function, so Chroma never downloads a model of its own.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import IndexNotReady, ServerUnavailable, StoreError
from assistant.index.embeddings import offline
from assistant.index.failures import guard, server_name, translate
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
    "corpus_version",
    "stored_identity",
]

log = logging.getLogger(__name__)

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


_OPENINGS = iter(range(1, 1_000_000_000))


def chroma_client(
    settings: Settings,
    *,
    create: bool = False,
    timeout_s: float | None = None,
    fresh: bool = False,
) -> ClientAPI:
    """Return a Chroma client: a server when PHT_CHROMA_HOST is set, else the embedded store.

    Every request to a server has a deadline: `timeout_s`, by default PHT_CHROMA_TIMEOUT (asks;
    ingest passes PHT_CHROMA_INGEST_TIMEOUT). Without one, a stopped server hung every caller.

    `fresh` opens the embedded store anew. chromadb keeps one system per path and process, whose
    vector index does not see another process's writes (a re-ingest): deleted chunks were still
    found. A new spelling of the same folder gets a new system; the old one keeps serving the
    asks in flight.
    """
    offline()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        timeout = settings.chroma_timeout_s if timeout_s is None else timeout_s
        _preflight(settings, timeout)  # HttpClient() itself calls the server, with no deadline
        try:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
            _set_timeout(client, timeout)
            client.heartbeat()
        except Exception as exc:  # connection refused, DNS, HTTP errors: all mean "not reachable"
            if "did not answer" in str(translate(settings, exc, timeout)):
                raise translate(settings, exc, timeout) from exc
            raise ServerUnavailable(
                f"Chroma server at {server_name(settings)} is not reachable "
                f"({type(exc).__name__}). Start it with `chroma run --path DIR --host "
                f"{settings.chroma_host} --port {settings.chroma_port}` or unset PHT_CHROMA_HOST."
            ) from exc
        return client
    path = Path(settings.chroma_path)
    if not create and not path.exists():
        raise IndexNotReady(f"No index at {path}: run `pht-ingest` first.")
    with guard(settings):
        path.mkdir(parents=True, exist_ok=True)
        try:
            spelling = str(path) + "/." * next(_OPENINGS) if fresh else str(path)
            return chromadb.PersistentClient(path=spelling, settings=chroma_settings)
        except Exception as exc:
            _forget_system(spelling)
            failure = translate(settings, exc)
            if create or "read-only" not in str(failure):
                raise
            # Chroma writes to its store even to read it: read a private copy instead, one per
            # store for the process (every later client, the index watcher's too, reads it).
            copy = _SNAPSHOTS.get(str(path))
            if copy is None or not copy.exists():
                copy = _SNAPSHOTS[str(path)] = _snapshot(path)
            return chromadb.PersistentClient(path=str(copy), settings=chroma_settings)


_SNAPSHOTS: dict[str, Path] = {}
"""Read-only store -> its private copy (a read-only store cannot change under this process)."""


def _forget_system(identifier: str) -> None:
    """Drop the half-started chromadb system a failed PersistentClient left registered.

    chromadb registers a store's system before starting it; when the start fails (a read-only
    or damaged store) the broken system stays, and the next client for the same folder fails
    with "An instance of Chroma already exists ... with different settings".
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(identifier, None)
    SharedSystemClient._identifier_to_refcount.pop(identifier, None)
    if system is not None:
        try:
            system.stop()
        except Exception:  # it never started properly: nothing to stop cleanly
            log.debug("could not stop the failed chromadb system for %s", identifier)


SNAPSHOT_MAX_BYTES = 2_000_000_000
"""A read-only store up to this size is copied to a temporary folder and read from there."""


def _snapshot(path: Path) -> Path:
    """Return a writable copy of a read-only store (StoreError when it is too large)."""
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    if size > SNAPSHOT_MAX_BYTES:
        raise StoreError(
            f"The index at {path} is read-only, and at {size:,} bytes too large to copy: make "
            "the folder writable for PHT Guide."
        )
    copy = Path(tempfile.mkdtemp(prefix="pht-readonly-index-")) / path.name
    shutil.copytree(path, copy)
    for item in [copy, *copy.rglob("*")]:
        item.chmod(item.stat().st_mode | 0o200)
    log.warning("the index at %s is read-only: reading a copy at %s", path, copy)
    return copy


def _preflight(settings: Settings, timeout_s: float) -> None:
    """Raise ServerUnavailable unless the server answers a heartbeat within `timeout_s`."""
    import httpx

    url = f"http://{settings.chroma_host}:{settings.chroma_port}/api/v2/heartbeat"
    try:
        httpx.get(url, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise translate(settings, exc, timeout_s) from exc


def _set_timeout(client: ClientAPI, timeout_s: float) -> None:
    """Give the HTTP session under a Chroma HttpClient a deadline (chromadb sets none)."""
    import httpx

    server = getattr(client, "_server", None)
    session = getattr(server, "_session", None)
    if not isinstance(session, httpx.Client):
        raise ServerUnavailable(
            "This chromadb version hides its HTTP session: PHT Guide cannot give Chroma calls "
            "a deadline. Install the pinned chromadb."
        )
    session.timeout = httpx.Timeout(timeout_s)


def open_collection(
    client: ClientAPI, settings: Settings, embeddings: Embeddings, *, create: bool = False
) -> Collection:
    """Return the corpus collection, created with cosine space when `create` is true."""
    from chromadb.errors import NotFoundError

    function: Any = ChromaEmbeddingFunction(embeddings)
    with guard(settings):
        if create:
            return client.get_or_create_collection(
                settings.collection,
                embedding_function=function,
                configuration={"hnsw": {"space": "cosine"}},
            )
        try:
            collection = client.get_collection(settings.collection, embedding_function=function)
        except (NotFoundError, ValueError) as exc:  # ValueError in older chromadb
            where = settings.chroma_host or settings.chroma_path
            raise IndexNotReady(
                f"No collection '{settings.collection}' at {where}: run `pht-ingest` first."
            ) from exc
        if collection.count() == 0:
            where = settings.chroma_host or settings.chroma_path
            raise IndexNotReady(f"The index at {where} is empty: run `pht-ingest`.")
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


def read_chunks(
    collection: Collection, settings: Settings | None = None, extra_ids: Sequence[str] = ()
) -> tuple[list[Chunk], str]:
    """Return every chunk of the collection and the version of exactly those chunks.

    The version is computed from the chunk ids read (`corpus_version`), so it always describes
    the data in hand: a label written by an interrupted or overlapping ingest cannot mislead.
    `extra_ids` are records indexed with the chunks (the reviewed questions): the version covers
    them too, as ingest's label does.
    """
    with guard(settings or Settings()):
        stored = read_collection(collection, ["documents", "metadatas"])
        label = str((collection.metadata or {}).get(CORPUS_VERSION_KEY, ""))
    chunks = [
        chunk_from_record(chunk_id, text or "", dict(meta or {}))
        for chunk_id, text, meta in zip(
            stored["ids"], stored["documents"] or [], stored["metadatas"] or [], strict=True
        )
    ]
    version = corpus_version([chunk.chunk_id for chunk in chunks] + list(extra_ids))
    if label and label != version:
        log.warning("index labelled %s holds the chunks of version %s", label, version)
    return chunks, version


def corpus_version(chunk_ids: Sequence[str]) -> str:
    """Return the corpus version: a short hash of the sorted chunk ids."""
    import hashlib

    digest = hashlib.sha256("\n".join(sorted(chunk_ids)).encode()).hexdigest()
    return digest[:12]


def stored_identity(client: ClientAPI, settings: Settings) -> tuple[str, ...]:
    """Return what identifies the index's content now: the cheap check for a new corpus.

    The collection's id (new after delete + create), its record count, its corpus_version label,
    and for the embedded store the folder's inode (new after `pht-ingest --rebuild` swaps it).
    """
    from chromadb.errors import NotFoundError

    folder = ""
    if not settings.chroma_host:
        try:
            folder = str(Path(settings.chroma_path).stat().st_ino)
        except OSError:
            folder = "missing"
    with guard(settings):
        try:
            collection = client.get_collection(settings.collection)
        except NotFoundError:
            return ("no collection", folder)
        label = str((collection.metadata or {}).get(CORPUS_VERSION_KEY, ""))
        return (str(collection.id), str(collection.count()), label, folder)


def chroma_dense_search(
    client: ClientAPI, settings: Settings, embeddings: Embeddings
) -> DenseSearch:
    """Return the dense search over the collection (ServerUnavailable if it stops answering).

    A collection deleted and created again (a rebuild) has a new id: the search opens it again
    once instead of failing every later ask.
    """
    from chromadb.errors import NotFoundError
    from langchain_chroma import Chroma

    def open_store() -> Any:
        with guard(settings):
            return Chroma(
                client=client, collection_name=settings.collection, embedding_function=embeddings
            )

    state = {"store": open_store()}

    def query(vector: list[float], k: int) -> list[tuple[Any, float]]:
        search = state["store"].similarity_search_by_vector_with_relevance_scores
        found: list[tuple[Any, float]] = search(vector, k=k)
        return found

    def dense(vector: list[float], k: int) -> list[tuple[str, float]]:
        with guard(settings, settings.chroma_timeout_s):
            try:
                found = query(vector, k)
            except NotFoundError:
                state["store"] = open_store()
                found = query(vector, k)
        # This call returns cosine *distances* for a cosine-space collection.
        return [(str(doc.id), 1.0 - float(distance)) for doc, distance in found]

    return dense
