"""The envelope every event travels in, and parsing that names the event and field on error."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.validate import Length, Range


class EventValidationError(ValueError):
    """A message is not a valid event. ``str()`` names the event type and each offending field."""

    def __init__(self, event_type: str | None, problems: dict[str, list[str]] | str):
        self.event_type = event_type
        self.problems = problems
        if isinstance(problems, str):
            detail = problems
        else:
            detail = "; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in sorted(problems.items()))
        super().__init__(f"invalid event {event_type or '<unknown type>'}: {detail}")


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=Length(min=1, max=100))
    schema_version = fields.Integer(required=True, validate=Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    producer = fields.String(required=True, validate=Length(min=1, max=100))
    correlation_id = fields.String(required=True, validate=Length(min=1, max=200))
    data = fields.Dict(required=True)


@dataclass(frozen=True)
class Event:
    """An event as a handler receives it: envelope fields plus validated ``data``."""

    event_type: str
    data: dict[str, Any]
    producer: str
    correlation_id: str
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    schema_version: int = 1
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_message(self) -> dict[str, Any]:
        """The JSON body published on the wire."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "schema_version": self.schema_version,
            "occurred_at": self.occurred_at.isoformat(),
            "producer": self.producer,
            "correlation_id": self.correlation_id,
            "data": self.data,
        }


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested error dict into ``{"data.lines.0.sku": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def load_envelope(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise EventValidationError(None, f"expected a JSON object, got {type(body).__name__}")
    event_type = body.get("event_type") if isinstance(body.get("event_type"), str) else None
    try:
        return EnvelopeSchema().load(body)
    except ValidationError as err:
        raise EventValidationError(event_type, flatten_errors(err.messages)) from None
