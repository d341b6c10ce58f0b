"""Event contracts: the envelope, the catalogue of event types, and building and parsing events.

Example::

    event = new_event("catalog", "stock_changed", {"lines": [...]}, correlation_id="req-1")
    body = event.to_message()          # what goes on the wire
    same = parse_event(body)           # what a consumer gets back, validated
"""

from __future__ import annotations

import functools
from typing import Any

from marshmallow import Schema, ValidationError

from .contracts import EVENT_CONTRACTS
from .envelope import Event, EventValidationError, flatten_errors, load_envelope

__all__ = ["EVENT_CONTRACTS", "Event", "EventValidationError", "new_event", "parse_event", "validate_data"]


@functools.cache
def _schema(producer: str, event_type: str, schema_version: int) -> Schema:
    """One schema instance per contract: building one (and its nested schemas) costs more than a small load."""
    return EVENT_CONTRACTS[(producer, event_type)][schema_version]()


def validate_data(producer: str, event_type: str, data: Any, schema_version: int = 1) -> dict[str, Any]:
    """Validate ``data`` against the contract of ``producer``'s ``event_type``; return the loaded data."""
    versions = EVENT_CONTRACTS.get((producer, event_type))
    if versions is None:
        raise EventValidationError(event_type, f"no contract for event type {event_type!r} from {producer!r}")
    if schema_version not in versions:
        raise EventValidationError(event_type, f"unsupported schema_version {schema_version}")
    try:
        return _schema(producer, event_type, schema_version).load(data)
    except ValidationError as err:
        raise EventValidationError(event_type, flatten_errors(err.messages, "data")) from None


def new_event(producer: str, event_type: str, data: dict[str, Any], correlation_id: str) -> Event:
    """Build an event, checking ``data`` against its contract before it can be recorded."""
    # the wire carries JSON types: publish what the producer gave once it validates, not the loaded objects
    validate_data(producer, event_type, data)
    return Event(event_type=event_type, data=data, producer=producer, correlation_id=correlation_id)


def parse_event(body: Any, producer: str | None = None, event_type: str | None = None) -> Event:
    """Validate a received message body; ``producer``/``event_type`` are what the consumer subscribed to."""
    envelope = load_envelope(body)
    if event_type is not None and envelope["event_type"] != event_type:
        raise EventValidationError(
            envelope["event_type"], f"handler for {event_type!r} received {envelope['event_type']!r}"
        )
    if producer is not None and envelope["producer"] != producer:
        raise EventValidationError(
            envelope["event_type"], f"expected producer {producer!r}, got {envelope['producer']!r}"
        )
    data = validate_data(envelope["producer"], envelope["event_type"], envelope["data"], envelope["schema_version"])
    return Event(
        event_type=envelope["event_type"],
        data=data,
        producer=envelope["producer"],
        correlation_id=envelope["correlation_id"],
        event_id=str(envelope["event_id"]),
        schema_version=envelope["schema_version"],
        occurred_at=envelope["occurred_at"],
    )
