"""A bus's metrics for ``prometheus_client`` (``pip install prometheus-client``,
or ``pip install msgbus[prometheus]``).

>>> from prometheus_client import REGISTRY, start_http_server
>>> from msgbus.prometheus import MsgbusCollector
>>> REGISTRY.register(MsgbusCollector(bus))      # doctest: +SKIP
>>> start_http_server(9100)                      # doctest: +SKIP

Each scrape reads ``bus.metrics()`` once and offers the families that
``bus.metrics_text()`` renders, under the same names, labels and help:
gauges (``msgbus_queue_depth``, ``msgbus_workers``, ...), counters
(``msgbus_messages_sent_total``, ...) and the ``msgbus_queue_wait_seconds``
and ``msgbus_listener_duration_seconds`` histograms. A program that serves
its own endpoint can serve ``bus.metrics_text()`` as it stands instead.

Only this module imports ``prometheus_client``: ``import msgbus`` does not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union

try:
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
    )
    from prometheus_client.samples import Sample
except ImportError as missing:
    raise ImportError(
        "msgbus.prometheus needs prometheus_client, which is not installed: "
        "pip install prometheus-client"
    ) from missing

from ._msgbus import MessageBus

__all__ = ["MsgbusCollector"]

_SAMPLED = "Sampled: one message in timing_every (64 by default) is timed."

#: One destination of ``bus.metrics()``.
_Destination = dict[str, Any]
#: A figure of one destination.
_Figure = Callable[[_Destination], float]

#: Gauges with one sample per destination: (name, help, figure).
_DESTINATION_GAUGES: list[tuple[str, str, _Figure]] = [
    ("msgbus_listeners", "Listeners registered on the destination.", lambda d: d["listener_count"]),
    (
        "msgbus_queue_depth",
        "Tasks waiting in the destination's queue (a parallel message queues one per listener).",
        lambda d: d["pending_message_count"],
    ),
]

#: Gauges after ``msgbus_workers``.
_WORKER_GAUGES: list[tuple[str, str, _Figure]] = [
    (
        "msgbus_workers_largest",
        "The most worker threads the destination has had alive at once.",
        lambda d: d["largest_thread_count"],
    ),
    (
        "msgbus_workers_max",
        "The most worker threads the destination may have (its pool's maximum size).",
        lambda d: d["max_thread_pool_size"],
    ),
]

#: Counters with one sample per destination: (name, help, statistics field).
_DESTINATION_COUNTERS: list[tuple[str, str, str]] = [
    (
        "msgbus_messages_sent_total",
        "Messages sent to the destination, whatever became of them.",
        "sent_message_count",
    ),
    (
        "msgbus_messages_delivered_total",
        "Messages that reached every listener of the destination without a failure.",
        "delivered_message_count",
    ),
    (
        "msgbus_messages_failed_total",
        "Messages for which at least one listener of the destination failed.",
        "failed_message_count",
    ),
    (
        "msgbus_messages_rejected_total",
        "Messages the destination refused because its queue was full.",
        "rejected_message_count",
    ),
]

_Labels = dict[str, str]
_Family = Union[CounterMetricFamily, GaugeMetricFamily]


class MsgbusCollector:
    """A ``prometheus_client`` collector of one bus's metrics: register it
    with a registry (``REGISTRY.register(MsgbusCollector(bus))``), which
    then reads ``bus.metrics()`` at each scrape. It keeps the bus alive
    while registered. ``describe()`` returns no metrics, so registering it
    reads nothing (nor does the registry check its names against other
    collectors')."""

    def __init__(self, bus: MessageBus) -> None:
        if not isinstance(bus, MessageBus):
            raise TypeError(f"bus must be a msgbus.MessageBus, not {type(bus).__name__}")
        self._bus = bus

    def describe(self) -> list[Metric]:
        """Nothing: the families depend on the bus's destinations."""
        return []

    def collect(self) -> Iterator[Metric]:
        """The families of ``bus.metrics_text()``, from one ``bus.metrics()``."""
        metrics = self._bus.metrics()
        destinations: list[_Destination] = metrics["destinations"]
        bus: dict[str, Any] = metrics["bus"]
        schedules: dict[str, Any] = bus["schedules"]
        # A family of destinations is left out when there are none, as
        # metrics_text() leaves it out.
        per = bool(destinations)

        yield _family(GaugeMetricFamily, "msgbus_destinations", "Destinations on the bus.", [({}, len(destinations))])
        if per:
            for name, help_text, figure in _DESTINATION_GAUGES:
                yield _family(GaugeMetricFamily, name, help_text, _each(destinations, figure))
            yield _family(
                GaugeMetricFamily,
                "msgbus_workers",
                "Worker threads of the destination alive now, running a task (active) or waiting for one (idle).",
                _by(destinations, "state", lambda d: [
                    ("active", d["active_thread_count"]),
                    ("idle", max(0, d["current_thread_count"] - d["active_thread_count"])),
                ]),
            )
            for name, help_text, figure in _WORKER_GAUGES:
                yield _family(GaugeMetricFamily, name, help_text, _each(destinations, figure))
        yield _family(
            GaugeMetricFamily, "msgbus_interceptors", "Interceptors registered on the bus.",
            [({}, bus["interceptor_count"])],
        )
        yield _family(
            GaugeMetricFamily, "msgbus_schedules_pending", "Scheduled sends that will fire again.",
            [({}, schedules["pending"])],
        )

        if per:
            for name, help_text, field in _DESTINATION_COUNTERS:
                samples = [({"destination": d["name"]}, d[field]) for d in destinations]
                yield _family(CounterMetricFamily, name, help_text, samples)
        yield _family(
            CounterMetricFamily,
            "msgbus_messages_dropped_total",
            "Messages dropped undelivered: the destination had no listener (no_listener), or no destination "
            "had the name (no_such_destination).",
            _by(destinations, "reason", lambda d: [("no_listener", d["dropped_no_listener_count"])])
            + [({"reason": "no_such_destination"}, bus["unknown_destination_count"])],
        )
        if per:
            yield _family(
                CounterMetricFamily,
                "msgbus_messages_discarded_total",
                "Queued messages of the destination that a forced shutdown threw away.",
                _each(destinations, lambda d: d["discarded_message_count"]),
            )
        yield _family(
            CounterMetricFamily,
            "msgbus_dead_letters_total",
            "Messages sent to a dead-letter destination, by why they were not delivered: a listener failed, the "
            "queue was full (rejected), no listener, a forced shutdown (discarded), expired, or no destination "
            "had the name (no_such_destination).",
            _by(destinations, "reason", lambda d: [
                (reason, d["dead_letters"][reason])
                for reason in ("failed", "rejected", "no_listener", "discarded", "expired")
            ])
            + [({"reason": "no_such_destination"}, bus["unknown_destination_dead_lettered_count"])],
        )
        yield _family(
            CounterMetricFamily,
            "msgbus_dead_letters_refused_total",
            "Dead letters their dead-letter destination refused (missing, closed or full): logged, never retried.",
            [({}, bus["dead_letters_refused_count"])],
        )
        if per:
            yield _family(
                CounterMetricFamily,
                "msgbus_requests_total",
                "Synchronous requests to the destination, by how they ended: a reply came (ok), a listener failed "
                "without replying (failed), no reply in time (timeout), no listener to ask (no_listeners), or the "
                "sender stopped waiting (abandoned).",
                _by(destinations, "outcome", lambda d: [
                    (outcome, d["requests"][outcome])
                    for outcome in ("ok", "failed", "timeout", "no_listeners", "abandoned")
                ]),
            )
        yield _family(
            CounterMetricFamily, "msgbus_messages_intercepted_total", "Messages an interceptor consumed.",
            [({}, bus["intercepted_count"])],
        )
        yield _family(
            CounterMetricFamily,
            "msgbus_interceptor_failures_total",
            "Interceptor calls that failed; the message went on.",
            [({}, bus["interceptor_failed_count"])],
        )
        yield _family(
            CounterMetricFamily, "msgbus_schedule_firings_total", "Firings of scheduled sends, each one a send.",
            [({}, schedules["fired"])],
        )
        yield _family(
            CounterMetricFamily,
            "msgbus_schedule_missed_total",
            "Periodic firings skipped because the timer thread was late by more than a period.",
            [({}, schedules["missed"])],
        )
        yield _family(
            CounterMetricFamily,
            "msgbus_schedules_cancelled_total",
            "Scheduled sends cancelled, by their handle (handle) or by a shutdown before they fired (shutdown).",
            [({"cause": "handle"}, schedules["cancelled"]),
             ({"cause": "shutdown"}, schedules["cancelled_at_shutdown"])],
        )

        if per:
            yield _histogram(
                "msgbus_queue_wait_seconds",
                "Time from queuing a message to the start of each listener call (queued destinations only). "
                + _SAMPLED,
                destinations,
                "queue_wait",
            )
            yield _histogram(
                "msgbus_listener_duration_seconds",
                "Duration of each listener call. " + _SAMPLED,
                destinations,
                "processing",
            )


def _family(
    kind: type[_Family], name: str, help_text: str, samples: Sequence[tuple[_Labels, float]]
) -> _Family:
    """A family of `kind` whose samples, all named `name` (a counter's
    with its ``_total``), carry the labels given."""
    family = kind(name, help_text)
    for labels, value in samples:
        family.samples.append(Sample(name, labels, value))
    return family


def _each(destinations: list[_Destination], figure: _Figure) -> list[tuple[_Labels, float]]:
    """One sample per destination."""
    return [({"destination": d["name"]}, figure(d)) for d in destinations]


def _by(
    destinations: list[_Destination],
    label: str,
    figures: Callable[[_Destination], list[tuple[str, float]]],
) -> list[tuple[_Labels, float]]:
    """One sample per destination and value of `label`."""
    return [
        ({"destination": d["name"], label: value}, figure)
        for d in destinations
        for value, figure in figures(d)
    ]


def _histogram(name: str, help_text: str, destinations: list[_Destination], key: str) -> HistogramMetricFamily:
    """One histogram per destination, from its ``key`` in ``bus.metrics()``:
    the bounds written as metrics_text() writes them (``1e-06``, ``0.5``,
    ``1``, ``+Inf``)."""
    family = HistogramMetricFamily(name, help_text, labels=["destination"])
    for d in destinations:
        histogram = d[key]
        buckets = [(bound if isinstance(bound, str) else repr(bound), count) for bound, count in histogram["buckets"]]
        total = histogram["sum"]
        family.add_metric([d["name"]], buckets, math.nan if total is None else total)
    return family
