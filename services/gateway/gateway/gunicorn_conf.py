"""gunicorn settings for the gateway: ``gunicorn -c python:gateway.gunicorn_conf "gateway.app:create_app()"``.

gthread workers: each worker thread keeps one long-lived nameko RPC proxy (a standalone proxy cannot be shared
by concurrent callers; architecture.md). No eventlet or gevent workers. Environment: GATEWAY_BIND (default
127.0.0.1:8000), GUNICORN_WORKERS (2), GUNICORN_THREADS (8), PROMETHEUS_MULTIPROC_DIR (an empty writable
directory: /metrics then adds up every worker's counts; child_exit below tidies up after a dead worker).
"""

import os

bind = os.environ.get("GATEWAY_BIND", f"127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None  # the app writes JSON access lines itself (with route, key id and correlation id)
errorlog = "-"
limit_request_line = 8190
limit_request_fields = 100


def on_starting(server):
    """Migrate once in the master, so that workers starting together do not race on the schema."""
    if os.environ.get("MIGRATE_ON_START", "true").lower() in ("1", "true", "yes"):
        from gateway.adapters.key_store import MIGRATIONS
        from gateway.settings import load_settings
        from marktplatz_shared.db import default_sqlite_url
        from marktplatz_shared.migrations import upgrade

        settings = load_settings()
        upgrade(settings.get("DATABASE_URL") or default_sqlite_url("gateway"), MIGRATIONS)
    os.environ["MIGRATE_ON_START"] = "false"


def child_exit(server, worker):
    """In the master, once a worker has gone: drop its live gauges from /metrics (prometheus_client's
    multiprocess mode, PROMETHEUS_MULTIPROC_DIR; its counters and histograms stay in the sum)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker):
    app = getattr(worker, "wsgi", None)
    gateway = getattr(app, "extensions", {}).get("gateway") if app is not None else None
    if gateway is not None:
        gateway.close()
