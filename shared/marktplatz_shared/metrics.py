"""Prometheus metrics of the platform, and the provider that serves them and times every entrypoint.

Declare ``metrics = Metrics()`` on a service; with ``METRICS_PORT`` set (> 0) the process serves
``/metrics`` on that port. Every RPC and event handler is timed and counted by outcome.
"""

from __future__ import annotations

import logging
import time
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from . import config as cfg

log = logging.getLogger(__name__)

ENTRYPOINT_DURATION = Histogram(
    "marktplatz_entrypoint_duration_seconds",
    "Duration of RPC calls and event handlers",
    ["service", "entrypoint", "kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ENTRYPOINT_ERRORS = Counter(
    "marktplatz_entrypoint_errors_total", "Entrypoint calls that raised", ["service", "entrypoint", "kind", "error"]
)
EVENT_RETRIES = Counter(
    "marktplatz_event_retries_total", "Event deliveries sent for a delayed retry", ["service", "queue"]
)
CONSUMER_RESTARTS = Counter(
    "marktplatz_consumer_restarts_total", "Queue consumer loops the watchdog started again", ["service"]
)
DEAD_LETTERS = Counter(
    "marktplatz_dead_letters_total", "Messages parked in the dead-letter queue", ["service", "queue", "reason"]
)
DUPLICATES_SKIPPED = Counter(
    "marktplatz_duplicate_events_total", "Redelivered events skipped by idempotency", ["service", "handler"]
)
OUTBOX_BACKLOG = Gauge("marktplatz_outbox_backlog", "Events recorded but not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge("marktplatz_outbox_oldest_age_seconds", "Age of the oldest unpublished event", ["service"])
OUTBOX_PUBLISHED = Counter("marktplatz_outbox_published_total", "Events published by the outbox relay", ["service"])

_served_ports: set[int] = set()


def serve_metrics(port: int) -> None:
    """Start the /metrics HTTP server once per process and port."""
    if port and port not in _served_ports:
        start_http_server(port)
        _served_ports.add(port)
        log.info("serving Prometheus metrics on :%d", port)


def entrypoint_kind(entrypoint) -> str:
    name = type(entrypoint).__name__.lower()
    if "rpc" in name:
        return "rpc"
    if "event" in name:
        return "event"
    return name


class Metrics(DependencyProvider):
    def __init__(self):
        self._started: WeakKeyDictionary = WeakKeyDictionary()

    def setup(self):
        serve_metrics(int(self.container.config.get(cfg.METRICS_PORT, 0) or 0))

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        entrypoint = worker_ctx.entrypoint
        labels = (self.container.service_name, entrypoint.method_name, entrypoint_kind(entrypoint))
        if started is not None:
            ENTRYPOINT_DURATION.labels(*labels).observe(time.perf_counter() - started)
        if exc_info is not None:
            ENTRYPOINT_ERRORS.labels(*labels, exc_info[0].__name__).inc()
