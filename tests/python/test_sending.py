"""Asynchronous sending: its outcomes, and the rejection policies of a
full queue."""

import threading

import pytest

import msgbus
from conftest import Latch, Recorder


def test_sending_to_a_missing_destination_raises(bus):
    with pytest.raises(msgbus.NoSuchDestinationError, match="acme/none"):
        bus.send("acme/none", "x")


def test_sending_without_listeners_drops_and_counts(bus):
    for name, kind in [("acme/s", "serial"), ("acme/p", "parallel"), ("acme/y", "synchronous")]:
        bus.add_destination(name, kind)
        bus.send(name, "nobody")
        stats = bus.statistics(name)
        assert (stats.sent_message_count, stats.dropped_no_listener_count) == (1, 1), name


def test_a_bare_payload_becomes_a_message(bus):
    bus.add_destination("acme/bare", "synchronous")
    seen = []
    bus.register_listener("acme/bare", seen.append)
    bus.send("acme/bare", 42)
    assert isinstance(seen[0], msgbus.Message) and seen[0].payload == 42


def held_destination(bus, name, **tuning):
    """A serial destination whose worker is held inside the first message
    until the returned event is set; later messages queue behind it."""
    bus.add_destination(name, "serial", max_queue_size=2, **tuning)
    gate, entered = threading.Event(), Latch()
    seen = Recorder(1)

    def listener(message):
        if message.payload == 0:
            entered.count_down()
            assert gate.wait(20)
        seen.record((message.payload, threading.current_thread().name))

    bus.register_listener(name, listener)
    bus.send(name, 0)
    assert entered.wait()
    bus.send(name, 1)
    bus.send(name, 2)
    return gate, seen


def test_discard_raises_queue_full_and_counts(bus, caplog):
    gate, seen = held_destination(bus, "acme/discard")
    with pytest.raises(msgbus.QueueFullError):
        bus.send("acme/discard", 3)
    gate.set()
    bus.shutdown()
    assert sorted(seen.payloads) == [0, 1, 2]
    assert bus.statistics("acme/discard").rejected_message_count == 1
    assert any(
        r.name == "msgbus" and r.levelname == "WARNING" and "full" in r.getMessage()
        for r in caplog.records
    )


def test_caller_runs_delivers_in_the_senders_thread(bus):
    gate, seen = held_destination(bus, "acme/runs", rejection_policy="caller_runs")
    bus.send("acme/runs", 3)
    assert (3, "MainThread") in seen.items
    gate.set()
    bus.shutdown()
    assert sorted(seen.payloads) == [0, 1, 2, 3]


def test_block_waits_for_room_without_holding_the_gil(bus):
    gate, seen = held_destination(
        bus, "acme/block", rejection_policy=msgbus.RejectionPolicy.BLOCK
    )
    sent = threading.Event()
    sender = threading.Thread(target=lambda: (bus.send("acme/block", 3), sent.set()))
    sender.start()
    assert not sent.wait(0.2), "the sender waits while the queue is full"
    gate.set()
    sender.join(20)
    assert sent.is_set()
    bus.shutdown()
    assert seen.payloads == [0, 1, 2, 3]


def test_block_gives_up_after_its_timeout(bus):
    gate, _ = held_destination(bus, "acme/gives-up", rejection_policy="block", block_timeout=0.05)
    with pytest.raises(msgbus.QueueFullError):
        bus.send("acme/gives-up", 3)
    gate.set()
    assert bus.statistics("acme/gives-up").rejected_message_count == 1
