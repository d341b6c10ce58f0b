"""The gateway's WSGI application: ``create_app()`` wires settings, the key store, the rate limiter and the
RPC client, then registers the blueprints. Nothing connects at import time.

Run it under gunicorn with ``sync`` or ``gthread`` workers (``gateway.gunicorn_conf``): each worker thread
keeps one long-lived RPC proxy. Do not run it under eventlet or gevent workers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from marktplatz_shared.db import default_sqlite_url, make_engine
from marktplatz_shared.logs import CorrelationFilter

from .adapters.key_store import MIGRATIONS, KeyStore
from .adapters.rate_limiter import RateLimiter
from .adapters.rpc import RpcClient
from .api import docs, operator, ops, retailer, shopper, web
from .api.errors import register_error_handlers
from .api.guard import AccessJsonFormatter, install_guard
from .api.metrics import HttpMetrics
from .settings import load_settings


@dataclass
class Gateway:
    """What the views reach through ``current_app.extensions["gateway"]``."""

    settings: dict[str, Any]
    keys: KeyStore
    rate_limiter: RateLimiter
    rpc: RpcClient
    metrics: HttpMetrics

    def close(self) -> None:
        self.rpc.close()
        self.keys.engine.dispose()


def configure_logging() -> None:
    """JSON lines on stderr for the gateway's loggers (access log included), once per process."""
    logger = logging.getLogger("gateway")
    if logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(AccessJsonFormatter())
    handler.addFilter(CorrelationFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = load_settings(overrides)
    configure_logging()
    url = settings.get("DATABASE_URL") or default_sqlite_url("gateway")
    if settings["MIGRATE_ON_START"]:
        from marktplatz_shared.migrations import upgrade

        upgrade(url, MIGRATIONS)
    engine = make_engine(url)

    app = Flask(__name__, static_folder=None)
    app.config.update(
        MAX_CONTENT_LENGTH=settings["MAX_CONTENT_LENGTH"],
        JSON_SORT_KEYS=False,
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
        GATEWAY=settings,
    )
    app.json.sort_keys = False
    if settings["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings["TRUSTED_PROXIES"], x_proto=settings["TRUSTED_PROXIES"])
    app.extensions["gateway"] = Gateway(
        settings=settings,
        keys=KeyStore(engine),
        rate_limiter=RateLimiter(engine, settings["RATE_LIMIT_WINDOW"]),
        rpc=RpcClient(settings["AMQP_URI"], settings["RPC_TIMEOUT"]),
        metrics=HttpMetrics(),
    )
    register_error_handlers(app)
    install_guard(app)
    for blueprint in (shopper.bp, retailer.bp, operator.bp, ops.bp, docs.bp, web.bp):
        app.register_blueprint(blueprint)
    return app
