"""Reviewed questions are indexed idempotently beside their chunks, and a hit maps to its chunk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.index.chroma import (
    CORPUS_VERSION_KEY,
    ChromaEmbeddingFunction,
    chroma_client,
    open_collection,
)
from assistant.index.questions import (
    CHUNK_KEY,
    best_per_chunk,
    chroma_question_search,
    open_question_collection,
)
from assistant.retrieval.fusion import fuse
from assistant.settings import Settings
from assistant.types import Chunk
from ingest.index import sync
from ingest.pipeline import build_chunks
from ingest.questions import load_questions
from tests.fakes import KeywordEmbeddings


def words(text: str) -> int:
    return len(text.split()) + 2


@pytest.fixture()
def settings(corpus_copy: Path, tmp_path: Path) -> Settings:
    return Settings(corpus_dir=corpus_copy, chroma_path=tmp_path / "chroma")


def _ingest(settings: Settings, embeddings: KeywordEmbeddings, **kwargs: Any) -> Any:
    corpus = build_chunks(settings.corpus_dir, words)
    questions = load_questions(settings.corpus_dir, corpus.chunks, corpus.documents)
    client = chroma_client(settings, create=True)
    collection = open_collection(client, settings, embeddings, create=True)
    asked = open_question_collection(
        client, settings, ChromaEmbeddingFunction(embeddings), create=True
    )
    summary = sync(collection, corpus.chunks, embeddings.embed_documents, model_name="kw",
                   batch_size=8, questions=questions, question_collection=asked, **kwargs)
    return summary, collection, asked


def _sidecar(settings: Settings) -> Path:
    return settings.corpus_dir / "questions" / "h2t-pht-challenges.yaml"


def test_second_ingest_changes_nothing(settings: Settings) -> None:
    first, _, asked = _ingest(settings, KeywordEmbeddings())
    assert first.questions == first.questions_added == asked.count() >= 8 * 39
    embeddings = KeywordEmbeddings()
    second, collection, asked = _ingest(settings, embeddings)
    assert (second.added, second.updated, second.deleted) == (0, 0, 0)
    assert (second.questions_added, second.questions_deleted) == (0, 0)
    assert second.questions_unchanged == first.questions
    assert embeddings.calls == []
    assert second.corpus_version == first.corpus_version
    assert collection.metadata[CORPUS_VERSION_KEY] == first.corpus_version


def test_edited_question_is_replaced_and_removed_one_deleted(settings: Settings) -> None:
    first, _, _ = _ingest(settings, KeywordEmbeddings())
    path = _sidecar(settings)
    text = path.read_text(encoding="utf-8")
    text = text.replace('"Would a cushion help?"', '"Would a cushion on my chair help?"')
    text = text.replace('        - "Is cutting down on sitting important?"\n', "")
    path.write_text(text, encoding="utf-8")
    embeddings = KeywordEmbeddings()
    second, _, asked = _ingest(settings, embeddings)
    assert (second.added, second.deleted) == (0, 0)
    assert (second.questions_added, second.questions_deleted) == (1, 2)
    assert embeddings.calls == [["Would a cushion on my chair help?"]]
    assert asked.count() == first.questions - 1
    # The corpus version covers the questions too.
    assert second.corpus_version != first.corpus_version
    stored = asked.get(where={"doc_id": "h2t-pht-challenges"}, include=["documents"])
    assert "Would a cushion help?" not in stored["documents"]


def test_removing_a_sidecar_deletes_its_questions_only(settings: Settings) -> None:
    first, _, _ = _ingest(settings, KeywordEmbeddings())
    _sidecar(settings).unlink()
    second, collection, asked = _ingest(settings, KeywordEmbeddings())
    assert second.questions_deleted == first.questions - second.questions > 0
    assert not asked.get(where={"doc_id": "h2t-pht-challenges"})["ids"]
    assert collection.count() == 39  # the document itself is still indexed


def test_every_question_is_stored_with_the_chunk_its_anchor_names(settings: Settings) -> None:
    _, collection, asked = _ingest(settings, KeywordEmbeddings())
    found = asked.get(
        where_document={"$contains": "What cryotherapy protocol"}, include=["metadatas"]
    )
    assert len(found["ids"]) == 1
    meta = found["metadatas"][0]
    assert set(meta) == {CHUNK_KEY, "doc_id", "register"} and meta["register"] == "clinician"
    chunk = collection.get(ids=[meta[CHUNK_KEY]], include=["documents"])
    assert chunk["documents"][0].startswith("Cryotherapy provides acute relief")
    assert found["ids"][0].startswith(meta[CHUNK_KEY] + ":q")


def test_question_search_returns_chunks_of_the_nearest_questions(settings: Settings) -> None:
    from ingest.question_index import QuestionPlan, write_questions
    from ingest.questions import QuestionRecord

    client = chroma_client(settings, create=True)
    asked = open_question_collection(
        client, settings, ChromaEmbeddingFunction(KeywordEmbeddings()), create=True
    )
    records = [
        QuestionRecord(f"{chunk}:q{i}", chunk, "d", text, "patient")
        for i, (chunk, text) in enumerate(
            [("ice", "a"), ("ice", "b"), ("sit", "c"), ("cut", "d"), ("sit", "e")]
        )
    ]
    vectors = [[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.7, 0.7, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0]]
    assert asked is not None
    write_questions(asked, QuestionPlan(write=records, delete=[], unchanged=0), vectors)
    search = chroma_question_search(asked, settings)
    found = search([1.0, 0.05, 0.0], 2)
    assert [chunk for chunk, _ in found] == ["ice", "sit"]
    assert found[0][1] == pytest.approx(1.0, abs=0.01) and 0.6 < found[1][1] < 0.8
    everything = search([0.0, 0.0, 1.0], 5)
    assert everything[0][0] == "cut" and sorted(c for c, _ in everything) == ["cut", "ice", "sit"]


def test_best_per_chunk_keeps_each_chunks_nearest_question() -> None:
    found = [("a", 0.9), ("a", 0.8), ("b", 0.7), ("a", 0.6), ("c", 0.5)]
    assert best_per_chunk(found, 2) == [("a", 0.9), ("b", 0.7)]
    assert best_per_chunk(found, 5) == [("a", 0.9), ("b", 0.7), ("c", 0.5)]


def test_fusion_ranks_a_chunk_found_only_by_its_question() -> None:
    texts = ["Sitting hurts.", "Shockwave helps.", "Surgery works.", "Ice relieves pain."]
    chunks = [Chunk(f"c{i}", "d", text, "s", 0, 1) for i, text in enumerate(texts)]
    positions = {c.chunk_id: i for i, c in enumerate(chunks)}
    dense = [("c0", 0.5), ("c1", 0.4)]
    lexical = [(1, 3.0), (0, 2.0)]
    without = fuse(chunks, positions, dense, lexical, 3)
    assert [h.chunk.chunk_id for h in without] == ["c0", "c1"]
    hits = fuse(chunks, positions, dense, lexical, 3, questions=[("c1", 0.9), ("c3", 0.8)])
    assert [h.chunk.chunk_id for h in hits] == ["c1", "c0", "c3"]
    assert (hits[0].question, hits[0].question_rank) == (0.9, 1)
    assert (hits[2].question_rank, hits[2].dense_rank, hits[2].lexical_rank) == (2, None, None)
    # A question of a chunk the index no longer holds is ignored.
    assert fuse(chunks, positions, [], [], 3, questions=[("gone", 0.9)]) == []
