"""Memory: a million messages with values through the bus leave the
process's resident memory within 2 MiB of where it started, once warm (in
a fresh interpreter, so that other tests' garbage does not blur the
figure): a leak of 2 bytes a message would show."""

import subprocess
import sys
import textwrap

MILLION = """
    import gc, os, threading
    import msgbus

    BATCH = 10_000
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def resident_kib():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * PAGE // 1024

    bus = msgbus.MessageBus()
    bus.add_destination("acme/memory", "serial")
    delivered = threading.Semaphore(0)
    bus.register_listener("acme/memory", lambda m: delivered.release() if m["last"] else None)

    def batch(start):
        for i in range(start, start + BATCH):
            message = msgbus.Message(b"payload-%d" % i, values={"n": i, "text": "value", "last": False})
            if i == start + BATCH - 1:
                message["last"] = True
            bus.send("acme/memory", message)
        assert delivered.acquire(timeout=60), "a batch was not delivered"

    # Warm: the allocator's arenas and the threads' stacks at their size
    # (after 5 batches a run once started 1.2 MiB short of it).
    for start in range(0, 20 * BATCH, BATCH):
        batch(start)
    gc.collect()
    start_kib = peak_kib = resident_kib()
    for start in range(0, 1_000_000, BATCH):
        batch(start)
        peak_kib = max(peak_kib, resident_kib())
    gc.collect()
    end_kib = resident_kib()
    stats = bus.statistics("acme/memory")
    bus.shutdown()
    print(start_kib, peak_kib, end_kib, stats.delivered_message_count)
"""


def test_a_million_messages_leave_resident_memory_where_it_was():
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MILLION)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    start_kib, peak_kib, end_kib, delivered = map(int, done.stdout.split())
    assert delivered == 1_000_000 + 20 * 10_000
    assert end_kib - start_kib <= 2048, f"resident {start_kib} KiB at the start, {end_kib} KiB after"
    print(
        f"RELIABILITY python_memory messages=1000000 start_kib={start_kib} "
        f"peak_kib={peak_kib} end_kib={end_kib}"
    )


FAN_OUT = """
    import threading
    import msgbus

    MIB = 1024 * 1024

    def status_kib(field):
        with open("/proc/self/status") as status:
            line = next(l for l in status if l.startswith(field + ":"))
            return int(line.split()[1])

    payload = b"\\x01" * (100 * MIB)
    bus = msgbus.MessageBus()
    bus.add_destination("acme/fan", "parallel", workers_core_size=4, workers_max_size=4)
    seen, lock, done = [], threading.Lock(), threading.Semaphore(0)

    def listener(message):
        with lock:
            seen.append(message.payload)
        done.release()

    for _ in range(4):
        bus.register_listener("acme/fan", listener)
    start_kib = status_kib("VmRSS")
    bus.send("acme/fan", payload)
    for _ in range(4):
        assert done.acquire(timeout=60)
    peak_kib = status_kib("VmHWM")
    bus.shutdown()
    print(start_kib, peak_kib, len({id(p) for p in seen}))
"""


def test_a_payload_sent_to_four_listeners_is_not_copied_for_each():
    """100 MiB of bytes to 4 parallel Python listeners: the bus copies it
    once, on send (into the core, for listeners in any language), and hands
    all four the very object sent."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FAN_OUT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    start_kib, peak_kib, distinct = map(int, done.stdout.split())
    extra_mib = (peak_kib - start_kib) / 1024
    assert distinct == 1
    assert extra_mib < 150, f"{extra_mib:.0f} MiB more at the peak"
    print(f"RELIABILITY python_fan_out payload_mib=100 listeners=4 extra_mib={extra_mib:.0f}")
