"""`pht-ingest`: index the curated corpus into Chroma (idempotent)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

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
    from assistant.index.questions import QUESTION_SUFFIX

    try:
        client = chroma_client(settings)
        if not client.get_collection(settings.collection).count():
            return False
        if any((Path(settings.corpus_dir) / "questions").glob("*.yaml")):
            # An index built before the reviewed questions existed lacks their collection.
            client.get_collection(settings.collection + QUESTION_SUFFIX)
        return True
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

    from assistant.index.chroma import ChromaEmbeddingFunction, chroma_client, open_collection
    from assistant.index.embeddings import embedding_model_path, load_embeddings, token_counter
    from assistant.index.failures import guard
    from assistant.index.questions import open_question_collection
    from ingest.index import sync
    from ingest.lock import ingest_lock
    from ingest.pipeline import build_chunks
    from ingest.questions import load_questions

    embeddings = load_embeddings(settings)
    corpus = build_chunks(
        settings.corpus_dir, token_counter(embeddings), settings.max_chunk_tokens, settings
    )
    # Reviewed questions (corpus/questions/<doc_id>.yaml), each mapped to its chunk; any bad
    # entry stops here, before the store is touched.
    questions = load_questions(
        settings.corpus_dir, corpus.chunks, corpus.documents, settings.max_manifest_bytes
    )
    # One writer per store, from reading what is indexed to labelling the result (ingest.lock).
    with (
        nullcontext() if args.dry_run else ingest_lock(settings),
        tqdm(
            total=len(corpus.chunks), desc="embedding", unit="chunk",
            disable=args.quiet or args.dry_run, file=sys.stderr, leave=False,
        ) as bar,
    ):  # fmt: skip
        # --rebuild of the embedded store builds a fresh one beside it and swaps it in at the
        # end: a damaged store is recovered, and until the swap the old one keeps answering.
        embedded_rebuild = args.rebuild and not args.dry_run and not settings.chroma_host
        staging = _staging(settings) if embedded_rebuild else None
        target = settings.with_(chroma_path=staging) if staging else settings
        timeout = settings.chroma_ingest_timeout_s
        with guard(target, timeout):
            client = chroma_client(target, create=True, timeout_s=timeout)
            collection = open_collection(client, target, embeddings, create=True)
            question_collection = open_question_collection(
                client, target, ChromaEmbeddingFunction(embeddings), create=not args.dry_run
            )
            summary = sync(
                collection,
                corpus.chunks,
                embeddings.embed_documents,
                model_name=embedding_model_path(settings),
                rebuild=args.rebuild,
                dry_run=args.dry_run,
                batch_size=settings.embed_batch_size,
                progress=bar.update,
                questions=questions,
                question_collection=question_collection,
            )
        if staging:
            _swap_in(staging, settings.chroma_path)
    summary.seconds = round(time.perf_counter() - started, 3)
    prefix = "would change (dry run)" if args.dry_run else "indexed"
    print(
        f"pht-ingest: {prefix} {summary.documents} documents, {summary.chunks} chunks: "
        f"{summary.added} added, {summary.updated} updated, {summary.deleted} deleted, "
        f"{summary.unchanged} unchanged; {summary.questions} questions: "
        f"{summary.questions_added} added, {summary.questions_deleted} deleted, "
        f"{summary.questions_unchanged} unchanged in {summary.seconds:.1f}s; "
        f"corpus_version {summary.corpus_version}"
    )
    if args.json:
        print(json.dumps(summary.to_dict()))
    return 0


def _staging(settings: Settings) -> Path:
    """Return an empty folder beside the store for a rebuild (leftovers of killed runs go)."""
    store = Path(settings.chroma_path).resolve()
    for leftover in store.parent.glob(f"{store.name}.rebuild-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    staging = store.with_name(f"{store.name}.rebuild-{os.getpid()}")
    staging.mkdir(parents=True)
    return staging


def _swap_in(staging: Path, store: Path) -> None:
    """Put the freshly built store in place of the old one; keep the old one beside it."""
    store = Path(store).resolve()
    if not store.exists():
        staging.rename(store)
        return
    aside = store.with_name(f"{store.name}.old-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    if not _exchange(staging, store):
        store.rename(aside)  # a moment without a store: only where renameat2 is missing
        staging.rename(store)
        return
    staging.rename(aside)
    for older in sorted(store.parent.glob(f"{store.name}.old-*"))[:-1]:
        shutil.rmtree(older, ignore_errors=True)  # keep the last replaced store only
    print(f"pht-ingest: the previous store is kept at {aside}")


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 RENAME_EXCHANGE); False if unable."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second),
                       rename_exchange)  # fmt: skip
    return bool(result == 0)


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
