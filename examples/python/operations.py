"""Operations: an interceptor stamps every send with a trace context; a
dead-letter destination receives what the bus does not deliver (a
listener's exception, a send to no destination) with the reason, where it
was sent and the error; a periodic schedule sends a tick every 10 ms until
cancelled; and the metrics text counts all of it.

The main thread waits for each step's listener calls before the next, so
the output is always the same. (The bus logs the listener's exception, with
its traceback, to the `msgbus` logger.)

    pip install ./python && python examples/python/operations.py
"""

import threading

import msgbus

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TICKS = 3
WANTED = (
    'msgbus_messages_sent_total{destination="acme/orders"} ',
    'msgbus_dead_letters_total{destination="acme/orders",reason="failed"} ',
    'msgbus_dead_letters_total{reason="no_such_destination"} ',
    'msgbus_schedules_cancelled_total{cause="handle"} ',
)


class Progress:
    """What the listeners have done so far, for the main thread to wait on."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.calls = 0
        self.ticks = 0

    def called(self) -> None:
        with self.changed:
            self.calls += 1
            self.changed.notify_all()

    def tick(self) -> None:
        """Counts the first TICKS ticks; a firing under way when the schedule
        is cancelled may still come, and is not counted."""
        with self.changed:
            self.ticks = min(self.ticks + 1, TICKS)
            self.changed.notify_all()

    def wait_for_calls(self, count: int) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.calls >= count)

    def wait_for_ticks(self) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.ticks >= TICKS)


def stamp(destination: str, message: msgbus.Message) -> None:
    """Runs on the sender's thread for every send: adds the trace context."""
    message.put("traceparent", TRACEPARENT)


bus = msgbus.MessageBus()
progress = Progress()
bus.add_destination("acme/orders", "serial")
bus.add_destination("acme/dead", "synchronous")
bus.add_destination("acme/ticks", "synchronous")
bus.set_dead_letter_destination("acme/dead")
bus.add_interceptor(stamp)


@bus.listener("acme/orders")
def take_order(order: msgbus.Message) -> None:
    """Takes an order; the lamp is out of stock."""
    print(f"order {order.payload}, traceparent {order.get('traceparent', 'none')}")
    progress.called()
    if order.payload == "lamp":
        raise RuntimeError("out of stock")


@bus.listener("acme/dead")
def print_dead_letter(letter: msgbus.Message) -> None:
    # msgbus.error reads "listener take_order on acme/orders raised
    # RuntimeError: out of stock": print the exception's text, as C prints
    # its listener's detail.
    error = letter.get("msgbus.error")
    detail = f": {error.rpartition(': ')[2]}" if error is not None else ""
    print(f"dead letter: {letter['msgbus.reason']} {letter['msgbus.destination']}{detail}")
    progress.called()


bus.register_listener("acme/ticks", lambda tick: progress.tick())

# Three orders and the lamp's dead letter, in order: one serial worker.
for item in ("book", "lamp", "pen"):
    bus.send("acme/orders", item)
progress.wait_for_calls(4)

try:
    bus.send("acme/nowhere", "parcel")
    outcome = "unexpected"
except msgbus.NoSuchDestinationError:
    outcome = "no such destination"
progress.wait_for_calls(5)
print(f"acme/nowhere: {outcome}")

schedule = bus.schedule("acme/ticks", None, delay=0.01, every=0.01)
progress.wait_for_ticks()
print(f"{TICKS} ticks, then {'cancelled' if schedule.cancel() else 'unexpected'}")

bus.shutdown()
for line in bus.metrics_text().splitlines():
    if line.startswith(WANTED):
        print(line)
