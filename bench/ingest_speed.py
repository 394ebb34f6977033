"""Ingest throughput, and its overhead over the embedding model alone.

`ingest_overhead_ratio` = wall time of a full ingest (read, clean, chunk, embed, upsert into a
fresh Chroma store) / wall time of `SentenceTransformer.encode` over the same texts with the same
batch size, in the same process, model already loaded. 1.0 means the encoder is all the cost.
"""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path
from typing import Any

from assistant.index.chroma import chroma_client, open_collection
from assistant.index.embeddings import embedding_model_path, sentence_transformer, token_counter
from assistant.settings import Settings
from bench.stats import ratio
from ingest.chunk import embedding_text
from ingest.index import sync
from ingest.pipeline import build_chunks

__all__ = ["ingest_once", "encode_once", "measure_ingest"]

log = logging.getLogger(__name__)


def ingest_once(settings: Settings, embeddings: Any) -> tuple[float, list[str]]:
    """Ingest settings.corpus_dir into a new store at settings.chroma_path; return (s, texts)."""
    started = time.perf_counter()
    corpus = build_chunks(settings.corpus_dir, token_counter(embeddings), settings.max_chunk_tokens)
    client = chroma_client(settings, create=True)
    collection = open_collection(client, settings, embeddings, create=True)
    summary = sync(
        collection,
        corpus.chunks,
        embeddings.embed_documents,
        model_name=embedding_model_path(settings),
        batch_size=settings.embed_batch_size,
    )
    seconds = time.perf_counter() - started
    if summary.added != len(corpus.chunks):
        raise RuntimeError(f"expected a fresh store at {settings.chroma_path}: {summary}")
    return seconds, [embedding_text(chunk) for chunk in corpus.chunks]


def encode_once(embeddings: Any, texts: list[str], batch_size: int) -> float:
    """Return the seconds the bare SentenceTransformer takes to encode `texts`."""
    model = sentence_transformer(embeddings)
    started = time.perf_counter()
    model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return time.perf_counter() - started


def encode_in_slices(embeddings: Any, texts: list[str], batch_size: int) -> float:
    """Return the seconds to encode `texts` one slice of `batch_size` at a time, as sync does.

    `encode` sorts one call's texts by length so that each batch pads little; slices in
    document order mix short and long texts, and the short ones are padded to the long.
    """
    model = sentence_transformer(embeddings)
    started = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        model.encode(
            texts[i : i + batch_size], batch_size=batch_size, normalize_embeddings=True,
            show_progress_bar=False,
        )
    return time.perf_counter() - started


def measure_ingest(
    settings: Settings,
    embeddings: Any,
    workdir: Path,
    *,
    label: str,
    repeats: int = 2,
    warmup: bool = False,
) -> dict[str, Any]:
    """Return chunks/s and the overhead ratio of ingesting settings.corpus_dir (median runs).

    With `warmup`, one untimed ingest first pays the one-off costs of a process (importing
    chromadb, the first encoder call), which the cold-start figures already count.
    """
    ingest_s: list[float] = []
    encode_s: list[float] = []
    texts: list[str] = []
    if warmup:
        _, texts = ingest_once(settings.with_(chroma_path=workdir / f"{label}-warmup"), embeddings)
        encode_once(embeddings, texts, settings.embed_batch_size)
    for i in range(repeats):
        run = settings.with_(chroma_path=workdir / f"{label}-{i}")
        # Alternate the order so that neither side always runs on a warmer machine.
        if i % 2:
            encode_s.append(encode_once(embeddings, texts, settings.embed_batch_size))
            seconds, texts = ingest_once(run, embeddings)
            ingest_s.append(seconds)
        else:
            seconds, texts = ingest_once(run, embeddings)
            ingest_s.append(seconds)
            encode_s.append(encode_once(embeddings, texts, settings.embed_batch_size))
    sliced_s = encode_in_slices(embeddings, texts, settings.embed_batch_size)
    ingest_median = statistics.median(ingest_s)
    encode_median = statistics.median(encode_s)
    words = sum(len(t.split()) for t in texts)
    result = {
        "corpus": label,
        "chunks": len(texts),
        "mean_words_per_chunk": round(words / len(texts), 1) if texts else 0.0,
        "batch_size": settings.embed_batch_size,
        "repeats": repeats,
        "ingest_s": round(ingest_median, 3),
        "encode_s": round(encode_median, 3),
        "chunks_per_s": round(len(texts) / ingest_median, 1) if ingest_median else 0.0,
        "encode_chunks_per_s": round(len(texts) / encode_median, 1) if encode_median else 0.0,
        "ingest_overhead_ratio": ratio(ingest_median, encode_median),
        "encode_in_slices_s": round(sliced_s, 3),
        "slices_ratio": ratio(sliced_s, encode_median),
    }
    log.info("ingest %s: %s", label, result)
    return result
