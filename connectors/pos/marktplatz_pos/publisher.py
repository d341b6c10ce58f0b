"""Publishing stock lines to the marketplace: batched, persistent, confirmed, retried while the broker is away.

Each batch becomes one ``pos`` event (the envelope of ``marktplatz_shared.events``) published as JSON to the
durable topic exchange ``pos.events`` with routing key = event type, ``delivery_mode=2``, ``message_id`` =
the event id and ``user_id`` = the connection's broker user (RabbitMQ refuses a ``user_id`` that is not the
connection's user, so the marketplace knows which shop sent it). A batch counts as sent only once the broker
confirmed it. If the connection drops before the confirm, the same event (same id) is published again after
reconnecting: the marketplace applies an event once and ignores lines whose sequence it has already seen.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pika
import pika.exceptions as pe

from marktplatz_shared.events import new_event

log = logging.getLogger(__name__)

EXCHANGE = "pos.events"
EVENT_TYPES = {"report": "stock_reported", "adjust": "stock_adjusted"}
DEFAULT_BATCH_SIZE = 500
MAX_BATCH_SIZE = 5000  # the contract's limit per event
DEFAULT_RETRY_FOR = 300.0
#: broker answers that retrying cannot fix: access refused (403), user_id is not ours (406)
PERMANENT_REPLY_CODES = {403, 406}


class PushError(Exception):
    """Not every line was confirmed. ``confirmed_lines`` were; the rest were NOT sent."""

    def __init__(self, message: str, confirmed_lines: int, permanent: bool):
        super().__init__(message)
        self.confirmed_lines = confirmed_lines
        self.permanent = permanent


@dataclass
class PushResult:
    lines: int = 0
    messages: int = 0
    event_ids: list[str] = field(default_factory=list)
    reconnects: int = 0


class StockPublisher:
    """One retailer's connection to the marketplace. Not thread-safe: one publisher per thread.

    ``on_confirmed(batch_index, lines_in_batch)`` is called after each confirmed batch (progress output).
    """

    def __init__(
        self,
        amqp_uri: str,
        vendor_id: str,
        batch_size: int = DEFAULT_BATCH_SIZE,
        retry_for: float = DEFAULT_RETRY_FOR,
        on_confirmed: Callable[[int, int], None] | None = None,
    ):
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be 1-{MAX_BATCH_SIZE}")
        self.parameters = pika.URLParameters(amqp_uri)
        self.parameters.connection_attempts = 1
        self.parameters.blocked_connection_timeout = 30
        self.user = self.parameters.credentials.username
        self.vendor_id = vendor_id
        self.batch_size = batch_size
        self.retry_for = retry_for
        self.on_confirmed = on_confirmed
        self._connection: pika.BlockingConnection | None = None
        self._channel = None
        self._reconnects = 0

    # --- connection ------------------------------------------------------------------------------------

    def _ensure_channel(self):
        if self._channel is None or not self._channel.is_open:
            self.close()
            self._connection = pika.BlockingConnection(self.parameters)
            self._channel = self._connection.channel()
            self._channel.confirm_delivery()
        return self._channel

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close in many ways
                pass

    def __enter__(self) -> StockPublisher:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- publishing ------------------------------------------------------------------------------------

    def events_for(self, mode: str, lines: Sequence[dict[str, Any]], correlation_id: str) -> list:
        """The events for ``lines``, built once, so a retried batch keeps its event id."""
        event_type = EVENT_TYPES[mode]
        return [
            new_event(
                "pos",
                event_type,
                {"vendor_id": self.vendor_id, "lines": list(lines[start : start + self.batch_size])},
                correlation_id,
            )
            for start in range(0, len(lines), self.batch_size)
        ]

    def push(self, mode: str, lines: Sequence[dict[str, Any]], correlation_id: str | None = None) -> PushResult:
        """Send every line, in order; return once all are confirmed, or raise PushError saying how far it got."""
        if mode not in EVENT_TYPES:
            raise ValueError(f"mode must be one of {', '.join(EVENT_TYPES)}")
        correlation_id = correlation_id or f"pos-{self.vendor_id}-{uuid.uuid4()}"
        result = PushResult()
        for index, event in enumerate(self.events_for(mode, lines, correlation_id)):
            self._publish_confirmed(event, result)
            count = len(event.data["lines"])
            result.lines += count
            result.messages += 1
            result.event_ids.append(event.event_id)
            if self.on_confirmed is not None:
                self.on_confirmed(index, count)
        return result

    def _publish_confirmed(self, event, result: PushResult) -> None:
        body = json.dumps(event.to_message(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        properties = pika.BasicProperties(
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,  # persistent
            message_id=event.event_id,
            correlation_id=event.correlation_id,
            user_id=self.user,
            headers={"nameko.correlation_id": event.correlation_id},
        )
        deadline = time.monotonic() + self.retry_for
        backoff = 0.2
        while True:
            try:
                channel = self._ensure_channel()
                # with confirms on, this returns only once the broker has confirmed; mandatory: a message no
                # queue takes (the marketplace's consumer not declared yet) is returned and retried, not lost
                channel.basic_publish(EXCHANGE, event.event_type, body, properties, mandatory=True)
                return
            except pe.ChannelClosedByBroker as exc:
                self._channel = None
                if exc.reply_code in PERMANENT_REPLY_CODES:
                    raise PushError(
                        f"the broker refused the message ({exc.reply_code} {exc.reply_text})", result.lines, True
                    ) from exc
                reason = f"channel closed by the broker: {exc.reply_code} {exc.reply_text}"
            except pe.UnroutableError:
                reason = f"no queue is bound to {EXCHANGE} for {event.event_type} (is the catalog running?)"
            except pe.NackError:
                reason = "the broker did not accept the message (nack)"
            except (pe.AMQPConnectionError, pe.AMQPChannelError, pe.StreamLostError, OSError) as exc:
                self.close()
                reason = f"broker unreachable ({type(exc).__name__}: {exc})"
            if time.monotonic() + backoff > deadline:
                self.close()
                raise PushError(
                    f"gave up after {self.retry_for:.0f}s: {reason}; {result.lines} lines were confirmed, "
                    "the rest were NOT sent",
                    result.lines,
                    False,
                )
            log.warning("%s; retrying in %.1fs", reason, backoff)
            result.reconnects += 1
            time.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
