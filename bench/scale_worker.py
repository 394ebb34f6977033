"""One scale run in its own process, so that its peak memory is its own.

`python -m bench.scale_worker --spec SPEC.json --size N (--path DIR | --host H --port P)` builds a
synthetic corpus of N chunks with random unit vectors (this measures the index, not the
encoder), loads it into Chroma, builds what `build_assistant` builds at start-up (every chunk
read back, the BM25 index, the typo corrector), then times the product's retrieval over the
eval questions, whose real query embeddings come in the spec. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.latency import forget_search_caches
from bench.machine import peak_rss_mb, process_memory_mb
from bench.stats import summarize
from bench.synthetic import synthetic_chunks, synthetic_texts, unit_vectors

__all__ = ["run", "main"]


class _NoEmbeddings:
    """Embeddings that refuse to embed: every vector here is given, never computed."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise RuntimeError("the scale bench passes vectors; nothing should embed text")

    def embed_query(self, text: str) -> list[float]:
        raise RuntimeError("the scale bench passes vectors; nothing should embed text")


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _rss() -> float:
    return process_memory_mb(os.getpid()).get("rss", 0.0)


def run(spec: dict[str, Any], size: int, settings: Any, passes: int = 2) -> dict[str, Any]:
    """Return build times, retrieval p50/p95 and memory of one corpus size on one store."""
    from langchain_chroma import Chroma

    from assistant.index.chroma import (
        chroma_client,
        chunk_from_record,
        open_collection,
        read_collection,
    )
    from assistant.retrieval.search import HybridSearch
    from ingest.index import chunk_metadata

    store_name = "server" if settings.chroma_host else "embedded"
    result: dict[str, Any] = {"size": size, "store": store_name}
    started = time.perf_counter()
    texts = synthetic_texts(spec["pool"], size, spec["lengths"], seed=spec["seed"])
    chunks = synthetic_chunks(texts)
    result["generate_s"] = round(time.perf_counter() - started, 2)

    stub: Any = _NoEmbeddings()
    client = chroma_client(settings, create=True)
    collection = open_collection(client, settings, stub, create=True)
    batch = min(client.get_max_batch_size(), 4096)
    started = time.perf_counter()
    for number, start in enumerate(range(0, size, batch)):
        part = chunks[start : start + batch]
        vectors = unit_vectors(len(part), spec["dim"], seed=spec["seed"] * 1000 + number)
        collection.upsert(
            ids=[c.chunk_id for c in part],
            documents=[c.text for c in part],
            metadatas=[chunk_metadata(c) for c in part],
            embeddings=vectors,
        )
    result["upsert_s"] = round(time.perf_counter() - started, 2)
    del texts, chunks
    gc.collect()
    result["rss_after_upsert_mb"] = _rss()

    # What build_assistant does at start-up, timed step by step.
    started = time.perf_counter()
    stored = read_collection(collection, ["documents", "metadatas"])
    chunks = [
        chunk_from_record(i, t or "", dict(m or {}))
        for i, t, m in zip(stored["ids"], stored["documents"] or [], stored["metadatas"] or [],
                           strict=True)
    ]
    del stored
    result["read_back_s"] = round(time.perf_counter() - started, 2)
    store = Chroma(client=client, collection_name=settings.collection, embedding_function=stub)

    def dense(vector: list[float], k: int) -> list[tuple[str, float]]:
        found = store.similarity_search_by_vector_with_relevance_scores(vector, k=k)
        return [(str(doc.id), 1.0 - float(distance)) for doc, distance in found]

    questions: list[str] = spec["questions"]
    query_vectors: list[list[float]] = spec["vectors"]
    by_text: dict[str, list[float]] = {}
    started = time.perf_counter()
    search = HybridSearch(chunks, dense, lambda text: by_text.get(text, query_vectors[0]))
    result["lexical_build_s"] = round(time.perf_counter() - started, 2)
    result["vocabulary"] = len(search.corrector.vocabulary)
    gc.collect()
    result["rss_after_build_mb"] = _rss()

    for question, vector in zip(questions, query_vectors, strict=True):
        by_text[search.prepare(question)] = vector
    dense_ms: list[float] = []
    lexical_ms: list[float] = []
    hybrid_ms: list[float] = []
    for _ in range(passes):
        forget_search_caches(search)
        for question, vector in zip(questions, query_vectors, strict=True):
            t0 = time.perf_counter()
            search.search(question, 6)
            hybrid_ms.append(_ms(t0))
            prepared = search.prepare(question)
            t0 = time.perf_counter()
            dense(vector, 20)
            dense_ms.append(_ms(t0))
            t0 = time.perf_counter()
            search.lexical.search(prepared, 20)
            lexical_ms.append(_ms(t0))
    result["hybrid_ms"] = summarize(hybrid_ms)
    result["dense_ms"] = summarize(dense_ms)
    result["lexical_ms"] = summarize(lexical_ms)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run one scale measurement and print it as one JSON line."""
    from assistant.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m bench.scale_worker")
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--path", type=Path)
    parser.add_argument("--host")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args(argv)
    spec = json.loads(args.spec.read_text(encoding="utf-8"))
    settings = Settings(
        chroma_path=args.path or Path("unused"),
        chroma_host=args.host,
        chroma_port=args.port,
        collection=f"bench_{args.size}",
    )
    print(json.dumps(run(spec, args.size, settings, args.passes)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
