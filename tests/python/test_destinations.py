"""Destinations: the registry, the three types and their order guarantees,
worker threads, pending listeners, replace and statistics."""

import threading

import pytest

import msgbus
from conftest import Latch, Recorder


def test_registry(bus):
    bus.add_destination("acme/b", "serial")
    bus.add_destination("acme/a", msgbus.DestinationType.PARALLEL)
    assert bus.has_destination("acme/a") and not bus.has_destination("acme/c")
    assert bus.destination_names() == ["acme/a", "acme/b", "msgbus/default_response"]
    with pytest.raises(msgbus.DestinationExistsError):
        bus.add_destination("acme/a", "serial")
    bus.remove_destination("acme/a")
    assert not bus.has_destination("acme/a")
    with pytest.raises(msgbus.NoSuchDestinationError):
        bus.remove_destination("acme/a")


def test_serial_keeps_send_order_in_one_named_worker(bus):
    bus.add_destination("acme/n8k5_able", "serial")
    seen = Recorder(1000)
    bus.register_listener("acme/n8k5_able", seen)
    for i in range(1000):
        bus.send("acme/n8k5_able", i)
    assert seen.done.wait()
    assert seen.payloads == list(range(1000))
    assert seen.threads == {"acme/n8k5_able-1"}


def test_serial_calls_listeners_in_registration_order(bus):
    bus.add_destination("acme/order", "serial")
    calls = Recorder(30)
    for index in range(3):
        bus.register_listener(
            "acme/order", lambda m, index=index: calls.record((m.payload, index))
        )
    for i in range(10):
        bus.send("acme/order", i)
    assert calls.done.wait()
    assert calls.items == [(i, index) for i in range(10) for index in range(3)]


def test_parallel_gives_every_listener_every_message(bus):
    bus.add_destination("acme/fan", "parallel", workers_core_size=2, workers_max_size=4)
    recorders = [Recorder(200) for _ in range(4)]
    for recorder in recorders:
        bus.register_listener("acme/fan", recorder)
    for i in range(200):
        bus.send("acme/fan", i)
    for recorder in recorders:
        assert recorder.done.wait()
        assert sorted(recorder.payloads) == list(range(200))
    stats = bus.statistics("acme/fan")
    assert (stats.min_thread_pool_size, stats.max_thread_pool_size) == (2, 4)


def test_parallel_runs_listeners_concurrently(bus):
    bus.add_destination("acme/together", "parallel", workers_core_size=2, workers_max_size=2)
    both_inside = threading.Barrier(2, timeout=20)
    threads = Recorder(2)
    bus.register_listener(
        "acme/together",
        lambda m: (both_inside.wait(), threads.record(threading.current_thread().name)),
    )
    bus.send("acme/together", 1)
    bus.send("acme/together", 2)
    assert threads.done.wait()
    assert sorted(threads.items) == ["acme/together-1", "acme/together-2"]


def test_synchronous_delivers_in_the_senders_thread_before_send_returns(bus):
    bus.add_destination("acme/sync", "synchronous")
    seen = Recorder(2)
    bus.register_listener("acme/sync", seen)
    bus.register_listener("acme/sync", seen)
    bus.send("acme/sync", "now")
    assert seen.items == [("now", "MainThread")] * 2


def test_a_listener_may_wait_for_its_destination(bus):
    seen = Recorder()
    handle = bus.register_listener("acme/later", seen)
    assert handle.destination == "acme/later"
    assert not bus.has_listener("acme/later")
    bus.add_destination("acme/later", "serial")
    assert bus.has_listener("acme/later")
    bus.send("acme/later", "hello")
    assert seen.done.wait() and seen.payloads == ["hello"]


def test_replace_keeps_listeners_and_drains_the_old_queue_first(bus):
    bus.add_destination("acme/swap", "serial")
    gate, entered = threading.Event(), Latch()
    seen = Recorder(20)

    def listener(message):
        if message.payload == 0:
            entered.count_down()
            gate.wait(20)
        seen(message)

    bus.register_listener("acme/swap", listener)
    for i in range(10):
        bus.send("acme/swap", i)
    assert entered.wait()
    bus.replace_destination("acme/swap", "parallel", workers_core_size=1, workers_max_size=1)
    for i in range(10, 20):
        bus.send("acme/swap", i)
    gate.set()
    assert seen.done.wait()
    assert seen.payloads == list(range(20))
    assert bus.statistics("acme/swap").max_thread_pool_size == 1


def test_statistics_count_what_happened(bus):
    bus.add_destination("acme/stats", "synchronous")
    bus.send("acme/stats", "nobody listens")
    bus.register_listener("acme/stats", lambda m: None)
    bus.send("acme/stats", "heard")
    stats = bus.statistics("acme/stats")
    assert stats.sent_message_count == 2
    assert stats.dropped_no_listener_count == 1
    assert stats.delivered_message_count == 1
    assert stats.listener_count == 1
    assert stats == bus.statistics("acme/stats")
    assert "sent=2" in repr(stats)
    with pytest.raises(msgbus.NoSuchDestinationError):
        bus.statistics("acme/none")


def test_pool_grows_to_max_before_a_task_waits(bus):
    bus.add_destination("acme/grow", "parallel", workers_core_size=2, workers_max_size=5)
    gate, inside = threading.Event(), Latch(5)
    bus.register_listener("acme/grow", lambda m: (inside.count_down(), gate.wait(20)))
    for i in range(5):
        bus.send("acme/grow", i)
    assert inside.wait(), "five tasks ran at once"
    stats = bus.statistics("acme/grow")
    gate.set()
    assert (stats.current_thread_count, stats.active_thread_count) == (5, 5)


def test_a_destination_whose_worker_cannot_start_is_delivered_by_its_senders(bus, caplog):
    # No address space holds a 1 PiB stack: the system refuses the thread.
    bus.add_destination("acme/no_threads", "serial", stack_size=1 << 50)
    seen = []
    bus.register_listener("acme/no_threads", lambda m: seen.append((m.payload, threading.current_thread())))
    for i in range(100):
        bus.send("acme/no_threads", i)
    bus.shutdown()
    assert [payload for payload, _ in seen] == list(range(100))
    assert {thread for _, thread in seen} == {threading.current_thread()}
    stats = bus.statistics("acme/no_threads")
    assert (stats.sent_message_count, stats.delivered_message_count, stats.pending_message_count) == (100, 100, 0)
    assert any("cannot start a worker for acme/no_threads" in r.getMessage() for r in caplog.records)


def test_a_stack_below_what_a_thread_needs_is_refused(bus):
    with pytest.raises(msgbus.InvalidArgumentError, match="stack_size"):
        bus.add_destination("acme/tiny", "serial", stack_size=4096)
