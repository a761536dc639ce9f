"""The names of destination types and rejection policies.

Both are ``str`` enums, so ``DestinationType.SERIAL == "serial"``: the bus
accepts either form.
"""

import enum


class DestinationType(str, enum.Enum):
    """How a destination delivers (see the README's table)."""

    SERIAL = "serial"
    """Queued; one worker calls each listener in turn, message after message."""
    PARALLEL = "parallel"
    """Queued; one task per message per listener, run by a pool of workers."""
    SYNCHRONOUS = "synchronous"
    """In the sender's thread, before ``send`` returns."""


class RejectionPolicy(str, enum.Enum):
    """What a destination whose queue is full does with a message."""

    DISCARD = "discard"
    """Drop it, count it, log a warning and raise ``QueueFullError`` (Liferay's default)."""
    CALLER_RUNS = "caller_runs"
    """Deliver it in the sender's thread."""
    BLOCK = "block"
    """Wait for room up to ``block_timeout`` seconds, then reject it as ``DISCARD`` does."""
