"""A running assistant follows its index (issue 16): a re-ingest of an edited document and a
store rebuilt from scratch (`pht-ingest --rebuild`) are picked up without a restart, and asks
made while the index changes under it never fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ANCHOR = "Sitting itself aggravates symptoms, limiting rest and prolonging recovery."
EDITED = " Gentle walking on flat ground was added to this page as a way to stay active."
QUESTION = "Why does sitting make my buttock pain worse?"


def _pht_ingest(env: dict[str, str], *args: str) -> dict[str, object]:
    """Run pht-ingest in its own process, as a user would beside a running app."""
    done = subprocess.run(
        [str(BIN / "pht-ingest"), "--quiet", "--json", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _wait_for(condition, timeout_s: float = 90.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.integration
def test_running_assistant_picks_up_a_reingest_and_a_rebuild(
    corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.factory import build_assistant

    for key in [k for k in os.environ if k.startswith("PHT_")]:
        monkeypatch.delenv(key)
    env = {k: v for k, v in os.environ.items()}
    env.update(PHT_CORPUS_DIR=str(corpus_copy), PHT_CHROMA_PATH=str(tmp_path / "chroma"),
               PHT_DATA_DIR=str(tmp_path / "data"), PHT_ANSWER_LOG="0",
               PYTHONPATH=str(ROOT))  # fmt: skip
    first = _pht_ingest(env)
    for key in ("PHT_CORPUS_DIR", "PHT_CHROMA_PATH", "PHT_DATA_DIR", "PHT_ANSWER_LOG"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("PHT_INDEX_CHECK", "0.3")
    assistant = build_assistant(Settings.from_env())
    try:
        before = assistant.ask(QUESTION)
        assert before.corpus_version == first["corpus_version"]
        assert not any("Gentle walking" in c.text for c in before.retrieved)

        # Asks keep coming from another thread while the index changes: none may fail.
        errors: list[str] = []
        stop = threading.Event()

        def keep_asking() -> None:
            while not stop.is_set():
                try:
                    answer = assistant.ask(QUESTION)
                    assert answer.disclaimer and answer.status == "answered", answer.status
                except Exception as exc:  # noqa: BLE001 (any failure counts)
                    errors.append(f"{type(exc).__name__}: {exc}")
                time.sleep(0.05)

        asker = threading.Thread(target=keep_asking, daemon=True)
        asker.start()

        # 1. An edited document, re-ingested by another process.
        path = corpus_copy / "h2t-pht-challenges.txt"
        text = path.read_text(encoding="utf-8")
        assert text.count(ANCHOR) == 1
        path.write_text(text.replace(ANCHOR, ANCHOR + EDITED), "utf-8")
        edited = _pht_ingest(env)
        assert edited["corpus_version"] != first["corpus_version"]
        assert _wait_for(lambda: assistant.corpus_version == edited["corpus_version"]), (
            assistant.corpus_version, edited["corpus_version"])  # fmt: skip
        after = assistant.ask(QUESTION)
        assert after.corpus_version == edited["corpus_version"]
        # The edited passage is searched (what the composer then quotes is retrieval's business).
        assert any("Gentle walking" in c.text for c in after.retrieved), after.retrieved
        sources = [c.text for d in assistant.documents() for c in d.chunks]
        assert any("Gentle walking" in text for text in sources)  # the Sources page too

        # 2. The store rebuilt from scratch (moved aside, built fresh, swapped in).
        reloads = assistant.reloads
        path.write_text(path.read_text(encoding="utf-8").replace(EDITED, ""), "utf-8")
        rebuilt = _pht_ingest(env, "--rebuild")
        assert rebuilt["corpus_version"] == first["corpus_version"]
        assert _wait_for(lambda: assistant.corpus_version == rebuilt["corpus_version"])
        assert assistant.reloads > reloads
        again = assistant.ask(QUESTION)
        assert not any("Gentle walking" in c.text for c in again.retrieved)
        stop.set()
        asker.join(timeout=60)
        assert errors == [], errors[:3]
    finally:
        assistant.close()
