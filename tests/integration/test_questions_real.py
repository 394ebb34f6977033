"""Question-side retrieval with the real model and a real Chroma store built by `pht-ingest`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.index.chroma import chroma_client, chroma_dense_search, open_collection, read_chunks
from assistant.index.questions import open_question_search
from assistant.retrieval.search import HybridSearch
from assistant.settings import Settings
from ingest.cli import main as ingest_main

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def searches(indexed_settings: Settings, real_embeddings: object) -> dict[str, HybridSearch]:
    embeddings: object = real_embeddings
    client = chroma_client(indexed_settings)
    chunks, _ = read_chunks(open_collection(client, indexed_settings, embeddings))  # type: ignore[arg-type]
    dense = chroma_dense_search(client, indexed_settings, embeddings)  # type: ignore[arg-type]
    questions = open_question_search(client, indexed_settings, embeddings)  # type: ignore[arg-type]
    assert questions is not None, "pht-ingest indexed no questions"
    embed = embeddings.embed_query  # type: ignore[attr-defined]
    return {
        "with": HybridSearch(chunks, dense, embed, questions=questions),
        "without": HybridSearch(chunks, dense, embed),
    }


# Paraphrases that are in no sidecar, each sharing few words with its passage.
_ASKED = [
    ("pills upset me, can I put something on the skin instead", "Topical NSAIDs may be"),
    ("what do they do to my leg at the clinic to check it", "Examination should include"),
    ("what will the physio poke and prod when I go in", "Examination should include"),
]


@pytest.mark.parametrize(("question", "passage"), _ASKED)
def test_a_question_hit_brings_its_chunk(
    searches: dict[str, HybridSearch], question: str, passage: str
) -> None:
    # Within what the composer is given (Settings.top_k, 6): the chunk must reach the answer stage.
    hits = searches["with"].search(question, Settings().top_k)
    top = [hit.chunk.text for hit in hits]
    assert any(text.startswith(passage) for text in top), top
    hit = next(hit for hit in hits if hit.chunk.text.startswith(passage))
    assert hit.question_rank is not None and hit.question > 0.4


def test_question_search_maps_each_hit_to_one_chunk(
    indexed_settings: Settings, real_embeddings: object
) -> None:
    client = chroma_client(indexed_settings)
    search = open_question_search(client, indexed_settings, real_embeddings)  # type: ignore[arg-type]
    assert search is not None
    vector = real_embeddings.embed_query("Would a cushion help?")  # type: ignore[attr-defined]
    found = search(vector, 5)
    ids = [chunk_id for chunk_id, _ in found]
    assert len(ids) == len(set(ids)) == 5
    chunks, _ = read_chunks(open_collection(client, indexed_settings, real_embeddings))  # type: ignore[arg-type]
    text = {chunk.chunk_id: chunk.text for chunk in chunks}
    # The sidecar's own question finds its passage first, with a near-identical vector.
    assert "sitting cushions" in text[ids[0]] and found[0][1] > 0.99


def test_reingest_changes_nothing_and_the_summary_counts_questions(
    corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PHT_CORPUS_DIR", str(corpus_copy))
    monkeypatch.setenv("PHT_CHROMA_PATH", str(tmp_path / "chroma"))
    summaries = []
    for _ in range(2):
        assert ingest_main(["--json", "--quiet"]) == 0
        summaries.append(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))
    first, second = summaries
    assert first["questions"] == first["questions_added"] >= 8 * 39
    assert (second["added"], second["updated"], second["deleted"]) == (0, 0, 0)
    assert (second["questions_added"], second["questions_deleted"]) == (0, 0)
    assert second["corpus_version"] == first["corpus_version"]
