"""Fixtures and helpers: a fresh bus per test, and latches for waiting on
listeners without sleeping."""

import threading
from collections.abc import Iterator

import pytest

import msgbus

#: Long enough that only a deadlock or a lost message reaches it.
PATIENCE = 20.0


class Latch:
    """A count-down latch."""

    def __init__(self, count: int = 1) -> None:
        self._count = count
        self._cond = threading.Condition()

    def count_down(self) -> None:
        with self._cond:
            self._count = max(0, self._count - 1)
            if self._count == 0:
                self._cond.notify_all()

    def wait(self, timeout: float = PATIENCE) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._count == 0, timeout)

    @property
    def count(self) -> int:
        with self._cond:
            return self._count


class Recorder:
    """Records what listeners saw, from any thread, and counts a latch down."""

    def __init__(self, expected: int = 1) -> None:
        self.items: list = []
        self._lock = threading.Lock()
        self.done = Latch(expected)

    def __call__(self, message: msgbus.Message) -> None:
        self.record((message.payload, threading.current_thread().name))

    def record(self, item) -> None:
        with self._lock:
            self.items.append(item)
        self.done.count_down()

    @property
    def payloads(self) -> list:
        return [payload for payload, _ in self.items]

    @property
    def threads(self) -> set:
        return {thread for _, thread in self.items}


@pytest.fixture
def bus() -> Iterator[msgbus.MessageBus]:
    with msgbus.MessageBus() as bus:
        yield bus
