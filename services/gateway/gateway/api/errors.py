"""One JSON error shape for every failure: ``{"code", "message", "fields", "details"}``.

Remote errors map by the class the other service raised: NotFound 404, InvalidInput 422, Conflict 409,
Unavailable 503; a service that does not answer in time (or is not running) is a 503 with Retry-After.
Nothing else of an exception reaches the client: unexpected errors are logged with the correlation id and
answered with a bare 500.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g, jsonify
from nameko.exceptions import IncorrectSignature, MethodNotFound, RemoteError
from werkzeug.exceptions import HTTPException

from marktplatz_shared import errors as platform_errors

from ..adapters.rpc import ServiceUnavailable

log = logging.getLogger("gateway.errors")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

#: remote exception class name -> HTTP status
REMOTE_STATUS = {"NotFound": 404, "InvalidInput": 422, "ValidationError": 422, "Conflict": 409, "Unavailable": 503}


class ApiError(Exception):
    """Raise in a view to answer with the error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        fields: dict[str, list[str]] | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.details = details or {}
        self.headers = headers or {}
        self.code = code or HTTP_CODES.get(status, "error")


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"lines.0.sku": ["..."]}``."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            flat.update(flatten_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": [str(m) for m in messages]}
    if isinstance(messages, list | tuple):
        flat = {}
        for index, value in enumerate(messages):
            flat.update(flatten_messages(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "_schema": [str(messages)]}


#: nameko sends exception arguments through str() unless they are strings, mappings or lists: these keys of a
#: conflict's details are counts, so they become numbers again
_COUNTS = {"requested", "available", "quantity", "on_hand", "reserved"}


def _restore_counts(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: int(v) if k in _COUNTS and isinstance(v, str) and v.lstrip("-").isdigit() else _restore_counts(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_restore_counts(v) for v in value]
    return value


def error_response(error: ApiError):
    body = {"code": error.code, "message": error.message, "fields": error.fields}
    if error.details:
        body["details"] = error.details
    response = jsonify(body)
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _retry_after() -> dict[str, str]:
    return {"Retry-After": str(current_app.config["GATEWAY"]["RETRY_AFTER"])}


def from_platform_error(exc: platform_errors.PlatformError) -> ApiError:
    status = REMOTE_STATUS.get(type(exc).__name__, 500)
    details = _restore_counts(exc.details) if isinstance(exc.details, dict) else {}
    if status == 422:
        return ApiError(422, exc.message, fields=flatten_messages(details) if details else {})
    if status == 503:
        return ApiError(503, exc.message or "a service is unavailable", headers=_retry_after())
    if status == 500:
        return ApiError(500, "internal error")
    return ApiError(status, exc.message, details=details)


def from_remote_error(exc: RemoteError) -> ApiError:
    status = REMOTE_STATUS.get(exc.exc_type or "", 500)
    if status == 500:
        log.error("remote error %s: %s", exc.exc_type, exc.value)
        return ApiError(500, "internal error")
    message = str(exc.value or exc.exc_type)
    if status == 503:
        return ApiError(503, message, headers=_retry_after())
    return ApiError(status, message)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, error_response)

    @app.errorhandler(platform_errors.PlatformError)
    def _platform(exc):
        return error_response(from_platform_error(exc))

    @app.errorhandler(RemoteError)
    def _remote(exc):
        return error_response(from_remote_error(exc))

    @app.errorhandler(ServiceUnavailable)
    def _unavailable(exc):
        return error_response(ApiError(503, str(exc), headers=_retry_after()))

    @app.errorhandler(MethodNotFound)
    def _method_not_found(exc):
        log.error("a service lacks an RPC method the gateway calls: %s", exc)
        return error_response(ApiError(503, "this operation is not available yet", headers=_retry_after()))

    @app.errorhandler(IncorrectSignature)
    def _signature(exc):
        log.error("RPC signature mismatch: %s", exc)
        return error_response(ApiError(500, "internal error"))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        message = {413: "request body too large", 404: "no such resource", 405: "method not allowed"}.get(
            status, exc.description or HTTP_CODES.get(status, "error")
        )
        return error_response(ApiError(status, message))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error in %s", getattr(g, "route", "?"))
        return error_response(ApiError(500, "internal error"))
