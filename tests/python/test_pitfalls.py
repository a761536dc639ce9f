"""Pitfalls users met: async listeners, handles and their lifetimes,
error messages that name their argument, use after shutdown, reprs, and
the stubs against the runtime."""

import ast
import asyncio
import functools
import inspect
import logging
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

import msgbus
from conftest import PATIENCE, Latch, Recorder

# --- 1. async listeners ------------------------------------------------------


async def async_listener(message: msgbus.Message) -> None:
    pass


async def async_generator_listener(message: msgbus.Message):  # type: ignore[no-untyped-def]
    yield message


class AsyncCall:
    async def __call__(self, message: msgbus.Message) -> None:
        pass


class Handler:
    async def on_message(self, message: msgbus.Message) -> None:
        pass


ASYNC_LISTENERS = {
    "async def": async_listener,
    "async generator": async_generator_listener,
    "async __call__": AsyncCall(),
    "async method": Handler().on_message,
    "partial of async def": functools.partial(async_listener),
    "partial of async __call__": functools.partial(AsyncCall()),
}


@pytest.mark.parametrize("listener", ASYNC_LISTENERS.values(), ids=ASYNC_LISTENERS.keys())
def test_an_async_listener_is_refused_with_a_type_error_that_says_what_to_do(bus, listener):
    """It was accepted, never awaited, and counted as delivered."""
    bus.add_destination("acme/async", "synchronous")
    with pytest.raises(TypeError, match=r"^listener .* is an async function, which the bus") as raised:
        bus.register_listener("acme/async", listener)
    assert "asyncio.run_coroutine_threadsafe" in str(raised.value)
    with pytest.raises(TypeError, match="is an async function"):
        bus.listener("acme/async")(listener)
    with pytest.raises(TypeError, match=r"^callback .* is an async function"):
        bus.add_event_listener(listener)
    assert not bus.has_listener("acme/async")


def test_a_listener_that_returns_a_coroutine_fails_and_the_coroutine_is_closed(bus, caplog):
    """A plain function that returns a coroutine cannot be told at
    registration: its call fails (logged, counted), and the coroutine is
    closed, so Python does not warn that it was never awaited (pytest turns
    that warning into an error)."""
    bus.add_destination("acme/wrapped", "synchronous")
    started = []

    async def work(message: msgbus.Message) -> None:
        started.append(message.payload)

    bus.register_listener("acme/wrapped", lambda message: work(message))
    bus.send("acme/wrapped", "x")
    stats = bus.statistics("acme/wrapped")
    assert (stats.delivered_message_count, stats.failed_message_count) == (0, 1)
    assert started == []
    [record] = [r for r in caplog.records if r.name == "msgbus"]
    assert "returned coroutine, which the bus never awaits" in record.getMessage()
    with pytest.raises(msgbus.ListenerError, match="never awaits"):
        bus.send_direct("acme/wrapped", "y")


def test_the_advice_for_coroutines_works(bus):
    """What the error message advises: a plain listener that hands the
    coroutine to the event loop."""
    bus.add_destination("acme/to_loop", "serial")

    async def main() -> list:
        loop = asyncio.get_running_loop()
        handled: asyncio.Queue = asyncio.Queue()

        async def handler(message: msgbus.Message) -> None:
            await handled.put(message.payload)

        bus.register_listener(
            "acme/to_loop", lambda message: asyncio.run_coroutine_threadsafe(handler(message), loop)
        )
        bus.send("acme/to_loop", 1)
        bus.send("acme/to_loop", 2)
        return [await asyncio.wait_for(handled.get(), PATIENCE) for _ in range(2)]

    assert asyncio.run(main()) == [1, 2]


# --- 2. handles ----------------------------------------------------------------


def test_the_decorated_function_carries_its_handle(bus: msgbus.MessageBus) -> None:
    """`@bus.listener` returned the function and no way to unregister it."""
    bus.add_destination("acme/deco", "synchronous")
    seen = []

    @bus.listener("acme/deco")
    def on_message(message: msgbus.Message) -> None:
        seen.append(message.payload)

    handle = on_message.listener_handle
    assert isinstance(handle, msgbus.ListenerHandle) and handle.destination == "acme/deco"
    bus.send("acme/deco", 1)
    assert handle.unregister() is True
    bus.send("acme/deco", 2)
    assert seen == [1] and not bus.has_listener("acme/deco")


def test_a_decorator_that_cannot_attach_the_handle_registers_nothing(bus):
    bus.add_destination("acme/deco", "synchronous")

    class Slotted:
        __slots__ = ()

        def __call__(self, message: msgbus.Message) -> None:
            pass

    with pytest.raises(TypeError, match=r'takes no attributes: use bus.register_listener\("acme/deco", listener\)'):
        bus.listener("acme/deco")(Slotted())
    assert not bus.has_listener("acme/deco")


def test_a_failed_decorator_registration_leaves_no_handle_attribute(bus):
    decorate = bus.listener("")

    def listener(message: msgbus.Message) -> None:
        pass

    with pytest.raises(msgbus.InvalidArgumentError):
        decorate(listener)
    assert not hasattr(listener, "listener_handle")


def test_a_listener_handle_is_a_context_manager(bus):
    bus.add_destination("acme/ctx", "synchronous")
    seen = Recorder(1)
    with bus.register_listener("acme/ctx", seen) as handle:
        assert isinstance(handle, msgbus.ListenerHandle)
        bus.send("acme/ctx", "inside")
        assert bus.has_listener("acme/ctx")
    assert not bus.has_listener("acme/ctx")
    bus.send("acme/ctx", "after")
    assert seen.payloads == ["inside"]
    with pytest.raises(RuntimeError, match="boom"):
        with bus.register_listener("acme/ctx", seen):
            raise RuntimeError("boom")
    assert not bus.has_listener("acme/ctx"), "unregistered on an exception too"


def test_an_event_listener_handle_is_a_context_manager(bus):
    events = []
    with bus.add_event_listener(events.append, destination="acme/watched") as handle:
        assert isinstance(handle, msgbus.EventListenerHandle)
        bus.add_destination("acme/watched", "serial")
    bus.remove_destination("acme/watched")
    assert [e.kind for e in events] == ["destination_added"]
    assert handle.remove() is False, "removed on exit"


# --- 3. errors that name their argument -------------------------------------------


def bare_decorator(bus: msgbus.MessageBus) -> None:
    @bus.listener  # type: ignore[arg-type]
    def on_message(message: msgbus.Message) -> None:
        pass


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda bus: bus.add_destination("acme/x", 1), TypeError,
         "destination_type must be a str ('serial', 'parallel' or 'synchronous') or a "
         "msgbus.DestinationType, not int"),
        (lambda bus: bus.add_destination("acme/x", "sideways"), msgbus.InvalidArgumentError,
         "destination_type must be 'serial', 'parallel' or 'synchronous' (or a msgbus.DestinationType), "
         "not \"sideways\""),
        (lambda bus: bus.add_destination(1, "serial"), TypeError,
         "name must be a str (a destination name such as 'acme/orders'), not int"),
        (lambda bus: bus.add_destination("acme/x", "serial", max_queue_size=-1), msgbus.InvalidArgumentError,
         "max_queue_size must be a positive int, or None for no bound, not -1"),
        (lambda bus: bus.add_destination("acme/x", "serial", max_queue_size=0), msgbus.InvalidArgumentError,
         "max_queue_size must be a positive int, or None for no bound, not 0"),
        (lambda bus: bus.add_destination("acme/x", "serial", max_queue_size="big"), TypeError,
         "max_queue_size must be a positive int, or None for no bound, not str"),
        (lambda bus: bus.add_destination("acme/x", "parallel", workers_core_size=0), msgbus.InvalidArgumentError,
         "workers_core_size must be a positive int, not 0"),
        (lambda bus: bus.add_destination("acme/x", "parallel", workers_max_size=1), msgbus.InvalidArgumentError,
         "workers_max_size (1) must be at least workers_core_size (2, the default)"),
        (lambda bus: bus.add_destination("acme/x", "serial", keep_alive="long"), TypeError,
         "keep_alive must be a number of seconds >= 0, not str"),
        (lambda bus: bus.add_destination("acme/x", "serial", rejection_policy=3), TypeError,
         "rejection_policy must be a str ('discard', 'caller_runs' or 'block') or a "
         "msgbus.RejectionPolicy, not int"),
        (lambda bus: bus.add_destination("acme/x", "serial", colour="blue"), TypeError,
         "unexpected keyword argument \"colour\" (the tuning keywords are max_queue_size, "
         "workers_core_size, workers_max_size, keep_alive, rejection_policy, block_timeout, stack_size, "
         "dead_letter_destination, timing_every)"),
        (lambda bus: bus.send(None, "x"), TypeError,
         "destination must be a str (a destination name such as 'acme/orders'), not NoneType"),
        (lambda bus: bus.send_synchronous("acme/x", "q", timeout="soon"), TypeError,
         "timeout must be a number of seconds, or None to wait as long as it takes, not str"),
        (lambda bus: bus.shutdown(timeout="soon"), TypeError,
         "timeout must be a number of seconds, or None to wait as long as it takes, not str"),
        (lambda bus: bus.register_listener("acme/x", 42), TypeError,
         "listener must be callable (a function taking the message), not int"),
        (lambda bus: bus.listener("acme/x")(42), TypeError,
         "listener must be callable (a function taking the message), not int"),
        (lambda bus: msgbus.Message().put(1, "x"),  # type: ignore[arg-type]
         TypeError, "key must be a str, not int"),
        (lambda bus: msgbus.Message(response_id=1),  # type: ignore[arg-type]
         TypeError, "response_id must be a str or None, not int"),
        (bare_decorator, TypeError,
         "bus.listener takes the destination, not the function: write @bus.listener(\"acme/orders\") "
         "above bare_decorator.<locals>.on_message, not a bare @bus.listener"),
        (lambda bus: bus.listener("acme/x")(), TypeError,
         "bus.listener(\"acme/x\") decorates one function, passed positionally; it got 0 arguments"),
    ],
)
def test_errors_name_the_argument_and_what_it_may_be(bus, call, error, message):
    """They said "'int' object is not an instance of 'str'", "can't convert
    negative int to unsigned" (an OverflowError), "expected tuple of length
    1", ..., naming no argument."""
    with pytest.raises(error) as raised:
        call(bus)
    assert str(raised.value) == message
    assert bus.destination_names() == ["msgbus/default_response"]


def test_max_queue_size_none_is_an_unbounded_queue(bus):
    """The stub said Optional[int]; None raised TypeError."""
    bus.add_destination("acme/unbounded", "serial", max_queue_size=None)
    assert bus.has_destination("acme/unbounded")


# --- 4. after shutdown ----------------------------------------------------------


def test_registering_on_a_queued_destination_after_shutdown_raises_bus_closed(bus):
    bus.add_destination("acme/queued", "serial")
    bus.add_destination("acme/sync", "synchronous")
    bus.shutdown()
    with pytest.raises(msgbus.BusClosedError, match="acme/queued delivers no more messages"):
        bus.register_listener("acme/queued", lambda m: None)
    # Synchronous destinations keep working after a shutdown, and so do
    # their registrations.
    calls = []
    bus.register_listener("acme/sync", calls.append)
    bus.send("acme/sync", "still")
    assert [m.payload for m in calls] == ["still"]


def test_the_default_bus_stays_the_same_bus_after_its_shutdown():
    """In a child process: this one's default bus must stay open."""
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(
            """
            import msgbus

            bus = msgbus.default_bus()
            bus.add_destination("acme/queued", "serial")
            bus.add_destination("acme/sync", "synchronous")
            seen = []
            bus.register_listener("acme/sync", seen.append)
            bus.shutdown()
            assert msgbus.default_bus() is bus
            try:
                msgbus.default_bus().send("acme/queued", "x")
            except msgbus.BusClosedError:
                print("closed", flush=True)
            msgbus.default_bus().send("acme/sync", "still")
            print([m.payload for m in seen], repr(bus).endswith("shut down>"), flush=True)
            """
        )],
        capture_output=True, text=True, timeout=PATIENCE,
    )
    assert (child.returncode, child.stdout) == (0, "closed\n['still'] True\n"), child.stderr


# --- 6. reprs ------------------------------------------------------------------------


def test_reprs_say_what_the_object_is():
    """MessageBus and EventListenerHandle showed `<... object at 0x...>`."""
    bus = msgbus.MessageBus()
    bus.add_destination("acme/a", "serial")
    bus.add_destination("acme/b", "synchronous")
    assert repr(bus) == f"<msgbus.MessageBus {bus.address:#x} destinations=3 open>"
    handle = bus.register_listener("acme/a", lambda m: None)
    assert repr(handle) == f'ListenerHandle(id={handle.id}, destination="acme/a")'
    events = bus.add_event_listener(lambda e: None, destination="acme/a")
    assert re.fullmatch(r'EventListenerHandle\(id=\d+, destination="acme/a"\)', repr(events))
    assert re.fullmatch(r"EventListenerHandle\(id=\d+, destination=None\)", repr(bus.add_event_listener(print)))
    assert repr(msgbus.Message("x", values={"k": 1})) == "Message(payload='x', values={'k': 1})"
    bus.shutdown()
    assert repr(bus) == f"<msgbus.MessageBus {bus.address:#x} destinations=3 shut down>"
    assert re.fullmatch(r"<msgbus\.MessageBus default 0x[0-9a-f]+ destinations=\d+ open>", repr(msgbus.default_bus()))


def test_a_pending_request_says_whether_it_waits(bus):
    bus.add_destination("acme/echo", "serial")
    bus.register_listener("acme/echo", lambda m: bus.reply(m, m.payload))
    reprs = []

    async def main() -> object:
        request = bus.request("acme/echo", "q")
        pending = request.cr_frame.f_locals["pending"]
        reprs.append(repr(pending))
        reply = await request
        reprs.append(repr(pending))
        return reply

    assert asyncio.run(main()) == "q"
    assert reprs == ["<msgbus.PendingRequest waiting>", "<msgbus.PendingRequest done>"]


# --- 7. stubs and docstrings -------------------------------------------------------------


def test_request_returns_a_coroutine_that_create_task_accepts(bus: msgbus.MessageBus) -> None:
    """The stub said Awaitable[Any], which asyncio.create_task rejects
    under mypy (this file is type-checked)."""
    bus.add_destination("acme/echo", "serial")
    bus.register_listener("acme/echo", lambda m: bus.reply(m, m.payload * 2))

    async def main() -> list:
        requests = [bus.request("acme/echo", i) for i in range(3)]
        assert all(inspect.iscoroutine(r) for r in requests)
        tasks = [asyncio.create_task(r) for r in requests]
        return list(await asyncio.gather(*tasks))

    assert asyncio.run(main()) == [0, 2, 4]


def stub_docstrings() -> dict[str, str]:
    """Every docstring of the stub, by dotted name."""
    stub = pathlib.Path(msgbus.__file__).with_name("_msgbus.pyi")
    found: dict[str, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef)) and not child.name.startswith("_"):
                doc = ast.get_docstring(child)
                if doc is not None:
                    found[prefix + child.name] = doc
                if isinstance(child, ast.ClassDef):
                    visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.FunctionDef) and child.name in ("__enter__", "__exit__"):
                doc = ast.get_docstring(child)
                if doc is not None:
                    found[prefix + child.name] = doc

    visit(ast.parse(stub.read_text()), "")
    return found


def normalized(text: str | None) -> str:
    return " ".join((text or "").split())


def test_help_shows_what_the_stub_says():
    """help() reads the runtime's docstrings, editors the stub's: every
    docstring of the stub is the runtime's (MessageBus.statistics, Message's
    own and others were only in the stub)."""
    docs = stub_docstrings()
    assert {"MessageBus", "MessageBus.statistics", "Message", "MessageBus.listener"} <= docs.keys()
    for name, doc in docs.items():
        obj: object = msgbus._msgbus
        for part in name.split("."):
            obj = getattr(obj, part)
        assert normalized(inspect.getdoc(obj)) == normalized(doc), name


def test_a_listener_that_unregisters_through_its_own_decorator_handle(bus: msgbus.MessageBus) -> None:
    """The handle is there for the listener itself too (it does not wait
    for its own running call)."""
    bus.add_destination("acme/once", "serial")
    calls = Latch()
    seen = []

    @bus.listener("acme/once")
    def once(message: msgbus.Message) -> None:
        seen.append(message.payload)
        once.listener_handle.unregister()
        calls.count_down()

    bus.send("acme/once", 1)
    assert calls.wait()
    bus.send("acme/once", 2)
    bus.shutdown()
    assert seen == [1]
    assert bus.statistics("acme/once").dropped_no_listener_count == 1


def test_a_listener_returning_a_plain_value_is_delivered(bus, caplog):
    """The coroutine check looks only at awaitables."""
    bus.add_destination("acme/values", "synchronous")
    bus.register_listener("acme/values", lambda m: (m.payload, "anything"))
    bus.send("acme/values", 1)
    assert bus.statistics("acme/values").delivered_message_count == 1
    assert not [r for r in caplog.records if r.name == "msgbus" and r.levelno >= logging.ERROR]

