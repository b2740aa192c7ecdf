"""A local HTTP server speaking the OpenAI chat-completions protocol, answering from a test's responder.

Use the context manager, or the `openai_server` fixture after importing it into a test module:

    from tests.openai_server import serve_openai

    with serve_openai(lambda body: '{"answer": 42}') as server:
        model = ChatModel(server.base_url, "test-model")
        ...
        assert server.requests[0]["model"] == "test-model"
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any

import pytest

Responder = Callable[[dict[str, Any]], str | tuple[int, str]]
"""Given a request body: the assistant's content (HTTP 200), or `(status, body)` for an HTTP error."""

CHAT_PATH = "/v1/chat/completions"


def word_count(text: str) -> int:
    """The server's token count of `text`: its whitespace-separated words."""
    return len(text.split())


class OpenAIServer(ThreadingHTTPServer):
    """The running server: its `base_url` and the JSON `requests` bodies received on the chat path, in order."""

    daemon_threads = True

    def __init__(self, responder: Responder, api_key: str | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.responder = responder
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self.ids = count(1)

    @property
    def base_url(self) -> str:
        """The URL a client takes as its base, ending in `/v1`."""
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) resets the connection; that is no server fault.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: OpenAIServer

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != CHAT_PATH:
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            self._send(400, {"error": {"message": "the body is not JSON", "type": "invalid_request_error"}})
            return
        self.server.requests.append(body)
        if self.server.api_key is not None and self.headers.get("Authorization") != f"Bearer {self.server.api_key}":
            self._send(401, {"error": {"message": "invalid API key", "type": "invalid_request_error"}})
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._send(400, {"error": {"message": "messages is required", "type": "invalid_request_error"}})
            return
        try:
            answer = self.server.responder(body)
        except Exception as exc:
            self._send(500, {"error": {"message": f"responder failed: {exc!r}", "type": "server_error"}})
            return
        if isinstance(answer, tuple):
            status, text = answer
            self._send_text(status, text)
            return
        if body.get("stream"):
            self._stream(body, answer)
            return
        prompt_tokens = sum(word_count(str(message.get("content") or "")) for message in body["messages"])
        completion_tokens = word_count(answer)
        self._send(
            200,
            {
                "id": f"chatcmpl-{next(self.server.ids)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    def _stream(self, body: dict[str, Any], answer: str) -> None:
        """The answer as server-sent chat.completion.chunk events, a word at a time, then [DONE]."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        identifier = f"chatcmpl-{next(self.server.ids)}"
        pieces = [word + " " for word in answer.split(" ")]
        pieces[-1] = pieces[-1][:-1]
        for piece in pieces:
            chunk = {
                "id": identifier,
                "object": "chat.completion.chunk",
                "model": body.get("model"),
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def do_GET(self) -> None:
        self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        self._send_text(status, json.dumps(payload))

    def _send_text(self, status: int, text: str) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest's captured output to the test's own


@contextmanager
def serve_openai(responder: Responder, *, api_key: str | None = None) -> Iterator[OpenAIServer]:
    """A server on a free port of 127.0.0.1, answering with `responder`; with `api_key`, others get 401."""
    server = OpenAIServer(responder, api_key)
    # `shutdown` waits out one poll of the serving loop; the default half second adds up over a suite.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="openai-test-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def openai_server() -> Iterator[Callable[..., OpenAIServer]]:
    """Starts servers like `serve_openai(responder, api_key=...)`; each stops when the test ends."""
    with ExitStack() as stack:

        def start(responder: Responder, *, api_key: str | None = None) -> OpenAIServer:
            return stack.enter_context(serve_openai(responder, api_key=api_key))

        yield start
