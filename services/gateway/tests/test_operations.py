import pytest
from fakes import SEEN_CORRELATION_IDS
from nameko.rpc import rpc

from gateway.settings import load_settings
from marktplatz_shared.config import ConfigError


def test_healthz_answers_and_readyz_checks_broker_and_services(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and set(ready.json["checks"].values()) == {"ok"}


def test_readyz_is_503_when_the_broker_is_unreachable(app_factory):
    client = app_factory(AMQP_URI="amqp://guest:guest@127.0.0.1:1/").test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert client.get("/healthz").status_code == 200


def test_an_unreachable_broker_is_a_503_with_retry_after(app_factory):
    client = app_factory(AMQP_URI="amqp://guest:guest@127.0.0.1:1/").test_client()
    answer = client.get("/v1/vendors")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json["code"] == "unavailable"


class SlowAndBrokenCatalog:
    name = "catalog"

    @rpc
    def list_vendors(self, cursor=None, limit=100):
        import eventlet

        eventlet.sleep(3)

    @rpc
    def get_vendor(self, vendor_id):
        raise ValueError("secret internal detail /srv/db")


def test_a_slow_service_is_a_503_and_an_internal_error_reveals_nothing(container_factory, amqp_uri, app_factory):
    container_factory(SlowAndBrokenCatalog, {"AMQP_URI": amqp_uri}).start()
    client = app_factory(AMQP_URI=amqp_uri, RPC_TIMEOUT=0.5).test_client()
    slow = client.get("/v1/vendors")
    assert slow.status_code == 503 and "Retry-After" in slow.headers
    broken = client.get("/v1/vendors/any")
    assert broken.status_code == 500
    assert broken.json == {"code": "internal_error", "message": "internal error", "fields": {}}


def test_the_correlation_id_goes_to_the_services_and_back(client):
    answer = client.get("/v1/vendors", headers={"X-Correlation-ID": "req-12345"})
    assert answer.headers["X-Correlation-ID"] == "req-12345"
    assert "req-12345" in SEEN_CORRELATION_IDS
    made = client.get("/v1/vendors").headers["X-Correlation-ID"]
    assert made != "req-12345" and made in SEEN_CORRELATION_IDS


def test_metrics_count_requests_by_route_and_status(client):
    client.get("/v1/vendors/nobody")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'gateway_http_requests_total{method="GET",route="/v1/vendors/<vendor_id>",status="404"} 1.0' in text
    assert "gateway_http_request_duration_seconds_bucket" in text


def test_too_many_requests_per_address_is_a_429_with_retry_after(app_factory):
    client = app_factory(RATE_LIMIT_PER_ADDRESS=3).test_client()
    statuses = [client.get("/v1/vendors").status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
    refused = client.get("/v1/vendors")
    assert int(refused.headers["Retry-After"]) >= 1 and refused.json["code"] == "rate_limited"
    assert client.get("/healthz").status_code == 200


def test_too_many_requests_per_key_is_a_429(app_factory, operator):
    client = app_factory(RATE_LIMIT_PER_KEY=2).test_client()
    statuses = [client.get("/v1/operator/vendors/x/keys", headers=operator).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_body_over_the_limit_is_a_413(app_factory):
    client = app_factory(MAX_CONTENT_LENGTH=2048).test_client()
    answer = client.post(
        "/v1/checkout", data="x" * 5000, content_type="application/json", headers={"Idempotency-Key": "k"}
    )
    assert answer.status_code == 413 and answer.json["code"] == "payload_too_large"


def test_malformed_json_is_a_400(client):
    answer = client.post(
        "/v1/checkout", data="{nope", content_type="application/json", headers={"Idempotency-Key": "k"}
    )
    assert answer.status_code == 400 and answer.json["code"] == "bad_request"


def test_cors_answers_only_configured_origins(app_factory):
    client = app_factory(CORS_ORIGINS=["https://shop.leipzig.example"]).test_client()
    preflight = {"Origin": "https://shop.leipzig.example", "Access-Control-Request-Method": "POST"}
    allowed = client.options("/v1/checkout", headers=preflight)
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.leipzig.example"
    other = client.options("/v1/checkout", headers=dict(preflight, Origin="https://evil.example"))
    assert "Access-Control-Allow-Origin" not in other.headers
    simple = client.get("/v1/vendors", headers={"Origin": "https://shop.leipzig.example"})
    assert simple.headers["Access-Control-Allow-Origin"] == "https://shop.leipzig.example"


def test_an_unknown_route_has_the_error_shape(client):
    answer = client.get("/v1/nothing-here")
    assert answer.status_code == 404 and set(answer.json) == {"code", "message", "fields"}


def test_an_invalid_key_is_refused_even_on_public_endpoints(client):
    assert client.get("/v1/vendors", headers={"X-API-Key": "mpk_0123456789abcdef_" + "x" * 43}).status_code == 401


def test_production_refuses_the_development_operator_key(monkeypatch):
    monkeypatch.delenv("GATEWAY_OPERATOR_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPERATOR_KEY"):
        load_settings({"ENVIRONMENT": "production", "AMQP_URI": "amqp://u:p@broker:5672/"})
    settings = load_settings(
        {"ENVIRONMENT": "production", "AMQP_URI": "amqp://u:p@broker:5672/", "OPERATOR_KEY": "a-real-secret"}
    )
    assert settings["OPERATOR_KEY"] == "a-real-secret"
