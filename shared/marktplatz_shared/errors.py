"""Errors that cross service boundaries. The gateway maps them to HTTP by class name:

| error          | HTTP | when                                                     |
|----------------|------|----------------------------------------------------------|
| NotFound       | 404  | the thing asked for does not exist (or is not yours)     |
| InvalidInput   | 422  | the request is well-formed but its content is not valid  |
| Conflict       | 409  | the request clashes with the current state               |
| Unavailable    | 503  | a dependency is down or slow; retrying later may succeed |

nameko sends a raised exception to the caller as a RemoteError carrying ``exc_type`` (the class name) and
``exc_args``; keep the arguments JSON-serialisable: a message and, for InvalidInput, ``{field: [messages]}``.
"""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    code = "error"

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message, details or {})
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


class NotFound(PlatformError):
    code = "not_found"


class InvalidInput(PlatformError):
    """``details`` maps each offending field to its messages: ``{"lines.0.sku": ["unknown sku"]}``."""

    code = "invalid_input"


class Conflict(PlatformError):
    code = "conflict"


class Unavailable(PlatformError):
    code = "unavailable"


#: the errors that answer a caller (its request was wrong, or a dependency is down), not faults of the service
#: answering: nameko logs them as warnings on methods decorated with :func:`marktplatz_shared.rpc.rpc`, and
#: :class:`marktplatz_shared.logs.JsonFormatter` writes them without a traceback
CALLER_ERRORS = (NotFound, InvalidInput, Conflict, Unavailable)
