"""What a failed Chroma call means, in the product's error tree (issue 16).

    httpx timeout                 -> ServerUnavailable  "did not answer within N s" (host:port)
    httpx transport error         -> ServerUnavailable  "stopped answering"          (host:port)
    collection not found          -> StoreError         "collection missing: run pht-ingest"
    read-only database            -> StoreError         "read-only: make it writable"
    damaged database (malformed,
      not a database, I/O error)  -> StoreError         "damaged: run pht-ingest --rebuild"
    any other Chroma error        -> StoreError         with Chroma's own message

`guard(settings)` wraps a block of Chroma calls; anything else (a bug) passes through unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.errors import PHTError, ServerUnavailable, StoreError
from assistant.settings import Settings

__all__ = ["guard", "translate", "server_name"]

_DAMAGED = ("malformed", "not a database", "disk i/o error", "file is encrypted", "corrupt")
_READ_ONLY = ("readonly database", "read-only", "readonly")


def server_name(settings: Settings) -> str:
    """Return host:port of the configured Chroma server."""
    return f"{settings.chroma_host}:{settings.chroma_port}"


def _start_hint(settings: Settings) -> str:
    return (
        f"`chroma run --path DIR --host {settings.chroma_host} --port {settings.chroma_port}`"
    )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def translate(settings: Settings, exc: BaseException, timeout_s: float | None = None) -> PHTError:
    """Return the PHTError for a failed Chroma call; re-raise-worthy bugs come back unchanged."""
    import httpx
    from chromadb.errors import ChromaError, NotFoundError

    if isinstance(exc, PHTError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        waited = f" within {timeout_s:g} s" if timeout_s else ""
        return ServerUnavailable(
            f"The Chroma server at {server_name(settings)} did not answer{waited} "
            f"({type(exc).__name__}): it may be stopped or overloaded. Restart it "
            f"({_start_hint(settings)}), then ask again: PHT Guide reconnects by itself."
        )
    if isinstance(exc, httpx.TransportError):
        return ServerUnavailable(
            f"The Chroma server at {server_name(settings)} stopped answering "
            f"({type(exc).__name__}). Start it again ({_start_hint(settings)}), then ask again: "
            "PHT Guide reconnects by itself."
        )
    where = (
        f"the Chroma server at {server_name(settings)}"
        if settings.chroma_host
        else f"the index at {settings.chroma_path}"
    )
    detail = _one_line(exc)
    lowered = detail.lower()
    if isinstance(exc, NotFoundError):
        return StoreError(
            f"The collection '{settings.collection}' is missing from {where} ({detail}): "
            "run `pht-ingest` to build it."
        )
    if isinstance(exc, ChromaError | sqlite3.Error | OSError):
        if any(word in lowered for word in _READ_ONLY):
            return StoreError(
                f"{where[0].upper()}{where[1:]} is read-only ({detail}), and Chroma writes to its "
                "store even to read it: make the folder writable (or copy it somewhere writable "
                "and point PHT_CHROMA_PATH there)."
            )
        if any(word in lowered for word in _DAMAGED):
            fix = (
                "Run `pht-ingest --rebuild`: it moves the broken store aside and builds a "
                "fresh one."
                if not settings.chroma_host
                else "Repair or replace the server's store, then run `pht-ingest`."
            )
            return StoreError(f"{where[0].upper()}{where[1:]} is damaged ({detail}). {fix}")
        return StoreError(f"{where[0].upper()}{where[1:]} failed ({detail}).")
    return StoreError(f"{where[0].upper()}{where[1:]} failed unexpectedly ({detail}).")


def is_store_failure(exc: BaseException) -> bool:
    """Return True for the exception types `translate` knows (transport, Chroma, SQLite)."""
    import httpx
    from chromadb.errors import ChromaError

    return isinstance(exc, httpx.HTTPError | ChromaError | sqlite3.Error | OSError)


@contextmanager
def guard(settings: Settings, timeout_s: float | None = None) -> Iterator[None]:
    """Turn Chroma, transport and SQLite failures inside the block into PHT errors."""
    try:
        yield
    except PHTError:
        raise
    except Exception as exc:
        if not is_store_failure(exc):
            raise
        raise translate(settings, exc, timeout_s) from exc
