"""The probe Kubernetes runs against nameko services: an RPC to health() on the real broker."""

import os
import subprocess
import sys
import time
import uuid

from nameko.rpc import rpc

from marktplatz_shared.healthcheck import broker_reachable, check_service, main, wait_for_broker

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"


class HealthyService:
    name = "probe_healthy"

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}


class DegradedService:
    name = "probe_degraded"

    @rpc
    def health(self):
        return {"service": self.name, "status": "degraded"}


def test_running_service_that_answers_ok_is_healthy(container_factory, amqp_uri):
    container_factory(HealthyService, {"AMQP_URI": amqp_uri}).start()

    ok, detail = check_service(amqp_uri, "probe_healthy", timeout=5)

    assert ok, detail
    assert main(["probe_healthy", "--amqp-uri", amqp_uri, "--timeout", "5"]) == 0


def test_service_answering_anything_but_ok_is_unhealthy(container_factory, amqp_uri):
    container_factory(DegradedService, {"AMQP_URI": amqp_uri}).start()

    ok, detail = check_service(amqp_uri, "probe_degraded", timeout=5)

    assert not ok
    assert "degraded" in detail


def test_service_that_is_not_running_fails_within_the_timeout(amqp_uri):
    started = time.monotonic()

    ok, detail = check_service(amqp_uri, f"absent_{uuid.uuid4().hex[:8]}", timeout=1)

    assert not ok
    assert time.monotonic() - started < 10, detail


def test_unreachable_broker_fails_fast_and_the_cli_exits_1():
    started = time.monotonic()

    assert not broker_reachable(UNREACHABLE_BROKER, timeout=1)
    assert not wait_for_broker(UNREACHABLE_BROKER, timeout=2)
    assert main(["catalog", "--amqp-uri", UNREACHABLE_BROKER, "--timeout", "1"]) == 1
    assert time.monotonic() - started < 15


def test_cli_as_the_probe_runs_it_reads_amqp_uri_from_the_environment(container_factory, amqp_uri):
    container_factory(HealthyService, {"AMQP_URI": amqp_uri}).start()
    env = {**os.environ, "AMQP_URI": amqp_uri}

    healthy = subprocess.run(
        [sys.executable, "-m", "marktplatz_shared.healthcheck", "probe_healthy", "--timeout", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    broker = subprocess.run(
        [sys.executable, "-m", "marktplatz_shared.healthcheck", "--wait-for-broker", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert healthy.returncode == 0, healthy.stderr
    assert broker.returncode == 0, broker.stderr
