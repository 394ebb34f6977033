"""One writer per store: `pht-ingest` holds a lock from reading the index to labelling it.

Two ingests that overlap would each plan against what the other had not yet written, and the last
one to label the collection would put its corpus_version on the union of both (issue 16). The lock
is an `flock` on a file next to the embedded store (or, for a Chroma server, in PHT_DATA_DIR named
after host and port): the kernel drops it when the holder exits, even on SIGKILL, so a crashed
ingest never leaves a stale lock behind. A second ingest waits up to PHT_INGEST_LOCK_WAIT seconds,
then fails with a message naming the store and the process that holds it. Processes on other
machines that write to the same Chroma server do not see this lock; `sync` re-reads what it wrote
and refuses to label an index that changed under it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import StoreError
from assistant.settings import Settings

__all__ = ["ingest_lock", "lock_path", "store_name"]

log = logging.getLogger(__name__)

_POLL_S = 0.1


def store_name(settings: Settings) -> str:
    """Return how messages name the store: host:port of a server, else the store's folder."""
    if settings.chroma_host:
        return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    return f"the index at {settings.chroma_path}"


def lock_path(settings: Settings) -> Path:
    """Return the lock file that every ingest into the same store agrees on."""
    if settings.chroma_host:
        host = re.sub(r"[^A-Za-z0-9.-]", "_", settings.chroma_host)
        return Path(settings.data_dir).resolve() / f"ingest-{host}-{settings.chroma_port}.lock"
    store = Path(settings.chroma_path).resolve()
    return store.with_name(f"{store.name}.ingest.lock")


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return f" ({text})" if text else ""


@contextmanager
def ingest_lock(settings: Settings, wait_s: float | None = None) -> Iterator[Path]:
    """Hold the store's ingest lock for the `with` block (StoreError when it stays taken)."""
    path = lock_path(settings)
    wait = settings.ingest_lock_wait_s if wait_s is None else wait_s
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(
            f"Cannot create the ingest lock {path} ({exc.strerror}): check that the folder is "
            "writable."
        ) from exc
    try:
        deadline = time.monotonic() + wait
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"Another pht-ingest{_holder(fd)} is writing to {store_name(settings)}; "
                        f"waited {wait:g} s. Let it finish, then run pht-ingest again "
                        "(PHT_INGEST_LOCK_WAIT sets the wait)."
                    ) from None
                if not announced:
                    log.warning("another pht-ingest holds %s; waiting up to %g s", path, wait)
                    announced = True
                time.sleep(_POLL_S)
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"pid {os.getpid()}, since {stamp}".encode())
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock
