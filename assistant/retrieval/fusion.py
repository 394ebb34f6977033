"""Reciprocal-rank fusion of the dense and lexical rankings, near-duplicate passages dropped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.language.tokens import terms
from assistant.types import Chunk, Hit

__all__ = ["RRF_K", "DUPLICATE_JACCARD", "fuse", "jaccard"]

RRF_K = 60
"""The usual reciprocal-rank constant: rank 1 and rank 5 differ, rank 40 and 45 barely."""
DUPLICATE_JACCARD = 0.85
"""A passage sharing this share of its terms with a better one says nothing new."""


def jaccard(a: str, b: str) -> float:
    """Return the Jaccard overlap of two texts' search terms."""
    sa, sb = set(terms(a)), set(terms(b))
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def fuse(
    chunks: Sequence[Chunk],
    positions: Mapping[str, int],
    dense: Sequence[tuple[str, float]],
    lexical: Sequence[tuple[int, float]],
    k: int,
) -> list[Hit]:
    """Return the top `k` hits of both rankings fused by reciprocal rank, duplicates removed."""
    scores: dict[int, dict[str, float]] = {}
    for rank, (chunk_id, similarity) in enumerate(dense, start=1):
        if chunk_id not in positions:
            continue
        entry = scores.setdefault(positions[chunk_id], {})
        entry.update(dense=similarity, dense_rank=rank, fused=1 / (RRF_K + rank))
    for rank, (position, bm25) in enumerate(lexical, start=1):
        entry = scores.setdefault(position, {"fused": 0.0})
        entry.update(lexical=bm25, lexical_rank=rank)
        entry["fused"] = entry.get("fused", 0.0) + 1 / (RRF_K + rank)
    ordered = sorted(scores.items(), key=lambda item: item[1]["fused"], reverse=True)
    hits: list[Hit] = []
    for position, entry in ordered:
        chunk = chunks[position]
        if any(jaccard(chunk.text, kept.chunk.text) >= DUPLICATE_JACCARD for kept in hits):
            continue
        dense_rank = entry.get("dense_rank")
        lexical_rank = entry.get("lexical_rank")
        hits.append(
            Hit(
                chunk=chunk,
                fused=entry["fused"],
                dense=entry.get("dense", 0.0),
                lexical=entry.get("lexical", 0.0),
                dense_rank=int(dense_rank) if dense_rank else None,
                lexical_rank=int(lexical_rank) if lexical_rank else None,
            )
        )
        if len(hits) >= k:
            break
    return hits
