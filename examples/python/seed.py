"""The seed scenario of Liferay's message bus guide, in Python:
N8K5CharlieMessageListener on the serial destination acme/n8k5_able answers
N8K5Baker#_activate by replying to the response destination acme/n8k5_baker,
where the N8K5Baker listener logs the reply.

    pip install ./python && python examples/python/seed.py
"""

import logging
import threading

import msgbus

logging.basicConfig(level=logging.INFO, format="%(levelname)s [%(threadName)s][%(name)s] %(message)s")
charlie_log = logging.getLogger("N8K5CharlieMessageListener")
baker_log = logging.getLogger("N8K5Baker")

with msgbus.MessageBus() as bus:
    bus.add_destination("acme/n8k5_able", msgbus.DestinationType.SERIAL)
    bus.add_destination("acme/n8k5_baker", msgbus.DestinationType.SERIAL)

    @bus.listener("acme/n8k5_able")
    def n8k5_charlie(message: msgbus.Message) -> None:
        charlie_log.info("Received message payload %s", message.payload)
        bus.reply(message, "N8K5CharlieMessageListener")

    replied = threading.Event()

    @bus.listener("acme/n8k5_baker")
    def n8k5_baker(message: msgbus.Message) -> None:
        baker_log.info("Received message payload %s", message.payload)
        replied.set()

    baker_log.info("Sending message payload N8K5Baker#_activate")
    bus.send(
        "acme/n8k5_able",
        msgbus.Message("N8K5Baker#_activate", response_destination_name="acme/n8k5_baker"),
    )
    replied.wait()
