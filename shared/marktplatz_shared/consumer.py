"""Reliable event handling for nameko: validate, retry with back-off through RabbitMQ, dead-letter, never drop.

nameko's own ``@event_handler`` acknowledges a message whose handler raised, so the event is lost. Use
``@reliable_handler`` instead::

    class Search:
        name = "search"
        db = Database()

        @reliable_handler("catalog", "stock_changed")
        def on_stock_changed(self, event):            # event: marktplatz_shared.events.Event, validated
            with self.db.once(event) as tx:           # a redelivered event raises AlreadyProcessed: acked
                ...

What happens to a message:

- body not JSON, not an event, or not valid against its contract: parked in ``<service>.dead-letters`` at
  once with the reason, acknowledged; the consumer goes on with the next message;
- handler raised: republished to ``<service>.retry.<delay>`` (one delay per attempt from ``RETRY_DELAYS``),
  from where RabbitMQ routes it back to this handler's queue after the delay; after the last delay it is
  parked in the dead-letter queue with the error. Only after that publish is confirmed is the original
  acknowledged; if the publish fails the message is requeued, so nothing is ever dropped.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import traceback
import uuid
from datetime import UTC, datetime
from functools import partial

from amqp.exceptions import RecoverableConnectionError
from kombu import Queue, binding
from nameko.amqp.publish import Publisher
from nameko.events import SERVICE_POOL, EventHandler
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer

from . import config as cfg
from . import diagnostics
from .broker import dead_letter_queue, queue_arguments, redeliver_exchange, retry_exchange, retry_queue
from .db import AlreadyProcessed
from .events import EventValidationError, parse_event
from .metrics import CONSUMER_RESTARTS, DEAD_LETTERS, DUPLICATES_SKIPPED, EVENT_RETRIES

log = logging.getLogger(__name__)


def _tolerate_lost_connection(settle):
    """nameko 2.14's QueueConsumer guards ack/requeue against amqp's ConnectionError only: a socket reset by a
    broker restart (an OSError) escapes and kills the whole service container, RPC included, while the process
    lives on without answering. The broker has reclaimed such a message already, so it is redelivered."""

    @functools.wraps(settle)
    def settle_or_let_broker_redeliver(self, message):
        try:
            settle(self, message)
        except OSError as exc:
            log.warning("broker connection lost before settling a message (%s); it will be redelivered", exc)

    return settle_or_let_broker_redeliver


if not getattr(QueueConsumer.ack_message, "__wrapped__", None):  # every service imports this module once
    QueueConsumer.ack_message = _tolerate_lost_connection(QueueConsumer.ack_message)
    QueueConsumer.requeue_message = _tolerate_lost_connection(QueueConsumer.requeue_message)

#: seconds a consumer loop may go without a turn (it turns at least every second while connected, and calls
#: back at every try to reconnect, at most 30 s apart) before its watchdog starts it again
CONSUMER_STALL_SECONDS = 40.0
WATCHDOG_INTERVAL = 2.0


def _with_sign_of_life(callback):
    @functools.wraps(callback)
    def noting_life(self, *args, **kwargs):
        self._alive_at = time.monotonic()
        return callback(self, *args, **kwargs)

    return noting_life


class ConsumersOnDeadConnection(RecoverableConnectionError):
    """The connection this loop's consumers live on is gone although the loop still drains one."""


def _failing_when_consumers_are_orphaned(on_iteration):
    """After a RabbitMQ restart a worker's ack can hit the broken socket before the consume loop does: py-amqp
    then marks the connection not connected, the error is tolerated (the broker redelivers), and kombu's next
    ``drain_events`` quietly opens a new connection, one without this loop's consumers. The loop turns on,
    receiving nothing, while its queues fill (seen in the chaos test). Raising a connection error here makes
    kombu's loop do what it does on any lost connection: reconnect and set the consumers up again."""

    @functools.wraps(on_iteration)
    def checking_consumers(self):
        for kombu_consumer in list(self._consumers.values()):
            connection = getattr(kombu_consumer.channel, "connection", None)
            if connection is None or not connection.connected:
                log.warning(
                    "%s of %s: its consumers' connection is gone; reconnecting",
                    type(self).__name__,
                    self.container.service_name,
                )
                raise ConsumersOnDeadConnection("consumers' connection lost")
        return on_iteration(self)

    return checking_consumers


def _start_with_watchdog(start):
    """A last line of defence: a consume loop that shows no sign of life (no iteration, no connect retry) for
    CONSUMER_STALL_SECONDS gets a new start, with a fresh connection and consumers; what the old one held
    unacknowledged is redelivered by the broker and handled once (every consumer is idempotent). (The stall
    seen after RabbitMQ restarts was a loop that kept turning: see _failing_when_consumers_are_orphaned.)"""

    @functools.wraps(start)
    def start_and_watch(self):
        self._alive_at = time.monotonic()
        start(self)
        if not getattr(self, "_watchdog", None):
            self._watchdog = self.container.spawn_managed_thread(
                partial(_watch, self), identifier=f"{type(self).__name__}.watchdog"
            )

    return start_and_watch


def _watch(consumer) -> None:
    while not consumer.should_stop:
        time.sleep(WATCHDOG_INTERVAL)
        stalled = time.monotonic() - consumer._alive_at
        if consumer.should_stop or stalled < CONSUMER_STALL_SECONDS:
            continue
        log.error(
            "%s of %s showed no sign of life for %.0f s; starting its loop again",
            type(consumer).__name__,
            consumer.container.service_name,
            stalled,
        )
        restart_consumer_loop(consumer)


def restart_consumer_loop(consumer) -> None:
    old = consumer._gt
    old.unlink(consumer._handle_thread_exited)
    old.kill()  # GreenletExit: the container takes it as a thread ended, not as an error
    consumer._alive_at = time.monotonic()
    consumer._gt = consumer.container.spawn_managed_thread(consumer.run)
    consumer._gt.link(consumer._handle_thread_exited)
    CONSUMER_RESTARTS.labels(consumer.container.service_name).inc()


diagnostics.install()

if not getattr(QueueConsumer.start, "__wrapped__", None):
    QueueConsumer.start = _start_with_watchdog(QueueConsumer.start)
    QueueConsumer.on_iteration = _failing_when_consumers_are_orphaned(QueueConsumer.on_iteration)
    for _name in ("on_iteration", "on_connection_error", "on_consume_ready"):
        setattr(QueueConsumer, _name, _with_sign_of_life(getattr(QueueConsumer, _name)))

ATTEMPTS_HEADER = "x-attempts"


class PermanentFailure(Exception):
    """Raise from a reliable handler when retrying cannot help (a webhook receiver answered 400): the message
    is parked in the dead-letter queue at once, with this error, instead of being retried."""


MAX_ERROR_LENGTH = 4000


class ReliableQueueConsumer(QueueConsumer):
    """nameko's queue consumer, except that an undecodable message is dead-lettered instead of crashing it."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._on_decode_error, provider)
        return consumers

    def _on_decode_error(self, provider, message, exc):
        self.container.spawn_managed_thread(
            partial(provider.park_undecodable, message, exc), identifier="park_undecodable"
        )


class ReliableEventHandler(EventHandler):
    queue_consumer = ReliableQueueConsumer()

    def __init__(self, source_service, event_type, **kwargs):
        super().__init__(
            source_service,
            event_type,
            handler_type=SERVICE_POOL,
            reliable_delivery=True,
            requeue_on_error=False,
            **kwargs,
        )

    def setup(self):
        super().setup()
        config = self.container.config
        service = self.container.service_name
        self.delays = [float(d) for d in config.get(cfg.RETRY_DELAYS, cfg.DEFAULT_RETRY_DELAYS)]
        plain = self.queue
        self.queue = Queue(
            plain.name,
            bindings=[
                binding(plain.exchange, routing_key=plain.routing_key),
                binding(redeliver_exchange(service), routing_key=plain.name),
            ],
            durable=True,
            queue_arguments=queue_arguments(config),
        )
        self.dead_letters = dead_letter_queue(service, config)
        self.publisher = Publisher(config.get(cfg.AMQP_URI, cfg.DEFAULT_AMQP_URI), use_confirms=True, retry=False)

    # --- receiving -----------------------------------------------------------------------------------

    def handle_message(self, body, message):
        try:
            event = parse_event(body, producer=self.source_service, event_type=self.event_type)
        except EventValidationError as exc:
            self._park_and_ack(message, reason="invalid", error=str(exc))
            return
        context_data = self.unpack_message_headers(message)
        context_data["correlation_id"] = event.correlation_id
        # the publisher's broker user, validated by RabbitMQ (a message whose user_id differs from the
        # connection's user is refused): the consumer can map it to the party that may send this event
        context_data["amqp_user_id"] = (message.properties or {}).get("user_id")
        self.container.spawn_worker(
            self, (event,), {}, context_data=context_data, handle_result=partial(self.handle_result, message)
        )

    def park_undecodable(self, message, exc):
        self._park_and_ack(message, reason="undecodable", error=f"{type(exc).__name__}: {exc}")

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return result, None
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
        if attempts <= len(self.delays) and not isinstance(exc_info[1], PermanentFailure):
            self._retry_and_ack(message, attempts, error)
        else:
            self._park_and_ack(message, reason="failed", error=error, attempts=attempts)
        return result, exc_info

    # --- sending on ----------------------------------------------------------------------------------

    def _retry_and_ack(self, message, attempts, error):
        delay = self.delays[attempts - 1]
        service = self.container.service_name
        try:
            self._republish(
                message,
                exchange=retry_exchange(service, delay),
                routing_key=self.queue.name,
                extra_headers={ATTEMPTS_HEADER: attempts, "x-last-error": error[:MAX_ERROR_LENGTH]},
                declare=[retry_queue(service, delay)],
            )
        except Exception:  # noqa: BLE001
            log.exception("could not schedule a retry; requeueing the message")
            self.queue_consumer.requeue_message(message)
            return
        EVENT_RETRIES.labels(service, self.queue.name).inc()
        log.warning("handler %s failed (attempt %d), retrying in %.1fs: %s", self.method_name, attempts, delay, error)
        self.queue_consumer.ack_message(message)

    def _park_and_ack(self, message, reason, error, attempts=None):
        service = self.container.service_name
        delivery = message.delivery_info or {}
        headers = {
            "x-reason": reason,
            "x-error": error[:MAX_ERROR_LENGTH],
            "x-original-queue": self.queue.name,
            "x-original-exchange": (message.headers or {}).get("x-original-exchange") or delivery.get("exchange", ""),
            "x-original-routing-key": (message.headers or {}).get("x-original-routing-key") or self.event_type,
            "x-service": service,
            "x-handler": self.method_name,
            "x-dead-lettered-at": datetime.now(UTC).isoformat(),
            ATTEMPTS_HEADER: attempts if attempts is not None else int((message.headers or {}).get(ATTEMPTS_HEADER, 0)),
        }
        try:
            self._republish(
                message,
                exchange="",
                routing_key=self.dead_letters.name,
                extra_headers=headers,
                declare=[self.dead_letters],
            )
        except Exception:  # noqa: BLE001
            log.exception("could not dead-letter a message; requeueing it")
            self.queue_consumer.requeue_message(message)
            return
        DEAD_LETTERS.labels(service, self.queue.name, reason).inc()
        log.error("dead-lettered a message from %s (%s): %s", self.queue.name, reason, error)
        self.queue_consumer.ack_message(message)

    def _republish(self, message, exchange, routing_key, extra_headers, declare):
        headers = dict(message.headers or {})
        headers.pop("x-death", None)  # RabbitMQ's own bookkeeping from the retry queue; ours is x-attempts
        headers.setdefault("x-original-exchange", (message.delivery_info or {}).get("exchange", ""))
        headers.setdefault("x-original-routing-key", self.event_type)
        headers.update(extra_headers)
        props = message.properties or {}
        self.publisher.publish(
            message.body,
            exchange=exchange,
            routing_key=routing_key,
            headers=headers,
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
            message_id=props.get("message_id") or _event_id_of(message.body),  # dead letters are addressed by it
            delivery_mode=2,
            declare=declare,
            serializer=None,
        )


def _event_id_of(body) -> str:
    """The envelope's event id when the body has one, else a new id, so every dead letter can be named."""
    try:
        event_id = json.loads(body).get("event_id")
        if isinstance(event_id, str) and event_id:
            return event_id
    except (ValueError, TypeError, AttributeError):
        pass
    return str(uuid.uuid4())


def reliable_handler(source_service: str, event_type: str, **kwargs):
    """Decorate a service method as a reliable handler of ``source_service``'s ``event_type`` events.

    A duplicate (``AlreadyProcessed`` from ``db.once``) ends the handler quietly: the message is acked.
    """

    def decorate(method):
        @functools.wraps(method)
        def handle(self, event):
            try:
                return method(self, event)
            except AlreadyProcessed:
                log.info("skipped duplicate event %s (%s)", event.event_id, event.event_type)
                DUPLICATES_SKIPPED.labels(self.name, method.__name__).inc()
                return None

        return ReliableEventHandler.decorator(source_service, event_type, **kwargs)(handle)

    return decorate


class PublisherUser(DependencyProvider):
    """``self.publisher_user`` in a reliable handler: the broker-validated user that published the message.

    RabbitMQ refuses a message whose ``user_id`` property differs from the publishing connection's user, so
    a consumer can trust it to tell which retailer's system sent a POS event. None when not set.
    """

    def get_dependency(self, worker_ctx):
        return worker_ctx.context_data.get("amqp_user_id")
