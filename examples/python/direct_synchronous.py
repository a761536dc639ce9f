"""Direct synchronous messaging: send_direct calls the destination's
listeners one after another in the sending thread, bypassing its queue and
workers. Each may set the message's response; the sender gets the one the
last listener set. A failing listener stops the call: send_direct raises
ListenerError from its exception.

    pip install ./python && python examples/python/direct_synchronous.py
"""

import threading

import msgbus

sender = threading.current_thread()

with msgbus.MessageBus() as bus:
    bus.add_destination("acme/direct", "serial")
    bus.add_destination("acme/strict", "serial")

    def first(message: msgbus.Message) -> None:
        in_sender = "yes" if threading.current_thread() is sender else "no"
        print(f"first listener: {message.payload}, in the sender's thread: {in_sender}")
        message.response = "first's response"

    def second(message: msgbus.Message) -> None:
        """Sees the response the first listener set, and replaces it."""
        print("second listener: sees", message.response)
        message.response = "second's response"

    def refuse(message: msgbus.Message) -> None:
        raise ValueError("refused")

    bus.register_listener("acme/direct", first)
    bus.register_listener("acme/direct", second)
    bus.register_listener("acme/strict", refuse)
    bus.register_listener("acme/strict", second)

    print("response:", bus.send_direct("acme/direct", "hello"))
    try:
        bus.send_direct("acme/strict", "hello")
        print("acme/strict: unexpected")
    except msgbus.ListenerError:
        print("acme/strict: the first listener failed; the second was not called")
