"""The gateway under test: its Flask app (test client) against fakes of the other services, which run as
real nameko services on the real broker (a fresh vhost per test)."""

import uuid
from urllib.parse import urlsplit

import pytest
from fakes import FAKES, reset_state
from nameko.containers import ServiceContainer

from gateway.app import create_app
from marktplatz_shared import testing

OPERATOR_KEY = "test-operator-key-" + uuid.uuid4().hex


@pytest.fixture(scope="session")
def fakes_uri():
    """One vhost for the whole session with the fakes running on it (tests use their own vendor ids):
    a vhost and four containers per test would cost seconds each."""
    if not testing._broker_port_open():
        pytest.fail("RabbitMQ is not reachable: run `make broker` (the tests need a real broker)")
    vhost = f"mp-test-gateway-{uuid.uuid4().hex[:12]}"
    testing._rabbitmqctl("add_vhost", vhost)
    testing._rabbitmqctl(
        "set_permissions", "-p", vhost, urlsplit(testing.BROKER_URI).username or "guest", ".*", ".*", ".*"
    )
    uri = testing._with_vhost(testing.BROKER_URI, vhost)
    reset_state()
    containers = [ServiceContainer(fake, {"AMQP_URI": uri}) for fake in FAKES]
    for container in containers:
        container.start()
    yield uri
    for container in containers:
        container.stop()
    testing._rabbitmqctl("delete_vhost", vhost, check=False)


@pytest.fixture
def services(fakes_uri):
    return fakes_uri


def make_app(amqp_uri, db_url, **overrides):
    settings = {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": db_url,
        "OPERATOR_KEY": OPERATOR_KEY,
        "RPC_TIMEOUT": 5,
        "READY_TIMEOUT": 2,
        "ENVIRONMENT": "test",
        **overrides,
    }
    return create_app(settings)


@pytest.fixture
def app_factory(fakes_uri, tmp_path):
    apps = []

    def make(**overrides):
        db_url = overrides.pop("DATABASE_URL", None) or f"sqlite:///{tmp_path / uuid.uuid4().hex}.db"
        app = make_app(overrides.pop("AMQP_URI", fakes_uri), db_url, **overrides)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["gateway"].close()


@pytest.fixture
def app(app_factory, services):
    return app_factory()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def operator():
    return {"Authorization": f"Bearer {OPERATOR_KEY}"}


def vendor_body(vendor_id, **extra):
    return {
        "vendor_id": vendor_id,
        "name": f"Laden {vendor_id}",
        "street": "Markt 1",
        "postcode": "04177",
        "city": "Leipzig",
        "lat": 51.34,
        "lon": 12.33,
        "opening_hours": {d: [["00:00", "24:00"]] for d in ("mo", "tu", "we", "th", "fr", "sa", "su")},
        "fulfilment": ["pickup", "delivery"],
        **extra,
    }


def product_body(**extra):
    return {
        "gtin": "4012345678901",
        "title": "Vollmilch 1 l",
        "category": "Lebensmittel/Milch",
        "price": "1.29",
        **extra,
    }


@pytest.fixture
def shop(client, operator):
    """``shop()`` registers a vendor and returns ``(vendor_id, retailer headers)``."""

    def make(vendor_id=None):
        vendor_id = vendor_id or f"v-{uuid.uuid4().hex[:8]}"
        assert client.post("/v1/operator/vendors", json=vendor_body(vendor_id), headers=operator).status_code == 201
        issued = client.post(f"/v1/operator/vendors/{vendor_id}/keys", json={"label": "POS"}, headers=operator)
        assert issued.status_code == 201, issued.json
        return vendor_id, {"Authorization": f"Bearer {issued.json['api_key']}"}

    return make
