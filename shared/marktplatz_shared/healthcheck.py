"""Health checks for nameko services, which have no HTTP endpoint of their own.

``python -m marktplatz_shared.healthcheck catalog`` calls ``catalog.health()`` over RPC on the broker named by
``AMQP_URI`` and exits 0 when the service answers ``{"status": "ok"}`` within the timeout, 1 otherwise. It is the
readiness probe of every nameko service in Kubernetes: a pod is ready when the broker routes an RPC to a service
of its kind and an answer comes back.

``python -m marktplatz_shared.healthcheck --wait-for-broker 120`` waits until the broker accepts a connection
(exit 0) or the time is up (exit 1); the containers' start script runs it before migrating and starting.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time

from kombu import Connection
from nameko.exceptions import RpcTimeout
from nameko.standalone.rpc import ClusterRpcProxy

from . import config as cfg

DEFAULT_TIMEOUT = 5.0
BROKER_RETRY_INTERVAL = 1.0


def broker_reachable(amqp_uri: str, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """One attempt to open (and close) an AMQP connection."""
    connection = Connection(amqp_uri, connect_timeout=timeout)
    try:
        connection.connect()
        return True
    except (OSError, *connection.connection_errors):
        return False
    finally:
        connection.release()


def wait_for_broker(amqp_uri: str, timeout: float) -> bool:
    """Poll the broker until it accepts a connection or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if broker_reachable(amqp_uri, timeout=max(min(remaining, DEFAULT_TIMEOUT), 0.5)):
            return True
        if time.monotonic() + BROKER_RETRY_INTERVAL >= deadline:
            return False
        time.sleep(BROKER_RETRY_INTERVAL)


def check_service(amqp_uri: str, service: str, timeout: float = DEFAULT_TIMEOUT) -> tuple[bool, str]:
    """Call ``<service>.health()``; return whether it answered ok, and what it said or why not."""
    if not broker_reachable(amqp_uri, timeout=timeout):
        return False, "broker not reachable"
    try:
        with ClusterRpcProxy({cfg.AMQP_URI: amqp_uri}, timeout=timeout) as cluster:
            answer = getattr(cluster, service).health()
    except RpcTimeout:
        return False, f"{service}.health() did not answer within {timeout:g}s"
    except Exception as exc:  # noqa: BLE001 - any failure of the call means "not healthy", with its reason
        return False, f"{service}.health() failed: {type(exc).__name__}: {exc}"
    if isinstance(answer, dict) and answer.get("status") == "ok":
        return True, f"{service} ok"
    return False, f"{service}.health() answered {answer!r}"


def _give_up(signum, frame):
    print("healthcheck: hard deadline passed", file=sys.stderr)
    os._exit(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m marktplatz_shared.healthcheck", description=__doc__.split("\n")[0])
    parser.add_argument("service", nargs="?", help="nameko service name, e.g. catalog")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds to wait for the answer")
    parser.add_argument("--wait-for-broker", type=float, metavar="SECONDS", help="only wait for the broker")
    parser.add_argument("--amqp-uri", default=os.environ.get(cfg.AMQP_URI, cfg.DEFAULT_AMQP_URI))
    args = parser.parse_args(argv)
    if args.wait_for_broker is None and not args.service:
        parser.error("name a service, or pass --wait-for-broker SECONDS")

    # a backstop: a probe must end, whatever a library does on a half-open connection
    budget = args.wait_for_broker if args.wait_for_broker is not None else 2 * args.timeout
    previous = signal.signal(signal.SIGALRM, _give_up)
    signal.alarm(math.ceil(budget) + 5)
    try:
        if args.wait_for_broker is not None:
            ok = wait_for_broker(args.amqp_uri, args.wait_for_broker)
            detail = "broker reachable" if ok else f"broker not reachable after {args.wait_for_broker:g}s"
        else:
            ok, detail = check_service(args.amqp_uri, args.service, args.timeout)
    finally:  # called in-process (tests, other tools), the backstop must not outlive the check
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    print(f"healthcheck: {detail}", file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
