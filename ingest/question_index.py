"""Idempotent sync of reviewed questions into the question collection (beside the chunks).

Question ids come from the chunk they map to and their own text: an unchanged question is never
embedded again, an edited one is a new id (its old id is deleted), and a question whose chunk
changed follows the chunk. Embedding happens in `embed_questions`, before anything is written;
`write_questions` is one upsert and one delete.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.index.chroma import read_collection
from assistant.index.questions import CHUNK_KEY
from ingest.questions import QuestionRecord

__all__ = [
    "QuestionPlan",
    "plan_questions",
    "stored_question_ids",
    "embed_questions",
    "write_questions",
    "question_metadata",
]

_Embed = Callable[[list[str]], list[list[float]]]


@dataclass
class QuestionPlan:
    """Which questions to embed and write, and which stored ids to delete."""

    write: list[QuestionRecord]
    delete: list[str]
    unchanged: int


def question_metadata(record: QuestionRecord) -> dict[str, str]:
    """Return the Chroma metadata of a question record (the chunk it maps to first)."""
    return {CHUNK_KEY: record.chunk_id, "doc_id": record.doc_id, "register": record.register}


def stored_question_ids(collection: Any) -> set[str]:
    """Return the ids of every question stored in `collection` (read in pages)."""
    return set(read_collection(collection, [])["ids"])


def plan_questions(
    stored: set[str], questions: Sequence[QuestionRecord], rebuild: bool = False
) -> QuestionPlan:
    """Return what to embed and delete so that the store holds exactly `questions`."""
    wanted = {record.question_id: record for record in questions}
    write = [r for qid, r in wanted.items() if rebuild or qid not in stored]
    return QuestionPlan(
        write=write,
        delete=sorted(stored - set(wanted)),
        unchanged=len(wanted) - len(write),
    )


def embed_questions(
    plan: QuestionPlan,
    embed: _Embed,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
) -> list[list[float]]:
    """Return the vectors of `plan.write`, in order (short texts: large batches pad little)."""
    texts = [record.text for record in plan.write]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors: list[list[float]] = [[] for _ in texts]
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        for position, vector in zip(batch, embed([texts[i] for i in batch]), strict=True):
            vectors[position] = vector
        if progress:
            progress(len(batch))
    return vectors


def write_questions(collection: Any, plan: QuestionPlan, vectors: list[list[float]]) -> None:
    """Upsert the planned questions with their vectors and delete the removed ones."""
    if plan.write:
        collection.upsert(
            ids=[record.question_id for record in plan.write],
            documents=[record.text for record in plan.write],
            metadatas=[question_metadata(record) for record in plan.write],  # type: ignore[misc]
            embeddings=vectors,
        )
    if plan.delete:
        collection.delete(ids=plan.delete)
