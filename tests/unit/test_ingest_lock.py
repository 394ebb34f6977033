"""One writer per store: the ingest lock, and a sync that refuses to mislabel (issue 16)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.errors import StoreError
from assistant.index.chroma import CORPUS_VERSION_KEY, chroma_client, open_collection
from assistant.settings import Settings
from ingest.index import sync
from ingest.lock import ingest_lock, lock_path
from ingest.pipeline import build_chunks, corpus_version
from tests.fakes import KeywordEmbeddings


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(chroma_path=tmp_path / "store" / "chroma", data_dir=tmp_path / "data")


def test_lock_file_sits_beside_the_store_or_names_the_server(settings: Settings) -> None:
    assert lock_path(settings) == settings.chroma_path.resolve().with_name("chroma.ingest.lock")
    server = settings.with_(chroma_host="db.example", chroma_port=8123)
    assert lock_path(server) == settings.data_dir.resolve() / "ingest-db.example-8123.lock"


def test_second_writer_waits_then_fails_naming_the_store_and_holder(settings: Settings) -> None:
    with ingest_lock(settings):
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            with ingest_lock(settings, wait_s=0.4):
                pytest.fail("two writers held the lock at once")
        waited = time.monotonic() - started
    assert 0.4 <= waited < 2.0, waited
    message = str(caught.value)
    assert "Another pht-ingest" in message and str(settings.chroma_path) in message
    assert "pid " in message and "PHT_INGEST_LOCK_WAIT" in message
    assert len(message.splitlines()) == 1


def test_second_writer_proceeds_once_the_first_is_done(settings: Settings) -> None:
    order: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with ingest_lock(settings):
            holding.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(5)
    with ingest_lock(settings, wait_s=10):
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]


def test_a_killed_holder_leaves_no_stale_lock(settings: Settings, tmp_path: Path) -> None:
    script = (
        "import sys, time; from pathlib import Path; from assistant.settings import Settings;"
        "from ingest.lock import ingest_lock;"
        f"s = Settings(chroma_path=Path({str(settings.chroma_path)!r}));"
        "cm = ingest_lock(s); cm.__enter__(); print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError):
            with ingest_lock(settings, wait_s=0.2):
                pass
        holder.kill()
        holder.wait(timeout=10)
        with ingest_lock(settings, wait_s=2):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=10)


class _Meddler:
    """A collection wrapper that lets another writer add a record right after our delete."""

    def __init__(self, collection: object, intruder: dict[str, object]) -> None:
        self._collection = collection
        self._intruder = intruder

    def __getattr__(self, name: str) -> object:
        return getattr(self._collection, name)

    def delete(self, **kwargs: object) -> None:
        self._collection.delete(**kwargs)  # type: ignore[attr-defined]
        self._collection.upsert(**self._intruder)  # type: ignore[attr-defined]


def test_sync_refuses_to_label_an_index_that_changed_under_it(
    corpus_copy: Path, settings: Settings
) -> None:
    settings = settings.with_(corpus_dir=corpus_copy)
    embeddings = KeywordEmbeddings()
    words = lambda text: len(text.split()) + 2  # noqa: E731
    chunks = build_chunks(corpus_copy, words).chunks
    collection = open_collection(
        chroma_client(settings, create=True), settings, embeddings, create=True
    )
    first = sync(collection, chunks, embeddings.embed_documents, model_name="kw")
    assert collection.metadata[CORPUS_VERSION_KEY] == first.corpus_version

    intruder = {"ids": ["intruder:1"], "documents": ["another corpus"],
                "embeddings": [embeddings.embed_query("sitting")], "metadatas": [{"doc_id": "x"}]}
    with pytest.raises(StoreError, match="changed while pht-ingest wrote it"):
        sync(_Meddler(collection, intruder), chunks[:-1], embeddings.embed_documents,
             model_name="kw")  # fmt: skip
    # Whatever the index holds now, its label is the version of exactly that.
    stored = collection.get(include=[])["ids"]
    label = collection.metadata[CORPUS_VERSION_KEY]
    assert "intruder:1" in stored
    assert label == corpus_version(stored) != corpus_version([c.chunk_id for c in chunks[:-1]])
