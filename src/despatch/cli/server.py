"""``despatch serve``: waitress, in one process or several forked ones sharing the socket.

Processes keep no state of their own (docs/architecture.md), so several can answer on one port:
the parent binds the socket, forks the workers, and each runs waitress on the inherited socket
with its own database connections (Django opens them lazily, after the fork).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from typing import Any


def _serve(sock: socket.socket, threads: int) -> None:
    from waitress import serve

    from despatch.wsgi import application

    serve(application, sockets=[sock], threads=threads, ident="despatch")


class PortTaken(Exception):
    """The address is in use by another program."""


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket; raises PortTaken with a plain message if it is in use."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortTaken(
            f"port {port} on {host} is taken by another program ({exc.strerror}); "
            f"stop it or choose another port with --port"
        ) from exc
    sock.listen(1024)
    return sock


def run(
    host: str, port: int, *, threads: int, workers: int, sock: socket.socket | None = None
) -> None:
    sock = sock or bind(host, port)
    if workers <= 1:
        _serve(sock, threads)
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the child serves until it is told to stop
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            _serve(sock, threads)
            os._exit(0)
        children.append(pid)

    def stop(*_: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        os.waitpid(child, 0)
