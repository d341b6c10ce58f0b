"""What every request passes through before and after its view: correlation id, CORS, who is calling,
rate limits; then metrics and the JSON access log."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, current_app, g, request

from marktplatz_shared.logs import JsonFormatter, bind_correlation_id, unbind_correlation_id

from ..domain.keys import ANONYMOUS, OPERATOR, operator_key_matches
from .errors import ApiError

access_log = logging.getLogger("gateway.access")

CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
UNLIMITED_PATHS = ("/healthz", "/readyz", "/metrics")
CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-API-Key, X-Order-Token, X-Correlation-ID"
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"


def presented_key() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("X-API-Key")


def _identify():
    key = presented_key()
    if not key:
        return ANONYMOUS
    gateway = current_app.extensions["gateway"]
    if operator_key_matches(key, gateway.settings["OPERATOR_KEY"]):
        return OPERATOR
    principal = gateway.keys.authenticate(key)
    if principal is None:
        raise ApiError(401, "the API key is not valid", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return principal


def _rate_limit(principal) -> None:
    if request.path in UNLIMITED_PATHS:
        return
    gateway = current_app.extensions["gateway"]
    settings = gateway.settings
    limits = [(f"addr:{request.remote_addr or '-'}", settings["RATE_LIMIT_PER_ADDRESS"])]
    if principal.key_id:
        limits.append((f"key:{principal.key_id}", settings["RATE_LIMIT_PER_KEY"]))
    refused = gateway.rate_limiter.hit(limits)
    if refused is not None:
        raise ApiError(
            429,
            f"too many requests: at most {refused.limit} per {settings['RATE_LIMIT_WINDOW']} s",
            headers={"Retry-After": str(refused.retry_after)},
        )


def _allowed_origin() -> str | None:
    origin = (request.headers.get("Origin") or "").rstrip("/")
    return origin if origin and origin in current_app.config["GATEWAY"]["CORS_ORIGINS"] else None


def install_guard(app: Flask) -> None:
    @app.before_request
    def _before():
        g.started = time.perf_counter()
        incoming = request.headers.get(CORRELATION_HEADER, "")
        g.correlation_id = incoming if _CORRELATION.match(incoming) else str(uuid.uuid4())
        g.correlation_token = bind_correlation_id(g.correlation_id)
        g.principal = ANONYMOUS
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            response = current_app.response_class(status=204)
            origin = _allowed_origin()
            if origin:
                response.headers["Access-Control-Allow-Origin"] = origin
                response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
                response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
                response.headers["Access-Control-Max-Age"] = "600"
            response.headers["Vary"] = "Origin"
            return response
        try:
            g.principal = _identify()
        finally:
            # count the request even when its key is refused: guessing keys is rate-limited too
            _rate_limit(g.principal)
        return None

    @app.after_request
    def _after(response):
        origin = _allowed_origin()
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "Retry-After, X-Correlation-ID"
        response.headers.add("Vary", "Origin")
        response.headers[CORRELATION_HEADER] = g.get("correlation_id", "")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Cache-Control", "no-store")
        route = request.url_rule.rule if request.url_rule else "unmatched"
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        current_app.extensions["gateway"].metrics.observe(request.method, route, response.status_code, seconds)
        principal = g.get("principal", ANONYMOUS)
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "http": {
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": request.remote_addr,
                    "key_id": principal.key_id,
                    "vendor_id": principal.vendor_id,
                    "bytes": response.calculate_content_length(),
                }
            },
        )
        return response

    @app.teardown_request
    def _teardown(_exc):
        token = g.pop("correlation_token", None)
        if token is not None:
            try:
                unbind_correlation_id(token)
            except ValueError:  # made in another context (a copied request context): nothing to undo
                pass


class AccessJsonFormatter(JsonFormatter):
    """The kernel's JSON lines, plus the ``http`` fields of an access-log record."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        http = getattr(record, "http", None)
        if not http:
            return line
        entry = json.loads(line)
        entry["http"] = http
        return json.dumps(entry, ensure_ascii=False)
