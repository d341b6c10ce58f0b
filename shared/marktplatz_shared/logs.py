"""JSON logs with a correlation id that follows a request through RPC calls and events.

``CorrelationId()`` on a service makes sure every worker has a correlation id (taken from the RPC context
data or the event envelope, or newly made) and puts it on every log record the worker writes. nameko passes
context data on to outgoing RPC calls, and the outbox writes it into the envelope of every event.

Use :class:`JsonFormatter` in the LOGGING section of config.yaml::

    LOGGING:
      version: 1
      formatters: {json: {(): marktplatz_shared.logs.JsonFormatter}}
      filters: {correlation: {(): marktplatz_shared.logs.CorrelationFilter}}
      handlers: {console: {class: logging.StreamHandler, formatter: json, filters: [correlation]}}
      root: {level: INFO, handlers: [console]}
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from .errors import CALLER_ERRORS

CORRELATION_KEY = "correlation_id"
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_emails(text: str) -> str:
    """``anna.schmidt@example.de`` -> ``a***@example.de``: logs never carry a shopper's address in clear."""
    return _EMAIL.sub(r"\1***@\2", text)


def current_correlation_id() -> str | None:
    return _current.get()


def bind_correlation_id(correlation_id: str | None) -> contextvars.Token:
    """Make ``correlation_id`` the current one outside nameko (an HTTP request in the gateway); pass the
    returned token to ``unbind_correlation_id`` when the request ends."""
    return _current.set(correlation_id)


def unbind_correlation_id(token: contextvars.Token) -> None:
    _current.reset(token)


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _current.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_emails(record.getMessage()),
            "correlation_id": getattr(record, "correlation_id", None) or _current.get(),
        }
        if record.exc_info:
            error = record.exc_info[1]
            if isinstance(error, CALLER_ERRORS) and record.levelno < logging.ERROR:
                # a caller's bad request (nameko's "(expected) error handling worker"): its class, no traceback
                entry["error"] = type(error).__name__
            else:
                entry["exception"] = mask_emails(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class CorrelationId(DependencyProvider):
    """Gives every worker a correlation id and exposes it as ``self.correlation_id``."""

    def worker_setup(self, worker_ctx):
        correlation_id = worker_ctx.context_data.get(CORRELATION_KEY)
        if not correlation_id:
            correlation_id = str(uuid.uuid4())
            worker_ctx.context_data[CORRELATION_KEY] = correlation_id
        _current.set(correlation_id)

    def worker_teardown(self, worker_ctx):
        _current.set(None)

    def get_dependency(self, worker_ctx):
        return worker_ctx.context_data.get(CORRELATION_KEY)
