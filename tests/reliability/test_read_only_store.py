"""A read-only index is still answered from (issue 16: "a read-only store cannot even be read").

The tests run as root here, where file modes do not stop writes, so the store is made
immutable with `chattr +i` (ext4), which stops root too, exactly as a read-only mount would.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import Settings


def _chattr(flag: str, root: Path) -> None:
    paths = [str(p) for p in sorted(root.rglob("*"), reverse=True)] + [str(root)]
    done = subprocess.run(["chattr", flag, *paths], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr  # no silent skip: this machine must support it


@pytest.fixture()
def frozen_index(
    corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    from ingest.cli import main as ingest

    for key in [k for k in os.environ if k.startswith("PHT_")]:
        monkeypatch.delenv(key)
    chroma = tmp_path / "chroma"
    monkeypatch.setenv("PHT_CORPUS_DIR", str(corpus_copy))
    monkeypatch.setenv("PHT_CHROMA_PATH", str(chroma))
    monkeypatch.setenv("PHT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PHT_ANSWER_LOG", "0")
    assert ingest(["--quiet"]) == 0
    _chattr("+i", chroma)
    try:
        yield chroma
    finally:
        _chattr("-i", chroma)


@pytest.mark.integration
def test_an_immutable_store_answers_from_a_copy_and_stays_untouched(frozen_index: Path) -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    from assistant.factory import build_assistant

    with pytest.raises(PermissionError):  # the store really is read-only, even for root
        (frozen_index / "probe").write_text("x")
    before = {p: p.stat().st_mtime_ns for p in frozen_index.rglob("*")}
    SharedSystemClient.clear_system_cache()
    assistant = build_assistant(Settings.from_env())
    try:
        answer = assistant.ask("Why does sitting make my buttock pain worse?")
        assert answer.status == "answered" and answer.citations, answer.answer
        assert answer.disclaimer
        urgent = assistant.ask("I suddenly can't control my bladder and my groin is numb")
        assert urgent.status == "urgent"
    finally:
        assistant.close()
    assert {p: p.stat().st_mtime_ns for p in frozen_index.rglob("*")} == before
