"""Operations endpoints: liveness, readiness, Prometheus metrics (no key, not rate-limited)."""

from __future__ import annotations

from flask import Blueprint, current_app

from ..adapters.rpc import ping_services
from .schemas import SERVICES

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers (liveness)."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """The broker is reachable and every service answers its health() in time (readiness)."""
    settings = current_app.extensions["gateway"].settings
    checks = ping_services(settings["AMQP_URI"], list(SERVICES), settings["READY_TIMEOUT"])
    ready = all(status == "ok" for status in checks.values())
    headers = {} if ready else {"Retry-After": str(settings["RETRY_AFTER"])}
    return {"status": "ready" if ready else "not_ready", "checks": checks}, 200 if ready else 503, headers


@bp.get("/metrics")
def metrics():
    body, content_type = current_app.extensions["gateway"].metrics.exposition()
    return body, 200, {"Content-Type": content_type}
