"""`pht-ingest`: index the curated corpus into Chroma (idempotent)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from contextlib import nullcontext

from assistant.errors import IndexNotReady, PHTError
from assistant.settings import Settings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pht-ingest",
        description="Clean, chunk and embed the curated corpus into Chroma. Safe to re-run: "
        "unchanged chunks are not re-embedded, removed documents disappear.",
    )
    parser.add_argument("--rebuild", action="store_true", help="re-embed every chunk")
    parser.add_argument("--dry-run", action="store_true", help="report what would change")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON (last line)")
    parser.add_argument("--show", metavar="DOC_ID", help="print a document's chunks and exit")
    parser.add_argument(
        "--if-missing", action="store_true", help="do nothing when an index already exists"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _index_exists(settings: Settings) -> bool:
    from assistant.index.chroma import chroma_client

    try:
        client = chroma_client(settings)
        return bool(client.get_collection(settings.collection).count())
    except IndexNotReady:
        return False
    except PHTError:
        raise
    except Exception:  # chromadb: collection not found
        return False


def _show(doc_id: str, settings: Settings) -> int:
    from assistant.index.embeddings import load_embeddings, token_counter
    from ingest.pipeline import build_chunks

    count = token_counter(load_embeddings(settings))
    corpus = build_chunks(settings.corpus_dir, count, settings.max_chunk_tokens, settings)
    chunks = [chunk for chunk in corpus.chunks if chunk.doc_id == doc_id]
    if not chunks:
        known = ", ".join(sorted(corpus.documents))
        print(f"pht-ingest: no document '{doc_id}'. Known ids: {known}", file=sys.stderr)
        return 2
    for number, chunk in enumerate(chunks, start=1):
        refs = f"  refs {','.join(chunk.refs)}" if chunk.refs else ""
        print(f"[{number}] {chunk.kind} | {chunk.section} | {count(chunk.text)} tokens | "
              f"chars {chunk.start}-{chunk.end}{refs}\n    {chunk.text}\n")
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.show:
        return _show(args.show, settings)
    if args.if_missing and _index_exists(settings):
        print("pht-ingest: index present; nothing to do (run `pht-ingest` to update it).")
        return 0

    started = time.perf_counter()
    from tqdm import tqdm

    from assistant.index.chroma import chroma_client, open_collection
    from assistant.index.embeddings import embedding_model_path, load_embeddings, token_counter
    from ingest.index import sync
    from ingest.lock import ingest_lock
    from ingest.pipeline import build_chunks

    embeddings = load_embeddings(settings)
    corpus = build_chunks(
        settings.corpus_dir, token_counter(embeddings), settings.max_chunk_tokens, settings
    )
    # One writer per store, from reading what is indexed to labelling the result (ingest.lock).
    with (
        nullcontext() if args.dry_run else ingest_lock(settings),
        tqdm(
            total=len(corpus.chunks), desc="embedding", unit="chunk",
            disable=args.quiet or args.dry_run, file=sys.stderr, leave=False,
        ) as bar,
    ):  # fmt: skip
        client = chroma_client(settings, create=True)
        collection = open_collection(client, settings, embeddings, create=True)
        summary = sync(
            collection,
            corpus.chunks,
            embeddings.embed_documents,
            model_name=embedding_model_path(settings),
            rebuild=args.rebuild,
            dry_run=args.dry_run,
            batch_size=settings.embed_batch_size,
            progress=bar.update,
        )
    summary.seconds = round(time.perf_counter() - started, 3)
    prefix = "would change (dry run)" if args.dry_run else "indexed"
    print(
        f"pht-ingest: {prefix} {summary.documents} documents, {summary.chunks} chunks: "
        f"{summary.added} added, {summary.updated} updated, {summary.deleted} deleted, "
        f"{summary.unchanged} unchanged in {summary.seconds:.1f}s; "
        f"corpus_version {summary.corpus_version}"
    )
    if args.json:
        print(json.dumps(summary.to_dict()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run pht-ingest; return the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _run(args, Settings.from_env())
    except PHTError as exc:
        print(f"pht-ingest: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pht-ingest: interrupted; the previous index is unchanged.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
