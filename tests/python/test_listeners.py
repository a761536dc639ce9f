"""Listeners: registration handles, the decorator, exceptions, and
unregistering while calls are running."""

import logging
import threading

import pytest

import msgbus
from conftest import Latch, Recorder


def test_decorator_registers_and_returns_the_function(bus):
    bus.add_destination("acme/deco", "synchronous")
    seen = []

    @bus.listener("acme/deco")
    def on_message(message):
        seen.append(message.payload)

    assert callable(on_message) and on_message.__name__ == "on_message"
    bus.send("acme/deco", "x")
    assert seen == ["x"] and bus.has_listener("acme/deco")


def test_unregister_is_idempotent(bus):
    bus.add_destination("acme/once", "serial")
    handle = bus.register_listener("acme/once", lambda m: None)
    assert "acme/once" in repr(handle) and handle.id > 0
    assert handle.unregister() is True
    assert handle.unregister() is False
    assert not bus.has_listener("acme/once")


def test_a_raising_listener_is_logged_counted_and_survived(bus, caplog):
    bus.add_destination("acme/fail", "serial")

    def refuses_zero(message):
        if message.payload == 0:
            raise ValueError("refused zero")

    bus.register_listener("acme/fail", refuses_zero)
    seen = Recorder(3)
    bus.register_listener("acme/fail", seen)
    for i in range(3):
        bus.send("acme/fail", i)
    assert seen.done.wait()
    bus.shutdown()
    assert seen.payloads == [0, 1, 2], "the other listener got everything"
    stats = bus.statistics("acme/fail")
    assert (stats.failed_message_count, stats.delivered_message_count) == (1, 2)
    [record] = [r for r in caplog.records if r.name == "msgbus"]
    assert record.levelno == logging.ERROR
    assert "refuses_zero" in record.getMessage() and "acme/fail" in record.getMessage()
    assert record.exc_info[0] is ValueError
    assert "refused zero" in caplog.text and "Traceback" in caplog.text


def test_unregister_waits_for_running_calls(bus):
    bus.add_destination("acme/slow", "serial")
    entered, finished = Latch(), threading.Event()
    release = threading.Event()

    def slow(message):
        entered.count_down()
        release.wait(20)
        finished.set()

    handle = bus.register_listener("acme/slow", slow)
    bus.send("acme/slow", "x")
    assert entered.wait()
    threading.Timer(0.05, release.set).start()
    assert handle.unregister()
    assert finished.is_set(), "unregister returned only after the call"


def test_a_listener_may_unregister_itself(bus):
    bus.add_destination("acme/self", "serial")
    calls = Recorder()
    handles = []

    def once(message):
        handles[0].unregister()
        calls(message)

    handles.append(bus.register_listener("acme/self", once))
    bus.send("acme/self", 1)
    assert calls.done.wait()
    bus.send("acme/self", 2)
    bus.shutdown()
    assert calls.payloads == [1]


def test_unregistering_many_listeners_under_load(bus):
    bus.add_destination(
        "acme/churn", "parallel", workers_core_size=2, workers_max_size=4,
        max_queue_size=64, rejection_policy="block",
    )
    stop = threading.Event()

    def sender():
        while not stop.is_set():
            bus.send("acme/churn", 0)

    producer = threading.Thread(target=sender)
    producer.start()
    rounds = []
    try:
        for _ in range(100):
            calls, called = [], threading.Event()
            handle = bus.register_listener(
                "acme/churn", lambda m, calls=calls, called=called: (calls.append(m), called.set())
            )
            assert called.wait(20)
            assert handle.unregister()
            rounds.append((calls, len(calls)))
    finally:
        stop.set()
        producer.join()
    bus.shutdown()
    assert all(len(calls) == count for calls, count in rounds), "no call after unregister"


def test_a_listener_that_is_not_callable_is_a_type_error(bus):
    with pytest.raises(TypeError, match="callable"):
        bus.register_listener("acme/x", 42)
    with pytest.raises(TypeError, match="callable"):
        bus.add_event_listener("not callable")


@pytest.mark.parametrize("kind", ["serial", "parallel", "synchronous"])
def test_a_listener_may_send_to_its_own_destination(bus, kind):
    bus.add_destination("acme/echo", kind)
    seen = Recorder(4)

    def echo(message):
        if message.payload < 3:
            bus.send("acme/echo", message.payload + 1)
        if message.payload == 1:
            raise RuntimeError("fails on one, echoes anyway")

    bus.register_listener("acme/echo", echo)
    bus.register_listener("acme/echo", seen)
    bus.send("acme/echo", 0)
    assert seen.done.wait()
    bus.shutdown()
    assert sorted(seen.payloads) == [0, 1, 2, 3]
    stats = bus.statistics("acme/echo")
    assert (stats.sent_message_count, stats.failed_message_count) == (4, 1)


def test_messages_a_listener_keeps_keep_their_contents(bus: msgbus.MessageBus) -> None:
    """The Message object of a call the listener did not keep is reused for
    its next call; one it kept never changes under it."""
    bus.add_destination("acme/keeps", "serial")
    kept: list[msgbus.Message] = []
    seen: list[tuple[int, int]] = []
    done = Recorder(expected=200)

    def keeps_every_other(message: msgbus.Message) -> None:
        seen.append((message.payload, message["seq"]))
        if message["seq"] % 2 == 0:
            kept.append(message)
        done.done.count_down()

    bus.register_listener("acme/keeps", keeps_every_other)
    destination = bus.destination("acme/keeps")
    for seq in range(200):
        destination.send(seq * 10, {"seq": seq})
    assert done.done.wait()
    assert seen == [(seq * 10, seq) for seq in range(200)]
    assert [(m.payload, m["seq"]) for m in kept] == [(seq * 10, seq) for seq in range(0, 200, 2)]
    assert len({id(m) for m in kept}) == 100
