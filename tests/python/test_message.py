"""Message: fields as attributes, values as a mapping, and which Python
objects become shared values and which travel by reference."""

import threading

import pytest

import msgbus
from conftest import Latch, Recorder


def test_fields_are_attributes():
    message = msgbus.Message(
        "N8K5Baker#_activate",
        values={"k": 1},
        response_destination_name="acme/n8k5_baker",
        response_id="id-1",
    )
    assert message.payload == "N8K5Baker#_activate"
    assert message.response_destination_name == "acme/n8k5_baker"
    assert message.response_id == "id-1"
    assert message.destination_name is None
    assert message.response is None
    assert message.values == {"k": 1}
    message.payload = b"\x00raw"
    message.response_id = None
    assert (message.payload, message.response_id) == (b"\x00raw", None)


def test_values_are_a_mapping():
    message = msgbus.Message()
    message.put("a", 1)
    message["b"] = "two"
    assert message.get("a") == 1 and message["b"] == "two"
    assert message.contains("a") and "b" in message and "c" not in message
    assert list(message) == ["a", "b"] and len(message) == 2
    assert message.get("c") is None and message.get("c", 3) == 3
    with pytest.raises(KeyError):
        message["c"]
    assert message.remove("a") == 1 and message.remove("a") is None
    del message["b"]
    with pytest.raises(KeyError):
        del message["b"]
    assert message.values == {}


def test_setting_a_key_to_none_removes_it():
    message = msgbus.Message(values={"a": 1})
    message["a"] = None
    assert "a" not in message and len(message) == 0


class Point:
    def __init__(self, x):
        self.x = x


class Label(str):
    pass


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, -(2**63), 2**63 - 1, 1.5, float("inf"), "", "héllo", b"", b"\xff\x00"],
)
def test_shared_value_types_round_trip_with_their_type(bus, value):
    bus.add_destination("acme/values", "synchronous")
    seen = Recorder()
    bus.register_listener("acme/values", seen)
    bus.send("acme/values", msgbus.Message(value, values={"v": value}))
    [payload] = seen.payloads
    assert payload == value and type(payload) is type(value)


@pytest.mark.parametrize(
    "value",
    [Point(1), [1, 2], {"a": 1}, 2**64, Label("x"), "\ud800", (1,)],
    ids=["object", "list", "dict", "big-int", "str-subclass", "lone-surrogate", "tuple"],
)
def test_other_objects_travel_by_reference(bus, value):
    bus.add_destination("acme/objects", "serial")
    seen = []
    done = Recorder()
    bus.register_listener(
        "acme/objects", lambda m: (seen.append((m.payload, m["v"])), done(m))
    )
    bus.send("acme/objects", msgbus.Message(value, values={"v": value}))
    assert done.done.wait()
    assert seen[0][0] is value and seen[0][1] is value


@pytest.mark.parametrize("kind", ["serial", "parallel"])
@pytest.mark.parametrize("payload", [b"\x01" * 100_000, "é" * 50_000], ids=["bytes", "str"])
def test_every_listener_is_handed_the_object_that_was_sent(bus, kind, payload):
    """A long str or bytes is not copied per listener (nor per access):
    serial and parallel listeners alike get the very object sent."""
    tuning = {"workers_core_size": 4, "workers_max_size": 4} if kind == "parallel" else {}
    bus.add_destination("acme/fan", kind, **tuning)
    seen = []
    done = Latch(4)
    lock = threading.Lock()

    def listener(message):
        with lock:
            seen.extend([message.payload, message.payload, message["v"]])
        done.count_down()

    for _ in range(4):
        bus.register_listener("acme/fan", listener)
    bus.send("acme/fan", msgbus.Message(payload, values={"v": payload}))
    assert done.wait()
    assert len(seen) == 12 and all(p is payload for p in seen)


def test_changes_after_send_are_not_seen(bus):
    bus.add_destination("acme/snapshot", "serial")
    seen = Recorder()
    bus.register_listener(
        "acme/snapshot", lambda m: seen.record((m.payload, m.values))
    )
    message = msgbus.Message("before", values={"k": "before"})
    bus.send("acme/snapshot", message)
    message.payload = "after"
    message["k"] = "after"
    message["new"] = 1
    assert seen.done.wait()
    assert seen.items == [("before", {"k": "before"})]


def test_destination_name_is_set_by_the_bus(bus):
    bus.add_destination("acme/named", "synchronous")
    names = []
    bus.register_listener("acme/named", lambda m: names.append(m.destination_name))
    message = msgbus.Message("x")
    bus.send("acme/named", message)
    assert names == ["acme/named"]
    assert message.destination_name is None


def test_repr_names_the_fields():
    text = repr(msgbus.Message("p", values={"k": 1}, response_destination_name="acme/r"))
    assert text == "Message(payload='p', values={'k': 1}, response_destination_name='acme/r')"
