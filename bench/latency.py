"""Warm ask latency by stage, next to the textbook LangChain pipeline and the embedding floor.

All three run in this process on the same questions, one question at a time and interleaved,
so background load hits them alike:
- `ask`: `Assistant.ask` with the model loaded, each question asked for the first time in
  its pass (per-question caches are cleared between passes);
- `langchain`: `langchain_chroma.Chroma.similarity_search(question, k=4)` on the same store;
- `floor`: one `embed_query` of the question, which any dense retrieval must pay.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.stats import summarize

__all__ = ["Question", "forget_queries", "forget_search_caches", "measure_latency", "STAGES"]

STAGES = ("safety", "retrieve", "compose", "total")


@dataclass(frozen=True)
class Question:
    """One eval question with the history and audience its case gives."""

    text: str
    history: tuple[dict[str, str], ...] = ()
    audience: str = "patient"


@dataclass
class _Samples:
    stages: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    retrieved: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    langchain: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)


def forget_search_caches(search: Any) -> None:
    """Clear a HybridSearch's per-question caches: query vectors and typo corrections."""
    search.vector.clear()
    search.corrector.nearest.cache_clear()


def forget_queries(assistant: Any) -> None:
    """Clear the per-question caches of a built Assistant, so each question is asked anew."""
    forget_search_caches(assistant.retriever.search)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def measure_latency(
    assistant: Any,
    store: Any,
    embeddings: Any,
    questions: Sequence[Question],
    *,
    passes: int = 3,
    warmup: int = 5,
) -> dict[str, Any]:
    """Return p50/p95 per stage of `ask`, of LangChain top-4 search and of one query embedding."""
    for question in questions[:warmup]:
        assistant.ask(question.text, list(question.history), audience=question.audience)
        store.similarity_search(question.text, k=4)
    samples = _Samples()
    for _ in range(passes):
        forget_queries(assistant)
        for question in questions:
            answer = assistant.ask(
                question.text, list(question.history), audience=question.audience
            )
            timings = answer.timings_ms
            samples.statuses[answer.status] = samples.statuses.get(answer.status, 0) + 1
            for stage in STAGES:
                samples.stages[stage].append(float(timings.get(stage, 0.0)))
            if timings.get("retrieve", 0.0) > 0:
                for stage in STAGES:
                    samples.retrieved[stage].append(float(timings.get(stage, 0.0)))
            started = time.perf_counter()
            store.similarity_search(question.text, k=4)
            samples.langchain.append(_ms(started))
            started = time.perf_counter()
            embeddings.embed_query(question.text)
            samples.floor.append(_ms(started))
    threads = _thread_floor(embeddings, questions)
    return {
        "questions": len(questions),
        "passes": passes,
        "statuses": dict(sorted(samples.statuses.items())),
        "ask_ms": {stage: summarize(values) for stage, values in samples.stages.items()},
        "ask_retrieved_ms": {
            stage: summarize(values) for stage, values in samples.retrieved.items()
        },
        "langchain_top4_ms": summarize(samples.langchain),
        "query_embedding_ms": summarize(samples.floor),
        "query_embedding_by_torch_threads_ms": threads,
    }


def _thread_floor(embeddings: Any, questions: Sequence[Question]) -> dict[str, Any]:
    """Return one query embedding's p50/p95 with 1 torch thread and with the default count.

    On a busy 2-core machine the default (one thread per core) waits on the other thread far
    more often than it gains from it; this shows by how much, interleaved question by question.
    """
    import torch

    default = torch.get_num_threads()
    counts = sorted({1, default})
    samples: dict[int, list[float]] = {n: [] for n in counts}
    try:
        for question in questions:
            for n in counts:
                torch.set_num_threads(n)
                started = time.perf_counter()
                embeddings.embed_query(question.text)
                samples[n].append(_ms(started))
    finally:
        torch.set_num_threads(default)
    return {f"{n}": summarize(values) for n, values in samples.items()}
