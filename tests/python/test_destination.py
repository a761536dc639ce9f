"""Destination handles (`bus.destination(name)`): a send through one is a
send to its name, with a bare payload and values or with a `Message`, one
at a time or many in one call."""

import queue
import types

import pytest

import msgbus
from conftest import PATIENCE, Recorder


def collect(bus: msgbus.MessageBus, name: str, kind: str = "serial") -> "queue.Queue[msgbus.Message]":
    bus.add_destination(name, kind)
    received: "queue.Queue[msgbus.Message]" = queue.Queue()
    bus.register_listener(name, received.put)
    return received


def test_a_bare_payload_and_values_arrive_as_a_message(bus: msgbus.MessageBus) -> None:
    received = collect(bus, "acme/h")
    destination = bus.destination("acme/h")
    long_text = "x" * 100
    destination.send(b"\x00" * 16, {"seq": 7, "flag": True, "ratio": 0.5, "none": None, "text": long_text})
    message = received.get(timeout=PATIENCE)
    assert message.payload == b"\x00" * 16
    assert message.destination_name == "acme/h"
    # A None value removes its key, as Message(values=...) does.
    assert dict(message.values) == {"seq": 7, "flag": True, "ratio": 0.5, "text": long_text}


def test_values_that_are_not_described_in_place_still_arrive(bus: msgbus.MessageBus) -> None:
    """More than eight values, a mapping that is not a dict, an int beyond
    64 bits and an arbitrary object take the slow path, unchanged."""
    received = collect(bus, "acme/slow")
    destination = bus.destination("acme/slow")
    many = {f"k{i}": i for i in range(12)}
    destination.send("many", many)
    destination.send("proxy", types.MappingProxyType({"seq": 1}))
    token = object()
    destination.send(2**70, {"big": 2**70, "object": token})
    assert dict(received.get(timeout=PATIENCE).values) == many
    assert dict(received.get(timeout=PATIENCE).values) == {"seq": 1}
    last = received.get(timeout=PATIENCE)
    assert last.payload == 2**70 and last["big"] == 2**70 and last["object"] is token


def test_a_message_is_sent_as_it_is_and_refuses_values(bus: msgbus.MessageBus) -> None:
    received = collect(bus, "acme/m")
    destination = bus.destination("acme/m")
    destination.send(msgbus.Message("payload", values={"a": 1}))
    assert dict(received.get(timeout=PATIENCE).values) == {"a": 1}
    with pytest.raises(TypeError, match="values are for a bare payload"):
        destination.send(msgbus.Message("payload"), {"a": 2})
    assert received.empty()


def test_send_many_keeps_order_and_counts(bus: msgbus.MessageBus) -> None:
    recorder = Recorder(expected=300)
    bus.add_destination("acme/many", "serial")
    bus.register_listener("acme/many", recorder)
    destination = bus.destination("acme/many")
    assert destination.send_many(range(100)) == 100
    assert destination.send_many(msgbus.Message(i) for i in range(100, 200)) == 100
    assert destination.send_many([*range(200, 300)]) == 100
    assert recorder.done.wait()
    assert recorder.payloads == list(range(300))
    assert bus.statistics("acme/many").sent_message_count == 300


def test_send_many_stops_at_the_first_refusal_and_says_how_many_went(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/full", "serial", max_queue_size=2)
    held = Recorder()
    bus.register_listener("acme/full", lambda _m: held.done.wait())
    destination = bus.destination("acme/full")
    with pytest.raises(msgbus.QueueFullError) as refused:
        destination.send_many(range(10))
    sent = refused.value.sent  # type: ignore[attr-defined]
    assert 2 <= sent <= 3, sent  # the worker may have taken the first one
    held.done.count_down()


def test_send_direct_returns_the_response(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/d", "synchronous")

    def doubles(message: msgbus.Message) -> None:
        message.response = message.payload * message.get("factor", 1)

    bus.register_listener("acme/d", doubles)
    destination = bus.destination("acme/d")
    assert destination.send_direct(21, {"factor": 2}) == 42
    assert destination.send_direct(msgbus.Message(5)) == 5


def test_a_handle_needs_an_existing_destination_and_names_it(bus: msgbus.MessageBus) -> None:
    with pytest.raises(msgbus.NoSuchDestinationError, match="acme/none"):
        bus.destination("acme/none")
    bus.add_destination("acme/named", "serial")
    destination = bus.destination("acme/named")
    assert destination.name == "acme/named"
    assert destination.bus is bus
    assert repr(destination) == '<msgbus.Destination "acme/named">'


def test_a_handle_follows_its_name_to_a_replacement(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/r", "synchronous")
    destination = bus.destination("acme/r")
    bus.replace_destination("acme/r", "serial")
    recorder = Recorder(expected=2)
    bus.register_listener("acme/r", recorder)
    destination.send(1)
    destination.send(2, {"seq": 2})
    assert recorder.done.wait()
    assert recorder.payloads == [1, 2]
    assert all(thread != "MainThread" for thread in recorder.threads)


def test_a_handle_to_a_removed_destination_sends_a_dead_letter(bus: msgbus.MessageBus) -> None:
    dead = collect(bus, "acme/dead", "synchronous")
    bus.set_dead_letter_destination("acme/dead")
    calls = Recorder()
    bus.add_destination("acme/gone", "synchronous")
    bus.register_listener("acme/gone", calls)
    destination = bus.destination("acme/gone")
    bus.remove_destination("acme/gone")
    with pytest.raises(msgbus.NoSuchDestinationError, match="acme/gone"):
        destination.send("late", {"seq": 1})
    letter = dead.get(timeout=PATIENCE)
    assert letter.payload == "late" and letter["msgbus.reason"] == "no_such_destination"
    assert calls.items == []


def test_bad_keys_are_refused_and_nothing_is_sent(bus: msgbus.MessageBus) -> None:
    received = collect(bus, "acme/keys")
    destination = bus.destination("acme/keys")
    with pytest.raises(msgbus.InvalidArgumentError, match="NUL"):
        destination.send("x", {"a\0b": 1})
    with pytest.raises(TypeError):
        destination.send("x", {1: 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        destination.send("x", [("a", 1)])  # type: ignore[arg-type]
    destination.send("ok")
    assert received.get(timeout=PATIENCE).payload == "ok"
    assert received.empty()


def test_a_handle_after_shutdown_refuses_as_the_bus_does() -> None:
    bus = msgbus.MessageBus()
    bus.add_destination("acme/late", "serial")
    destination = bus.destination("acme/late")
    bus.shutdown()
    with pytest.raises(msgbus.BusClosedError):
        destination.send("late", {"seq": 1})
    with pytest.raises(msgbus.BusClosedError):
        destination.send(msgbus.Message("late"))
