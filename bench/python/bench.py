"""make bench's Python half: W1–W4 and S1 with a Python sender and Python
listeners, through msgbus and through what a Python programmer would write
instead, one JSON line per figure:

- "SimpleQueue": `queue.SimpleQueue` and threads calling the listener with
  a hand-written `__slots__` message (W2: one queue per worker thread, as
  msgbus's parallel type gives each listener call a task of its own);
- "pyzmq": inproc PUSH/PULL (W1) and REQ/REP (W3) sockets, a message as
  one frame, the payload and an 8-byte sequence number packed (two frames
  ran slower);
- "plain loop": the listener called in a loop (S1).

msgbus sends through a destination handle (`bus.destination(name).send(
payload, values)`), and W1 also by name with a `Message` ("msgbus by
name"; `SENDERS`). W1's and W2's listeners read the payload and the value
and count alike on every side; W3's responders reply without reading the
request on every side. The loops run inside functions, as a program's
would; each throughput figure is the second of two runs. `--quick` runs
every workload at a small size.
"""

import functools
import itertools
import json
import queue
import sys
import threading
import time
from typing import Callable, Optional

import zmq

import msgbus

PAYLOAD = bytes(16)
QUICK = "--quick" in sys.argv
SCALE = 50 if QUICK else 1


class Hand:
    """The message a hand-written program passes: a payload and values."""

    __slots__ = ("payload", "values")

    def __init__(self, payload: bytes, values: dict[str, int]) -> None:
        self.payload = payload
        self.values = values


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


class Arrivals:
    """Counts deliveries and opens once `total` arrived. `next()` of an
    `itertools.count` is one call into C, so threads count without a lock
    and lose no count."""

    def __init__(self, total: int) -> None:
        self.arrived = itertools.count(1)
        self.total = total
        self.done = threading.Event()

    def counted(self) -> None:
        if next(self.arrived) == self.total:
            self.done.set()


def reading_bus_listener(arrivals: Arrivals) -> Callable[[msgbus.Message], None]:
    def read(message: msgbus.Message) -> None:
        message.payload
        message["seq"]
        arrivals.counted()

    return read


def reading_hand_listener(arrivals: Arrivals) -> Callable[[Hand], None]:
    def read(message: Hand) -> None:
        message.payload
        message.values["seq"]
        arrivals.counted()

    return read


Sender = Callable[[msgbus.MessageBus, str, int], None]


def send_through_handle(bus: msgbus.MessageBus, name: str, count: int) -> None:
    send = bus.destination(name).send
    for seq in range(count):
        send(PAYLOAD, {"seq": seq})


def send_by_name(bus: msgbus.MessageBus, name: str, count: int) -> None:
    send, message = bus.send, msgbus.Message
    for seq in range(count):
        send(name, message(PAYLOAD, values={"seq": seq}))


#: msgbus's ways to send W1's and W2's messages, one row each (W2 the first
#: only): another way is one more entry.
SENDERS: list[tuple[str, Sender]] = [("msgbus", send_through_handle), ("msgbus by name", send_by_name)]


def bus_throughput(kind: str, count: int, listeners: int, sender: Sender) -> float:
    bus = msgbus.MessageBus()
    bus.add_destination("bench/throughput", kind, workers_core_size=2, workers_max_size=2)
    arrivals = Arrivals(count * listeners)
    for _ in range(listeners):
        bus.register_listener("bench/throughput", reading_bus_listener(arrivals))
    start = time.perf_counter()
    sender(bus, "bench/throughput", count)
    arrivals.done.wait()
    elapsed = time.perf_counter() - start
    bus.shutdown()
    return elapsed


def queue_throughput(workers: int, count: int, listeners: int) -> float:
    """W1: one SimpleQueue of messages and a thread calling the listener
    with each. W2: one SimpleQueue per worker thread, and one item per
    listener call, dealt round-robin."""
    arrivals = Arrivals(count * listeners)
    calls = [reading_hand_listener(arrivals) for _ in range(listeners)]
    if workers == 1 and listeners == 1:
        return serial_queue_throughput(count, calls[0], arrivals)
    queues: "list[queue.SimpleQueue[Optional[tuple[Callable[[Hand], None], Hand]]]]" = [
        queue.SimpleQueue() for _ in range(workers)
    ]

    def receive(items: "queue.SimpleQueue[Optional[tuple[Callable[[Hand], None], Hand]]]") -> None:
        while (item := items.get()) is not None:
            call, message = item
            call(message)

    threads = [threading.Thread(target=receive, args=(items,)) for items in queues]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    puts = [items.put for items in queues]
    turn = 0
    for seq in range(count):
        message = Hand(PAYLOAD, {"seq": seq})
        for call in calls:
            puts[turn]((call, message))
            turn = (turn + 1) % workers
    arrivals.done.wait()
    elapsed = time.perf_counter() - start
    for items in queues:
        items.put(None)
    for thread in threads:
        thread.join()
    return elapsed


def serial_queue_throughput(count: int, listener: Callable[[Hand], None], arrivals: Arrivals) -> float:
    items: "queue.SimpleQueue[Optional[Hand]]" = queue.SimpleQueue()

    def receive() -> None:
        get = items.get
        while (message := get()) is not None:
            listener(message)

    receiver = threading.Thread(target=receive)
    receiver.start()
    start = time.perf_counter()
    put = items.put
    for seq in range(count):
        put(Hand(PAYLOAD, {"seq": seq}))
    arrivals.done.wait()
    elapsed = time.perf_counter() - start
    items.put(None)
    receiver.join()
    return elapsed


#: A closed socket's inproc name is released in the background: each run
#: binds a name of its own.
ENDPOINTS = (f"inproc://bench-{n}" for n in itertools.count())


def zmq_pair(bound: int, connected: int) -> "tuple[zmq.Socket[bytes], zmq.Socket[bytes]]":
    """A socket of type `bound` bound to a fresh inproc name, and one of
    type `connected` connected to it."""
    context: "zmq.Context[zmq.Socket[bytes]]" = zmq.Context.instance()
    endpoint = next(ENDPOINTS)
    server, client = context.socket(bound), context.socket(connected)
    server.bind(endpoint)
    client.connect(endpoint)
    return server, client


def zmq_throughput(count: int) -> float:
    """PUSH/PULL over inproc; the receiving thread reads both parts of each
    message."""
    pull, push = zmq_pair(zmq.PULL, zmq.PUSH)
    arrivals = Arrivals(count)

    def receive() -> None:
        recv = pull.recv
        for _ in range(count):
            frame = recv()
            frame[:16]
            int.from_bytes(frame[16:], "little")
            arrivals.counted()

    receiver = threading.Thread(target=receive)
    receiver.start()
    start = time.perf_counter()
    send = push.send
    for seq in range(count):
        send(PAYLOAD + seq.to_bytes(8, "little"))
    arrivals.done.wait()
    elapsed = time.perf_counter() - start
    receiver.join()
    push.close(linger=0)
    pull.close(linger=0)
    return elapsed


def throughput(workload: str, kind: str, workers: int, count: int, listeners: int) -> None:
    runs: list[tuple[str, Callable[[], float]]] = [
        (implementation, functools.partial(bus_throughput, kind, count, listeners, sender))
        for implementation, sender in (SENDERS if workload == "W1" else SENDERS[:1])
    ]
    runs.append(("SimpleQueue", lambda: queue_throughput(workers, count, listeners)))
    if workload == "W1":
        runs.append(("pyzmq", lambda: zmq_throughput(count)))
    for implementation, run in runs:
        run()  # the second of two runs, as in the Rust and C programs
        seconds = run()
        figure(workload, implementation, "throughput", count * listeners / seconds, "deliveries/s",
               messages=count, listeners=listeners, producers=1, payload=len(PAYLOAD))


def latency(workload: str, implementation: str, samples: list[int]) -> None:
    samples.sort()
    rounds = len(samples)
    for metric, q in (("p50", 0.50), ("p99", 0.99)):
        figure(workload, implementation, metric, samples[int((rounds - 1) * q)] / 1e3, "us", rounds=rounds)


def timed(rounds: int, step: Callable[[int], object]) -> list[int]:
    samples = []
    clock = time.perf_counter_ns
    for seq in range(rounds):
        start = clock()
        step(seq)
        samples.append(clock() - start)
    return samples


def request_reply(rounds: int) -> None:
    bus = msgbus.MessageBus()
    bus.add_destination("bench/w3", "serial")
    bus.register_listener("bench/w3", lambda request: bus.reply(request, 1))
    latency("W3", "msgbus", timed(rounds, lambda seq: bus.send_synchronous(
        "bench/w3", msgbus.Message(PAYLOAD, values={"seq": seq}))))
    bus.shutdown()

    requests: "queue.SimpleQueue[Optional[Hand]]" = queue.SimpleQueue()
    replies: "queue.SimpleQueue[int]" = queue.SimpleQueue()

    def respond() -> None:
        while requests.get() is not None:
            replies.put(1)

    responder = threading.Thread(target=respond)
    responder.start()

    def round_trip(seq: int) -> int:
        requests.put(Hand(PAYLOAD, {"seq": seq}))
        return replies.get()

    latency("W3", "SimpleQueue", timed(rounds, round_trip))
    requests.put(None)
    responder.join()

    rep, req = zmq_pair(zmq.REP, zmq.REQ)

    def serve() -> None:
        for _ in range(rounds):
            frame = rep.recv()
            rep.send(frame[16:])

    server = threading.Thread(target=serve)
    server.start()

    def zmq_round_trip(seq: int) -> bytes:
        req.send(PAYLOAD + seq.to_bytes(8, "little"))
        return req.recv()

    latency("W3", "pyzmq", timed(rounds, zmq_round_trip))
    server.join()
    req.close(linger=0)
    rep.close(linger=0)


def one_way(rounds: int) -> None:
    """The time from send to the listener's call; the next message is sent
    once the listener acknowledged the previous one."""
    acks: "queue.SimpleQueue[int]" = queue.SimpleQueue()

    def bus_listener(message: msgbus.Message) -> None:
        acks.put(time.perf_counter_ns() - message["seq"])

    bus = msgbus.MessageBus()
    bus.add_destination("bench/w4", "serial")
    bus.register_listener("bench/w4", bus_listener)
    send = bus.destination("bench/w4").send
    samples = []
    for _ in range(rounds):
        send(PAYLOAD, {"seq": time.perf_counter_ns()})
        samples.append(acks.get())
    bus.shutdown()
    latency("W4", "msgbus", samples)

    items: "queue.SimpleQueue[Optional[Hand]]" = queue.SimpleQueue()

    def receive() -> None:
        while (item := items.get()) is not None:
            acks.put(time.perf_counter_ns() - item.values["seq"])

    receiver = threading.Thread(target=receive)
    receiver.start()
    samples = []
    for _ in range(rounds):
        items.put(Hand(PAYLOAD, {"seq": time.perf_counter_ns()}))
        samples.append(acks.get())
    items.put(None)
    receiver.join()
    latency("W4", "SimpleQueue", samples)


def direct(count: int) -> None:
    arrivals = Arrivals(2 * count)
    listener = reading_bus_listener(arrivals)
    bus = msgbus.MessageBus()
    bus.add_destination("bench/s1", "serial")
    bus.register_listener("bench/s1", listener)
    message = msgbus.Message(PAYLOAD, values={"seq": 1})
    send_direct = bus.destination("bench/s1").send_direct
    start = time.perf_counter()
    for _ in range(count):
        send_direct(message)
    direct_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(count):
        listener(message)
    plain_seconds = time.perf_counter() - start
    assert arrivals.done.is_set()
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
