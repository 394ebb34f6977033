"""Faults: a Chroma server killed and brought back, an ingest killed with SIGKILL while it embeds,
and documents that cannot be read. (LLM-server faults: tests/unit/test_llm_server.py and
tests/integration/test_llm_mode.py, which cover a server that is down, slow or sends garbage.)"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from assistant.errors import ServerUnavailable
from assistant.settings import Settings
from tests.conftest import CORPUS, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SYNTHETIC_PARAGRAPHS = 40
_ENV_KEYS = ("PHT_CORPUS_DIR", "PHT_CHROMA_PATH", "PHT_DATA_DIR", "PHT_CHROMA_HOST",
             "PHT_CHROMA_PORT", "PHT_MODE")  # fmt: skip


class ChromaServer:
    """`chroma run` on a fixed loopback port that a test can kill and start again."""

    def __init__(self, path: Path, log: Path) -> None:
        self.host, self.port = "127.0.0.1", free_port()
        self._path, self._log = path, log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60) -> None:
        with self._log.open("a") as log:
            self._process = subprocess.Popen(
                [str(BIN / "chroma"), "run", "--path", str(self._path), "--host", self.host,
                 "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"chroma run exited: {self._log.read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex((self.host, self.port)) == 0:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"chroma run did not listen within {timeout_s} s")

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=30)
        self._process = None


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in _ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PHT_ANSWER_LOG", "0")
    return monkeypatch


@pytest.fixture()
def restartable_chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "server-data", tmp_path / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _ingest(*args: str) -> int:
    from ingest.cli import main

    return main(["--quiet", *args])


@pytest.mark.server
@pytest.mark.integration
def test_killed_chroma_server_gives_a_clear_error_and_recovers_on_restart(
    restartable_chroma: ChromaServer, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assistant.factory import build_assistant

    server = restartable_chroma
    clean_env.setenv("PHT_CORPUS_DIR", str(CORPUS))
    clean_env.setenv("PHT_DATA_DIR", str(tmp_path / "data"))
    clean_env.setenv("PHT_CHROMA_HOST", server.host)
    clean_env.setenv("PHT_CHROMA_PORT", str(server.port))
    assert _ingest() == 0
    assistant = build_assistant(Settings.from_env(), warm=False)
    before = assistant.ask("Is shockwave therapy any good?")
    assert before.status == "answered"

    server.kill()
    outcomes = []
    for question in ("Is shockwave therapy any good?", "Why does sitting hurt?"):
        started = time.monotonic()
        with pytest.raises(ServerUnavailable) as caught:
            assistant.ask(question)
        outcomes.append(time.monotonic() - started)
        message = str(caught.value)
        # Says which server, and what to do about it.
        assert f"{server.host}:{server.port}" in message, message
        assert "chroma run" in message and "ask again" in message, message
    assert max(outcomes) < 30, outcomes
    # Red flags never need the index: they are still answered while the server is down.
    urgent = assistant.ask("I suddenly can't control my bladder and my groin is numb")
    assert urgent.status == "urgent"

    server.start()
    after = assistant.ask("Is shockwave therapy any good?")  # same object: no restart
    assert after.status == "answered"
    assert after.answer == before.answer and after.citations == before.citations


# ------------------------------------------------------------------------- ingest under SIGKILL
def _synthetic_document(paragraphs: int) -> str:
    """Return a long plain-text document of distinct ~150-word paragraphs under headings."""
    words = (
        "garden soil compost tomato seedling watering mulch trellis harvest pruning sunlight "
        "drainage greenhouse frost basil pepper cucumber weeding fertiliser rainfall"
    ).split()
    rng = random.Random(8)
    blocks = ["Synthetic filler document for the reliability tests"]
    for n in range(paragraphs):
        body = " ".join(rng.choice(words) for _ in range(150))
        blocks.append(f"Section {n}\n\nParagraph {n}. {body.capitalize()}.")
    return "\n\n\n".join(blocks) + "\n"


def _add_document(
    corpus: Path, doc_id: str, filename: str, text: str | bytes, *, first: bool = False
) -> None:
    path = corpus / filename
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    manifest_path = corpus / "manifest.yaml"
    manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    entry = dict(manifest["documents"][0], id=doc_id, file=filename, title=f"Test {doc_id}")
    # First in the manifest: its chunks are the first embedded (and would be the first written).
    manifest["documents"].insert(0 if first else len(manifest["documents"]), entry)
    manifest_path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")


def _index_state(chroma_path: Path, collection: str = "pht_guidance") -> tuple[set[str], str]:
    """Return the chunk ids and corpus version on disk, read by a fresh client."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()  # never a client cached before another process wrote
    client = chromadb.PersistentClient(path=str(chroma_path))
    found = client.get_collection(collection)
    ids = set(found.get(include=[])["ids"])
    version = str((found.metadata or {}).get("corpus_version", ""))
    SharedSystemClient.clear_system_cache()
    return ids, version


@pytest.mark.integration
def test_sigkill_while_embedding_leaves_the_previous_index_answering(
    corpus_copy: Path, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assistant.factory import build_assistant

    chroma_path = tmp_path / "chroma"
    clean_env.setenv("PHT_CORPUS_DIR", str(corpus_copy))
    clean_env.setenv("PHT_CHROMA_PATH", str(chroma_path))
    clean_env.setenv("PHT_DATA_DIR", str(tmp_path / "data"))
    assert _ingest() == 0
    old_ids, old_version = _index_state(chroma_path)

    _add_document(corpus_copy, "synthetic-filler", "synthetic.txt",
                  _synthetic_document(SYNTHETIC_PARAGRAPHS), first=True)  # fmt: skip
    process = subprocess.Popen(
        [str(BIN / "pht-ingest"), "--rebuild"], cwd=ROOT, env=dict(os.environ),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    progress: list[str] = []
    started = threading.Event()

    def watch() -> None:
        assert process.stderr is not None
        buffer = b""
        while chunk := process.stderr.read1(4096):  # type: ignore[attr-defined]
            buffer += chunk
            done = [int(a) for a, _ in re.findall(rb"\|\s*(\d+)/(\d+)", buffer)]
            if done and max(done) > 0:
                progress.append(buffer.decode(errors="replace").split("\r")[-1].strip())
                started.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        assert started.wait(timeout=300), "pht-ingest never showed embedding progress"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    watcher.join(timeout=10)
    done, total = map(int, re.findall(r"(\d+)/(\d+)", progress[-1])[-1])
    assert 0 < done < total, progress[-1]
    print(f"\nkilled pht-ingest --rebuild at {done}/{total} chunks embedded")

    # Nothing of the killed run reached the index: same chunks, same version, still answering.
    assert _index_state(chroma_path) == (old_ids, old_version)
    from chromadb.api.shared_system_client import SharedSystemClient

    assistant = build_assistant(Settings.from_env(), warm=False)
    answer = assistant.ask("Why does sitting make my buttock pain worse?")
    assert answer.status == "answered" and answer.corpus_version == old_version
    assert all(c.doc_id != "synthetic-filler" for c in answer.citations)
    del assistant
    SharedSystemClient.clear_system_cache()

    # The next ingest completes and adds the new document.
    assert _ingest() == 0
    new_ids, new_version = _index_state(chroma_path)
    assert new_version != old_version and old_ids < new_ids
    assert len(new_ids - old_ids) >= SYNTHETIC_PARAGRAPHS


# ------------------------------------------------------------------------- unreadable documents
BAD_DOCUMENTS = {
    "empty.txt": b"",
    "blank.md": b"  \n\n\t \n",
    "latin1.txt": "Caf\u00e9 na\u00efve sitting advice".encode("latin-1"),
    "binary.txt": b"\x00\x01\x02binary\x00",
    "corrupt.pdf": b"%PDF-1.7\n this is not really a PDF \x00\xff",
    "not-a-pdf.pdf": b"<html>a web page saved as .pdf</html>",
    "broken.html": b"<html><body><p>caf\xe9 \xff</p></body></html>",
}


@pytest.mark.integration
def test_unreadable_documents_are_named_and_rejected_index_untouched(
    corpus_copy: Path, clean_env: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    chroma_path = tmp_path / "chroma"
    clean_env.setenv("PHT_CORPUS_DIR", str(corpus_copy))
    clean_env.setenv("PHT_CHROMA_PATH", str(chroma_path))
    assert _ingest() == 0
    before = _index_state(chroma_path)
    manifest = (corpus_copy / "manifest.yaml").read_text(encoding="utf-8")
    for name, data in BAD_DOCUMENTS.items():
        _add_document(corpus_copy, f"bad-{name.replace('.', '-')}", name, data)
        capsys.readouterr()
        assert _ingest() == 1, name
        err = capsys.readouterr().err.strip()
        assert err.startswith("pht-ingest: error:") and name in err, err
        assert len(err.splitlines()) == 1, err  # one line, no traceback
        assert _index_state(chroma_path) == before, name
        (corpus_copy / name).unlink()
        (corpus_copy / "manifest.yaml").write_text(manifest, encoding="utf-8")
    assert _ingest() == 0
