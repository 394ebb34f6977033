"""A Chroma server that stops answering (SIGSTOP: the port stays open, nothing replies).

Before issue 16 the HTTP client had no timeout: `pht-ask` and `pht-ingest` printed nothing and
never returned. Now every Chroma call has a deadline (PHT_CHROMA_TIMEOUT for asks,
PHT_CHROMA_INGEST_TIMEOUT for ingest) and ends in ServerUnavailable naming host:port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import ServerUnavailable
from assistant.settings import Settings
from bench.server import ChromaServer, chroma_server
from tests.conftest import CORPUS

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 3.0
URGENT = "I suddenly can't control my bladder and my groin is numb"


@pytest.fixture()
def server_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChromaServer]:
    for key in [k for k in os.environ if k.startswith("PHT_")]:
        monkeypatch.delenv(key)
    with chroma_server(tmp_path / "server-data") as server:
        monkeypatch.setenv("PHT_CORPUS_DIR", str(CORPUS))
        monkeypatch.setenv("PHT_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("PHT_CHROMA_HOST", server.host)
        monkeypatch.setenv("PHT_CHROMA_PORT", str(server.port))
        monkeypatch.setenv("PHT_CHROMA_TIMEOUT", str(TIMEOUT_S))
        monkeypatch.setenv("PHT_CHROMA_INGEST_TIMEOUT", str(TIMEOUT_S))
        monkeypatch.setenv("PHT_ANSWER_LOG", "0")
        try:
            yield server
        finally:
            os.kill(server.pid, signal.SIGCONT)


def _run(*command: str, timeout: float = 300) -> tuple[int, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, env=dict(os.environ),
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    return done.returncode, done.stderr.strip(), time.monotonic() - started


@pytest.mark.server
@pytest.mark.integration
def test_stalled_server_gives_server_unavailable_within_the_timeout(
    server_env: ChromaServer,
) -> None:
    from assistant.factory import build_assistant
    from ingest.cli import main as ingest_main

    server = server_env
    where = f"{server.host}:{server.port}"
    assert ingest_main(["--quiet"]) == 0
    assistant = build_assistant(Settings.from_env(), warm=False)
    before = assistant.ask("Is shockwave therapy any good?")
    assert before.status == "answered"
    urgent_up = []
    for _ in range(2):  # how long a red flag takes with the server up (the machine's own pace)
        started = time.monotonic()
        assert assistant.ask(URGENT).status == "urgent"
        urgent_up.append(time.monotonic() - started)

    os.kill(server.pid, signal.SIGSTOP)
    try:
        for question in ("Is shockwave therapy any good?", "Why does sitting hurt?"):
            started = time.monotonic()
            with pytest.raises(ServerUnavailable) as caught:
                assistant.ask(question)
            assert time.monotonic() - started < 3 * TIMEOUT_S + 2
            assert where in str(caught.value) and "chroma run" in str(caught.value)
        # A red flag never waits on the index: any Chroma call would add the whole timeout.
        started = time.monotonic()
        assert assistant.ask(URGENT).status == "urgent"
        assert time.monotonic() - started < max(urgent_up) + 0.75 * TIMEOUT_S, urgent_up

        # The command-line tools end with one line naming the server instead of hanging.
        for command in (("pht-ask", "Why does sitting hurt?"), ("pht-ingest", "--quiet")):
            code, err, seconds = _run(*command)
            assert code != 0, (command, err)
            assert where in err and len(err.splitlines()) == 1, err
            assert "Traceback" not in err
            # Start-up (model, classifier) is most of it; before, these never returned at all.
            assert seconds < 240, (command, seconds)
    finally:
        os.kill(server.pid, signal.SIGCONT)

    after = assistant.ask("Is shockwave therapy any good?")  # same object, server back
    assert after.status == "answered" and after.answer == before.answer
