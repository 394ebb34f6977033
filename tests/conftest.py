"""Shared fixtures. Everything runs offline: the model loads from its packaged path."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

from assistant.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped corpus that a test may edit."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def real_embeddings() -> object:
    """The packaged all-MiniLM-L6-v2, loaded once per test session."""
    from assistant.factory import load_embeddings

    return load_embeddings(Settings())


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at a fresh index of the shipped corpus, built once per session."""
    base = tmp_path_factory.mktemp("index")
    settings = Settings(
        corpus_dir=CORPUS, chroma_path=base / "chroma", data_dir=base / "data"
    )
    from ingest.cli import main as ingest_main

    env_before = dict(os.environ)
    os.environ.update(
        PHT_CORPUS_DIR=str(settings.corpus_dir),
        PHT_CHROMA_PATH=str(settings.chroma_path),
        PHT_DATA_DIR=str(settings.data_dir),
    )
    try:
        assert ingest_main(["--quiet"]) == 0
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    return settings


@pytest.fixture(scope="session")
def real_assistant(indexed_settings: Settings) -> object:
    """The real Assistant over the session index (model + Chroma)."""
    from assistant.factory import build_assistant

    return build_assistant(indexed_settings)


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A real `chroma run` server on a free loopback port, stopped after the test."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    log = (tmp_path / "chroma.log").open("w")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server-data"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"chroma run exited: {(tmp_path / 'chroma.log').read_text()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("chroma run did not start listening within 60 s")
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
