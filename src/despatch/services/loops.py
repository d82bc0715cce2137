"""What a long-running loop needs: periodic tasks, and stopping on a signal after the work in
hand (the worker's loop)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType


@dataclass
class Every:
    """A periodic task; it counts as run when it starts, so a failing one does not spin."""

    seconds: float
    task: Callable[[], None]
    last: float = field(default_factory=time.monotonic)

    def run_if_due(self) -> None:
        if self.seconds and time.monotonic() - self.last >= self.seconds:
            self.last = time.monotonic()
            self.task()


class Stop:
    """SIGTERM or SIGINT asks the loop to stop after the batch in hand; a second one exits."""

    def __init__(self) -> None:
        self.requested = False

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise SystemExit(128 + signum)
        self.requested = True

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.requested and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))

    @contextmanager
    def installed(self, enabled: bool) -> Iterator[None]:
        if not enabled or threading.current_thread() is not threading.main_thread():
            yield  # signals reach only the main thread (the demo runs its worker in another)
            return
        wanted = (signal.SIGTERM, signal.SIGINT)
        previous = {signum: signal.signal(signum, self._on_signal) for signum in wanted}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
