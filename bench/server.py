"""A real `chroma run` server on a free loopback port, for the duration of a `with` block."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ChromaServer", "chroma_server", "free_port"]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ChromaServer:
    """Where a running server listens, and its process id (for its memory figures)."""

    host: str
    port: int
    pid: int


@contextmanager
def chroma_server(data_dir: Path, *, timeout: float = 60) -> Iterator[ChromaServer]:
    """Start `chroma run` on loopback with its data in `data_dir`; stop it on exit."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(chroma), "run", "--path", str(data_dir), "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"chroma run exited: {log_path.read_text()[-500:]}")
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"chroma run did not listen within {timeout:.0f} s")
                time.sleep(0.1)
            yield ChromaServer("127.0.0.1", port, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
