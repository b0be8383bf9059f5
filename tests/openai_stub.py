"""A small real HTTP server speaking the OpenAI chat-completions protocol on 127.0.0.1 (the system boundary)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class StubState:
    reply: Callable[[list[dict]], str]
    requests: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    fail_first: int = 0  # answer HTTP 503 to this many requests first
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def openai_stub(reply: Callable[[list[dict]], str], fail_first: int = 0) -> Iterator[tuple[str, StubState]]:
    """Yield (base_url, state); ``reply(messages)`` gives the assistant text for each request."""
    state = StubState(reply=reply, fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            del args

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.requests.append(body)
                state.headers.append(dict(self.headers))
                failing = state.fail_first > 0
                state.fail_first -= failing
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": "not found"}})
            elif failing:
                self._send(503, {"error": {"message": "busy"}})
            else:
                content = state.reply(body["messages"])
                self._send(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
