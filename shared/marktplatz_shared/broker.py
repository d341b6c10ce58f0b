"""Names and declarations of the RabbitMQ topology the kernel relies on.

Per service ``svc``:

- ``svc.events``: topic exchange of its events (nameko's convention), routing key = event type;
- ``svc.redeliver``: direct exchange; every reliable handler queue is bound to it under its own name, so a
  message can be sent back to exactly one consumer queue (retries and dead-letter replay use it);
- ``svc.retry.<ms>ms``: a fanout exchange and a queue whose messages wait ``ms`` then dead-letter into
  ``svc.redeliver`` with their routing key (the target queue's name) unchanged: delayed redelivery without
  sleeping in a worker and without a broker plugin;
- ``svc.dead-letters``: the parking queue for messages that failed their last attempt or are malformed.
"""

from __future__ import annotations

from typing import Any

from kombu import Exchange, Queue
from nameko.constants import PERSISTENT
from nameko.standalone.events import get_event_exchange

from . import config as cfg

JSON = "application/json"


def event_exchange(service_name: str) -> Exchange:
    return get_event_exchange(service_name, {})


def queue_arguments(config: dict[str, Any]) -> dict[str, Any]:
    """Production runs quorum queues; the embedded default is classic durable queues."""
    if config.get(cfg.QUEUE_TYPE, "classic") == "quorum":
        return {"x-queue-type": "quorum"}
    return {}


def redeliver_exchange(service_name: str) -> Exchange:
    return Exchange(f"{service_name}.redeliver", type="direct", durable=True, delivery_mode=PERSISTENT)


def retry_name(service_name: str, delay_seconds: float) -> str:
    return f"{service_name}.retry.{int(round(delay_seconds * 1000))}ms"


def retry_exchange(service_name: str, delay_seconds: float) -> Exchange:
    return Exchange(retry_name(service_name, delay_seconds), type="fanout", durable=True, delivery_mode=PERSISTENT)


def retry_queue(service_name: str, delay_seconds: float) -> Queue:
    return Queue(
        retry_name(service_name, delay_seconds),
        exchange=retry_exchange(service_name, delay_seconds),
        durable=True,
        queue_arguments={
            "x-message-ttl": int(round(delay_seconds * 1000)),
            "x-dead-letter-exchange": redeliver_exchange(service_name).name,
        },
    )


def dead_letter_queue_name(service_name: str) -> str:
    return f"{service_name}.dead-letters"


def dead_letter_queue(service_name: str, config: dict[str, Any]) -> Queue:
    return Queue(dead_letter_queue_name(service_name), durable=True, queue_arguments=queue_arguments(config))
