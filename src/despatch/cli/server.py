"""``despatch serve``: waitress, in one process or several forked ones sharing the socket.

Processes keep no state of their own (ARCHITECTURE.md §7), so several can answer on one port:
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


def run(host: str, port: int, *, threads: int, workers: int) -> None:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
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
