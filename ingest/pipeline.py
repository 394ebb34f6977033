"""Corpus -> chunks: read every manifest document, clean it and chunk it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.settings import Settings
from assistant.types import Chunk
from ingest.chunk import chunk_document
from ingest.clean import CleanDocument, clean_text
from ingest.load import read_document
from ingest.manifest import document_path, load_manifest

__all__ = ["CorpusChunks", "build_chunks", "corpus_version"]


@dataclass
class CorpusChunks:
    """Every chunk of the corpus, and each document's cleaned text."""

    chunks: list[Chunk]
    documents: dict[str, CleanDocument]


def corpus_version(chunk_ids: list[str]) -> str:
    """Return the corpus version: a short hash of the sorted chunk ids."""
    digest = hashlib.sha256("\n".join(sorted(chunk_ids)).encode()).hexdigest()
    return digest[:12]


def build_chunks(
    corpus_dir: Path,
    count_tokens: Callable[[str], int],
    max_tokens: int = 256,
    settings: Settings | None = None,
) -> CorpusChunks:
    """Return the chunks of every document the manifest lists (CorpusError on any bad file)."""
    limits = settings or Settings()
    manifest = load_manifest(corpus_dir, limits)
    chunks: list[Chunk] = []
    documents: dict[str, CleanDocument] = {}
    for entry in manifest.documents:
        # The resolved path, checked again: what is read is what the manifest check allowed.
        path = document_path(corpus_dir, entry)
        clean = clean_text(read_document(path, limits.max_document_bytes))
        metadata = entry.metadata()
        metadata.update({f"doc_{key}": value for key, value in clean.metadata.items()})
        documents[entry.id] = clean
        chunks.extend(chunk_document(entry.id, clean, metadata, count_tokens, max_tokens))
    return CorpusChunks(chunks=chunks, documents=documents)
