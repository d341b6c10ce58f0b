"""Turning the shared contracts' validation into the platform's InvalidInput, field by field."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from marktplatz_shared.errors import InvalidInput
from marktplatz_shared.events.envelope import flatten_errors


def load(schema: type[Schema], data: Any, what: str, partial: bool = False) -> dict[str, Any]:
    """Load ``data`` with a contract schema; raise InvalidInput naming every offending field."""
    if not isinstance(data, dict):
        raise InvalidInput(f"invalid {what}: expected an object", {"_schema": ["expected an object"]})
    try:
        return schema().load(data, partial=partial)
    except ValidationError as err:
        raise invalid(what, flatten_errors(err.messages)) from None


def invalid(what: str, problems: dict[str, list[str]]) -> InvalidInput:
    detail = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in sorted(problems.items()))
    return InvalidInput(f"invalid {what}: {detail}", problems)
