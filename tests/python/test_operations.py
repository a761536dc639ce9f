"""Operations (SPEC §9): dead letters, interceptors, delayed and periodic
sends, and metrics (the text, the dict, and the prometheus_client
collector). Nothing here sleeps to synchronise: listeners hand what they
see to queues and latches, waited on with a timeout."""

import json
import logging
import queue
import subprocess
import sys
import threading
import textwrap
import time
import weakref
from typing import Any

import pytest

import msgbus
from conftest import PATIENCE, Latch, Recorder


def collect_into(bus: msgbus.MessageBus, destination: str) -> "queue.Queue[msgbus.Message]":
    """A queue that gets every message `destination` receives (kept: each
    is a copy of its own)."""
    received: "queue.Queue[msgbus.Message]" = queue.Queue()
    bus.register_listener(destination, received.put)
    return received


# --- dead letters ---------------------------------------------------------------------


def test_a_failing_listeners_message_is_dead_lettered_with_its_reason(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/dead", "serial")
    dead = collect_into(bus, "acme/dead")
    bus.set_dead_letter_destination("acme/dead")
    bus.add_destination("acme/orders", "serial")

    def refuses(message: msgbus.Message) -> None:
        raise RuntimeError(f"no stock for order {message['order']}")

    bus.register_listener("acme/orders", refuses)
    bus.send("acme/orders", msgbus.Message("the order", values={"order": 7}))
    letter = dead.get(timeout=PATIENCE)
    assert letter.payload == "the order"
    assert letter["order"] == 7, "the original values travel with it"
    assert letter["msgbus.reason"] == "failed"
    assert letter["msgbus.destination"] == "acme/orders"
    assert "no stock for order 7" in letter["msgbus.error"]
    assert "refuses" in letter["msgbus.error"], "the error names the listener"
    bus.shutdown()
    assert dead.empty(), "once"
    assert bus.statistics("acme/orders").failed_message_count == 1


def test_a_full_queues_rejected_message_is_dead_lettered(bus: msgbus.MessageBus, caplog: pytest.LogCaptureFixture) -> None:
    bus.add_destination("acme/dead", "serial")
    dead = collect_into(bus, "acme/dead")
    bus.set_dead_letter_destination("acme/dead")
    bus.add_destination("acme/narrow", "serial", max_queue_size=1)
    entered, release = threading.Event(), threading.Event()
    seen = Recorder(2)

    def held(message: msgbus.Message) -> None:
        entered.set()
        assert release.wait(PATIENCE)
        seen(message)

    bus.register_listener("acme/narrow", held)
    bus.send("acme/narrow", 1)
    assert entered.wait(PATIENCE), "the worker holds message 1"
    bus.send("acme/narrow", 2)  # fills the queue
    with pytest.raises(msgbus.QueueFullError):
        bus.send("acme/narrow", 3)
    letter = dead.get(timeout=PATIENCE)
    assert (letter.payload, letter["msgbus.reason"], letter["msgbus.destination"]) == (3, "rejected", "acme/narrow")
    assert "msgbus.error" not in letter
    release.set()
    assert seen.done.wait()
    assert seen.payloads == [1, 2]
    assert bus.statistics("acme/narrow").rejected_message_count == 1


def test_messages_without_listener_or_destination_are_dead_lettered(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/dead", "synchronous")
    dead = collect_into(bus, "acme/dead")
    bus.set_dead_letter_destination("acme/dead")
    bus.add_destination("acme/quiet", "serial")
    bus.send("acme/quiet", "unheard")
    with pytest.raises(msgbus.NoSuchDestinationError):
        bus.send("acme/nowhere", "lost")
    letters = sorted((dead.get(timeout=PATIENCE) for _ in range(2)), key=lambda m: m.payload)
    assert [(m.payload, m["msgbus.reason"], m["msgbus.destination"]) for m in letters] == [
        ("lost", "no_such_destination", "acme/nowhere"),
        ("unheard", "no_listener", "acme/quiet"),
    ]


def test_a_destinations_own_dead_letter_destination_wins(bus: msgbus.MessageBus) -> None:
    for name in ("acme/dead", "acme/own_dead"):
        bus.add_destination(name, "serial")
    dead, own_dead = collect_into(bus, "acme/dead"), collect_into(bus, "acme/own_dead")
    bus.set_dead_letter_destination("acme/dead")
    bus.add_destination("acme/picky", "serial", dead_letter_destination="acme/own_dead")
    bus.add_destination("acme/plain", "serial", dead_letter_destination=None)

    def fails(message: msgbus.Message) -> None:
        raise ValueError("refused")

    for name in ("acme/picky", "acme/plain"):
        bus.register_listener(name, fails)
        bus.send(name, name)
    assert own_dead.get(timeout=PATIENCE).payload == "acme/picky"
    assert dead.get(timeout=PATIENCE).payload == "acme/plain"
    bus.shutdown()
    assert dead.empty() and own_dead.empty()


def test_a_replaced_destination_takes_its_new_dead_letter_destination(bus: msgbus.MessageBus) -> None:
    for name in ("acme/dead", "acme/other_dead"):
        bus.add_destination(name, "synchronous")
    dead, other = collect_into(bus, "acme/dead"), collect_into(bus, "acme/other_dead")
    bus.add_destination("acme/quiet", "synchronous", dead_letter_destination="acme/dead")
    bus.send("acme/quiet", 1)
    bus.replace_destination("acme/quiet", "synchronous", dead_letter_destination="acme/other_dead")
    bus.send("acme/quiet", 2)
    assert (dead.get(timeout=PATIENCE).payload, other.get(timeout=PATIENCE).payload) == (1, 2)


def test_without_a_dead_letter_destination_nothing_changes(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/dead", "synchronous")
    dead = collect_into(bus, "acme/dead")
    bus.set_dead_letter_destination("acme/dead")
    bus.set_dead_letter_destination(None)
    bus.add_destination("acme/quiet", "synchronous")
    bus.send("acme/quiet", "unheard")
    assert dead.empty()
    assert bus.statistics("acme/quiet").dropped_no_listener_count == 1
    assert bus.statistics("acme/dead").sent_message_count == 0


def test_a_failure_at_the_dead_letter_destination_is_not_dead_lettered_again(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/dead", "synchronous")
    calls = Recorder()

    def fails_too(message: msgbus.Message) -> None:
        calls(message)
        raise RuntimeError("the dead-letter listener fails too")

    bus.register_listener("acme/dead", fails_too)
    bus.set_dead_letter_destination("acme/dead")
    bus.add_destination("acme/work", "synchronous")
    bus.register_listener("acme/work", fails_too)
    bus.send("acme/work", "x")
    assert len(calls.items) == 2, "the original, then its dead letter; no third"
    assert bus.statistics("acme/dead").failed_message_count == 1
    assert bus.metrics()["destinations"][0]["dead_letters"]["failed"] == 0


# --- interceptors ---------------------------------------------------------------------


def test_an_interceptor_that_adds_traceparent_is_seen_by_the_listener(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/traced", "serial")
    received = collect_into(bus, "acme/traced")
    seen: list[tuple[str, Any]] = []

    def trace(destination: str, message: msgbus.Message) -> None:
        seen.append((destination, message.payload))
        message.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")

    handle = bus.add_interceptor(trace)
    sent = msgbus.Message("x", values={"kept": True})
    bus.send("acme/traced", sent)
    message = received.get(timeout=PATIENCE)
    assert message["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert message["kept"] is True
    assert "traceparent" not in sent, "the sender's own message is unchanged"
    assert seen == [("acme/traced", "x")]
    assert bus.metrics()["bus"]["interceptor_count"] == 1
    assert isinstance(handle, msgbus.InterceptorHandle)


def test_an_interceptor_that_returns_true_consumes_the_message(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/guarded", "serial")
    received = collect_into(bus, "acme/guarded")
    bus.add_interceptor(lambda destination, message: message.payload == "secret")
    bus.send("acme/guarded", "secret")  # consumed: the send succeeds
    bus.send("acme/guarded", "public")
    assert received.get(timeout=PATIENCE).payload == "public"
    bus.shutdown()
    assert received.empty(), "the listener never got the consumed message"
    assert bus.metrics()["bus"]["intercepted_count"] == 1
    assert bus.statistics("acme/guarded").sent_message_count == 1


def test_an_interceptor_runs_before_the_lookup_and_may_consume_a_send_to_nowhere(bus: msgbus.MessageBus) -> None:
    names: list[str] = []

    def swallow(destination: str, message: msgbus.Message) -> bool:
        names.append(destination)
        return True

    bus.add_interceptor(swallow)
    bus.send("acme/nowhere", "x")
    assert names == ["acme/nowhere"]


def test_interceptors_run_in_registration_order_and_see_each_others_changes(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/ordered", "synchronous")
    received = collect_into(bus, "acme/ordered")
    order: list[str] = []

    def first(destination: str, message: msgbus.Message) -> None:
        order.append("first")
        message.put("hops", 1)

    def second(destination: str, message: msgbus.Message) -> None:
        order.append("second")
        message.put("hops", message["hops"] + 1)
        message.payload = message.payload.upper()

    bus.add_interceptor(first)
    bus.add_interceptor(second)
    bus.send("acme/ordered", "x")
    message = received.get(timeout=PATIENCE)
    assert order == ["first", "second"]
    assert (message.payload, message["hops"]) == ("X", 2)


def test_an_interceptor_exception_is_logged_and_the_message_goes_on(
    bus: msgbus.MessageBus, caplog: pytest.LogCaptureFixture
) -> None:
    bus.add_destination("acme/onward", "serial")
    received = collect_into(bus, "acme/onward")

    def broken(destination: str, message: msgbus.Message) -> bool:
        message.put("half", "done")
        raise ValueError("the tracer is broken")

    bus.add_interceptor(broken)
    bus.send("acme/onward", "x")
    message = received.get(timeout=PATIENCE)
    assert message.payload == "x"
    [record] = [r for r in caplog.records if r.name == "msgbus"]
    assert record.levelno == logging.ERROR
    assert "broken" in record.getMessage() and "acme/onward" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is ValueError
    assert "the tracer is broken" in caplog.text and "Traceback" in caplog.text
    assert bus.metrics()["bus"]["interceptor_failed_count"] == 1
    assert bus.metrics()["bus"]["intercepted_count"] == 0


def test_an_interceptor_exception_is_not_the_cause_of_a_listener_error(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/direct", "synchronous")

    def broken(destination: str, message: msgbus.Message) -> None:
        raise ValueError("interceptor")

    def fails(message: msgbus.Message) -> None:
        raise RuntimeError("listener")

    bus.add_interceptor(broken)
    bus.register_listener("acme/direct", fails)
    with pytest.raises(msgbus.ListenerError) as raised:
        bus.send_direct("acme/direct", "x")
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_a_keyboard_interrupt_in_an_interceptor_reaches_the_sender_after_the_send(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/sync", "synchronous")
    received = collect_into(bus, "acme/sync")

    def interrupted(destination: str, message: msgbus.Message) -> None:
        raise KeyboardInterrupt

    bus.add_interceptor(interrupted)
    with pytest.raises(KeyboardInterrupt):
        bus.send("acme/sync", "x")
    assert received.get(timeout=PATIENCE).payload == "x", "the message went on"


def test_removing_an_interceptor_stops_it(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/traced", "synchronous")
    received = collect_into(bus, "acme/traced")
    handle = bus.add_interceptor(lambda destination, message: message.put("traced", True))
    assert repr(handle) == f"InterceptorHandle(id={handle.id})" and handle.id > 0
    bus.send("acme/traced", 1)
    assert handle.remove() is True
    assert handle.remove() is False, "removing again is a no-op"
    bus.send("acme/traced", 2)
    first, second = received.get(timeout=PATIENCE), received.get(timeout=PATIENCE)
    assert first.get("traced") is True and "traced" not in second
    assert bus.metrics()["bus"]["interceptor_count"] == 0


def test_an_interceptor_handle_is_a_context_manager(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/traced", "synchronous")
    received = collect_into(bus, "acme/traced")
    with bus.add_interceptor(lambda destination, message: message.put("traced", True)) as handle:
        bus.send("acme/traced", 1)
    assert handle.remove() is False, "the with block removed it"
    bus.send("acme/traced", 2)
    assert [m.get("traced") for m in (received.get(timeout=PATIENCE), received.get(timeout=PATIENCE))] == [True, None]


def test_an_interceptor_may_remove_itself(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/once", "synchronous")
    received = collect_into(bus, "acme/once")
    handles: list[msgbus.InterceptorHandle] = []

    def once(destination: str, message: msgbus.Message) -> None:
        message.put("intercepted", True)
        assert handles[0].remove() is True

    handles.append(bus.add_interceptor(once))
    bus.send("acme/once", 1)
    bus.send("acme/once", 2)
    assert [received.get(timeout=PATIENCE).get("intercepted") for _ in range(2)] == [True, None]


def test_an_intercepted_message_kept_beyond_the_call_is_a_copy(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/kept", "serial")
    received = collect_into(bus, "acme/kept")
    kept: list[msgbus.Message] = []

    def keep(destination: str, message: msgbus.Message) -> None:
        message.put("during", 1)
        kept.append(message)

    bus.add_interceptor(keep)
    bus.send("acme/kept", "x")
    [copy] = kept
    copy.put("after", 2)  # changes the copy only
    copy.payload = "changed"
    message = received.get(timeout=PATIENCE)
    assert (message.payload, message.values) == ("x", {"during": 1})
    assert (copy.payload, copy.values) == ("changed", {"during": 1, "after": 2})


def test_interceptors_see_replies_and_requests(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/ask", "serial")
    bus.register_listener("acme/ask", lambda m: bus.reply(m, m.get("traceparent")))
    destinations: list[str] = []

    def trace(destination: str, message: msgbus.Message) -> None:
        destinations.append(destination)
        if message.get("traceparent") is None:
            message.put("traceparent", "00-trace")

    bus.add_interceptor(trace)
    assert bus.send_synchronous("acme/ask", "q") == "00-trace"
    assert destinations == ["acme/ask", "msgbus/default_response"]


def test_an_interceptor_on_a_worker_thread_send_holds_the_gil_for_its_call_only(bus: msgbus.MessageBus) -> None:
    """A listener on a worker thread sends on: the interceptor runs there."""
    bus.add_destination("acme/first", "parallel")
    bus.add_destination("acme/second", "serial")
    bus.register_listener("acme/first", lambda m: bus.send("acme/second", m.payload))
    received = collect_into(bus, "acme/second")
    threads: "queue.Queue[str]" = queue.Queue()

    def note(destination: str, message: msgbus.Message) -> None:
        if destination == "acme/second":
            threads.put(threading.current_thread().name)

    bus.add_interceptor(note)
    bus.send("acme/first", "x")
    assert received.get(timeout=PATIENCE).payload == "x"
    assert threads.get(timeout=PATIENCE).startswith("acme/first-")


def test_removing_an_interceptor_releases_it(bus: msgbus.MessageBus) -> None:
    class Tracer:
        def __call__(self, destination: str, message: msgbus.Message) -> None:
            message.put("traced", True)

    tracer = Tracer()
    gone = weakref.ref(tracer)
    handle = bus.add_interceptor(tracer)
    del tracer
    assert gone() is not None, "the bus holds it"
    assert handle.remove()
    assert gone() is None


# --- delayed and periodic sends -------------------------------------------------------


def test_a_delayed_send_arrives_with_its_message(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/later", "serial")
    received = collect_into(bus, "acme/later")
    start = time.monotonic()
    schedule = bus.schedule("acme/later", msgbus.Message("ping", values={"n": 1}), 0.05)
    message = received.get(timeout=PATIENCE)
    assert time.monotonic() - start >= 0.05
    assert (message.payload, message.values, message.destination_name) == ("ping", {"n": 1}, "acme/later")
    assert schedule.cancel() is False, "a one-shot send that fired is not pending"
    assert bus.metrics()["bus"]["schedules"]["fired"] == 1


def test_a_schedule_has_an_id_a_repr_and_its_arguments(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/ticks", "serial")
    with bus.schedule("acme/ticks", "tick", 60.0, every=0.5) as schedule:
        assert isinstance(schedule, msgbus.Schedule) and schedule.id > 0
        assert (schedule.destination, schedule.delay, schedule.every) == ("acme/ticks", 60.0, 0.5)
        assert repr(schedule) == f'Schedule(id={schedule.id}, destination="acme/ticks", delay=60.0, every=0.5)'
        assert bus.metrics()["bus"]["schedules"]["pending"] == 1
    assert schedule.cancel() is False, "the with block cancelled it"
    assert bus.metrics()["bus"]["schedules"]["pending"] == 0
    one_shot = bus.schedule("acme/ticks", "tick", 60)
    assert one_shot.every is None and "every=None" in repr(one_shot)
    assert one_shot.cancel() is True


def test_a_schedule_cancelled_before_it_fires_never_sends(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/later", "serial")
    received = collect_into(bus, "acme/later")
    cancelled = bus.schedule("acme/later", "cancelled", 0.3)
    assert cancelled.cancel() is True
    assert cancelled.cancel() is False, "cancelled already"
    bus.schedule("acme/later", "latch", 0.6)  # due after the cancelled one
    assert received.get(timeout=PATIENCE).payload == "latch"
    bus.shutdown()
    assert received.empty()
    schedules = bus.metrics()["bus"]["schedules"]
    assert (schedules["fired"], schedules["cancelled"]) == (1, 1)


def test_a_periodic_schedule_fires_at_a_fixed_rate_until_cancelled(bus: msgbus.MessageBus) -> None:
    period, firings = 0.02, 10
    bus.add_destination("acme/ticks", "serial")
    arrivals: list[float] = []
    lock = threading.Lock()
    enough, latched = Latch(firings), threading.Event()

    def tick(message: msgbus.Message) -> None:
        if message.payload == "latch":
            latched.set()
            return
        with lock:
            arrivals.append(time.monotonic())
        enough.count_down()

    bus.register_listener("acme/ticks", tick)
    start = time.monotonic()
    schedule = bus.schedule("acme/ticks", "tick", period, every=period)
    assert enough.wait()
    assert schedule.cancel() is True
    with lock:
        at_cancel = len(arrivals)
        nth = arrivals[firings - 1] - start
    # The n-th firing is due at delay + (n - 1) periods = n periods here:
    # never earlier, and late only by the scheduling of two threads
    # (generous for CI).
    due = period * firings
    assert due - 0.001 <= nth <= due + 1.0, nth
    assert schedule.cancel() is False
    # A later one-shot send through the same timer thread and queue: once
    # it arrives, every firing begun before it has been delivered.
    bus.schedule("acme/ticks", "latch", 5 * period)
    assert latched.wait(PATIENCE)
    with lock:
        # A firing under way as cancel() returned may complete; no more.
        assert at_cancel <= len(arrivals) <= at_cancel + 1, (len(arrivals), at_cancel)
    schedules = bus.metrics()["bus"]["schedules"]
    assert schedules["fired"] >= firings + 1 and schedules["cancelled"] == 1 and schedules["pending"] == 0


def test_a_tiny_delay_is_rounded_up_and_zero_sends_at_once(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/soon", "serial")
    received = collect_into(bus, "acme/soon")
    bus.schedule("acme/soon", "tiny", 1e-12)
    bus.schedule("acme/soon", "zero", 0)
    assert sorted(received.get(timeout=PATIENCE).payload for _ in range(2)) == ["tiny", "zero"]


def test_scheduled_sends_pass_the_interceptors(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/later", "serial")
    received = collect_into(bus, "acme/later")
    threads: list[str] = []

    def trace(destination: str, message: msgbus.Message) -> None:
        threads.append(threading.current_thread().name)
        message.put("traceparent", "00-timer")

    bus.add_interceptor(trace)
    bus.schedule("acme/later", "x", 0.01)
    assert received.get(timeout=PATIENCE)["traceparent"] == "00-timer"
    assert threads and threads[0] != threading.current_thread().name, "sent from the timer thread"


def test_shutdown_cancels_pending_schedules(bus: msgbus.MessageBus, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="msgbus")
    bus.add_destination("acme/later", "serial")
    received = collect_into(bus, "acme/later")
    one_shot = bus.schedule("acme/later", "never", 60.0)
    periodic = bus.schedule("acme/later", "never", 60.0, every=1.0)
    bus.shutdown()
    assert "shutdown cancelled 2 scheduled sends that had not fired" in caplog.text, "it says how many"
    schedules = bus.metrics()["bus"]["schedules"]
    assert (schedules["cancelled_at_shutdown"], schedules["pending"], schedules["fired"]) == (2, 0, 0)
    assert "msgbus_schedules_cancelled_total{cause=\"shutdown\"} 2\n" in bus.metrics_text()
    assert one_shot.cancel() is False and periodic.cancel() is False
    with pytest.raises(msgbus.BusClosedError):
        bus.schedule("acme/later", "too late", 0.0)
    assert received.empty()


def test_a_schedule_outlives_its_handle_and_the_handle_its_bus() -> None:
    """Dropping the Schedule does not cancel it; cancel() on a bus that is
    gone says False."""
    with msgbus.MessageBus() as bus:
        bus.add_destination("acme/later", "serial")
        received = collect_into(bus, "acme/later")
        bus.schedule("acme/later", "dropped handle", 0.01)
        assert received.get(timeout=PATIENCE).payload == "dropped handle"
        schedule = bus.schedule("acme/later", "x", 60.0)
    del bus
    assert schedule.cancel() is False


# --- metrics --------------------------------------------------------------------------


def test_metrics_text_counts_what_was_sent(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/metered", "synchronous")
    bus.register_listener("acme/metered", lambda m: None)
    for i in range(3):
        bus.send("acme/metered", i)
    text = bus.metrics_text()
    assert 'msgbus_messages_sent_total{destination="acme/metered"} 3\n' in text
    assert 'msgbus_messages_delivered_total{destination="acme/metered"} 3\n' in text
    assert "# TYPE msgbus_messages_sent_total counter\n" in text
    assert "# TYPE msgbus_listener_duration_seconds histogram\n" in text
    assert text.endswith("\n")


def test_metrics_is_a_dict_of_destinations_and_the_bus(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/every", "synchronous", timing_every=1)
    bus.add_destination("acme/never", "synchronous", timing_every=0)
    for name in ("acme/every", "acme/never"):
        bus.register_listener(name, lambda m: None)
        for i in range(3):
            bus.send(name, i)
    metrics = bus.metrics()
    assert set(metrics) == {"destinations", "bus"}
    by_name = {d["name"]: d for d in metrics["destinations"]}
    assert set(by_name) == {"acme/every", "acme/never", "msgbus/default_response"}
    every = by_name["acme/every"]
    assert every["type"] == "synchronous"
    statistics = bus.statistics("acme/every")
    for field in ("sent_message_count", "delivered_message_count", "listener_count", "failed_message_count"):
        assert every[field] == getattr(statistics, field), field
    assert every["sent_message_count"] == 3
    assert set(every["dead_letters"]) == {"failed", "rejected", "no_listener", "discarded", "expired"}
    assert set(every["requests"]) == {"ok", "failed", "timeout", "no_listeners", "abandoned"}
    processing = every["processing"]
    assert set(processing) == {"buckets", "sum", "count"}
    assert processing["buckets"][-1] == ["+Inf", 3] and processing["count"] == 3
    counts = [count for _, count in processing["buckets"]]
    assert counts == sorted(counts), "cumulative"
    assert all(isinstance(bound, float | int) for bound, _ in processing["buckets"][:-1])
    assert processing["sum"] >= 0
    assert by_name["acme/never"]["processing"]["count"] == 0, "timing_every=0 times nothing"
    bus_figures = metrics["bus"]
    assert set(bus_figures) == {
        "unknown_destination_count", "unknown_destination_dead_lettered_count", "dead_letters_refused_count",
        "interceptor_count", "intercepted_count", "interceptor_failed_count", "schedules",
    }
    assert set(bus_figures["schedules"]) == {"pending", "fired", "missed", "cancelled", "cancelled_at_shutdown"}
    json.dumps(metrics)  # plain data


def test_a_power_of_two_times_one_message_in_that_many(bus: msgbus.MessageBus) -> None:
    bus.add_destination("acme/sampled", "synchronous", timing_every=4)
    bus.register_listener("acme/sampled", lambda m: None)
    for i in range(16):
        bus.send("acme/sampled", i)
    [sampled] = [d for d in bus.metrics()["destinations"] if d["name"] == "acme/sampled"]
    assert sampled["processing"]["count"] == 4


def prometheus() -> Any:
    """prometheus_client, which every test venv installs (PY_TOOLS)."""
    import prometheus_client

    return prometheus_client


def test_the_collector_serves_the_bus_metrics_to_a_registry(bus: msgbus.MessageBus) -> None:
    client = prometheus()
    from msgbus.prometheus import MsgbusCollector

    bus.add_destination("acme/metered", "synchronous")
    bus.register_listener("acme/metered", lambda m: None)
    for i in range(3):
        bus.send("acme/metered", i)
    registry = client.CollectorRegistry()
    registry.register(MsgbusCollector(bus))
    text = client.generate_latest(registry).decode()
    assert 'msgbus_messages_sent_total{destination="acme/metered"} 3.0\n' in text
    assert "# TYPE msgbus_messages_sent_total counter\n" in text
    assert 'msgbus_listener_duration_seconds_bucket{destination="acme/metered",le="+Inf"}' in text
    assert 'msgbus_messages_dropped_total{reason="no_such_destination"} 0.0\n' in text


def families(text: str) -> dict[str, tuple[str, str, list[tuple[str, tuple, float]]]]:
    """The families of a Prometheus text, by name: type, help, samples."""
    from prometheus_client.parser import text_string_to_metric_families

    return {
        family.name: (
            family.type,
            family.documentation,
            sorted((s.name, tuple(sorted(s.labels.items())), s.value) for s in family.samples),
        )
        for family in text_string_to_metric_families(text)
    }


def test_the_collector_offers_what_metrics_text_renders(bus: msgbus.MessageBus) -> None:
    """Names, types, help, labels and values: the same families, read from
    one quiet bus both ways."""
    client = prometheus()
    from msgbus.prometheus import MsgbusCollector

    bus.add_destination("acme/dead", "synchronous")
    bus.set_dead_letter_destination("acme/dead")
    bus.add_destination('acme/"odd"\\name', "synchronous", timing_every=1)
    bus.add_destination("acme/queued", "parallel")

    def fails(message: msgbus.Message) -> None:
        raise RuntimeError("refused")

    bus.register_listener('acme/"odd"\\name', fails)
    bus.register_listener("acme/queued", lambda m: bus.reply(m, "ok"))
    bus.send('acme/"odd"\\name', "x")
    assert bus.send_synchronous("acme/queued", "q") == "ok"
    with pytest.raises(msgbus.NoSuchDestinationError):
        bus.send("acme/nowhere", "x")
    bus.add_interceptor(lambda d, m: None).remove()
    bus.schedule("acme/queued", "x", 60).cancel()
    bus.shutdown()
    registry = client.CollectorRegistry()
    registry.register(MsgbusCollector(bus))
    ours = families(client.generate_latest(registry).decode())
    core = families(bus.metrics_text())
    assert ours.keys() == core.keys()
    for name in core:
        assert ours[name] == core[name], name


def test_registering_the_collector_reads_nothing(bus: msgbus.MessageBus) -> None:
    client = prometheus()
    from msgbus.prometheus import MsgbusCollector

    collector = MsgbusCollector(bus)
    assert collector.describe() == []
    calls: list[int] = []
    original = collector.collect

    def counted() -> Any:
        calls.append(1)
        return original()

    collector.collect = counted  # type: ignore[method-assign]
    registry = client.CollectorRegistry()
    registry.register(collector)
    assert calls == []
    client.generate_latest(registry)
    assert calls == [1]
    with pytest.raises(TypeError, match="bus must be a msgbus.MessageBus"):
        MsgbusCollector("bus")  # type: ignore[arg-type]


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=PATIENCE)


def test_import_msgbus_does_not_import_prometheus_client() -> None:
    done = run_python("import sys, msgbus; bus = msgbus.MessageBus(); bus.metrics(); bus.metrics_text(); "
                      "print('prometheus_client' in sys.modules)")
    assert (done.returncode, done.stdout.strip()) == (0, "False"), done.stderr


def test_msgbus_prometheus_without_prometheus_client_says_how_to_install_it() -> None:
    done = run_python("import sys; sys.modules['prometheus_client'] = None\n"
                      "try:\n    import msgbus.prometheus\n"
                      "except ImportError as e:\n    print(e)\n")
    assert done.returncode == 0, done.stderr
    assert "pip install prometheus-client" in done.stdout, done.stdout


EXIT_WITH_EVERYTHING_RUNNING = """
    import threading
    import msgbus

    for bus in (msgbus.MessageBus(), msgbus.default_bus()):
        bus.add_destination("acme/ticks", "serial")
        ticked = threading.Event()
        bus.register_listener("acme/ticks", lambda m, ticked=ticked: ticked.set())
        bus.add_interceptor(lambda destination, message: message.put("traceparent", "00-exit"))
        bus.set_dead_letter_destination("acme/ticks")
        bus.schedule("acme/ticks", "tick", 0.0, every=0.001)
        bus.schedule("acme/ticks", "never", 3600.0)
        assert ticked.wait(60)
    print("exiting")
"""


def test_the_interpreter_exits_cleanly_with_interceptors_and_schedules_running() -> None:
    done = run_python(textwrap.dedent(EXIT_WITH_EVERYTHING_RUNNING))
    assert (done.returncode, done.stdout, done.stderr) == (0, "exiting\n", "")


def test_the_interceptor_and_schedule_classes_are_exported() -> None:
    assert {"InterceptorHandle", "Schedule"} <= set(msgbus.__all__)
    assert msgbus.InterceptorHandle is msgbus._msgbus.InterceptorHandle
    assert msgbus.Schedule is msgbus._msgbus.Schedule
