"""A local stand-in for a platform's API, for connector tests (not a test itself).

Serves on 127.0.0.1 either a scripted list of answers (in order of arrival) or answers from a
``route(method, path, body)`` function, and records every request it got."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
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
    requests: list[dict[str, Any]] = field(default_factory=list)

    def calls(self, method: str, prefix: str = "") -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"].startswith(prefix)]


Route = Callable[[str, str, Any], Answer]


@contextmanager
def fake_platform(
    script: list[Answer] | None = None, route: Route | None = None
) -> Iterator[FakePlatform]:
    platform = FakePlatform("", list(script or []))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            sent = json.loads(raw) if raw else None
            with lock:
                platform.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "body": sent,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "authorization": self.headers.get("Authorization", ""),
                    }
                )
                if route is not None:
                    answer = route(self.command, self.path, sent)
                elif platform.script:
                    answer = platform.script.pop(0)
                else:
                    answer = Answer(404, {"errors": ["nothing scripted"]})
            body = b"" if answer.status == 204 else json.dumps(answer.body or {}).encode()
            self.send_response(answer.status)
            for name, value in {"Content-Type": "application/json", **answer.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = _answer

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
