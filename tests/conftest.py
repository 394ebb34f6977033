"""Shared fixtures. Everything runs offline: the model loads from its packaged path."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

from assistant.settings import Settings  # noqa: E402
from bench.server import chroma_server as run_chroma_server  # noqa: E402
from bench.server import free_port  # noqa: E402

__all__ = ["CORPUS", "ROOT", "free_port"]

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
    from assistant.index.embeddings import load_embeddings

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


@pytest.fixture()
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A real `chroma run` server on a free loopback port, stopped after the test."""
    with run_chroma_server(tmp_path / "server-data") as server:
        yield server.host, server.port
