"""Idempotent sync of chunks into a Chroma collection.

Chunk ids derive from content, so a second run finds nothing to do. All new embeddings are
computed before the collection is touched: a crash, Ctrl-C or SIGKILL while embedding (the slow
part) leaves the previous index answering exactly as before. The writes that follow are one
upsert, one metadata-only update (for manifest edits), one delete and one collection update.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from assistant.errors import StoreError
from assistant.index.chroma import CORPUS_VERSION_KEY, read_collection
from assistant.types import Chunk
from ingest.chunk import embedding_text
from ingest.pipeline import corpus_version
from ingest.question_index import (
    embed_questions,
    plan_questions,
    stored_question_ids,
    write_questions,
)
from ingest.questions import QuestionRecord

__all__ = ["IngestSummary", "SyncPlan", "plan_sync", "sync", "chunk_metadata"]

log = logging.getLogger(__name__)

EMBEDDING_MODEL_KEY = "embedding_model"
META_HASH_KEY = "meta_hash"
_Embed = Callable[[list[str]], list[list[float]]]


@dataclass
class IngestSummary:
    """What one ingest did."""

    documents: int
    chunks: int
    added: int
    updated: int
    deleted: int
    unchanged: int
    seconds: float
    corpus_version: str
    dry_run: bool = False
    questions: int = 0
    """Reviewed questions indexed beside the chunks (corpus/questions/<doc_id>.yaml)."""
    questions_added: int = 0
    questions_deleted: int = 0
    questions_unchanged: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return asdict(self)


@dataclass
class SyncPlan:
    """Which chunks to embed and write, which only need new metadata, which ids to delete."""

    write: list[Chunk]
    relabel: list[Chunk]
    delete: list[str]
    added: int
    updated: int
    unchanged: int


def _metadata_hash(meta: dict[str, str | int]) -> str:
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16]


def chunk_metadata(chunk: Chunk) -> dict[str, str | int]:
    """Return the Chroma metadata of a chunk (flat scalars only), with a hash of itself."""
    meta: dict[str, str | int] = {key: str(value) for key, value in chunk.metadata.items()}
    meta.update(
        {
            "doc_id": chunk.doc_id,
            "section": chunk.section,
            "kind": chunk.kind,
            "start": chunk.start,
            "end": chunk.end,
            "refs": ",".join(chunk.refs),
        }
    )
    # A manifest edit changes metadata but not the text: the hash lets sync spot it.
    meta[META_HASH_KEY] = _metadata_hash(meta)
    return meta


def plan_sync(
    existing: dict[str, tuple[str, str]], chunks: Sequence[Chunk], rebuild: bool = False
) -> SyncPlan:
    """Return what to write and delete, given {chunk_id: (doc_id, metadata hash)} stored."""
    wanted = {chunk.chunk_id: chunk for chunk in chunks}
    existing_docs = {doc_id for doc_id, _ in existing.values()}
    write: list[Chunk] = []
    relabel: list[Chunk] = []
    added = updated = unchanged = 0
    for chunk_id, chunk in wanted.items():
        if chunk_id in existing and not rebuild:
            if existing[chunk_id][1] == chunk_metadata(chunk)[META_HASH_KEY]:
                unchanged += 1
            else:
                relabel.append(chunk)
                updated += 1
            continue
        write.append(chunk)
        if chunk_id in existing or chunk.doc_id in existing_docs:
            updated += 1
        else:
            added += 1
    delete = sorted(set(existing) - set(wanted))
    return SyncPlan(
        write=write, relabel=relabel, delete=delete,
        added=added, updated=updated, unchanged=unchanged,
    )


def _existing(collection: Any) -> dict[str, tuple[str, str]]:
    found = read_collection(collection, ["metadatas"])
    return {
        chunk_id: (str((meta or {}).get("doc_id", "")), str((meta or {}).get(META_HASH_KEY, "")))
        for chunk_id, meta in zip(found["ids"], found["metadatas"] or [], strict=False)
    }


def _check_stored(stored: set[str], wanted: set[str], what: str = "chunks") -> None:
    """Raise StoreError unless the collection holds exactly the `wanted` ids."""
    if stored != wanted:
        raise StoreError(
            f"The index changed while pht-ingest wrote it ({len(stored - wanted)} unexpected, "
            f"{len(wanted - stored)} missing {what}): another writer without the ingest lock? "
            "Run pht-ingest again; until then corpus_version labels the mixed index."
        )


def sync(
    collection: Any,
    chunks: Sequence[Chunk],
    embed: _Embed,
    *,
    model_name: str,
    rebuild: bool = False,
    dry_run: bool = False,
    batch_size: int = 16,
    progress: Callable[[int], None] | None = None,
    questions: Sequence[QuestionRecord] = (),
    question_collection: Any = None,
) -> IngestSummary:
    """Bring `collection` in line with `chunks` (and `question_collection` with `questions`).

    Without a question collection, questions are ignored and the corpus version is the chunks'.
    """
    started = time.perf_counter()
    existing = _existing(collection)
    meta = collection.metadata or {}
    if existing and meta.get(EMBEDDING_MODEL_KEY) not in (None, model_name):
        log.warning("embedding model changed (%s -> %s): re-embedding all chunks",
                    meta.get(EMBEDDING_MODEL_KEY), model_name)
        rebuild = True
    plan = plan_sync(existing, chunks, rebuild=rebuild)
    wanted_questions = list(questions) if question_collection is not None else []
    stored_questions = (
        stored_question_ids(question_collection) if question_collection is not None else set()
    )
    question_plan = plan_questions(stored_questions, wanted_questions, rebuild=rebuild)
    version = corpus_version(
        [chunk.chunk_id for chunk in chunks] + [q.question_id for q in wanted_questions]
    )
    documents = len({chunk.doc_id for chunk in chunks})

    if not dry_run:
        texts = [embedding_text(chunk) for chunk in plan.write]
        # Embed in order of length: a batch is padded to its longest text, so mixing short and
        # long chunks wastes most of the work (measured 1.6x -> 1.3x of one bare encode call).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            for position, vector in zip(batch, embed([texts[i] for i in batch]), strict=True):
                vectors[position] = vector
            if progress:
                progress(len(batch))
        question_vectors = embed_questions(question_plan, embed)
        # Everything slow is done; from here on the collection is written in three short calls.
        if plan.write:
            collection.upsert(
                ids=[chunk.chunk_id for chunk in plan.write],
                documents=[chunk.text for chunk in plan.write],
                metadatas=[chunk_metadata(chunk) for chunk in plan.write],
                embeddings=vectors,
            )
        if plan.relabel:
            collection.update(
                ids=[chunk.chunk_id for chunk in plan.relabel],
                metadatas=[chunk_metadata(chunk) for chunk in plan.relabel],
            )
        if plan.delete:
            collection.delete(ids=plan.delete)
        if question_collection is not None:
            write_questions(question_collection, question_plan, question_vectors)
            stored_questions = stored_question_ids(question_collection)
        # The label must describe what is stored, not what this run meant to store: re-read the
        # ids (cheap: no documents or vectors) before labelling.
        stored = set(read_collection(collection, [])["ids"])
        new_meta = {k: v for k, v in meta.items() if not str(k).startswith("hnsw:")}
        new_meta.update({CORPUS_VERSION_KEY: corpus_version(sorted(stored | stored_questions)),
                         EMBEDDING_MODEL_KEY: model_name})  # fmt: skip
        if new_meta != meta:
            collection.modify(metadata=new_meta)
        _check_stored(stored, {chunk.chunk_id for chunk in chunks})
        _check_stored(stored_questions, {q.question_id for q in wanted_questions}, "questions")

    return IngestSummary(
        documents=documents,
        chunks=len(chunks),
        added=plan.added,
        updated=plan.updated,
        deleted=len(plan.delete),
        unchanged=plan.unchanged,
        seconds=round(time.perf_counter() - started, 3),
        corpus_version=version,
        dry_run=dry_run,
        questions=len(wanted_questions),
        questions_added=len(question_plan.write),
        questions_deleted=len(question_plan.delete),
        questions_unchanged=question_plan.unchanged,
    )
