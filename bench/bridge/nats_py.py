"""make bench-bridge's Python half: what the Rust half (msgbus-bridge-bench)
measures, from Python: bridged throughput and request/reply latency between
two processes, through nats-py publishing as many bytes as the bridge's
envelopes, and through msgbus's `Bridge` when the installed package has one
(else that row is skipped, saying why).

Each measurement runs two fresh processes of this script, a receiver (or
responder) and, once it prints "ready", a sender (or requester), against a
nats-server started here on a free loopback port (or `--url`):

- throughput: `--n` messages (msgbus: a payload of `size` bytes and an int
  value "seq", sent through a destination handle to a serial destination
  bridged in broadcast mode); messages/s after the first, over the time
  from the first arrival to the last, at the receiver;
- request/reply: `--rr-n` sequential round trips after 100 unmeasured ones;
  the responder replies with the payload (nats-py: as many bytes as the
  bridge's reply); p50 and p99 in µs.

The lengths come from the Rust half's JSON lines (`--rust FILE`). Prints
one JSON line per measurement, then all figures side by side on stderr.
`--quick`: n = 20 000 and 500.
"""

import argparse
import asyncio
import inspect
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Optional

import nats

DESTINATION = "bench/bridge"
#: Every wait of a run ends by then (s).
PATIENCE = 120.0
#: How long a child may take to connect and subscribe (s).
READY = 30.0
#: Round trips unmeasured before the measured ones.
WARM_UP = 100
#: How long one round trip may take (s).
ROUND_TRIP = 10.0
#: What a subscription buffers: a whole run, as the Rust half's.
PENDING_MESSAGES = 1 << 20
PENDING_BYTES = 1 << 30

#: A JSON line's fields.
Row = dict[str, Any]


class Failed(Exception):
    """A measurement that did not complete."""


def percentiles(samples: list[float]) -> tuple[float, float]:
    """The p50 and p99 in µs, as the Rust half computes them."""
    samples.sort()
    at = lambda q: samples[int((len(samples) - 1) * q)] * 1e6  # noqa: E731
    return at(0.50), at(0.99)


# The children: one role each, speaking by lines on stdout.


async def receive_nats(a: argparse.Namespace) -> None:
    nc = await nats.connect(a.url)
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    count, first = 0, 0.0

    async def arrived(msg: Any) -> None:
        nonlocal count, first
        if count == 0:
            first = time.perf_counter()
        count += 1
        if count == a.n:
            done.set_result(time.perf_counter() - first)

    await nc.subscribe(
        a.subject, cb=arrived, pending_msgs_limit=PENDING_MESSAGES, pending_bytes_limit=PENDING_BYTES
    )
    await nc.flush()  # a PING's PONG: the server has the subscription
    print("ready", flush=True)
    try:
        elapsed = await asyncio.wait_for(done, PATIENCE)
    except asyncio.TimeoutError:
        raise Failed(f"{count} of {a.n} arrived in {PATIENCE} s") from None
    print(f"done {elapsed}", flush=True)
    await nc.close()


async def send_nats(a: argparse.Namespace) -> None:
    nc = await nats.connect(a.url)
    payload = bytes(a.bytes)
    for _ in range(a.n):
        await nc.publish(a.subject, payload)
    await nc.flush(timeout=int(PATIENCE))
    await nc.close()


async def respond_nats(a: argparse.Namespace) -> None:
    nc = await nats.connect(a.url)
    reply = bytes(a.reply_bytes)

    async def answer(msg: Any) -> None:
        await nc.publish(msg.reply, reply)

    await nc.subscribe(a.subject, queue="rpc", cb=answer)
    await nc.flush()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await nc.close()


async def request_nats(a: argparse.Namespace) -> None:
    nc = await nats.connect(a.url)
    payload = bytes(a.bytes)
    samples = []
    for i in range(WARM_UP + a.n):
        started = time.perf_counter()
        await nc.request(a.subject, payload, timeout=ROUND_TRIP)
        if i >= WARM_UP:
            samples.append(time.perf_counter() - started)
    print("done {} {}".format(*percentiles(samples)), flush=True)
    await nc.close()


def node(a: argparse.Namespace, node_id: str) -> Any:
    """A bus with the serial destination, and its bridge (nothing added)."""
    import msgbus

    bus = msgbus.MessageBus()
    bus.add_destination(DESTINATION, "serial")
    return bus, msgbus.Bridge(bus, a.url, cluster=a.cluster, node_id=node_id)


def receive_msgbus(a: argparse.Namespace) -> None:
    bus, bridge = node(a, "receiver")
    done = threading.Event()
    count, first, elapsed = 0, 0.0, 0.0

    def arrived(message: Any) -> None:
        nonlocal count, first, elapsed
        if count == 0:
            first = time.perf_counter()
        count += 1
        if count == a.n:
            elapsed = time.perf_counter() - first
            done.set()

    bus.register_listener(DESTINATION, arrived)
    bridge.add(DESTINATION, mode="broadcast")
    print("ready", flush=True)
    if not done.wait(PATIENCE):
        raise Failed(f"{count} of {a.n} arrived in {PATIENCE} s; {bridge.statistics()}")
    print(f"done {elapsed}", flush=True)
    bridge.close()


def send_msgbus(a: argparse.Namespace) -> None:
    bus, bridge = node(a, "sender")
    bridge.add(DESTINATION, mode="broadcast")
    send = bus.destination(DESTINATION).send
    payload = bytes(a.size)
    for seq in range(a.n):
        send(payload, {"seq": seq})
    bridge.close()  # returns once every accepted message is written
    statistics = bridge.statistics()
    if statistics.published != a.n or statistics.failed:
        raise Failed(f"published {statistics.published} of {a.n}, {statistics.failed} failed")


def respond_msgbus(a: argparse.Namespace) -> None:
    bus, bridge = node(a, "receiver")
    bus.register_listener(DESTINATION, lambda message: bus.reply(message, message.payload))
    bridge.add(DESTINATION, mode="broadcast")
    print("ready", flush=True)
    sys.stdin.read()
    bridge.close()


def request_msgbus(a: argparse.Namespace) -> None:
    bus, bridge = node(a, "sender")
    bridge.add(DESTINATION, mode="broadcast")
    payload = bytes(a.size)
    samples = []
    for i in range(WARM_UP + a.n):
        started = time.perf_counter()
        bus.send_synchronous(DESTINATION, payload, timeout=ROUND_TRIP)
        if i >= WARM_UP:
            samples.append(time.perf_counter() - started)
    print("done {} {}".format(*percentiles(samples)), flush=True)
    bridge.close()


ROLES = {
    "receive-nats": receive_nats,
    "send-nats": send_nats,
    "respond-nats": respond_nats,
    "request-nats": request_nats,
    "receive-msgbus": receive_msgbus,
    "send-msgbus": send_msgbus,
    "respond-msgbus": respond_msgbus,
    "request-msgbus": request_msgbus,
}


# The parent: a nats-server, pairs of children, the figures.


class Server:
    """A nats-server on a free loopback port, stopped by its pid."""

    def __enter__(self) -> "Server":
        self.dir = tempfile.mkdtemp(prefix="msgbus-bridge-bench-py-")
        log = os.path.join(self.dir, "log")
        self.proc = subprocess.Popen(
            ["nats-server", "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", self.dir, "-l", log],
            stdin=subprocess.DEVNULL,
        )
        ports = os.path.join(self.dir, f"nats-server_{self.proc.pid}.ports")
        # The server writes its ports file once it listens: polled, as
        # nothing else tells.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with open(ports) as f:
                    self.url: str = json.load(f)["nats"][0]
                return self
            except (OSError, ValueError, KeyError, IndexError):
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        self.__exit__()
        raise Failed("nats-server did not start")

    def __exit__(self, *_: object) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=PATIENCE)
        shutil.rmtree(self.dir, ignore_errors=True)


class Worker:
    """A child of this script in one role."""

    def __init__(self, words: list[str]) -> None:
        self.role = words[0]
        self.proc = subprocess.Popen(
            [sys.executable, __file__, *words], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[Optional[str]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self, patience: float) -> str:
        try:
            line = self.lines.get(timeout=patience)
        except queue.Empty:
            raise Failed(f"{self.role}: silent for {patience} s") from None
        if line is None:
            raise Failed(f"{self.role}: ended early")
        return line

    def expect_ready(self) -> None:
        line = self.line(READY)
        if line != "ready":
            raise Failed(f"{self.role}: said {line!r}, not ready")

    def done(self) -> list[float]:
        line = self.line(PATIENCE)
        if not line.startswith("done "):
            raise Failed(f"{self.role}: said {line!r}, not done")
        return [float(figure) for figure in line.split()[1:]]

    def finish(self) -> None:
        """Closes its stdin and waits for it to end, successfully."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            raise Failed(f"{self.role}: still running after {PATIENCE} s") from None
        if code != 0:
            raise Failed(f"{self.role}: exit status {code}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def pair(receiver: list[str], sender: list[str], by_receiver: bool) -> list[float]:
    """Runs `receiver` until it is ready, then `sender`; the figures of the
    `done` line of the receiver (`by_receiver`) or the sender."""
    workers = [Worker(receiver)]
    try:
        workers[0].expect_ready()
        workers.append(Worker(sender))
        receiving, sending = workers
        if by_receiver:
            sending.finish()
            figures = receiving.done()
        else:
            figures = sending.done()
            sending.finish()
        receiving.finish()
        return figures
    finally:
        for worker in workers:
            worker.kill()


def msgbus_absent() -> Optional[str]:
    """Why the msgbus rows cannot run, if they cannot."""
    try:
        import msgbus
    except ImportError as e:
        return f"msgbus is not installed ({e}; make python installs it)"
    if not hasattr(msgbus, "Bridge"):
        return "this msgbus has no Bridge"
    return None


def rust_rows(path: str) -> dict[str, Row]:
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    found = {row["bench"]: row for row in rows}
    for bench in ("bridge_throughput", "bridge_rr"):
        if bench not in found:
            raise Failed(f"{path}: no {bench} line")
    return found


def measure(a: argparse.Namespace, rust: dict[str, Row], url: str) -> tuple[Row, Row]:
    """The throughput and request/reply rows, printed as JSON lines."""
    cluster = f"bench-{os.getpid()}"
    absent = msgbus_absent()
    if absent:
        print(f"nats_py.py: the msgbus rows are skipped: {absent}", file=sys.stderr)

    def both(roles: tuple[str, str], n: int, size: int, raw: list[object], by_receiver: bool) -> Any:
        """The figures of msgbus (None if absent), then of nats-py."""

        def words(role: str, *extra: object) -> list[str]:
            options = ["--url", url, "--cluster", cluster, "--n", n, "--size", size, *extra]
            return [role, *map(str, options)]

        nats_py = pair(words(f"{roles[0]}-nats", *raw), words(f"{roles[1]}-nats", *raw), by_receiver)
        if absent:
            return None, nats_py
        return pair(words(f"{roles[0]}-msgbus"), words(f"{roles[1]}-msgbus"), by_receiver), nats_py

    def row(bench: str, n: int, sizes: Row, unit: str, bridged: Any, nats_py: Any, ratio: Any) -> Row:
        """A JSON line: msgbus's figure, nats-py's, and the ratio of the two."""
        found = {"bench": bench, "n": n, **sizes, "unit": unit, "msgbus": bridged, "nats_py": nats_py}
        found["ratio"] = ratio
        if absent:
            found["skipped"] = absent
        print(json.dumps(found), flush=True)
        return found

    rt = rust["bridge_throughput"]
    n = a.n or (20_000 if a.quick else 200_000)
    raw = ["--subject", f"msgbus.{cluster}.b.{DESTINATION}", "--bytes", rt["bytes"]]
    bridged_figures, nats_figures = both(("receive", "send"), n, rt["size"], raw, True)
    nats_py = round((n - 1) / nats_figures[0])
    bridged = None if bridged_figures is None else round((n - 1) / bridged_figures[0])
    ratio = None if bridged is None else round(bridged / nats_py, 3)
    sizes = {"size": rt["size"], "bytes": rt["bytes"]}
    throughput = row("bridge_throughput_python", n, sizes, "msgs/s", bridged, nats_py, ratio)

    rr = rust["bridge_rr"]
    n = a.rr_n or (500 if a.quick else 5_000)
    raw = ["--subject", f"msgbus.{cluster}.rpc.{DESTINATION}", "--bytes", rr["request_bytes"]]
    raw += ["--reply-bytes", rr["reply_bytes"]]
    bridged_figures, nats_figures = both(("respond", "request"), n, rr["size"], raw, False)

    def quantiles(figures: list[float]) -> dict[str, float]:
        return {"p50": round(figures[0], 1), "p99": round(figures[1], 1)}

    nats_rr = quantiles(nats_figures)
    bridged_rr = None if bridged_figures is None else quantiles(bridged_figures)
    ratio = None if bridged_rr is None else round(bridged_rr["p50"] / nats_rr["p50"], 3)
    sizes = {key: rr[key] for key in ("size", "request_bytes", "reply_bytes")}
    return throughput, row("bridge_rr_python", n, sizes, "us", bridged_rr, nats_rr, ratio)


def side_by_side(rust: dict[str, Row], throughput: Row, rr: Row) -> None:
    """Every figure, msgbus beside its baseline, as a table on stderr."""

    def figure(row: Row, side: str, key: Optional[str]) -> Any:
        value = row[side]
        return value if key is None or value is None else value[key]

    def ratio(ours: Any, theirs: Any) -> Any:
        return None if ours is None else round(ours / theirs, 3)

    header = ("", "msgbus Rust", "async-nats", "ratio", "msgbus Python", "nats-py", "ratio")
    table: list[tuple[str, ...]] = [header]
    for name, r, p, key in (
        ("throughput msgs/s", rust["bridge_throughput"], throughput, None),
        ("rr p50 us", rust["bridge_rr"], rr, "p50"),
        ("rr p99 us", rust["bridge_rr"], rr, "p99"),
    ):
        ours, raw = figure(r, "msgbus", key), figure(r, "raw", key)
        python, nats_py = figure(p, "msgbus", key), figure(p, "nats_py", key)
        cells = (ours, raw, ratio(ours, raw), python, nats_py, ratio(python, nats_py))
        table.append((name, *("skipped" if cell is None else str(cell) for cell in cells)))
    for line in table:
        print(f"{line[0]:<18}" + "".join(f"{cell:>14}" for cell in line[1:]), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", nargs="?", choices=sorted(ROLES), help="(a child's)")
    parser.add_argument("--rust", help="the Rust half's JSON lines")
    parser.add_argument("--url", help="a NATS server to use instead of starting one")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int, help="throughput messages (a child's: its count)")
    parser.add_argument("--rr-n", type=int, help="round trips")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--cluster", default="bench")
    parser.add_argument("--subject")
    parser.add_argument("--bytes", type=int)
    parser.add_argument("--reply-bytes", type=int)
    a = parser.parse_args()
    try:
        if a.role:
            run = ROLES[a.role]
            if inspect.iscoroutinefunction(run):
                asyncio.run(run(a))
            else:
                run(a)
            return
        if not a.rust:
            parser.error("--rust FILE is needed (msgbus-bridge-bench's output)")
        rust = rust_rows(a.rust)
        if a.url:
            results = measure(a, rust, a.url)
        else:
            with Server() as server:
                results = measure(a, rust, server.url)
        side_by_side(rust, *results)
    except Failed as e:
        sys.exit(f"nats_py.py {a.role or ''}: {e}")


if __name__ == "__main__":
    main()
