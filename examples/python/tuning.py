"""Tuning: add_destination's keywords set a parallel destination's queue
size and worker pool. Under load the statistics show the pool at its
maximum and the rest queued; replace_destination reconfigures the
destination without losing a message (the old queue drains before the new
one starts), and the statistics show the larger pool.

The listener holds each message until its round is let through, so the
figures printed under load are exact, not a race.

    pip install ./python && python examples/python/tuning.py
"""

import threading

import msgbus

MESSAGES = 40


class Gate:
    """The listener's side: how many calls are waiting, and which round may go."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.released_round = 0
        self.waiting = 0

    def hold(self, message: msgbus.Message) -> None:
        with self.changed:
            self.waiting += 1
            self.changed.notify_all()
            self.changed.wait_for(lambda: self.released_round >= message["round"])
            self.waiting -= 1

    def wait_for_waiting(self, count: int) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.waiting >= count)

    def release(self, round: int) -> None:
        with self.changed:
            self.released_round = round
            self.changed.notify_all()


def print_statistics(bus: msgbus.MessageBus, when: str) -> None:
    s = bus.statistics("acme/tuned")
    print(
        f"{when}: workers {s.active_thread_count} busy, {s.current_thread_count} alive, "
        f"{s.largest_thread_count} at most (pool {s.min_thread_pool_size}..{s.max_thread_pool_size}); "
        f"{s.pending_message_count} queued; {s.sent_message_count} sent, "
        f"{s.delivered_message_count} delivered, {s.rejected_message_count} rejected"
    )


def load(bus: msgbus.MessageBus, gate: Gate, round: int, workers: int) -> None:
    """Sends a round of messages and waits until `workers` of them are held."""
    for _ in range(MESSAGES):
        bus.send("acme/tuned", msgbus.Message(None, values={"round": round}))
    gate.wait_for_waiting(workers)


def configure(bus: msgbus.MessageBus, workers: int, replace: bool) -> None:
    install = bus.replace_destination if replace else bus.add_destination
    install(
        "acme/tuned",
        "parallel",
        workers_core_size=1,
        workers_max_size=workers,
        max_queue_size=100,
        rejection_policy="block",
        block_timeout=10.0,
    )


bus = msgbus.MessageBus()
gate = Gate()
bus.register_listener("acme/tuned", gate.hold)

configure(bus, 2, replace=False)
load(bus, gate, 1, 2)
print_statistics(bus, "2 workers, under load")
gate.release(1)
configure(bus, 8, replace=True)
load(bus, gate, 2, 8)
print_statistics(bus, "8 workers, under load")
gate.release(2)
bus.shutdown()
print_statistics(bus, "8 workers, after shutdown")
