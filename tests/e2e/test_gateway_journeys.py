"""Journeys through the gateway's HTTP API against the real services, every one its own process (`make up`)."""

import os
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = {"Authorization": "Bearer e2e-operator-key"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gateway(amqp_uri, tmp_path):
    port = free_port()
    env = dict(
        os.environ,
        AMQP_URI=amqp_uri,
        MARKTPLATZ_VAR=str(tmp_path / "var"),
        GATEWAY_PORT=str(port),
        GATEWAY_OPERATOR_KEY="e2e-operator-key",
        METRICS_PORT="0",
        CATALOG_METRICS_PORT="0",
        SEARCH_METRICS_PORT="0",
        ORDERS_METRICS_PORT="0",
        NOTIFICATIONS_METRICS_PORT="0",
    )
    up = subprocess.run(["scripts/platform.sh", "up"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(["scripts/platform.sh", "down"], cwd=ROOT, env=env, capture_output=True, timeout=180)


def poll(fetch, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_stock_pushed_by_a_retailer_shows_in_search_and_a_shopper_collects_an_order(gateway):
    vendor_id = f"e2e-{uuid.uuid4().hex[:8]}"
    vendor = {
        "vendor_id": vendor_id,
        "name": "Feinkost E2E",
        "street": "Markt 1",
        "postcode": "04109",
        "city": "Leipzig",
        "lat": 51.34,
        "lon": 12.37,
        "fulfilment": ["pickup"],
        "opening_hours": {d: [["00:00", "24:00"]] for d in ("mo", "tu", "we", "th", "fr", "sa", "su")},
    }
    assert requests.post(f"{gateway}/v1/operator/vendors", json=vendor, headers=OPERATOR).status_code == 201
    key = requests.post(f"{gateway}/v1/operator/vendors/{vendor_id}/keys", json={}, headers=OPERATOR).json()
    retailer = {"Authorization": f"Bearer {key['api_key']}"}
    product = {"gtin": "4012345678901", "title": "Kürbiskernöl", "category": "Feinkost", "price": "9.90"}
    assert (
        requests.put(f"{gateway}/v1/vendors/{vendor_id}/products/oel", json=product, headers=retailer).status_code
        == 200
    )
    pushed = requests.post(
        f"{gateway}/v1/vendors/{vendor_id}/stock",
        headers=retailer,
        json={"mode": "report", "lines": [{"sku": "oel", "quantity": 4, "sequence": 1}]},
    )
    assert pushed.status_code == 200, pushed.text

    def found():
        hits = requests.get(f"{gateway}/v1/search", params={"q": "kürbiskernöl", "in_stock": "true"}).json()["hits"]
        return [h for h in hits if h["vendor_id"] == vendor_id and h["available"] == 4]

    assert poll(found)
    assert requests.get(f"{gateway}/v1/products/{vendor_id}/oel").json()["available"] == 4
    placed = requests.post(
        f"{gateway}/v1/checkout",
        headers={"Idempotency-Key": uuid.uuid4().hex},
        json={
            "shopper": {"name": "Anna", "email": "anna@example.de"},
            "lines": [{"vendor_id": vendor_id, "sku": "oel", "quantity": 1}],
            "fulfilment": {vendor_id: {"method": "pickup"}},
        },
    )
    assert placed.status_code == 201, placed.text
    vendor_order_id = placed.json()["vendor_orders"][0]["vendor_order_id"]
    url = f"{gateway}/v1/vendors/{vendor_id}/orders/{vendor_order_id}/transitions"
    for action in ("accept", "ready", "collect"):
        moved = requests.post(url, json={"action": action}, headers=retailer)
        assert moved.status_code == 200, moved.text
    status = requests.get(
        f"{gateway}/v1/orders/{placed.json()['order_id']}", headers={"X-Order-Token": placed.json()["order_token"]}
    ).json()
    assert status["vendor_orders"][0]["state"] == "collected"
