"""The one place that builds the real assistant: embedding model, Chroma, LLM client, stages.

Everything else receives these objects as arguments, so tests can pass small fakes instead.
Heavy imports (torch, sentence-transformers, chromadb, openai) happen inside the functions, so
that `import assistant` stays fast and a CLI's `--help` answers at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.errors import ConfigError
from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from assistant.compose.llm import LLMComposer
    from assistant.pipeline import Assistant
    from assistant.retrieval.search import HybridSearch
    from assistant.triage.safety import SafetyGate
    from assistant.triage.scope import ScopeClassifier

__all__ = [
    "build_assistant",
    "build_static_assistant",
    "build_llm_composer",
    "LLM_MAX_RETRIES",
    "WARM_MAX_CHUNKS",
]

log = logging.getLogger(__name__)

LLM_MAX_RETRIES = 1
"""One retry of a failed LLM call (connection reset, 5xx); the user waits at most twice the
timeout before the extractive answer."""
WARM_MAX_CHUNKS = 5000
"""Up to this many chunks, every corpus sentence is embedded at start-up (seconds, not minutes)."""


def build_assistant(settings: Settings, *, warm: bool = True) -> Assistant:
    """Return a ready Assistant that follows the index (IndexNotReady when there is none).

    A re-ingest, a rebuilt store or a re-created collection is picked up within
    PHT_INDEX_CHECK seconds, without a restart (`assistant.live.LiveAssistant`).
    """
    from assistant.index.failures import guard
    from assistant.live import LiveAssistant

    builds = iter(range(1_000_000))

    def build() -> Assistant:
        # Every rebuild after the first opens the embedded store afresh (see chroma_client);
        # any Chroma failure while building is a named error, never a raw traceback.
        with guard(settings, settings.chroma_timeout_s):
            return build_static_assistant(settings, warm=warm, fresh=next(builds) > 0)

    live = LiveAssistant(build, _index_probe(settings), settings)
    return live  # type: ignore[return-value]  # the same public API, delegated


def _index_probe(settings: Settings) -> Callable[[], tuple[str, ...]]:
    """Return the cheap check of what the index holds (collection id, count, label, folder)."""
    from assistant.index.chroma import chroma_client, stored_identity

    # One client for every check (a new HttpClient each time would pile up chromadb systems);
    # a new one when the embedded store's folder was swapped, or the old folder is read.
    held: dict[str, object] = {}

    def probe() -> tuple[str, ...]:
        if "client" not in held or held["folder"] != _folder(settings):
            held["folder"] = _folder(settings)
            held["client"] = chroma_client(settings, fresh="client" in held)
        return stored_identity(held["client"], settings)  # type: ignore[arg-type]

    return probe


def _folder(settings: Settings) -> int:
    try:
        return 0 if settings.chroma_host else settings.chroma_path.stat().st_ino
    except OSError:
        return -1


def build_static_assistant(
    settings: Settings, *, warm: bool = True, fresh: bool = False
) -> Assistant:
    """Return a ready Assistant over the index as it is now (IndexNotReady when there is none).

    `warm` embeds every corpus sentence now (small corpora), so that no later question pays for
    it; a process that asks one question and exits passes False: the composer then embeds only
    the sentences of the passages that question retrieves.
    """
    from assistant.compose.extractive import ExtractiveComposer, units_of
    from assistant.index.chroma import (
        chroma_client,
        chroma_dense_search,
        open_collection,
        read_chunks,
    )
    from assistant.index.embeddings import load_embeddings
    from assistant.index.questions import open_question_index
    from assistant.pipeline import Assistant
    from assistant.retrieval.search import HybridSearch

    if settings.mode == "llm":
        _check_llm_settings(settings)  # before the slow loading below
    embeddings = load_embeddings(settings)
    client = chroma_client(settings, fresh=fresh)
    collection = open_collection(client, settings, embeddings)
    question_index = open_question_index(client, settings, embeddings)
    chunks, version = read_chunks(
        collection, settings, extra_ids=question_index.ids if question_index else ()
    )
    dense = chroma_dense_search(client, settings, embeddings)
    questions = question_index.search if question_index else None
    search = HybridSearch(chunks, dense, embeddings.embed_query, questions=questions)
    composer = ExtractiveComposer(
        embeddings.embed_documents,
        search.vocabulary,
        patient_words=settings.answer_words,
        patient_sentences=settings.answer_sentences,
        clinician_sentences=settings.clinician_sentences,
    )
    if warm and len(chunks) <= WARM_MAX_CHUNKS:
        composer.warm([unit.text for unit in units_of(chunks)])
    llm = build_llm_composer(settings, embeddings) if settings.mode == "llm" else None
    scope = _scope_classifier(settings, search, embeddings, version)
    gate = build_safety_gate(settings, embeddings, search)
    assistant = Assistant(
        search, composer, settings, corpus_version=version, llm=llm, scope=scope, gate=gate
    )
    if warm:
        assistant.warm()
    return assistant


def build_safety_gate(
    settings: Settings, embeddings: Embeddings, search: HybridSearch
) -> SafetyGate:
    """Return the red-flag gate with its learned classifier (trained once, cached by hash).

    The classifier scores a message with the query vector retrieval computes anyway (the search's
    vector cache), so a question is embedded once.
    """
    from assistant.index.embeddings import embedding_model_path
    from assistant.triage.classifier import build_classifier
    from assistant.triage.language import detect_languages
    from assistant.triage.safety import SafetyGate

    classifier = build_classifier(
        settings.data_dir, embeddings.embed_documents, embedding_model_path(settings)
    )
    detect_languages("warm the language models up")  # lingua loads them lazily (seconds)
    # The classifier was trained on embeddings of the messages as written, so it gets the vector
    # of the question itself: shared with retrieval when retrieval searches the same text, and
    # never the typo-corrected or expanded query (a "corrected" word moved OOD text, e.g.
    # "weather" -> "whether", into a crisis score).
    return SafetyGate(classifier=classifier, vector_for=lambda text: search.vector(text))


def _scope_classifier(
    settings: Settings, search: HybridSearch, embeddings: Embeddings, corpus_version: str
) -> ScopeClassifier:
    """Return the scope check with its classifier, trained on the prepared training texts."""
    from assistant.index.embeddings import embedding_model_path
    from assistant.triage.scope import ScopeClassifier
    from assistant.triage.scope_model import train_scope_model

    # Training texts are prepared like questions (typo correction against this corpus), so the
    # cached model belongs to one embedding model and one corpus version.
    def embed(texts: list[str]) -> list[list[float]]:
        return embeddings.embed_documents([search.prepare(text) for text in texts])

    model = train_scope_model(
        embed,
        model_id=f"{embedding_model_path(settings)}|{corpus_version}",
        cache_dir=settings.data_dir,
    )
    return ScopeClassifier(model=model, vector_of=lambda q: search.vector(search.prepare(q)))


def _check_llm_settings(settings: Settings) -> tuple[str, str]:
    """Return the LLM server's base URL and model name (ConfigError when one is missing)."""
    if not settings.llm_base_url or not settings.llm_model:
        raise ConfigError(
            "PHT_MODE=llm needs PHT_LLM_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama) "
            "and PHT_LLM_MODEL; or set PHT_MODE=extractive."
        )
    return settings.llm_base_url, settings.llm_model


def build_llm_composer(settings: Settings, embeddings: Embeddings | None = None) -> LLMComposer:
    """Return the LLM-mode composer over the OpenAI-compatible server the settings name."""
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    from assistant.compose.judge import Judge
    from assistant.compose.llm import ChatModelClient, LLMComposer
    from assistant.compose.verify import EmbeddingSimilarity

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
    judge = Judge(client) if settings.llm_verify == "judge" else None
    return LLMComposer(client, similarity=similarity, judge=judge)
