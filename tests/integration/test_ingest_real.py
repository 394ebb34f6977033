"""Ingestion with the real embedding model, the real CLI and a real Chroma store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.index.embeddings import token_counter
from assistant.settings import Settings
from ingest.cli import main as ingest_main
from ingest.pipeline import build_chunks
from tests.unit.test_clean import BOILERPLATE

pytestmark = pytest.mark.integration
CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture()
def env(corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PHT_CORPUS_DIR", str(corpus_copy))
    monkeypatch.setenv("PHT_CHROMA_PATH", str(tmp_path / "chroma"))
    return corpus_copy


def _summary(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, object]:
    assert ingest_main([*argv, "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_no_chunk_exceeds_the_model_window(real_embeddings: object) -> None:
    count = token_counter(real_embeddings)  # type: ignore[arg-type]
    chunks = build_chunks(CORPUS, count).chunks
    assert len(chunks) == 39
    longest = max(count(f"{c.section}: {c.text}") for c in chunks)
    assert longest <= 256, longest


def test_no_chunk_contains_boilerplate() -> None:
    chunks = build_chunks(CORPUS, lambda text: len(text.split())).chunks
    for chunk in chunks:
        for phrase in BOILERPLATE:
            assert phrase.lower() not in chunk.text.lower(), (phrase, chunk.text)


def test_cli_is_idempotent(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _summary(capsys, [])
    assert first["chunks"] == first["added"] == 39
    second = _summary(capsys, [])
    assert second["added"] == second["updated"] == second["deleted"] == 0
    assert second["unchanged"] == 39
    assert second["corpus_version"] == first["corpus_version"]


def test_cli_dry_run_and_show(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dry = _summary(capsys, ["--dry-run"])
    assert dry["added"] == 39 and dry["dry_run"] is True
    assert ingest_main(["--show", "h2t-pht-challenges"]) == 0
    shown = capsys.readouterr().out
    assert "table_row | Evidence-Based Treatment Options" in shown
    assert ingest_main(["--show", "nope"]) == 2
    assert "Known ids" in capsys.readouterr().err


def test_corrupt_pdf_gets_a_one_line_error(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _summary(capsys, [])
    (env / "leaflet.pdf").write_bytes(b"%PDF-1.7\n%broken\n1 0 obj <<")
    manifest = env / "manifest.yaml"
    entry = (
        "  - id: leaflet\n    file: leaflet.pdf\n    title: Leaflet\n    publisher: X\n"
        "    kind: leaflet\n    audience: patients\n    date: unknown\n    source: test\n"
        "    review_status: not_independently_reviewed\n"
    )
    manifest.write_text(manifest.read_text(encoding="utf-8") + entry, encoding="utf-8")
    assert ingest_main(["--quiet"]) == 1
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "leaflet.pdf" in lines[0] and "PDF" in lines[0]
    assert "Traceback" not in captured.err
    # The index still holds the previous corpus.
    (env / "leaflet.pdf").unlink()
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(entry, ""), "utf-8")
    again = _summary(capsys, [])
    assert again["unchanged"] == 39 and again["corpus_version"] == first["corpus_version"]


def test_non_utf8_document_is_named(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "h2t-pht-challenges.txt").write_bytes(b"caf\xe9 \xff\xfe tendon")
    assert ingest_main(["--quiet"]) == 1
    err = capsys.readouterr().err
    assert "h2t-pht-challenges.txt: not UTF-8" in err


def test_if_missing_skips_an_existing_index(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ingest_main(["--if-missing", "--quiet"]) == 0
    assert "indexed 2 documents" in capsys.readouterr().out
    assert ingest_main(["--if-missing", "--quiet"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_if_missing_builds_the_question_index_an_older_index_lacks(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An index made before the reviewed questions existed: `make run` must add them."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    from assistant.index.questions import QUESTION_SUFFIX

    assert ingest_main(["--quiet"]) == 0
    SharedSystemClient.clear_system_cache()
    client = chromadb.PersistentClient(path=os.environ["PHT_CHROMA_PATH"])
    name = Settings.from_env().collection
    client.delete_collection(name + QUESTION_SUFFIX)
    SharedSystemClient.clear_system_cache()
    capsys.readouterr()
    assert ingest_main(["--if-missing", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "nothing to do" not in out and "questions" in out, out
    assert ingest_main(["--if-missing", "--quiet"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_chroma_server_ingest_and_query(
    chroma_server: tuple[str, int], env: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host, port = chroma_server
    monkeypatch.setenv("PHT_CHROMA_HOST", host)
    monkeypatch.setenv("PHT_CHROMA_PORT", str(port))
    first = _summary(capsys, [])
    assert first["added"] == 39
    assert _summary(capsys, [])["unchanged"] == 39

    from assistant.factory import build_assistant

    assistant = build_assistant(Settings.from_env(dict(os.environ)))
    answer = assistant.ask("Is shockwave therapy any good?")
    assert answer.status == "answered"
    assert any("Shockwave" in c.text or "shock wave" in c.text for c in answer.citations)
