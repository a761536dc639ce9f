"""The seed scenario across two processes over NATS (make demo-bridge).

Process A (this script, Python) sends N8K5Baker#_activate to
acme/n8k5_able with the response destination acme/n8k5_baker; process B
(examples/c/bridge_node.c, C) listens on acme/n8k5_able and replies; the
reply comes back to A's N8K5Baker listener. Then A's send_synchronous is
answered by B. Both bridge the two destinations. A nats-server of its
own is started on the loopback for the run, unless `--url` names one.

    python examples/python/bridge_seed.py PATH/TO/bridge_node
    python examples/python/bridge_seed.py --url nats://10.77.0.1:4222 "ip netns exec hostB bridge_node"
"""

import argparse
import contextlib
import logging
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Optional

import msgbus
from nats_server import NatsServer

PATIENCE = 30.0

logging.basicConfig(
    level=logging.INFO, stream=sys.stdout, format="%(levelname)s [%(threadName)s][%(name)s] %(message)s"
)
baker_log = logging.getLogger("N8K5Baker")


def main(node_b: str, url: Optional[str]) -> int:
    cluster = f"seed{os.getpid()}"
    with contextlib.ExitStack() as stack:
        log: Callable[[], str]
        if url is None:
            server = stack.enter_context(NatsServer())
            url, log = server.url, server.log
        else:
            log = f"(no log of the server at {url})".format
        b = subprocess.Popen([*shlex.split(node_b), url, cluster], stdout=subprocess.PIPE, text=True)
        assert b.stdout is not None
        if b.stdout.readline().strip() != "ready":
            print(f"process B did not start; the server's log:\n{log()}", file=sys.stderr)
            return 1
        replies = threading.Thread(target=lambda: [print(line, end="", flush=True) for line in b.stdout or []])
        replies.start()
        with msgbus.MessageBus() as bus:
            bus.add_destination("acme/n8k5_able", msgbus.DestinationType.SERIAL)
            bus.add_destination("acme/n8k5_baker", msgbus.DestinationType.SERIAL)
            replied = threading.Event()

            @bus.listener("acme/n8k5_baker")
            def n8k5_baker(message: msgbus.Message) -> None:
                baker_log.info("Received message payload %s from %s", message.payload, message["msgbus.origin"])
                replied.set()

            with msgbus.Bridge(bus, url, cluster=cluster, node_id="process-a") as bridge:
                bridge.add("acme/n8k5_able")
                bridge.add("acme/n8k5_baker")
                baker_log.info("Sending message payload N8K5Baker#_activate")
                bus.send(
                    "acme/n8k5_able",
                    msgbus.Message("N8K5Baker#_activate", response_destination_name="acme/n8k5_baker"),
                )
                if not replied.wait(PATIENCE):
                    print(f"no reply from process B; the server's log:\n{log()}", file=sys.stderr)
                    return 1
                answer = bus.send_synchronous("acme/n8k5_able", "N8K5Baker#_ask", timeout=PATIENCE)
                baker_log.info("send_synchronous answered: %s", answer)
                print(f"process A: {bridge.statistics()}", flush=True)
        status = b.wait(timeout=PATIENCE)
        replies.join()
        return status


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("node_b", help="the command that runs process B (examples/c/bridge_node.c)")
    parser.add_argument("--url", help="a running nats-server (default: start one on the loopback)")
    arguments = parser.parse_args()
    sys.exit(main(arguments.node_b, arguments.url))
