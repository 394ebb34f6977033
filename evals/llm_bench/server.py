"""A scripted OpenAI-compatible chat-completions server on loopback (benchmark and tests).

It speaks just enough of POST /v1/chat/completions (plain JSON and SSE streams) for LLM mode:
each request is answered by `script(request_body) -> Reply`, and every request is recorded
(body and headers) so a caller can see exactly what the product sent.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from assistant.settings import Settings

__all__ = ["Reply", "Script", "ScriptedServer", "TEST_KEY", "sent_passages"]

TEST_KEY = "sk-test-SECRET-0123456789"
"""The API key the scripted settings carry (tests check that it never leaks)."""

_PASSAGE = re.compile(r'<passage id="(\d+)"[^>]*>\n(.*?)\n</passage>', re.DOTALL)


def sent_passages(body: dict[str, Any]) -> list[tuple[int, str]]:
    """Return the numbered passages of a chat request's last user message, verbatim."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    if not users:
        return []
    return [(int(n), text) for n, text in _PASSAGE.findall(str(users[-1]["content"]))]


@dataclass
class Reply:
    """What the server sends back for one request."""

    text: str = ""
    status: int = 200
    delay_s: float = 0.0
    raw: bytes | None = None
    """Sent as is (with `status`), instead of a chat completion."""
    piece_delay_s: float = 0.0


Script = Callable[[dict[str, Any]], Reply]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        pass

    def do_POST(self) -> None:  # noqa: N802 (stdlib's name)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        owner = self.server.owner
        headers = {k.lower(): v for k, v in self.headers.items()}
        owner.requests.append({"body": body, "headers": headers})
        reply = owner.script(body)
        try:
            time.sleep(reply.delay_s)
            if reply.raw is not None:
                self._send(reply.status, reply.raw, "text/html")
            elif reply.status != 200:
                error = {"error": {"message": reply.text or "error", "type": "server_error"}}
                self._send(reply.status, json.dumps(error).encode(), "application/json")
            elif body.get("stream"):
                self._stream(body, reply)
            else:
                payload = json.dumps(_completion(body, reply.text)).encode()
                self._send(200, payload, "application/json")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): nothing to do

    def _send(self, status: int, payload: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _stream(self, body: dict[str, Any], reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for piece in re.findall(r"\S+\s*", reply.text) or [""]:
            chunk = _chunk(body, {"content": piece}, None)
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
            time.sleep(reply.piece_delay_s)
        self.wfile.write(f"data: {json.dumps(_chunk(body, {}, 'stop'))}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "scripted"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text},
             "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip


def _chunk(body: dict[str, Any], delta: dict[str, str], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "scripted"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: ScriptedServer


def _silent(request: dict[str, Any]) -> Reply:
    return Reply("")


class ScriptedServer:
    """An OpenAI-compatible chat-completions server on a free loopback port."""

    def __init__(self, script: Script = _silent, port: int = 0) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """Return the OpenAI-style base URL, e.g. http://127.0.0.1:PORT/v1."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def settings(self, base: Settings | None = None, timeout_s: float = 2.0) -> Settings:
        """Return settings in LLM mode pointing at this server (with the test API key)."""
        return (base or Settings()).with_(
            mode="llm", llm_base_url=self.base_url, llm_model="scripted",
            llm_api_key=TEST_KEY, llm_timeout_s=timeout_s,
        )  # fmt: skip

    def start(self) -> ScriptedServer:
        """Serve in a background thread; return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
