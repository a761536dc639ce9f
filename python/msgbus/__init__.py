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
"""

from ._enums import DestinationType, RejectionPolicy
from ._msgbus import (
    BusClosedError,
    BusEvent,
    DestinationExistsError,
    DestinationStatistics,
    EventListenerHandle,
    InvalidArgumentError,
    ListenerError,
    ListenerHandle,
    Message,
    MessageBus,
    MessageBusError,
    NoListenersError,
    NoSuchDestinationError,
    QueueFullError,
    SynchronousTimeoutError,
    __version__,
    default_bus,
)

__all__ = [
    "BusClosedError",
    "BusEvent",
    "DestinationExistsError",
    "DestinationStatistics",
    "DestinationType",
    "EventListenerHandle",
    "InvalidArgumentError",
    "ListenerError",
    "ListenerHandle",
    "Message",
    "MessageBus",
    "MessageBusError",
    "NoListenersError",
    "NoSuchDestinationError",
    "QueueFullError",
    "RejectionPolicy",
    "SynchronousTimeoutError",
    "__version__",
    "default_bus",
]
