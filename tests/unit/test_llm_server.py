"""A scripted OpenAI-compatible chat-completions server on loopback, and the client against it.

`ScriptedLLM` is the benchmark's `evals.llm_bench.server.ScriptedServer` (just enough of POST
/v1/chat/completions, plain JSON and SSE streams) with echo scripts for the LLM-mode tests;
each test scripts the reply. Run it on its own for `pht-eval --mode llm`:

    .venv/bin/python -m tests.unit.test_llm_server --port 8765 --script echo
"""

from __future__ import annotations

import argparse
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.errors import ServerUnavailable
from evals.llm_bench.server import TEST_KEY, Reply, Script, ScriptedServer, sent_passages

SECRET = TEST_KEY

def passages_of(request: dict[str, Any]) -> dict[int, str]:
    """Return the numbered passages in a chat request's last user message."""
    return dict(sent_passages(request))


def first_sentence(text: str) -> str:
    """Return a passage's first sentence, without its closing period."""
    head = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip(), maxsplit=1)[0]
    return head.rstrip(".!? ")


def echo(request: dict[str, Any], limit: int = 3) -> Reply:
    """Reply with the first sentence of each passage, each ending with its marker."""
    passages = passages_of(request)
    sentences = [f"{first_sentence(t)} [{n}]." for n, t in sorted(passages.items())[:limit]]
    return Reply(" ".join(sentences))


def echo_plus(extra: str) -> Script:
    """Return a script that echoes the passages, then adds `extra` (an invented sentence)."""

    def script(request: dict[str, Any]) -> Reply:
        return Reply(f"{echo(request).text} {extra}")

    return script


SCRIPTS: dict[str, Script] = {
    "echo": echo,
    "invent": echo_plus("Take 400 mg ibuprofen three times a day [1]."),
    "error": lambda request: Reply(status=500, text="boom"),
    "garbage": lambda request: Reply(raw=b"<html>Bad gateway</html>"),
}


class ScriptedLLM(ScriptedServer):
    """The benchmark's scripted OpenAI-compatible server, echoing the passages by default."""

    def __init__(self, script: Script = echo, port: int = 0) -> None:
        super().__init__(script, port)

    def start(self) -> ScriptedLLM:
        """Serve in a background thread; return self."""
        super().start()
        return self


@pytest.fixture()
def llm_server() -> Iterator[ScriptedLLM]:
    """A scripted chat server for one test (echoes the passages until a test scripts it)."""
    server = ScriptedLLM().start()
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------------------- the client
MESSAGES = [
    ("system", "Answer from the passages."),
    ("human", '<passage id="1">\nSitting compresses the tendon. It hurts.\n</passage>\n'
              'The question: "Why does sitting hurt?"'),
]  # fmt: skip


def _client(server: ScriptedLLM, timeout_s: float = 2.0) -> Any:
    from assistant.factory import build_llm_composer

    composer = build_llm_composer(server.settings(timeout_s=timeout_s))
    return composer._client


def test_plain_reply_and_request_shape(llm_server: ScriptedLLM) -> None:
    assert _client(llm_server).complete(MESSAGES) == "Sitting compresses the tendon [1]."
    request = llm_server.requests[0]
    assert request["body"]["model"] == "scripted"
    assert request["body"]["messages"][0]["role"] == "system"
    assert request["body"]["temperature"] == 0.0
    assert request["headers"]["authorization"] == f"Bearer {SECRET}"


def test_streamed_reply_arrives_in_pieces(llm_server: ScriptedLLM) -> None:
    llm_server.script = lambda request: Reply("Sitting compresses the tendon [1]. It hurts [1].")
    pieces = list(_client(llm_server).stream(MESSAGES))
    assert len(pieces) > 3
    assert "".join(pieces) == "Sitting compresses the tendon [1]. It hurts [1]."
    assert llm_server.requests[0]["body"]["stream"] is True


@pytest.mark.parametrize("script", ["error", "garbage"])
@pytest.mark.parametrize("streamed", [False, True])
def test_server_failures_become_server_unavailable(
    llm_server: ScriptedLLM, script: str, streamed: bool
) -> None:
    llm_server.script = SCRIPTS[script]
    client = _client(llm_server)
    with pytest.raises(ServerUnavailable, match="did not give a usable reply") as info:
        "".join(client.stream(MESSAGES)) if streamed else client.complete(MESSAGES)
    assert SECRET not in str(info.value)


def test_retry_is_bounded(llm_server: ScriptedLLM) -> None:
    llm_server.script = SCRIPTS["error"]
    with pytest.raises(ServerUnavailable):
        _client(llm_server).complete(MESSAGES)
    assert len(llm_server.requests) == 2  # the call and one retry


@pytest.mark.parametrize("streamed", [False, True])
def test_slow_server_times_out(llm_server: ScriptedLLM, streamed: bool) -> None:
    llm_server.script = lambda request: Reply("Too late [1].", delay_s=3.0)
    client = _client(llm_server, timeout_s=0.4)
    started = time.monotonic()
    with pytest.raises(ServerUnavailable):
        "".join(client.stream(MESSAGES)) if streamed else client.complete(MESSAGES)
    # One try and one retry, each cut at the timeout (plus the client's back-off).
    assert time.monotonic() - started < 2.5


def test_trickling_stream_is_cut_at_the_deadline(llm_server: ScriptedLLM) -> None:
    words = " ".join(["Sitting compresses the tendon [1]."] * 30)
    llm_server.script = lambda request: Reply(words, piece_delay_s=0.05)
    started = time.monotonic()
    with pytest.raises(ServerUnavailable, match="took over"):
        "".join(_client(llm_server, timeout_s=0.3).stream(MESSAGES))
    assert time.monotonic() - started < 2.0


def test_an_echoed_key_never_reaches_the_error_or_the_log(
    llm_server: ScriptedLLM, caplog: pytest.LogCaptureFixture
) -> None:
    def echo_headers(request: dict[str, Any]) -> Reply:
        return Reply(status=401, text=f"bad key {llm_server.requests[-1]['headers']}")

    llm_server.script = echo_headers
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ServerUnavailable) as info:
        _client(llm_server).complete(MESSAGES)
    error = info.value
    assert SECRET in str(llm_server.requests[-1]["headers"])  # the server did echo it
    chain = [error, error.__cause__, error.__context__]
    assert all(SECRET not in f"{e!r} {e}" for e in chain if e is not None)
    assert SECRET not in caplog.text


def test_echo_script_reads_the_passages() -> None:
    request = {"messages": [{"role": "user", "content": MESSAGES[1][1]}]}
    assert passages_of(request) == {1: "Sitting compresses the tendon. It hurts."}
    assert echo(request).text == "Sitting compresses the tendon [1]."


def main() -> None:
    """Serve a scripted reply until interrupted (for `pht-eval --mode llm`)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="echo")
    args = parser.parse_args()
    server = ScriptedLLM(SCRIPTS[args.script], port=args.port).start()
    print(f"scripted LLM ({args.script}) at {server.base_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
