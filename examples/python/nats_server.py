"""A nats-server of one's own: started on a free loopback port, with
JetStream in a temporary folder, and stopped by its pid. For the bridge
demo and tests; a deployment runs its server as a service instead."""

import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from typing import Optional


class NatsServer:
    """A running nats-server; a context manager that stops it."""

    def __init__(self, timeout: float = 20.0, address: str = "127.0.0.1", prefix: Sequence[str] = ()) -> None:
        """Starts it on a free port of `address`; `prefix` runs it through
        another command (`ip netns exec NAME`, which keeps its pid)."""
        self.address = address
        self.prefix = list(prefix)
        self.folder = tempfile.TemporaryDirectory(prefix="msgbus-nats-")
        self.log_path = os.path.join(self.folder.name, "nats.log")
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.url = ""
        self._start("-1", timeout)

    def _start(self, port: str, timeout: float) -> None:
        folder = self.folder.name
        self.process = subprocess.Popen(
            [*self.prefix, "nats-server", "-a", self.address, "-p", port, "-js", "-sd", os.path.join(folder, "js"),
             "--ports_file_dir", folder, "-l", self.log_path],
            stdin=subprocess.DEVNULL,
        )
        ports = os.path.join(folder, f"nats-server_{self.process.pid}.ports")
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(ports) as f:
                    self.url = json.load(f)["nats"][0]
                return
            except (FileNotFoundError, ValueError, KeyError, IndexError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nats-server did not start; its log:\n{self.log()}")
            # Polling a file the server writes: there is nothing to wait on.
            time.sleep(0.01)

    def log(self) -> str:
        try:
            with open(self.log_path) as f:
                return f.read()
        except FileNotFoundError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        self.process = None

    def __enter__(self) -> "NatsServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.folder.cleanup()
