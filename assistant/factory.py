"""The one place that builds the real assistant: embedding model, Chroma, LLM client, stages.

Everything else receives these objects as arguments, so tests can pass small fakes instead.
Heavy imports (torch, sentence-transformers, chromadb, openai) happen inside the functions, so
that `import assistant` stays fast and a CLI's `--help` answers at once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from assistant.errors import ConfigError
from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from assistant.compose.llm import LLMComposer
    from assistant.pipeline import Assistant

__all__ = ["build_assistant", "build_llm_composer", "LLM_MAX_RETRIES", "WARM_MAX_CHUNKS"]

log = logging.getLogger(__name__)

LLM_MAX_RETRIES = 1
"""One retry of a failed LLM call (connection reset, 5xx); the user waits at most twice the
timeout before the extractive answer."""
WARM_MAX_CHUNKS = 5000
"""Up to this many chunks, every corpus sentence is embedded at start-up (seconds, not minutes)."""


def build_assistant(settings: Settings, *, warm: bool = True) -> Assistant:
    """Return a ready Assistant over the index (IndexNotReady when there is none).

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
    from assistant.pipeline import Assistant
    from assistant.retrieval.search import HybridSearch

    if settings.mode == "llm":
        _check_llm_settings(settings)  # before the slow loading below
    embeddings = load_embeddings(settings)
    client = chroma_client(settings)
    collection = open_collection(client, settings, embeddings)
    chunks, version = read_chunks(collection)
    dense = chroma_dense_search(client, settings, embeddings)
    search = HybridSearch(chunks, dense, embeddings.embed_query)
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
    return Assistant(search, composer, settings, corpus_version=version, llm=llm)


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
