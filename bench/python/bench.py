"""make bench's Python half: W1–W4 and S1 with a Python sender and Python
listeners, through msgbus and through queue.Queue with threads (the
baseline a Python programmer would write), one JSON line per figure.
`--quick` runs every workload at a small size.
"""

import json
import queue
import sys
import threading
import time
from typing import Callable, Iterable, Optional

import msgbus

PAYLOAD = bytes(16)
QUICK = "--quick" in sys.argv
SCALE = 50 if QUICK else 1


def figure(workload: str, implementation: str, metric: str, value: float, unit: str, **params: int) -> None:
    record = {
        "surface": "python",
        "workload": workload,
        "implementation": implementation,
        "metric": metric,
        "value": value,
        "unit": unit,
        "params": params,
    }
    print(json.dumps(record), flush=True)


class Countdown:
    """Opens once `count` arrivals were counted."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.lock = threading.Lock()
        self.done = threading.Event()

    def arrive(self, _message: object = None) -> None:
        with self.lock:
            self.left -= 1
            if self.left == 0:
                self.done.set()


def messages(count: int) -> Iterable[msgbus.Message]:
    return (msgbus.Message(PAYLOAD, values={"seq": seq}) for seq in range(count))


def bus_throughput(kind: str, count: int, listeners: int) -> float:
    bus = msgbus.MessageBus()
    bus.add_destination("bench/throughput", kind, workers_core_size=2, workers_max_size=2)
    countdown = Countdown(count * listeners)
    for _ in range(listeners):
        bus.register_listener("bench/throughput", countdown.arrive)
    start = time.perf_counter()
    for message in messages(count):
        bus.send("bench/throughput", message)
    countdown.done.wait()
    elapsed = time.perf_counter() - start
    bus.shutdown()
    return elapsed


def queue_throughput(receivers: int, count: int, listeners: int) -> float:
    """One item per message (receivers=1, every listener called in turn) or
    one per listener (receivers>1), as msgbus's serial and parallel do."""
    items: "queue.Queue[Optional[tuple[int, msgbus.Message]]]" = queue.Queue()
    countdown = Countdown(count * listeners)
    calls = [countdown.arrive] * listeners
    fanout = 1 if receivers == 1 else listeners

    def receive() -> None:
        while (item := items.get()) is not None:
            listener, message = item
            for call in calls if fanout == 1 else calls[listener : listener + 1]:
                call(message)

    threads = [threading.Thread(target=receive) for _ in range(receivers)]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    for message in messages(count):
        for listener in range(fanout):
            items.put((listener, message))
    countdown.done.wait()
    elapsed = time.perf_counter() - start
    for _ in threads:
        items.put(None)
    for thread in threads:
        thread.join()
    return elapsed


def throughput(workload: str, kind: str, receivers: int, count: int, listeners: int) -> None:
    for implementation, seconds in (
        ("msgbus", bus_throughput(kind, count, listeners)),
        ("queue.Queue", queue_throughput(receivers, count, listeners)),
    ):
        figure(workload, implementation, "throughput", count * listeners / seconds, "deliveries/s",
               messages=count, listeners=listeners, producers=1, payload=len(PAYLOAD))


def latency(workload: str, implementation: str, samples: list[int]) -> None:
    samples.sort()
    rounds = len(samples)
    for metric, q in (("p50", 0.50), ("p99", 0.99)):
        figure(workload, implementation, metric, samples[int((rounds - 1) * q)] / 1e3, "us", rounds=rounds)


def timed(rounds: int, step: Callable[[int], object]) -> list[int]:
    samples = []
    for seq in range(rounds):
        start = time.perf_counter_ns()
        step(seq)
        samples.append(time.perf_counter_ns() - start)
    return samples


def request_reply(rounds: int) -> None:
    bus = msgbus.MessageBus()
    bus.add_destination("bench/w3", "serial")
    bus.register_listener("bench/w3", lambda request: bus.reply(request, 1))
    latency("W3", "msgbus", timed(rounds, lambda seq: bus.send_synchronous(
        "bench/w3", msgbus.Message(PAYLOAD, values={"seq": seq}))))
    bus.shutdown()

    requests: "queue.Queue[Optional[msgbus.Message]]" = queue.Queue()
    replies: "queue.Queue[int]" = queue.Queue()

    def respond() -> None:
        while (request := requests.get()) is not None:
            replies.put(1)

    responder = threading.Thread(target=respond)
    responder.start()

    def round_trip(seq: int) -> int:
        requests.put(msgbus.Message(PAYLOAD, values={"seq": seq}))
        return replies.get()

    latency("W3", "queue.Queue", timed(rounds, round_trip))
    requests.put(None)
    responder.join()


def one_way(rounds: int) -> None:
    """The time from send to the listener's call; the next message is sent
    once the listener acknowledged the previous one."""
    acks: "queue.SimpleQueue[int]" = queue.SimpleQueue()

    def listener(message: msgbus.Message) -> None:
        acks.put(time.perf_counter_ns() - message["seq"])

    def stamped() -> msgbus.Message:
        return msgbus.Message(PAYLOAD, values={"seq": time.perf_counter_ns()})

    bus = msgbus.MessageBus()
    bus.add_destination("bench/w4", "serial")
    bus.register_listener("bench/w4", listener)
    samples = []
    for _ in range(rounds):
        bus.send("bench/w4", stamped())
        samples.append(acks.get())
    bus.shutdown()
    latency("W4", "msgbus", samples)

    items: "queue.Queue[Optional[msgbus.Message]]" = queue.Queue()

    def receive() -> None:
        while (item := items.get()) is not None:
            listener(item)

    receiver = threading.Thread(target=receive)
    receiver.start()
    samples = []
    for _ in range(rounds):
        items.put(stamped())
        samples.append(acks.get())
    items.put(None)
    receiver.join()
    latency("W4", "queue.Queue", samples)


def direct(count: int) -> None:
    countdown = Countdown(2 * count)
    listener = countdown.arrive
    bus = msgbus.MessageBus()
    bus.add_destination("bench/s1", "serial")
    bus.register_listener("bench/s1", listener)
    message = msgbus.Message(PAYLOAD, values={"seq": 1})
    start = time.perf_counter()
    for _ in range(count):
        bus.send_direct("bench/s1", message)
    direct_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(count):
        listener(message)
    plain_seconds = time.perf_counter() - start
    assert countdown.done.is_set()
    bus.shutdown()
    for implementation, seconds in (("msgbus", direct_seconds), ("plain loop", plain_seconds)):
        figure("S1", implementation, "throughput", count / seconds, "msgs/s", messages=count)


def main() -> None:
    throughput("W1", "serial", 1, 1_000_000 // SCALE, 1)
    throughput("W2", "parallel", 2, 200_000 // SCALE, 4)
    request_reply(100_000 // SCALE)
    one_way(100_000 // SCALE)
    direct(1_000_000 // SCALE)


if __name__ == "__main__":
    main()
