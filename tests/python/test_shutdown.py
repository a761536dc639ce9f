"""Shutdown: graceful drains every queued message, forced discards and
counts them; synchronous destinations keep working."""

import threading

import pytest

import msgbus
from conftest import Latch


def test_graceful_shutdown_delivers_everything_queued():
    bus = msgbus.MessageBus()
    bus.add_destination("acme/s", "serial")
    bus.add_destination("acme/p", "parallel")
    seen = {"acme/s": [], "acme/p": []}
    lock = threading.Lock()

    def record(message):
        with lock:
            seen[message.destination_name].append(message.payload)

    for name in seen:
        bus.register_listener(name, record)
        for i in range(2000):
            bus.send(name, i)
    bus.shutdown()
    assert seen["acme/s"] == list(range(2000))
    assert sorted(seen["acme/p"]) == list(range(2000))
    for name in seen:
        stats = bus.statistics(name)
        assert stats.delivered_message_count == 2000 and stats.pending_message_count == 0
        assert stats.current_thread_count == 0


def test_forced_shutdown_discards_and_counts_queued_messages():
    bus = msgbus.MessageBus()
    bus.add_destination("acme/force", "serial")
    gate, entered = threading.Event(), Latch()
    bus.register_listener("acme/force", lambda m: (entered.count_down(), gate.wait(20)))
    for i in range(100):
        bus.send("acme/force", i)
    assert entered.wait()
    threading.Timer(0.05, gate.set).start()
    bus.shutdown(force=True)
    stats = bus.statistics("acme/force")
    assert (stats.delivered_message_count, stats.discarded_message_count) == (1, 99)


def test_after_shutdown_queued_sends_fail_and_synchronous_ones_work():
    bus = msgbus.MessageBus()
    bus.add_destination("acme/queued", "serial")
    bus.add_destination("acme/sync", "synchronous")
    seen = []
    bus.register_listener("acme/sync", seen.append)
    bus.shutdown()
    with pytest.raises(msgbus.BusClosedError):
        bus.send("acme/queued", "late")
    bus.send("acme/sync", "still")
    assert [m.payload for m in seen] == ["still"]


def test_context_manager_shuts_down_gracefully():
    seen = []
    with msgbus.MessageBus() as bus:
        bus.add_destination("acme/ctx", "serial")
        bus.register_listener("acme/ctx", lambda m: seen.append(m.payload))
        for i in range(500):
            bus.send("acme/ctx", i)
    assert seen == list(range(500))


def test_shutdown_timeout_raises_and_the_workers_go_on():
    bus = msgbus.MessageBus()
    bus.add_destination("acme/stuck", "serial")
    gate, entered = threading.Event(), Latch()
    bus.register_listener("acme/stuck", lambda m: (entered.count_down(), gate.wait(20)))
    bus.send("acme/stuck", "x")
    assert entered.wait()
    with pytest.raises(TimeoutError):
        bus.shutdown(timeout=0.05)
    gate.set()
    bus.shutdown()
    assert bus.statistics("acme/stuck").delivered_message_count == 1


def test_a_listener_may_shut_its_bus_down():
    bus = msgbus.MessageBus()
    bus.add_destination("acme/stopper", "serial")
    done = Latch()
    bus.register_listener("acme/stopper", lambda m: (bus.shutdown(), done.count_down()))
    bus.send("acme/stopper", "stop")
    assert done.wait()
    bus.shutdown()
    with pytest.raises(msgbus.BusClosedError):
        bus.send("acme/stopper", "again")


def test_default_bus_is_one_per_process():
    assert msgbus.default_bus() is msgbus.default_bus()
    assert isinstance(msgbus.default_bus(), msgbus.MessageBus)
