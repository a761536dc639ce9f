"""msgbus: an in-process message bus with the semantics of Liferay's Message Bus.

>>> import msgbus
>>> with msgbus.MessageBus() as bus:
...     bus.add_destination("acme/n8k5_able", "serial")
...     @bus.listener("acme/n8k5_able")
...     def answer(message):
...         bus.reply(message, "N8K5CharlieMessageListener")
...     bus.send_synchronous("acme/n8k5_able", "N8K5Baker#_activate")
'N8K5CharlieMessageListener'

Listeners run on the bus's worker threads; their exceptions, and the bus's
own log records, go to the ``logging`` logger ``msgbus``.

``MessageBus.metrics_text()`` renders the bus's metrics in the Prometheus
text format; :mod:`msgbus.prometheus` offers them to ``prometheus_client``
(imported only there).

The package holds no bus of its own: it drives the ``libmsgbus.so.0`` of the
process (a C or C++ host's, one a C extension loaded, or the copy shipped
here), so Python, C and C++ code of one process share buses. C extensions
build against :func:`get_include` and :func:`get_library_dir`.
"""

import collections
import os

from ._enums import DestinationType, RejectionPolicy
from ._msgbus import (
    Bridge,
    BridgeStatistics,
    BusClosedError,
    BusEvent,
    Destination,
    DestinationExistsError,
    DestinationStatistics,
    EventListenerHandle,
    InterceptorHandle,
    InvalidArgumentError,
    ListenerError,
    ListenerHandle,
    Message,
    MessageBus,
    MessageBusError,
    NoListenersError,
    NoSuchDestinationError,
    Pointer,
    QueueFullError,
    Schedule,
    SynchronousTimeoutError,
    __version__,
    _core_info,
    default_bus,
    set_exit_timeout,
)


# A plain namedtuple: importing typing for a NamedTuple doubled the time
# `import msgbus` takes.
CoreInfo = collections.namedtuple("CoreInfo", ["path", "version", "abi"])
CoreInfo.__doc__ = "The core in use: the file it was loaded from (str), its version (str), its ABI (int)."


def core_info() -> CoreInfo:
    """The libmsgbus this process uses (``msgbus_core_path()`` and
    ``msgbus_version()`` in C): a C component shares buses with Python
    exactly when it reports the same path."""
    return CoreInfo(*_core_info())


def get_include() -> str:
    """The folder of ``msgbus.h`` and ``msgbus.hpp``, to compile against."""
    return os.path.join(os.path.dirname(__file__), "include")


def get_library_dir() -> str:
    """The folder of the ``libmsgbus.so.0`` shipped in this package, to link
    against (``-L<dir> -l:libmsgbus.so.0 -Wl,-rpath,<dir>``)."""
    return os.path.dirname(__file__)

__all__ = [
    "Bridge",
    "BridgeStatistics",
    "BusClosedError",
    "CoreInfo",
    "BusEvent",
    "Destination",
    "DestinationExistsError",
    "DestinationStatistics",
    "DestinationType",
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
    "Pointer",
    "QueueFullError",
    "RejectionPolicy",
    "Schedule",
    "SynchronousTimeoutError",
    "__version__",
    "core_info",
    "default_bus",
    "get_include",
    "get_library_dir",
    "set_exit_timeout",
]
