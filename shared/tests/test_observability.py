"""Metrics served by the Metrics provider, JSON logs with the correlation id, e-mail masking."""

import io
import json
import logging
import socket
import urllib.request

from nameko.standalone.rpc import ServiceRpcProxy

from marktplatz_shared.errors import InvalidInput
from marktplatz_shared.logs import CorrelationFilter, CorrelationId, JsonFormatter, mask_emails
from marktplatz_shared.metrics import Metrics
from marktplatz_shared.rpc import rpc

log = logging.getLogger("probe.observed")


class Observed:
    name = "observed"
    metrics = Metrics()
    correlation_id = CorrelationId()

    @rpc
    def echo(self, text):
        log.info("echo for anna.schmidt@example.de: %s", text)
        return self.correlation_id

    @rpc
    def fail(self):
        raise ValueError("boom")

    @rpc
    def refuse(self):
        raise InvalidInput("invalid search query: page: too deep", {"page": ["too deep"]})


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_rpc_durations_and_errors_are_served_as_prometheus_metrics(container_factory, amqp_uri):
    port = free_port()
    config = {"AMQP_URI": amqp_uri, "METRICS_PORT": port}
    container_factory(Observed, config).start()
    with ServiceRpcProxy("observed", config) as observed:
        observed.echo("hi")
        try:
            observed.fail()
        except Exception:  # noqa: BLE001 - the remote ValueError
            pass
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'marktplatz_entrypoint_duration_seconds_count{entrypoint="echo",kind="rpc",service="observed"} 1.0' in body
    assert (
        'marktplatz_entrypoint_errors_total{entrypoint="fail",error="ValueError",kind="rpc",service="observed"} 1.0'
        in body
    )


def test_the_correlation_id_travels_with_the_rpc_and_lands_in_json_logs(container_factory, amqp_uri):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CorrelationFilter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        config = {"AMQP_URI": amqp_uri}
        container_factory(Observed, config).start()
        with ServiceRpcProxy("observed", config, context_data={"correlation_id": "req-42"}) as observed:
            assert observed.echo("hi") == "req-42"
    finally:
        log.removeHandler(handler)
    line = json.loads(stream.getvalue().splitlines()[0])
    assert line["correlation_id"] == "req-42"
    assert line["level"] == "INFO"
    assert "anna.schmidt@example.de" not in line["message"]
    assert "a***@example.de" in line["message"]


def test_mask_emails_hides_the_local_part():
    assert mask_emails("to anna.schmidt@example.de and b@x.org") == "to a***@example.de and b***@x.org"


def test_a_callers_error_is_a_warning_without_traceback_a_fault_an_error_with_one(container_factory, amqp_uri):
    """A bad request (CALLER_ERRORS) is the caller's answer, not the service's fault: one WARNING line, no
    traceback, so that log alerts on ERROR fire for faults only."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    containers = logging.getLogger("nameko.containers")
    containers.addHandler(handler)
    try:
        config = {"AMQP_URI": amqp_uri}
        container_factory(Observed, config).start()
        with ServiceRpcProxy("observed", config) as observed:
            for call in (observed.refuse, observed.fail):
                try:
                    call()
                except Exception:  # noqa: BLE001 - the remote errors
                    pass
    finally:
        containers.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    refused = [line for line in lines if "observed.refuse" in line["message"]]
    failed = [line for line in lines if "observed.fail" in line["message"]]
    assert len(refused) == 1 and len(failed) == 1
    assert refused[0]["level"] == "WARNING" and refused[0]["error"] == "InvalidInput"
    assert "page: too deep" in refused[0]["message"] and "exception" not in refused[0]
    assert failed[0]["level"] == "ERROR" and "ValueError: boom" in failed[0]["exception"]
