"""Type stubs of the extension module (checked by mypy.stubtest in `make test`).

Their docstrings are the extension's own (what ``help()`` shows);
tests/python/test_pitfalls.py checks that the two agree.
"""

from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Literal, Optional, Protocol, TypeVar, Union, final

from ._enums import DestinationType, RejectionPolicy

__all__ = [
    "Bridge",
    "BridgeStatistics",
    "BusClosedError",
    "BusEvent",
    "Destination",
    "DestinationExistsError",
    "DestinationStatistics",
    "EventListenerHandle",
    "InterceptorHandle",
    "InvalidArgumentError",
    "ListenerError",
    "ListenerHandle",
    "Message",
    "MessageBus",
    "MessageBusError",
    "NoListenersError",
    "NoSuchDestinationError",
    "PendingRequest",
    "Pointer",
    "QueueFullError",
    "Schedule",
    "SynchronousTimeoutError",
    "__version__",
    "_after_fork_in_child",
    "_after_fork_in_parent",
    "_before_fork",
    "_core_info",
    "_shutdown_all",
    "default_bus",
    "set_exit_timeout",
]

__version__: str

_R = TypeVar("_R")
_R_co = TypeVar("_R_co", covariant=True)

class _DecoratedListener(Protocol[_R_co]):
    """What ``@bus.listener(...)`` returns: the function itself, which
    carries the registration's handle."""

    listener_handle: ListenerHandle
    __name__: str
    __qualname__: str
    def __call__(self, message: Message, /) -> _R_co: ...

class MessageBusError(Exception):
    """Base class of every error the message bus raises."""

class NoSuchDestinationError(MessageBusError):
    """No destination has this name."""

class DestinationExistsError(MessageBusError):
    """A destination with this name exists already (use replace_destination)."""

class QueueFullError(MessageBusError):
    """The destination's queue is full and its policy rejected the message."""

class BusClosedError(MessageBusError):
    """The bus (or the destination) is shut down, or the bus was inherited through os.fork()."""

class NoListenersError(MessageBusError):
    """A synchronous send found no listener to answer it."""

class ListenerError(MessageBusError):
    """A listener failed during send_direct; the listener's exception is the __cause__."""

class SynchronousTimeoutError(MessageBusError, TimeoutError):
    """No reply arrived within the timeout."""

class InvalidArgumentError(MessageBusError, ValueError):
    """An argument has the right type but a bad value (an empty name, workers_core_size > workers_max_size, ...)."""

@final
class Message:
    """A message: a payload, values by key, and the fields of a request."""

    def __new__(
        cls,
        payload: Any = None,
        *,
        values: Optional[Mapping[str, Any]] = None,
        response_destination_name: Optional[str] = None,
        response_id: Optional[str] = None,
    ) -> Message: ...
    @property
    def destination_name(self) -> Optional[str]:
        """The destination the message was sent to (set by the bus)."""
    @property
    def payload(self) -> Any:
        """The payload: any object."""
    @payload.setter
    def payload(self, payload: Any) -> None: ...
    @property
    def response_destination_name(self) -> Optional[str]:
        """Where replies to this message go (`send_synchronous` sets it)."""
    @response_destination_name.setter
    def response_destination_name(self, name: Optional[str]) -> None: ...
    @property
    def response_id(self) -> Optional[str]:
        """What a reply carries to find its request (`send_synchronous` sets
        it)."""
    @response_id.setter
    def response_id(self, id: Optional[str]) -> None: ...
    @property
    def response(self) -> Any:
        """What a listener answers to a direct synchronous send."""
    @response.setter
    def response(self, response: Any) -> None: ...
    @property
    def values(self) -> dict[str, Any]:
        """A new dict of the message's values."""
    def put(self, key: str, value: Any) -> None:
        """Sets a value; `None` removes the key (as in Liferay)."""
    def get(self, key: str, default: Any = None) -> Any:
        """The value of `key`, or `default` if it has none."""
    def remove(self, key: str) -> Any:
        """Removes a key; returns its value, or `None` if it had none."""
    def contains(self, key: str) -> bool:
        """Whether `key` has a value."""
    def __getitem__(self, key: str, /) -> Any: ...
    def __setitem__(self, key: str, value: Any, /) -> None: ...
    def __delitem__(self, key: str, /) -> None: ...
    def __contains__(self, key: object, /) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...

@final
class ListenerHandle:
    """What `register_listener` returns: `unregister()` removes the listener,
    and so does the end of a `with` block (`with bus.register_listener(...)
    as handle:`)."""

    @property
    def destination(self) -> str:
        """The destination name the listener is registered on."""
    @property
    def id(self) -> int:
        """A number that identifies the listener within its bus."""
    def unregister(self) -> bool:
        """Unregisters the listener: waits for its running calls to finish
        (unless called from inside it). Returns False if it was not
        registered any more (unregistered before, or its bus is gone)."""
    def __enter__(self) -> ListenerHandle:
        """Returns the handle itself."""
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool:
        """Unregisters the listener (as `unregister()`)."""

@final
class BusEvent:
    """Something that changed in the bus's registry. `kind` is one of
    "destination_added", "destination_removed", "listener_registered",
    "listener_unregistered"; `listener_id` is set for the last two."""

    @property
    def kind(self) -> str: ...
    @property
    def destination(self) -> str: ...
    @property
    def listener_id(self) -> Optional[int]: ...

@final
class EventListenerHandle:
    """What `add_event_listener` returns: `remove()` removes the event
    listener, and so does the end of a `with` block."""

    def remove(self) -> bool:
        """Removes the event listener, waiting for its running calls (unless
        called from inside it). False if it was removed before."""
    def __enter__(self) -> EventListenerHandle:
        """Returns the handle itself."""
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool:
        """Removes the event listener (as `remove()`)."""

@final
class InterceptorHandle:
    """What `add_interceptor` returns: `remove()` removes the interceptor, and
    so does the end of a `with` block (`with bus.add_interceptor(f):`)."""

    @property
    def id(self) -> int:
        """A number that identifies the interceptor within its bus."""
    def remove(self) -> bool:
        """Removes the interceptor: waits for its running calls to finish
        (unless called from inside it). Returns False if it was not there
        any more (removed before, or its bus is gone)."""
    def __enter__(self) -> InterceptorHandle:
        """Returns the handle itself."""
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool:
        """Removes the interceptor (as `remove()`)."""

@final
class Schedule:
    """What `schedule` returns: `cancel()` stops the sends that have not begun
    yet, and so does the end of a `with` block."""

    @property
    def id(self) -> int:
        """A number that identifies the schedule within its bus."""
    @property
    def destination(self) -> str:
        """The destination the message is sent to."""
    @property
    def delay(self) -> float:
        """The seconds before the first send, as given."""
    @property
    def every(self) -> Optional[float]:
        """The seconds between sends, as given; `None` for a one-shot send."""
    def cancel(self) -> bool:
        """Cancels the schedule: no send begins after this returns (one under
        way completes). Returns True if it was pending; False if it was
        cancelled before (by this, or by the bus's shutdown), if it was a
        one-shot send that fired already, or if its bus is gone."""
    def __enter__(self) -> Schedule:
        """Returns the schedule itself."""
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool:
        """Cancels the schedule (as `cancel()`)."""

@final
class Bridge:
    """Forwards chosen destinations of a bus to the same-named destinations
    of the buses of other processes and hosts, through a NATS server.
    `Bridge(bus, url)` returns once connected; buses bridge each other only
    within one `cluster`; `node_id` names this one (a fresh name if None; a
    durable broadcast replays what a node missed by it). `BusClosedError`
    when the server cannot be reached. A context manager that closes it."""

    def __new__(
        cls,
        bus: MessageBus,
        url: str,
        cluster: str = "msgbus",
        node_id: Optional[str] = None,
        *,
        user: Optional[str] = None,
        password: Optional[str] = None,
        token: Optional[str] = None,
        credentials_file: Optional[str] = None,
        tls_ca_file: Optional[str] = None,
        tls_cert_file: Optional[str] = None,
        tls_key_file: Optional[str] = None,
        connect_timeout: float = 5.0,
        request_timeout: float = 60.0,
    ) -> Bridge: ...
    def add(
        self,
        name: str,
        mode: Literal[
            "broadcast", "work_share", "durable_broadcast", "durable_work_share", "durable_serial"
        ] = "broadcast",
    ) -> None:
        """Forwards the destination `name` in `mode` ("broadcast",
        "work_share", "durable_broadcast", "durable_work_share" or
        "durable_serial"); returns once this node receives it."""
    def remove(self, name: str) -> None:
        """Stops forwarding `name`; `NoSuchDestinationError` if it was not
        bridged."""
    def statistics(self) -> BridgeStatistics:
        """The bridge's counters (readable after `close` too)."""
    @property
    def node_id(self) -> str:
        """This node's id in its cluster."""
    @property
    def bus(self) -> MessageBus:
        """The `MessageBus` this bridge forwards for."""
    def close(self) -> None:
        """Stops forwarding, publishes what was accepted, delivers what had
        arrived, and closes the connections. Closing again does nothing."""
    def __enter__(self) -> Bridge: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool:
        """Closes the bridge (as `close()`)."""

@final
class BridgeStatistics:
    """A bridge's counters since it connected."""

    @property
    def published(self) -> int:
        """Messages handed to the server (durable modes: stored by JetStream)."""
    @property
    def received(self) -> int:
        """Messages from other nodes sent into a local destination."""
    @property
    def failed(self) -> int:
        """Messages that could not be published, or arrivals refused here."""
    @property
    def unknown_destination(self) -> int:
        """Arrivals for a name no local destination has (dead-lettered)."""
    @property
    def reconnects(self) -> int:
        """Connections made again after they were lost."""
    @property
    def slow_consumers(self) -> int:
        """Times the client reported a subscription too slow."""
    @property
    def request_timeouts(self) -> int:
        """Requests to other nodes that got no reply in the request timeout."""

@final
class DestinationStatistics:
    """Liferay's `DestinationStatistics`, plus the counters msgbus adds. Once a
    destination is quiet: `sent = delivered + failed + rejected +
    dropped_no_listener + discarded`."""

    @property
    def active_thread_count(self) -> int: ...
    @property
    def current_thread_count(self) -> int: ...
    @property
    def largest_thread_count(self) -> int: ...
    @property
    def max_thread_pool_size(self) -> int: ...
    @property
    def min_thread_pool_size(self) -> int: ...
    @property
    def pending_message_count(self) -> int: ...
    @property
    def sent_message_count(self) -> int: ...
    @property
    def delivered_message_count(self) -> int: ...
    @property
    def rejected_message_count(self) -> int: ...
    @property
    def failed_message_count(self) -> int: ...
    @property
    def dropped_no_listener_count(self) -> int: ...
    @property
    def discarded_message_count(self) -> int: ...
    @property
    def listener_count(self) -> int: ...

@final
class PendingRequest:
    """A request in flight; `cancel()` stops waiting for its reply."""

    def cancel(self) -> None:
        """Forgets the request: a reply arriving later is ignored."""

@final
class Pointer:
    """An object another language put on the bus: a C pointer (with the
    function that frees it, when it was given one), or an object of
    another runtime. Python cannot use what it points to; sending it on
    hands the very same pointer to the next listener."""

    @property
    def address(self) -> Optional[int]:
        """The address the pointer holds, or `None` for an object of another
        runtime, which has none to give."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Destination:
    """Sends to the destination of one name (from `MessageBus.destination`)."""

    @property
    def name(self) -> str:
        """The destination's name."""
    @property
    def bus(self) -> MessageBus:
        """The `MessageBus` this destination handle sends through."""
    def send(self, message: Any, values: Optional[Mapping[str, Any]] = None) -> None:
        """`MessageBus.send` to this destination: `message` is a `Message`,
        or any object as the payload of a new one with `values`."""
    def send_many(self, messages: Iterable[Any]) -> int:
        """Sends each item of `messages` (each a `Message`, or a bare payload)
        in order, and returns how many were sent. The first one refused
        raises its error, with the number sent before it as the exception's
        `sent`; nothing after it is sent."""
    def send_direct(self, message: Any, values: Optional[Mapping[str, Any]] = None) -> Any:
        """`MessageBus.send_direct` to this destination: calls its listeners
        in this thread and returns the `response` the last of them set."""

@final
class MessageBus:
    """An in-process message bus. Safe to use from any number of threads."""

    def __new__(cls) -> MessageBus: ...
    @property
    def address(self) -> int:
        """The address of this handle's `msgbus_bus *`, to hand the bus to C
        code in this process (which may `msgbus_bus_clone` it); valid while
        this object lives."""
    @staticmethod
    def from_address(address: int) -> MessageBus:
        """A new handle to the bus at `address`: a `msgbus_bus *` of this
        process (from C code, or another handle's `address`). The new handle
        keeps the bus alive until it is closed; the bus is the same one,
        shared with whoever made it, who shuts it down (Python's exit does
        not)."""
    def add_destination(
        self,
        name: str,
        destination_type: Union[DestinationType, str],
        *,
        max_queue_size: Optional[int] = ...,
        workers_core_size: int = ...,
        workers_max_size: int = ...,
        keep_alive: float = ...,
        rejection_policy: Union[RejectionPolicy, str] = ...,
        block_timeout: Optional[float] = ...,
        stack_size: int = ...,
        dead_letter_destination: Optional[str] = None,
        timing_every: int = 64,
    ) -> None:
        """Adds a destination of `destination_type` ("serial", "parallel",
        "synchronous" or a `DestinationType`) with optional keyword tuning:
        `max_queue_size`, `workers_core_size`, `workers_max_size`,
        `keep_alive` (s), `rejection_policy`, `block_timeout` (s), `stack_size`
        (bytes), `dead_letter_destination` (where its undelivered messages
        go; `None`, the default: the bus's, see
        `set_dead_letter_destination`) and `timing_every` (one message in
        this many is timed for the metrics' histograms: a power of two, 1
        for every message, 0 for none; 64 by default). Without
        `max_queue_size` the queue is unbounded: one whose senders outrun
        its listeners grows until memory runs out, and the process aborts
        then; bound every queue that can fall behind."""
    def replace_destination(
        self,
        name: str,
        destination_type: Union[DestinationType, str],
        *,
        max_queue_size: Optional[int] = ...,
        workers_core_size: int = ...,
        workers_max_size: int = ...,
        keep_alive: float = ...,
        rejection_policy: Union[RejectionPolicy, str] = ...,
        block_timeout: Optional[float] = ...,
        stack_size: int = ...,
        dead_letter_destination: Optional[str] = None,
        timing_every: int = 64,
    ) -> None:
        """Replaces a destination (or adds it); its listeners move to the new
        one, whose workers start once the old queue has drained."""
    def remove_destination(self, name: str) -> None:
        """Removes a destination; its queued messages are still delivered.
        Its listeners stay registered on the name."""
    def has_destination(self, name: str) -> bool:
        """Whether a destination named `name` exists."""
    def destination(self, name: str) -> Destination:
        """A handle that sends to the existing destination `name` without
        converting and looking up the name per send."""
    def destination_names(self) -> list[str]:
        """The names of the destinations, sorted."""
    def register_listener(
        self, destination: str, listener: Callable[[Message], object]
    ) -> ListenerHandle:
        """Registers `listener(message)` on `destination`, after the listeners
        already there; the destination need not exist yet. Returns the
        handle that unregisters it (also as a context manager). An `async
        def` listener raises `TypeError`: nothing would await it."""
    def listener(
        self, destination: str
    ) -> Callable[[Callable[[Message], _R]], _DecoratedListener[_R]]:
        """A decorator, `@bus.listener("acme/orders")`: registers the function
        it decorates on `destination` and returns the function itself, with
        the registration's `ListenerHandle` as its `listener_handle`
        attribute (`f.listener_handle.unregister()`)."""
    def has_listener(self, destination: str) -> bool:
        """Whether `destination` exists and has a listener."""
    def send(self, destination: str, message: Any) -> None:
        """Sends a `Message`, or any object as the payload of a new one.
        Returns once it is queued (delivered, for a synchronous destination)."""
    def send_synchronous(
        self, destination: str, message: Any, timeout: Optional[float] = ...
    ) -> Any:
        """Sends with a fresh response id and waits up to `timeout` seconds
        (`None`: as long as it takes) for the reply; returns its payload.
        Raises `ListenerError` as soon as every listener it reached has
        returned, one raised and none replied; `SynchronousTimeoutError`
        when no reply came in time."""
    def request(
        self, destination: str, message: Any, timeout: Optional[float] = ...
    ) -> Coroutine[Any, Any, Any]:
        """`send_synchronous` for asyncio: returns a coroutine of the reply's
        payload (to `await`, or to run with `asyncio.create_task`), which
        waits without blocking the event loop. Needs a running loop; bad
        arguments and send errors raise here, not when awaited."""
    def send_direct(self, destination: str, message: Any) -> Any:
        """Calls the listeners of `destination` in this thread and returns the
        `response` the last of them set. A listener's exception stops the
        call and raises `ListenerError` from it."""
    def reply(self, request: Message, payload: Any = None) -> None:
        """Answers a default-synchronous request with `payload`."""
    def statistics(self, destination: str) -> DestinationStatistics:
        """The destination's statistics; its message counters belong to the
        name and go on through `replace_destination` and remove + add."""
    def add_event_listener(
        self, callback: Callable[[BusEvent], object], destination: Optional[str] = None
    ) -> EventListenerHandle:
        """Calls `callback(event)` for every registration event of the bus, or
        of one destination name; returns the handle that removes it (also as
        a context manager)."""
    def set_dead_letter_destination(self, name: Optional[str]) -> None:
        """Names the bus's dead-letter destination (`None`: none, the default;
        it need not exist yet). Every message the bus does not deliver goes
        there once, as a copy with its payload and values plus the values
        "msgbus.reason" ("failed", "rejected", "no_listener", "discarded",
        "no_such_destination" or "expired"), "msgbus.destination" (where it
        was sent) and, for a failure, "msgbus.error" (the exception, as
        logged); unless its destination names its own
        (`add_destination(..., dead_letter_destination=...)`). A dead letter
        its destination cannot take is logged and counted in the metrics;
        a message failing at a dead-letter destination is never
        dead-lettered again."""
    def add_interceptor(
        self, interceptor: Callable[[str, Message], Optional[bool]]
    ) -> InterceptorHandle:
        """Adds `interceptor(destination, message)`, after those already
        there: every send of the bus (of any kind, from any language,
        scheduled ones and replies included; dead letters excepted) calls
        it on the sending thread, before the destination is looked up. It
        may change the message, which is the one being sent (to carry trace
        context: `message.put("traceparent", ...)`), for the call only: kept
        beyond it, the `Message` is a copy of its own. A true return
        consumes the message: it goes no further, the send succeeds, and
        the metrics count it. An exception is logged to the `msgbus` logger
        and counted, and the message goes on. Returns the handle that
        removes it (also as a context manager). An `async def` interceptor
        raises `TypeError`: nothing would await it."""
    def schedule(
        self, destination: str, message: Any, delay: float, every: Optional[float] = None
    ) -> Schedule:
        """Sends a copy of `message` (a `Message`, or any object as the payload
        of a new one) to `destination` after `delay` seconds, then, unless
        `every` is `None`, every `every` seconds at a fixed rate until
        cancelled. Seconds are rounded up to whole milliseconds, so that a
        positive delay or period is never 0. Each firing is a send as
        `send`'s, from the bus's one timer thread: it passes the
        interceptors, what is not delivered is dead-lettered, and a failed
        send is logged. The destination must exist now
        (`NoSuchDestinationError`). A shutdown cancels what has not fired
        (the metrics count them). Returns the `Schedule`, whose `cancel()`
        stops it (also as a context manager)."""
    def metrics_text(self) -> str:
        """Every destination's figures and the bus's, in the Prometheus text
        exposition format 0.0.4 (`msgbus_*` families: queue depth, threads,
        sent, delivered, failed, rejected, dropped, discarded, dead letters,
        request outcomes, queue-wait and processing-time histograms,
        interceptors and schedules), as a scrape endpoint serves it
        (`text/plain; version=0.0.4`)."""
    def metrics(self) -> dict[str, Any]:
        """`metrics_text()`'s figures as a dict: `{"destinations": [...],
        "bus": {...}}`. Each destination is a dict of its "name", "type",
        the fields of `DestinationStatistics`, "dead_letters" (a count by
        reason: "failed", "rejected", "no_listener", "discarded",
        "expired"), "requests" (a count by outcome: "ok", "failed",
        "timeout", "no_listeners", "abandoned"), and the histograms
        "queue_wait" and "processing", each `{"buckets": [[le, count], ...,
        ["+Inf", count]], "sum": seconds, "count": count}` with cumulative
        counts by upper bound in seconds. "bus" holds
        "unknown_destination_count", "unknown_destination_dead_lettered_count",
        "dead_letters_refused_count", "interceptor_count",
        "intercepted_count", "interceptor_failed_count" and "schedules"
        ("pending", "fired", "missed", "cancelled",
        "cancelled_at_shutdown")."""
    def shutdown(self, force: bool = False, timeout: Optional[float] = None) -> None:
        """Stops the serial and parallel destinations. Graceful: every queued
        message is delivered first; `force`: queued messages are discarded
        (and counted). Waits up to `timeout` seconds (`None`: as long as it
        takes) for the workers, else raises `TimeoutError`; they go on.
        Afterwards sends to those destinations raise `BusClosedError`;
        synchronous destinations keep working."""
    def __enter__(self) -> MessageBus: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> bool:
        """Shuts the bus down gracefully."""

def default_bus() -> MessageBus:
    """The process-wide bus (Liferay's `MessageBusUtil`), the same one
    `msgbus_default_bus()` gives C code; made on first use, and anew in a
    forked child. It is one bus for the whole process: after its
    `shutdown()` it stays shut down (queued sends raise `BusClosedError`,
    synchronous destinations keep working), and `default_bus()` goes on
    returning it."""

def set_exit_timeout(timeout: Optional[float]) -> Optional[float]:
    """How long, in all, the exit shutdown waits for queued messages (seconds,
    default 10; `None`: as long as it takes); returns the previous value."""

def _core_info() -> tuple[str, str, int]: ...

# Registered with atexit and os.register_at_fork when the module loads.
def _shutdown_all() -> None: ...
def _before_fork() -> None: ...
def _after_fork_in_parent() -> None: ...
def _after_fork_in_child() -> None: ...
