"""Retrieval recall on the dev set, with and without the reviewed-question index.

`python -m bench.retrieval_recall [--split train|test|both] [--k 1,3,6] [--json]` over an index
that `pht-ingest` built (PHT_CHROMA_PATH / PHT_CHROMA_HOST). For each answerable dev case, each
expected statement's passage is the chunk that contains most of the statement's content stems
(the eval's frozen matcher stems); a statement is recalled at k when that passage is among the
top k hits, a source when one of the top k hits comes from that document. The same search runs
twice, once without the question ranking: the difference is what the question index adds.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from evals.matcher.text import content_stems

__all__ = ["gold_chunk", "measure", "main"]

_ROOT = Path(__file__).resolve().parents[1]
_MIN_COVER = 0.6
"""Share of a statement's stems a chunk must hold to count as that statement's passage."""


def gold_chunk(statement: str, chunks: Sequence[Any]) -> str | None:
    """Return the id of the chunk holding most of the statement's content stems (or None)."""
    wanted = content_stems(statement)
    if not wanted:
        return None
    best, best_cover = None, 0.0
    for chunk in chunks:
        cover = len(wanted & content_stems(f"{chunk.section} {chunk.text}")) / len(wanted)
        if cover > best_cover:
            best, best_cover = chunk.chunk_id, cover
    return best if best_cover >= _MIN_COVER else None


def _cases(split: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted((_ROOT / "evals" / "dev" / split).glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if case.get("expect_status", "answered") == "answered" and case.get("statements"):
                cases.append(case)
    return cases


def measure(searches: dict[str, Any], split: str, ks: Sequence[int]) -> dict[str, Any]:
    """Return statement and source recall@k of each named search over one split."""
    from assistant.retrieval.query import retrieval_query

    cases = _cases(split)
    any_search = next(iter(searches.values()))
    gold = {s: gold_chunk(s, any_search.chunks) for c in cases for s in c["statements"]}
    out: dict[str, Any] = {"split": split, "cases": len(cases),
                           "statements": sum(1 for c in cases for s in c["statements"]
                                             if gold[s])}  # fmt: skip
    top = max(ks)
    for name, search in searches.items():
        found = {k: 0 for k in ks}
        sources = {k: 0 for k in ks}
        source_total = 0
        reciprocal = 0.0
        for case in cases:
            query = retrieval_query(case["question"], case.get("history") or [])
            hits = search.search(query, top)
            ids = [hit.chunk.chunk_id for hit in hits]
            docs = [hit.chunk.doc_id for hit in hits]
            for statement in case["statements"]:
                if not gold[statement]:
                    continue
                if gold[statement] in ids:
                    reciprocal += 1 / (ids.index(gold[statement]) + 1)
                for k in ks:
                    found[k] += gold[statement] in ids[:k]
            for source in case.get("sources") or []:
                source_total += 1
                for k in ks:
                    sources[k] += source in docs[:k]
        n = max(out["statements"], 1)
        out[name] = {
            **{f"statement_recall@{k}": round(found[k] / n, 3) for k in ks},
            **{f"source_recall@{k}": round(sources[k] / max(source_total, 1), 3) for k in ks},
            "statement_mrr": round(reciprocal / n, 3),
        }
    return out


def _searches() -> dict[str, Any]:
    from assistant.index.chroma import (
        chroma_client,
        chroma_dense_search,
        open_collection,
        read_chunks,
    )
    from assistant.index.embeddings import load_embeddings
    from assistant.index.questions import open_question_index
    from assistant.retrieval.search import HybridSearch
    from assistant.settings import Settings

    settings = Settings.from_env()
    embeddings = load_embeddings(settings)
    client = chroma_client(settings)
    index = open_question_index(client, settings, embeddings)
    if index is None:
        raise SystemExit("the index holds no reviewed questions: run pht-ingest first")
    collection = open_collection(client, settings, embeddings)
    chunks, _ = read_chunks(collection, settings, extra_ids=index.ids)
    dense = chroma_dense_search(client, settings, embeddings)
    questions = index.search
    return {
        "without_questions": HybridSearch(chunks, dense, embeddings.embed_query),
        "with_questions": HybridSearch(chunks, dense, embeddings.embed_query, questions=questions),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print recall of both searches on the chosen splits."""
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval_recall")
    parser.add_argument("--split", choices=("train", "test", "both"), default="both")
    parser.add_argument("--k", default="1,3,6")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    ks = [int(k) for k in args.k.split(",")]
    searches = _searches()
    for split in ("train", "test") if args.split == "both" else (args.split,):
        result = measure(searches, split, ks)
        if args.json:
            print(json.dumps(result), flush=True)
            continue
        print(f"{split}: {result['cases']} answerable cases, {result['statements']} statements")
        for name in searches:
            row = ", ".join(f"{key} {value}" for key, value in result[name].items())
            print(f"  {name:18} {row}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
