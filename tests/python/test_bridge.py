"""Bridges over NATS (SPEC §8) from Python: the seed scenario between a
Python process and a C process, and msgbus.Bridge between two buses of
this process, each with its own connections, through a nats-server these
tests start on a free loopback port."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import msgbus
from conftest import PATIENCE, Latch

HERE = Path(__file__).parent
REPO = HERE.parents[1]
EXAMPLES = REPO / "examples"
sys.path.insert(0, str(EXAMPLES / "python"))
from nats_server import NatsServer  # noqa: E402


@pytest.fixture(scope="module")
def nats() -> Iterator[NatsServer]:
    with NatsServer() as server:
        yield server


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> str:
    return f"py{os.getpid()}-{request.node.name}".replace("[", "-").replace("]", "")[:60]


def pair(nats: NatsServer, cluster: str, destination: str, kind: str = "serial"):
    """Two buses with `destination`, each bridged to the server."""
    buses = [msgbus.MessageBus(), msgbus.MessageBus()]
    for bus in buses:
        bus.add_destination(destination, kind)
    bridges = [msgbus.Bridge(bus, nats.url, cluster=cluster, node_id=f"node-{i}") for i, bus in enumerate(buses)]
    return buses, bridges


def build_node_b(folder: Path) -> Path:
    """examples/c/bridge_node.c, linked with the package's libmsgbus."""
    node_b = folder / "bridge_node"
    lib = msgbus.get_library_dir()
    built = subprocess.run(
        ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread", f"-I{msgbus.get_include()}",
         f"-I{EXAMPLES / 'c'}", str(EXAMPLES / "c" / "bridge_node.c"), f"-L{lib}", "-l:libmsgbus.so.0",
         f"-Wl,-rpath,{lib}", "-o", str(node_b)],
        capture_output=True, text=True,
    )
    assert built.returncode == 0, built.stderr
    return node_b


def test_the_seed_scenario_runs_between_a_python_and_a_c_process(tmp_path: Path) -> None:
    node_b = build_node_b(tmp_path)
    done = subprocess.run([sys.executable, str(EXAMPLES / "python" / "bridge_seed.py"), str(node_b)],
                          capture_output=True, text=True, timeout=120, cwd=EXAMPLES / "python")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for line in [
        "INFO [acme/n8k5_able-1][N8K5CharlieMessageListener] Received message payload N8K5Baker#_activate",
        "INFO [acme/n8k5_baker-1][N8K5Baker] Received message payload N8K5CharlieMessageListener from process-b",
        "INFO [acme/n8k5_able-1][N8K5CharlieMessageListener] Received message payload N8K5Baker#_ask",
        "INFO [MainThread][N8K5Baker] send_synchronous answered: N8K5CharlieMessageListener",
        "process B: received 2, published 1",
    ]:
        assert line in lines, done.stdout


def test_broadcast_between_two_buses_keeps_the_senders_order(nats: NatsServer, cluster: str) -> None:
    count = 2_000
    (sender, receiver), bridges = pair(nats, cluster, "acme/py_broadcast")
    seen: list = []
    done = Latch(count)

    @receiver.listener("acme/py_broadcast")
    def record(message: msgbus.Message) -> None:
        seen.append((message["seq"], message["msgbus.origin"]))
        done.count_down()

    for bridge in bridges:
        bridge.add("acme/py_broadcast")
    handle = sender.destination("acme/py_broadcast")
    for seq in range(count):
        handle.send(b"x", {"seq": seq})
    assert done.wait(PATIENCE), f"{len(seen)} of {count}"
    assert seen == [(seq, "node-0") for seq in range(count)]
    for bridge in bridges:
        bridge.close()
    assert bridges[0].statistics().published == count
    assert bridges[1].statistics().received == count


def test_send_synchronous_is_answered_on_the_other_bus(nats: NatsServer, cluster: str) -> None:
    (asking, answering), bridges = pair(nats, cluster, "acme/py_ask")
    for bus in (asking, answering):
        bus.add_destination("acme/py_nobody", "serial")

    @answering.listener("acme/py_ask")
    def answer(message: msgbus.Message) -> None:
        answering.reply(message, f"{message.payload}: yes from {message['msgbus.origin']}")

    with bridges[0], bridges[1]:
        for bridge in bridges:
            bridge.add("acme/py_ask", "work_share")
            bridge.add("acme/py_nobody", "work_share")
        reply = asking.send_synchronous("acme/py_ask", "ready?", timeout=PATIENCE)
        assert reply == "ready?: yes from node-0"
        with pytest.raises(msgbus.NoListenersError, match="acme/py_nobody"):
            asking.send_synchronous("acme/py_nobody", "anyone?", timeout=PATIENCE)


def test_an_object_value_is_refused_for_a_bridged_destination(nats: NatsServer, cluster: str) -> None:
    (bus, _), bridges = pair(nats, cluster, "acme/py_objects", "synchronous")
    with bridges[0], bridges[1]:
        bridges[0].add("acme/py_objects")
        with pytest.raises(msgbus.InvalidArgumentError, match="payload"):
            bus.send("acme/py_objects", object())
        with pytest.raises(msgbus.InvalidArgumentError, match="handle"):
            bus.send("acme/py_objects", msgbus.Message("x", values={"handle": object()}))
        assert bridges[0].statistics().published == 0


def test_bad_arguments_raise_typed_errors_that_name_them(nats: NatsServer, cluster: str) -> None:
    bus = msgbus.MessageBus()
    with pytest.raises(msgbus.BusClosedError, match="cannot connect"):
        msgbus.Bridge(bus, "nats://127.0.0.1:1", connect_timeout=2.0)
    with pytest.raises(msgbus.InvalidArgumentError, match="cluster"):
        msgbus.Bridge(bus, nats.url, cluster="a.b")
    with pytest.raises(msgbus.InvalidArgumentError, match="node_id"):
        msgbus.Bridge(bus, nats.url, node_id="a\0b")
    with pytest.raises(msgbus.InvalidArgumentError, match="connect_timeout"):
        msgbus.Bridge(bus, nats.url, connect_timeout=-1.0)
    with pytest.raises(TypeError):
        msgbus.Bridge(bus, 5)  # type: ignore[arg-type]
    with msgbus.Bridge(bus, nats.url, cluster=cluster) as bridge:
        with pytest.raises(msgbus.InvalidArgumentError, match="mode"):
            bridge.add("acme/x", "everywhere")  # type: ignore[arg-type]
        with pytest.raises(msgbus.InvalidArgumentError, match="name"):
            bridge.add("")
        with pytest.raises(msgbus.NoSuchDestinationError):
            bridge.remove("acme/never")
        bridge.add("acme/x", "durable_serial")
        with pytest.raises(msgbus.InvalidArgumentError, match="durable_serial"):
            bridge.add("acme/x", "broadcast")
        bridge.remove("acme/x")
        assert bridge.node_id
        assert bridge.bus is bus
    assert "closed" in repr(bridge)
    assert bridge.statistics().failed == 0


@pytest.fixture
def two_hosts() -> Iterator[tuple[str, str]]:
    """Two network namespaces joined by a veth pair: host A at 10.77.0.1,
    host B at 10.77.0.2. Skipped, saying why, where they cannot be made."""
    a, b = f"msgbus-a{os.getpid()}", f"msgbus-b{os.getpid()}"
    made = []
    try:
        for host in (a, b):
            subprocess.run(["ip", "netns", "add", host], check=True, capture_output=True, text=True)
            made.append(host)
    except (OSError, subprocess.CalledProcessError) as e:
        for host in made:
            subprocess.run(["ip", "netns", "del", host], capture_output=True)
        detail = getattr(e, "stderr", "") or str(e)
        pytest.skip(f"cannot make network namespaces here ({detail.strip()}); needs root and iproute2")
    try:
        for command in [
            ["ip", "link", "add", "veth-a", "netns", a, "type", "veth", "peer", "name", "veth-b", "netns", b],
            ["ip", "-n", a, "addr", "add", "10.77.0.1/24", "dev", "veth-a"],
            ["ip", "-n", b, "addr", "add", "10.77.0.2/24", "dev", "veth-b"],
            ["ip", "-n", a, "link", "set", "veth-a", "up"],
            ["ip", "-n", b, "link", "set", "veth-b", "up"],
            # Host A reaches its own address (its server) through it.
            ["ip", "-n", a, "link", "set", "lo", "up"],
        ]:
            subprocess.run(command, check=True, capture_output=True)
        yield a, b
    finally:
        for host in made:
            subprocess.run(["ip", "netns", "del", host], capture_output=True)


def test_the_seed_scenario_runs_between_two_hosts(tmp_path: Path, two_hosts: tuple[str, str]) -> None:
    a, b = two_hosts
    node_b = build_node_b(tmp_path)
    with NatsServer(address="10.77.0.1", prefix=["ip", "netns", "exec", a]) as server:
        done = subprocess.run(
            ["ip", "netns", "exec", a, sys.executable, str(EXAMPLES / "python" / "bridge_seed.py"),
             "--url", server.url, f"ip netns exec {b} {node_b}"],
            capture_output=True, text=True, timeout=120, cwd=EXAMPLES / "python",
        )
        assert done.returncode == 0, done.stdout + done.stderr + server.log()
    assert "INFO [MainThread][N8K5Baker] send_synchronous answered: N8K5CharlieMessageListener" in done.stdout
    assert "process B: received 2, published 1" in done.stdout.splitlines()
