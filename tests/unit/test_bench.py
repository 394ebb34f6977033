"""Unit tests of pht-bench's pure parts: statistics, the synthetic corpus, the report shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report import REQUIRED_KEYS, check_targets, format_table, render
from bench.scale import growth
from bench.stats import percentile, ratio, summarize
from bench.synthetic import (
    synthetic_chunks,
    synthetic_texts,
    unit_vectors,
    word_pool,
    write_corpus,
)
from ingest.manifest import load_manifest


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([7.0], 95) == 7.0


def test_percentile_ignores_input_order() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0


@pytest.mark.parametrize("q", [-1, 101])
def test_percentile_rejects_out_of_range(q: float) -> None:
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], q)


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_summarize_reports_count_and_percentiles() -> None:
    summary = summarize([1.0, 2.0, 3.0, 4.0, 100.0])
    assert summary["n"] == 5
    assert summary["p50"] == 3.0
    assert summary["max"] == 100.0
    assert summary["p95"] > summary["p50"]
    assert summarize([])["n"] == 0


def test_ratio_is_none_without_a_denominator() -> None:
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(1.0, 0.0) is None


def test_word_pool_keeps_frequencies() -> None:
    pool = word_pool(["Sitting hurts. Sitting, again!", "the tendon's load"])
    assert pool == ["sitting", "hurts", "sitting", "again", "the", "tendon's", "load"]


def test_synthetic_texts_are_deterministic_and_sized() -> None:
    pool = word_pool(["sitting compresses the tendon against the sit bone during the day"])
    first = synthetic_texts(pool, 20, [10, 40], seed=3, new_word_share=0.0)
    again = synthetic_texts(pool, 20, [10, 40], seed=3, new_word_share=0.0)
    other = synthetic_texts(pool, 20, [10, 40], seed=4, new_word_share=0.0)
    assert first == again
    assert first != other
    assert len(first) == 20
    assert {len(t.split()) for t in first} <= {10, 40}
    words = {w.strip(".").lower() for t in first for w in t.split()}
    assert words <= set(pool)
    assert all(t[0].isupper() and t.endswith(".") for t in first)


def test_synthetic_vocabulary_grows_with_new_words() -> None:
    pool = word_pool(["sitting compresses the tendon against the sit bone during the day"])
    small = synthetic_texts(pool, 10, [30], seed=1, new_word_share=0.05)
    large = synthetic_texts(pool, 200, [30], seed=1, new_word_share=0.05)

    def vocabulary(texts: list[str]) -> set[str]:
        return {w.strip(".").lower() for t in texts for w in t.split()}

    assert len(vocabulary(large)) > len(vocabulary(small)) > len(set(pool))


def test_synthetic_generator_refuses_empty_inputs() -> None:
    with pytest.raises(ValueError, match="pool"):
        synthetic_texts([], 1, [10])
    with pytest.raises(ValueError, match="lengths"):
        synthetic_texts(["word"], 1, [])


def test_synthetic_chunks_have_unique_ids_and_documents() -> None:
    chunks = synthetic_chunks(["a b c"] * 120, per_document=50)
    assert len({c.chunk_id for c in chunks}) == 120
    assert len({c.doc_id for c in chunks}) == 3
    assert chunks[0].end == len("a b c")


def test_written_corpus_passes_the_strict_manifest(tmp_path: Path) -> None:
    pool = word_pool(["sitting compresses the tendon against the sit bone"])
    texts = synthetic_texts(pool, 90, [20], seed=0)
    write_corpus(tmp_path, texts, per_document=40)
    manifest = load_manifest(tmp_path)
    assert len(manifest.documents) == 3
    assert all((tmp_path / entry.file).is_file() for entry in manifest.documents)


def test_unit_vectors_have_unit_length() -> None:
    import numpy as np

    vectors = unit_vectors(5, 8, seed=1)
    assert vectors.shape == (5, 8)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors, unit_vectors(5, 8, seed=1))


def test_format_table_aligns_columns() -> None:
    text = format_table(["name", "ms"], [["ask", 12.5], ["floor", 9]])
    lines = text.splitlines()
    assert lines[0].startswith("name")
    assert set(lines[1]) <= {"-", " "}
    assert len({len(line) for line in lines}) == 1


def _stats(p50: float, p95: float) -> dict[str, float]:
    return {"n": 10, "p50": p50, "p95": p95, "mean": p50, "min": p50, "max": p95}


def _result() -> dict[str, object]:
    stages = {name: _stats(1.0, 2.0) for name in ("safety", "retrieve", "compose")}
    stages["total"] = _stats(25.0, 90.0)
    scale_row = {
        "store": "embedded", "size": 1000, "vocabulary": 900, "upsert_s": 0.5,
        "read_back_s": 0.1, "lexical_build_s": 0.2, "hybrid_ms": _stats(5, 8),
        "dense_ms": _stats(2, 3), "lexical_ms": _stats(1, 2), "peak_rss_mb": 300.0,
    }  # fmt: skip
    result: dict[str, object] = {
        "machine": {"date": "today", "cores": 2, "memory_gb": 24, "cpu": "x"},
        "load_average": {"start": [0.5, 0.4, 0.3], "end": [0.6, 0.4, 0.3]},
        "config": {},
        "ingest": [
            {"corpus": "shipped", "chunks": 39, "mean_words_per_chunk": 27.0, "ingest_s": 1.1,
             "encode_s": 1.0, "chunks_per_s": 35.0, "ingest_overhead_ratio": 1.1},
        ],
        "latency": {
            "questions": 3, "passes": 1, "ask_ms": stages, "ask_retrieved_ms": stages,
            "langchain_top4_ms": _stats(12, 20), "query_embedding_ms": _stats(9, 12),
        },
        "cold_start": {"repeats": 1, "pht_ask_s": 6.0, "reference_s": 5.0, "ratio": 1.2,
                       "pht_ask_phases_s": {"import_s": 0.1}},
        "scale": {"results": [scale_row], "growth": growth([scale_row])},
        "backend": {"available": False, "reason": "missing optimum"},
    }  # fmt: skip
    result["targets"] = check_targets(result)
    return result


def test_targets_are_checked_against_the_limits() -> None:
    targets = check_targets(_result())
    assert targets["ask_p50_ms"] == {"value": 25.0, "limit": 30.0, "met": True}
    assert targets["ask_p95_ms"]["met"] is False
    assert targets["ingest_overhead_ratio"]["met"] is True
    assert targets["cold_start_ratio"]["met"] is True


def test_targets_skip_sections_that_did_not_run() -> None:
    assert check_targets({"ingest": None, "latency": None, "cold_start": None}) == {}


def test_result_has_the_documented_json_shape() -> None:
    result = _result()
    assert set(REQUIRED_KEYS) <= set(result)
    assert json.loads(json.dumps(result)) == result


def test_render_prints_every_section_and_missed_targets() -> None:
    text = render(_result())
    for expected in ("shipped", "ask: retrieve", "LangChain", "pht-ask", "embedded",
                     "not available", "MISSED"):  # fmt: skip
        assert expected in text


def test_growth_compares_smallest_and_largest_size() -> None:
    rows = [
        {"store": "embedded", "size": 1000, "hybrid_ms": _stats(2.0, 3.0)},
        {"store": "embedded", "size": 100_000, "hybrid_ms": _stats(10.0, 30.0)},
    ]
    assert growth(rows)["embedded"] == {
        "from_size": 1000, "to_size": 100_000, "size_factor": 100.0, "p50_factor": 5.0,
    }  # fmt: skip



def test_forget_search_caches_clears_vectors_and_corrections() -> None:
    from assistant.retrieval.search import HybridSearch
    from assistant.types import Chunk
    from bench.latency import forget_search_caches
    from tests.fakes import KeywordEmbeddings

    embeddings = KeywordEmbeddings()
    chunk = Chunk("d:1", "d", "Shockwave therapy helps tendinopathy.", "S", 0, 10)
    search = HybridSearch([chunk], lambda vector, k: [("d:1", 1.0)], embeddings.embed_query)
    search.search("shockwave tendinopaty", 1)
    assert search.corrector.nearest._nearest.cache_info().currsize > 0
    forget_search_caches(search)
    assert search.vector._vectors == {}
    assert search.corrector.nearest._nearest.cache_info().currsize == 0
