"""A local stand-in for a platform's API, for pull connector tests (not a test itself).

Serves a scripted list of answers on 127.0.0.1 and records every request it got."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakePlatform:
    url: str
    script: list[Answer]
    requests: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def fake_platform(script: list[Answer]) -> Iterator[FakePlatform]:
    platform = FakePlatform("", list(script))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                platform.requests.append(
                    {"path": self.path, "authorization": self.headers.get("Authorization", "")}
                )
                answer = platform.script.pop(0) if platform.script else Answer(404, {"errors": []})
            body = json.dumps(answer.body if answer.body is not None else {}).encode()
            self.send_response(answer.status)
            for name, value in {"Content-Type": "application/json", **answer.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    platform.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
