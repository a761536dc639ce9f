"""Registration events, for the whole bus or one destination."""

import pytest

import msgbus


def test_events_of_the_whole_bus(bus):
    events = []
    handle = bus.add_event_listener(events.append)
    bus.add_destination("acme/e", "serial")
    listener = bus.register_listener("acme/e", lambda m: None)
    listener.unregister()
    bus.remove_destination("acme/e")
    assert [(e.kind, e.destination, e.listener_id) for e in events] == [
        ("destination_added", "acme/e", None),
        ("listener_registered", "acme/e", listener.id),
        ("listener_unregistered", "acme/e", listener.id),
        ("destination_removed", "acme/e", None),
    ]
    assert "destination_added" in repr(events[0])
    assert handle.remove() is True and handle.remove() is False
    bus.add_destination("acme/after", "serial")
    assert len(events) == 4


def test_events_of_one_destination(bus):
    events = []
    bus.add_event_listener(events.append, destination="acme/mine")
    bus.add_destination("acme/other", "serial")
    bus.add_destination("acme/mine", "serial")
    assert [(e.kind, e.destination) for e in events] == [("destination_added", "acme/mine")]


def test_an_event_listener_may_call_back_into_the_bus(bus):
    seen = []

    def on_added(event):
        if event.kind == "destination_added" and event.destination == "acme/auto":
            bus.register_listener("acme/auto", lambda m: seen.append(m.payload))
            bus.send("acme/auto", "from the event listener")

    bus.add_event_listener(on_added)
    bus.add_destination("acme/auto", "synchronous")
    assert seen == ["from the event listener"]


def test_an_event_listener_that_raises_is_logged(bus, caplog):
    def broken(event):
        raise RuntimeError("broken event listener")

    bus.add_event_listener(broken)
    bus.add_destination("acme/logged", "serial")
    assert bus.has_destination("acme/logged")
    [record] = [r for r in caplog.records if r.name == "msgbus"]
    assert record.exc_info[0] is RuntimeError


def test_an_empty_destination_filter_is_invalid(bus):
    with pytest.raises(msgbus.InvalidArgumentError):
        bus.add_event_listener(lambda e: None, destination="")
