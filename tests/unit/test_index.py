"""Idempotent sync into a real (embedded) Chroma store with a keyword embedding."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.index.chroma import CORPUS_VERSION_KEY, chroma_client, open_collection
from assistant.settings import Settings
from ingest.index import sync
from ingest.pipeline import build_chunks
from tests.fakes import ExplodingEmbeddings, KeywordEmbeddings


def words(text: str) -> int:
    return len(text.split()) + 2


def _ingest(settings: Settings, embeddings: KeywordEmbeddings, **kwargs: object):  # type: ignore[no-untyped-def]
    corpus = build_chunks(settings.corpus_dir, words)
    collection = open_collection(chroma_client(settings, create=True), settings, embeddings,
                                 create=True)
    summary = sync(collection, corpus.chunks, embeddings.embed_documents, model_name="kw",
                   batch_size=8, **kwargs)  # type: ignore[arg-type]
    return summary, collection


@pytest.fixture()
def settings(corpus_copy: Path, tmp_path: Path) -> Settings:
    return Settings(corpus_dir=corpus_copy, chroma_path=tmp_path / "chroma")


def test_second_ingest_adds_nothing_and_embeds_nothing(settings: Settings) -> None:
    first, collection = _ingest(settings, KeywordEmbeddings())
    assert first.added == first.chunks == collection.count() == 39
    assert first.documents == 2
    embeddings = KeywordEmbeddings()
    second, collection = _ingest(settings, embeddings)
    assert (second.added, second.updated, second.deleted, second.unchanged) == (0, 0, 0, 39)
    assert embeddings.calls == []
    assert second.corpus_version == first.corpus_version
    assert collection.metadata[CORPUS_VERSION_KEY] == first.corpus_version


def test_editing_a_document_replaces_only_its_changed_chunks(settings: Settings) -> None:
    first, _ = _ingest(settings, KeywordEmbeddings())
    path = settings.corpus_dir / "h2t-pht-challenges.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("Tendons regenerate slowly", "Tendons regenerate very slowly"),
        encoding="utf-8",
    )
    embeddings = KeywordEmbeddings()
    second, collection = _ingest(settings, embeddings)
    assert (second.added, second.deleted) == (0, 1)
    # One chunk is re-embedded; chunks after it only get their shifted offsets rewritten.
    assert sum(len(batch) for batch in embeddings.calls) == 1
    assert second.updated + second.unchanged == 39
    assert second.unchanged >= 19 + 5  # the other document, and the chunks before the edit
    assert second.corpus_version != first.corpus_version
    found = collection.get(where={"section": "Slow Regeneration"})
    assert found["documents"] == [
        "Tendons regenerate very slowly, making recovery a months-long process even with "
        "correct management."
    ]


def test_removing_a_document_deletes_its_chunks(settings: Settings) -> None:
    _ingest(settings, KeywordEmbeddings())
    manifest = settings.corpus_dir / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text[: text.index("  - id: droracle")], encoding="utf-8")
    (settings.corpus_dir / "droracle-hamstring-sciatica-guidelines.txt").unlink()
    summary, collection = _ingest(settings, KeywordEmbeddings())
    assert summary.deleted == 19 and summary.documents == 1
    assert collection.count() == 20
    assert not collection.get(where={"doc_id": "droracle-hamstring-sciatica-guidelines"})["ids"]


def test_manifest_edit_updates_metadata_without_reembedding(settings: Settings) -> None:
    _ingest(settings, KeywordEmbeddings())
    manifest = settings.corpus_dir / "manifest.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            'publisher: "Head 2 Toe Osteopathy"', 'publisher: "Head 2 Toe Osteopathy Ltd"'
        ),
        encoding="utf-8",
    )
    embeddings = KeywordEmbeddings()
    summary, collection = _ingest(settings, embeddings)
    assert summary.updated == 20 and summary.added == 0 and embeddings.calls == []
    found = collection.get(where={"doc_id": "h2t-pht-challenges"}, include=["metadatas"])
    assert {m["publisher"] for m in found["metadatas"]} == {"Head 2 Toe Osteopathy Ltd"}


@pytest.mark.parametrize("error", [RuntimeError("crash"), KeyboardInterrupt()])
def test_failed_ingest_leaves_the_previous_index_answering(
    settings: Settings, error: BaseException
) -> None:
    first, collection = _ingest(settings, KeywordEmbeddings())
    before = collection.get(include=["documents", "metadatas"])
    path = settings.corpus_dir / "h2t-pht-challenges.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Sitting", "Sitting down"),
                    encoding="utf-8")
    with pytest.raises(type(error)):
        _ingest(settings, ExplodingEmbeddings(fail_on_batch=1, error=error), rebuild=True)
    collection = open_collection(chroma_client(settings), settings, KeywordEmbeddings())
    after = collection.get(include=["documents", "metadatas"])
    assert after == before
    assert collection.metadata[CORPUS_VERSION_KEY] == first.corpus_version
    # ... and the next ingest completes.
    summary, _ = _ingest(settings, KeywordEmbeddings())
    assert summary.corpus_version != first.corpus_version


def test_dry_run_writes_nothing(settings: Settings) -> None:
    summary, collection = _ingest(settings, KeywordEmbeddings(), dry_run=True)
    assert summary.added == 39 and collection.count() == 0


def test_rebuild_reembeds_everything(settings: Settings) -> None:
    _ingest(settings, KeywordEmbeddings())
    embeddings = KeywordEmbeddings()
    summary, collection = _ingest(settings, embeddings, rebuild=True)
    assert summary.updated == 39 and collection.count() == 39
    assert sum(len(batch) for batch in embeddings.calls) == 39


def test_collections_are_read_in_pages(settings: Settings) -> None:
    from assistant.index.chroma import read_collection

    _, collection = _ingest(settings, KeywordEmbeddings())
    whole = collection.get(include=["documents"])
    paged = read_collection(collection, ["documents"], page=7)
    assert len(paged["ids"]) == 39
    assert sorted(zip(paged["ids"], paged["documents"], strict=True)) == sorted(
        zip(whole["ids"], whole["documents"], strict=True)
    )


def test_each_chunk_keeps_its_own_vector(settings: Settings) -> None:
    """Chunks are embedded in order of length; each vector must still land on its chunk."""
    from ingest.chunk import embedding_text

    embeddings = KeywordEmbeddings()
    _, collection = _ingest(settings, embeddings)
    batches = embeddings.calls
    assert [len(t) for batch in batches for t in batch] == sorted(
        len(t) for batch in batches for t in batch
    )
    stored = collection.get(include=["embeddings", "metadatas", "documents"])
    chunks = {c.chunk_id: c for c in build_chunks(settings.corpus_dir, words).chunks}
    for chunk_id, vector in zip(stored["ids"], stored["embeddings"], strict=True):
        expected = embeddings.embed_query(embedding_text(chunks[chunk_id]))
        assert [round(float(x), 5) for x in vector] == [round(x, 5) for x in expected]
