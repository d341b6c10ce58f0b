#!/bin/sh
# The entrypoint of every Marktplatz image: marktplatz-start [start|migrate|healthcheck] (default: start).
#
#   start        wait for the broker, run the migrations when MIGRATE_ON_START is true, then exec the service
#                (nameko run for the nameko services, gunicorn for the gateway)
#   migrate      apply this service's migrations and exit
#                (Kubernetes runs this in the service's migration Job)
#   healthcheck  exit 0 when the service answers (the readiness probe)
#
# MARKTPLATZ_SERVICE names the service (set in each image). Never starts a nameko backdoor in production.
set -eu

service="${MARKTPLATZ_SERVICE:?MARKTPLATZ_SERVICE is not set}"
command="${1:-start}"
broker_wait="${BROKER_WAIT_SECONDS:-120}"

# the module whose migrate() applies this service's Alembic migrations (the gateway's image names its own)
migrate_module="${MARKTPLATZ_MIGRATE_MODULE:-${service}.service}"

migrate() {
    echo "marktplatz-start: migrating $service ($migrate_module)"
    python -c "from ${migrate_module} import migrate; migrate()"
}

case "$command" in
    migrate)
        migrate
        ;;
    healthcheck)
        if [ "$service" = gateway ]; then
            exec python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:${GATEWAY_PORT:-8000}/healthz', timeout=5).status == 200 else 1)"
        fi
        exec python -m marktplatz_shared.healthcheck "$service" --timeout "${HEALTHCHECK_TIMEOUT:-5}"
        ;;
    start)
        python -m marktplatz_shared.healthcheck --wait-for-broker "$broker_wait"
        if [ "${MIGRATE_ON_START:-true}" = true ]; then
            migrate
        fi
        # the migrations ran here (or in the Job): the service itself must not run them again
        export MIGRATE_ON_START=false
        if [ "$service" = gateway ]; then
            # several workers: prometheus-client keeps their metrics in files under PROMETHEUS_MULTIPROC_DIR,
            # which must start empty (a restarted container keeps its emptyDir)
            if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
                mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
                find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
            fi
            # the settings file brings the hooks (child_exit for the metrics); these flags override its values
            exec gunicorn \
                --config python:gateway.gunicorn_conf \
                --bind "0.0.0.0:${GATEWAY_PORT:-8000}" \
                --worker-class gthread \
                --workers "${GUNICORN_WORKERS:-2}" \
                --threads "${GUNICORN_THREADS:-8}" \
                --worker-tmp-dir /tmp \
                --access-logfile - \
                "${GATEWAY_APP:-gateway.app:create_app()}"
        fi
        if [ -n "${NAMEKO_BACKDOOR_PORT:-}" ]; then
            if [ "${ENVIRONMENT:-development}" = production ]; then
                echo "marktplatz-start: refusing NAMEKO_BACKDOOR_PORT in production" >&2
                exit 64
            fi
            exec nameko run --config /app/config.yaml --backdoor-port "$NAMEKO_BACKDOOR_PORT" "${service}.service"
        fi
        exec nameko run --config /app/config.yaml "${service}.service"
        ;;
    *)
        echo "usage: marktplatz-start [start|migrate|healthcheck]" >&2
        exit 64
        ;;
esac
