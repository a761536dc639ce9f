"""The bus in the life of a Python process, in subprocesses: exit without
shutdown while listeners are busy, Ctrl-C during a blocked call, fork."""

import signal
import subprocess
import sys
import textwrap

import pytest

PATIENCE = 30


def python(code: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


BUSY_AT_EXIT = """
    import sys, threading
    import msgbus

    bus = msgbus.MessageBus()
    bus.add_destination("acme/serial", "serial")
    bus.add_destination("acme/parallel", "parallel")
    count = {"acme/serial": 0, "acme/parallel": 0}
    lock = threading.Lock()

    def busy(message):
        sum(range(2000))
        with lock:
            count[message.destination_name] += 1
            if count[message.destination_name] == 2000:
                sys.stdout.write(f"all delivered on {message.destination_name}\\n")

    bus.register_listener("acme/serial", busy)
    bus.register_listener("acme/parallel", busy)
    for i in range(2000):
        bus.send("acme/serial", i)
        bus.send("acme/parallel", i)
    msgbus.default_bus().add_destination("acme/default", "serial")
    msgbus.default_bus().register_listener("acme/default", busy)
    with lock:
        sys.stdout.write("exiting\\n")
"""


@pytest.mark.parametrize("run", range(20))
def test_exit_with_busy_listeners_and_no_shutdown_delivers_everything(run):
    child = python(BUSY_AT_EXIT)
    out, err = child.communicate(timeout=PATIENCE)
    assert child.returncode == 0, err
    assert err == ""
    assert sorted(out.splitlines()) == [
        "all delivered on acme/parallel",
        "all delivered on acme/serial",
        "exiting",
    ]


def test_ctrl_c_interrupts_a_blocked_send_synchronous():
    child = python(
        """
        import msgbus

        bus = msgbus.MessageBus()
        bus.add_destination("acme/mute", "serial")
        bus.register_listener("acme/mute", lambda m: print("ready", flush=True))
        try:
            bus.send_synchronous("acme/mute", "q", timeout=None)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        """
    )
    assert child.stdout.readline() == "ready\n"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=PATIENCE)
    assert (child.returncode, out, err) == (0, "interrupted\n", "")


def test_a_bus_inherited_through_fork_raises_in_the_child():
    child = python(
        """
        import os, sys
        import msgbus

        bus = msgbus.MessageBus()
        bus.add_destination("acme/echo", "serial")
        bus.register_listener("acme/echo", lambda m: bus.reply(m, m.payload))
        parent_default = msgbus.default_bus()
        assert bus.send_synchronous("acme/echo", "before") == "before"
        pid = os.fork()
        if pid == 0:
            try:
                bus.send("acme/echo", "in the child")
            except msgbus.BusClosedError as e:
                print("child:", e, flush=True)
            fresh = msgbus.default_bus()
            assert fresh is not parent_default
            fresh.add_destination("acme/child", "serial")
            fresh.register_listener("acme/child", lambda m: fresh.reply(m, "child ok"))
            print(fresh.send_synchronous("acme/child", "q"), flush=True)
            sys.exit(0)
        _, status = os.waitpid(pid, 0)
        print("child status", status, flush=True)
        print(bus.send_synchronous("acme/echo", "parent ok"), flush=True)
        """
    )
    out, err = child.communicate(timeout=PATIENCE)
    assert child.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("child: this bus was inherited through os.fork()")
    assert lines[1:] == ["child ok", "child status 0", "parent ok"]


def test_a_listener_recurses_as_deep_as_a_python_thread():
    """Workers get the platform's 8 MiB stacks, as Python's threads do
    (with Rust's 2 MiB the listener's process crashed at this depth)."""
    child = python(
        """
        import sys, threading
        import msgbus

        sys.setrecursionlimit(100_000)

        def deep(n):  # each level goes through C (map, max)
            return 0 if n == 0 else 1 + max(map(deep, [n - 1]))

        depth = []
        thread = threading.Thread(target=lambda: depth.append(deep(3000)))
        thread.start()
        thread.join()
        bus = msgbus.MessageBus()
        bus.add_destination("acme/deep", "serial")
        bus.register_listener("acme/deep", lambda m: bus.reply(m, deep(m.payload)))
        print(depth[0], bus.send_synchronous("acme/deep", 3000), flush=True)
        """
    )
    out, err = child.communicate(timeout=PATIENCE)
    assert (child.returncode, out) == (0, "3000 3000\n"), err


STUCK = """
    import threading
    import msgbus

    bus = msgbus.MessageBus()
    bus.add_destination("acme/stuck", "serial", max_queue_size=1, rejection_policy="block", block_timeout=None)
    release = threading.Event()
    entered = threading.Event()

    def stuck(message):
        entered.set()
        release.wait()

    handle = bus.register_listener("acme/stuck", stuck)
    bus.send("acme/stuck", "first")
    entered.wait()
    bus.send("acme/stuck", "fills the queue")
"""


@pytest.mark.parametrize(
    "wait",
    [
        'print("waiting", flush=True); handle.unregister()',
        'print("waiting", flush=True); bus.send("acme/stuck", "finds no room")',
    ],
    ids=["unregister", "blocked send"],
)
def test_ctrl_c_interrupts_a_wait_for_a_stuck_listener(wait):
    """The listener stays stuck until the main thread, interrupted, lets it
    go: without the interrupt the wait would last for ever."""
    child = python(
        STUCK
        + f"""
    try:
        {wait}
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    release.set()
    """
    )
    assert child.stdout.readline() == "waiting\n"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=PATIENCE)
    assert (child.returncode, out, err) == (0, "interrupted\n", "")
