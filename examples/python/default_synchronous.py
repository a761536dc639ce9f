"""Default synchronous messaging: send_synchronous gives the message a fresh
response id, queues it, and waits until a listener replies to it with
bus.reply, or until the timeout. The listener runs on the destination's
worker, as for any asynchronous send. (await bus.request(...) is the same
for asyncio.)

    pip install ./python && python examples/python/default_synchronous.py
"""

import threading

import msgbus

with msgbus.MessageBus() as bus:
    bus.add_destination("acme/greeter", "serial")
    bus.add_destination("acme/mute", "serial")

    @bus.listener("acme/greeter")
    def greeter(request: msgbus.Message) -> None:
        bus.reply(request, f"{threading.current_thread().name} received {request.payload}")

    @bus.listener("acme/mute")
    def mute(request: msgbus.Message) -> None:
        """Takes the message and never replies."""

    print("reply:", bus.send_synchronous("acme/greeter", "hello"))
    try:
        bus.send_synchronous("acme/mute", "hello", timeout=0.1)
        print("acme/mute: unexpected")
    except msgbus.SynchronousTimeoutError:
        print("acme/mute: no reply within 100 ms")
    try:
        bus.send_synchronous("acme/missing", "hello", timeout=0.1)
        print("acme/missing: unexpected")
    except msgbus.NoSuchDestinationError:
        print("acme/missing: no such destination")
