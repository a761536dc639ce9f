"""Listening for registration events: an event listener for the whole bus
hears every destination and listener come and go; one for a destination
name hears only about that name. Event listeners run in the thread that
made the change, with no lock held.

    pip install ./python && python examples/python/registration_events.py
"""

from typing import Callable

import msgbus


def printer(label: str) -> Callable[[msgbus.BusEvent], None]:
    def print_event(event: msgbus.BusEvent) -> None:
        print(f"{label}: {event.kind.replace('_', ' ')} {event.destination}")

    return print_event


with msgbus.MessageBus() as bus:
    bus_wide = bus.add_event_listener(printer("bus"))
    bus.add_event_listener(printer("watcher of acme/watched"), "acme/watched")

    bus.add_destination("acme/watched", "serial")
    listener = bus.register_listener("acme/watched", lambda message: None)
    listener.unregister()
    bus.remove_destination("acme/watched")
    bus.add_destination("acme/other", "parallel")

    bus_wide.remove()
    bus.remove_destination("acme/other")
    print("removed the bus-wide event listener: acme/other's removal was not heard")
