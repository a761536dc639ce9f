"""Bad input raises a typed exception and changes nothing."""

import pytest

import msgbus

LONE_SURROGATE = "acme/\ud800"


async def async_interceptor(destination, message):
    """Refused: the bus would never await it."""


@pytest.mark.parametrize(
    "call",
    [
        lambda bus: bus.add_destination("", "serial"),
        lambda bus: bus.add_destination("acme/x", "sideways"),
        lambda bus: bus.add_destination("acme/x", "parallel", workers_core_size=5, workers_max_size=2),
        lambda bus: bus.add_destination("acme/x", "parallel", workers_core_size=0),
        lambda bus: bus.add_destination("acme/x", "serial", max_queue_size=0),
        lambda bus: bus.add_destination("acme/x", "serial", rejection_policy="shrug"),
        lambda bus: bus.add_destination("acme/x", "serial", block_timeout=1.0),
        lambda bus: bus.add_destination("acme/x", "serial", keep_alive=-1.0),
        lambda bus: bus.add_destination("acme/x", "serial", keep_alive=float("nan")),
        lambda bus: bus.add_destination("acme/x\0y", "serial"),
        lambda bus: bus.register_listener("", lambda m: None),
        lambda bus: bus.send_synchronous("acme/known", "q", timeout=-1.0),
        lambda bus: bus.shutdown(timeout=float("inf")),
        lambda bus: msgbus.set_exit_timeout(-1.0),
        lambda bus: bus.add_destination("acme/x", "serial", timing_every=3),
        lambda bus: bus.add_destination("acme/x", "serial", timing_every=-1),
        lambda bus: bus.add_destination("acme/x", "serial", timing_every=1 << 32),
        lambda bus: bus.add_destination("acme/x", "serial", dead_letter_destination=""),
        lambda bus: bus.add_destination("acme/x", "serial", dead_letter_destination="acme/\0dead"),
        lambda bus: bus.replace_destination("acme/known", "serial", timing_every=6),
        lambda bus: bus.set_dead_letter_destination(""),
        lambda bus: bus.set_dead_letter_destination("acme/\0dead"),
        lambda bus: bus.set_dead_letter_destination(LONE_SURROGATE),
        lambda bus: bus.schedule("acme/known", "x", -1.0),
        lambda bus: bus.schedule("acme/known", "x", float("nan")),
        lambda bus: bus.schedule("acme/known", "x", float("inf")),
        lambda bus: bus.schedule("acme/known", "x", 1.0, every=0),
        lambda bus: bus.schedule("acme/known", "x", 1.0, every=-0.5),
        lambda bus: bus.schedule("acme/known", "x", 1.0, every=float("nan")),
        lambda bus: bus.schedule("", "x", 1.0),
        lambda bus: bus.schedule(LONE_SURROGATE, "x", 1.0),
    ],
)
def test_bad_values_raise_invalid_argument(bus, call):
    bus.add_destination("acme/known", "serial")
    bus.register_listener("acme/known", lambda m: None)
    with pytest.raises(msgbus.InvalidArgumentError) as raised:
        call(bus)
    assert isinstance(raised.value, ValueError)
    assert bus.destination_names() == ["acme/known", "msgbus/default_response"]


@pytest.mark.parametrize(
    "call",
    [
        lambda bus: bus.add_destination(1, "serial"),
        lambda bus: bus.add_destination("acme/x", None),
        lambda bus: bus.add_destination("acme/x", "serial", max_queue_size="big"),
        lambda bus: bus.add_destination("acme/x", "serial", colour="blue"),
        lambda bus: bus.send(None, "x"),
        lambda bus: bus.send_synchronous("acme/x", "q", timeout="soon"),
        lambda bus: bus.reply("not a message", "x"),
        lambda bus: bus.register_listener("acme/x", None),
        lambda bus: bus.add_event_listener(lambda e: None, destination=3),
        lambda bus: bus.statistics(b"acme/x"),
        lambda bus: msgbus.set_exit_timeout("soon"),  # type: ignore[arg-type]
        lambda bus: msgbus.Message(values=[1, 2]),  # type: ignore[arg-type]
        lambda bus: msgbus.Message().put(1, "x"),  # type: ignore[arg-type]
        lambda bus: bus.add_destination("acme/x", "serial", timing_every="often"),
        lambda bus: bus.add_destination("acme/x", "serial", timing_every=1.0),
        lambda bus: bus.add_destination("acme/x", "serial", dead_letter_destination=3),
        lambda bus: bus.set_dead_letter_destination(3),  # type: ignore[arg-type]
        lambda bus: bus.set_dead_letter_destination(b"acme/dead"),  # type: ignore[arg-type]
        lambda bus: bus.add_interceptor(None),  # type: ignore[arg-type]
        lambda bus: bus.add_interceptor(async_interceptor),
        lambda bus: bus.schedule(1, "x", 1.0),  # type: ignore[arg-type]
        lambda bus: bus.schedule("acme/x", "x", "soon"),  # type: ignore[arg-type]
        lambda bus: bus.schedule("acme/x", "x", None),  # type: ignore[arg-type]
        lambda bus: bus.schedule("acme/x", "x", 1.0, every="often"),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_raise_type_error(bus, call):
    with pytest.raises(TypeError):
        call(bus)
    assert bus.destination_names() == ["msgbus/default_response"]


@pytest.mark.parametrize("key", ["max_queue_size", "workers_core_size", "workers_max_size", "stack_size"])
def test_negative_sizes_raise_invalid_argument_naming_the_size(bus, key):
    """They raised OverflowError ("can't convert negative int to unsigned")."""
    with pytest.raises(msgbus.InvalidArgumentError, match=f"^{key} must be a positive int.*, not -1$"):
        bus.add_destination("acme/x", "parallel", **{key: -1})


def test_destination_types_accept_the_enum_and_its_value(bus):
    for kind in msgbus.DestinationType:
        bus.add_destination(f"acme/{kind.value}", kind)
        bus.replace_destination(f"acme/{kind.value}", kind.value)
    for policy in msgbus.RejectionPolicy:
        bus.add_destination(f"acme/{policy.value}", "serial", max_queue_size=1, rejection_policy=policy)
    assert len(bus.destination_names()) == 7


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda bus: bus.send("acme/missing", "x"), msgbus.NoSuchDestinationError),
        (lambda bus: bus.send_synchronous("acme/missing", "q", timeout=0.01), msgbus.NoSuchDestinationError),
        (lambda bus: bus.send_direct("acme/missing", "x"), msgbus.NoSuchDestinationError),
        (lambda bus: bus.remove_destination("acme/missing"), msgbus.NoSuchDestinationError),
        (lambda bus: bus.statistics("acme/missing"), msgbus.NoSuchDestinationError),
        (lambda bus: bus.add_destination("acme/known", "serial"), msgbus.DestinationExistsError),
        (lambda bus: bus.replace_destination("msgbus/default_response", "serial"), msgbus.DestinationExistsError),
        (lambda bus: bus.remove_destination("msgbus/default_response"), msgbus.InvalidArgumentError),
        (lambda bus: bus.send_synchronous("acme/quiet", "q", timeout=0.01), msgbus.NoListenersError),
        (lambda bus: bus.send_synchronous("acme/known", "q", timeout=0.01), msgbus.SynchronousTimeoutError),
        (lambda bus: bus.send_direct("acme/failing", "x"), msgbus.ListenerError),
        (lambda bus: bus.reply(msgbus.Message("no response destination"), "x"), msgbus.InvalidArgumentError),
        (lambda bus: bus.send(LONE_SURROGATE, "x"), msgbus.InvalidArgumentError),
        (lambda bus: bus.add_destination(LONE_SURROGATE, "serial"), msgbus.InvalidArgumentError),
        (lambda bus: bus.add_destination("acme/x", LONE_SURROGATE), msgbus.InvalidArgumentError),
        (lambda bus: bus.register_listener(LONE_SURROGATE, lambda m: None), msgbus.InvalidArgumentError),
        (lambda bus: msgbus.Message().put(LONE_SURROGATE, 1), msgbus.InvalidArgumentError),
        (lambda bus: msgbus.Message(values={LONE_SURROGATE: 1}), msgbus.InvalidArgumentError),
        (lambda bus: msgbus.Message(response_id=LONE_SURROGATE), msgbus.InvalidArgumentError),
        (lambda bus: bus.schedule("acme/missing", "x", 1.0), msgbus.NoSuchDestinationError),
        (lambda bus: bus.schedule("acme/missing", "x", 0.0, every=1.0), msgbus.NoSuchDestinationError),
    ],
)
def test_each_refusal_raises_its_typed_exception_and_changes_nothing(bus, call, error):
    bus.add_destination("acme/known", "serial")
    bus.register_listener("acme/known", lambda m: None)
    bus.add_destination("acme/quiet", "serial")
    bus.add_destination("acme/failing", "synchronous")

    def fails(message):
        raise RuntimeError("refused")

    bus.register_listener("acme/failing", fails)
    before = bus.destination_names()
    with pytest.raises(error):
        call(bus)
    assert bus.destination_names() == before


def test_after_shutdown_queued_sends_raise_bus_closed(bus):
    bus.add_destination("acme/known", "parallel")
    bus.shutdown()
    with pytest.raises(msgbus.BusClosedError):
        bus.send("acme/known", "x")
    with pytest.raises(msgbus.BusClosedError):
        bus.add_destination("acme/later", "serial")
    with pytest.raises(msgbus.BusClosedError):
        bus.schedule("acme/known", "x", 1.0)


@pytest.mark.parametrize(
    "call, says",
    [
        (lambda bus: bus.add_destination("acme/x", "serial", timing_every=3), "^timing_every must be 0 .*, not 3$"),
        (lambda bus: bus.add_destination("acme/x", "serial", timing_every=-1), "^timing_every must be 0 .*, not -1$"),
        (lambda bus: bus.add_destination("acme/x", "serial", timing_every="x"), "^timing_every must be an int"),
        (lambda bus: bus.add_destination("acme/x", "serial", dead_letter_destination=""),
         "^dead_letter_destination must be a destination name"),
        (lambda bus: bus.add_destination("acme/x", "serial", dead_letter_destination=1),
         "^dead_letter_destination must be a str"),
        (lambda bus: bus.set_dead_letter_destination(1), "^name must be a str .* or None, not int$"),
        (lambda bus: bus.schedule("acme/x", "x", -1.0), "^delay must be a finite number of seconds >= 0, not -1$"),
        (lambda bus: bus.schedule("acme/x", "x", float("nan")), "^delay must be .*, not NaN$"),
        (lambda bus: bus.schedule("acme/x", "x", "soon"), "^delay must be a number of seconds >= 0, not str$"),
        (lambda bus: bus.schedule("acme/x", "x", 1.0, every=0.0), "^every must be .* > 0, or None to send once"),
        (lambda bus: bus.schedule("acme/x", "x", 1.0, every=[]), "^every must be .* not list$"),
        (lambda bus: bus.schedule(None, "x", 1.0), "^destination must be a str"),
        (lambda bus: bus.add_interceptor(42), "^interceptor must be callable .*, not int$"),
        (lambda bus: bus.add_interceptor(async_interceptor), "^interceptor async_interceptor is an async function"),
    ],
)
def test_errors_name_the_argument(bus, call, says):
    with pytest.raises((TypeError, msgbus.InvalidArgumentError), match=says):
        call(bus)


def test_a_very_long_name_is_a_name(bus):
    name = "acme/" + "n" * (1 << 20)
    bus.add_destination(name, "synchronous")
    seen = []
    bus.register_listener(name, seen.append)
    bus.send(name, "x")
    assert [m.payload for m in seen] == ["x"] and seen[0].destination_name == name
