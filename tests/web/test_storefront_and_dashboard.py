"""The reference web pages in a real browser (Debian's Chromium, headless, driven by Playwright) against the
platform as `make up` starts it: a shopper on a phone finds an item near the town centre, reserves it at two
shops and sees both pickup codes; the operator sees that order and a zero-result query on the dashboard.

Screenshots of the main pages go to var/test-artifacts/screenshots/.
"""

import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "var" / "test-artifacts" / "screenshots"
OPERATOR_KEY = "web-operator-key"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 800}
CENTRE = (50.4790, 9.5230)  # Lindenau, the storefront's default town centre (static/storefront/config.js)
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mo", "tu", "we", "th", "fr", "sa", "su")}

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing: make browser")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gtin13(first_twelve: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first_twelve))
    return first_twelve + str((10 - total % 10) % 10)


def poll(fetch, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def gateway(amqp_uri, tmp_path):
    port = free_port()
    var = tmp_path / "var"
    env = dict(
        os.environ,
        AMQP_URI=amqp_uri,
        MARKTPLATZ_VAR=str(var),
        SEARCH_INDEX_PATH=str(var / "search-index"),  # not the shared default under services/search/var
        GATEWAY_PORT=str(port),
        GATEWAY_OPERATOR_KEY=OPERATOR_KEY,
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


@pytest.fixture
def two_shops_with_the_same_item(gateway):
    """Two shops near the centre, each with 3 of one item (same GTIN), and its title's unique word."""
    word = f"Zimtstern{uuid.uuid4().hex[:6]}"
    gtin = gtin13("2" + "".join(random.choice("0123456789") for _ in range(11)))
    shops = []
    for n, (dlat, dlon) in enumerate([(0.0005, 0.0004), (-0.0008, 0.0010)], start=1):
        vendor_id = f"web-{uuid.uuid4().hex[:8]}"
        vendor = {
            "vendor_id": vendor_id,
            "name": f"Laden {n} {vendor_id}",
            "street": f"Marktplatz {n}",
            "postcode": "36148",
            "city": "Lindenau",
            "lat": CENTRE[0] + dlat,
            "lon": CENTRE[1] + dlon,
            "fulfilment": ["pickup", "delivery"],
            "opening_hours": ALWAYS_OPEN,
        }
        assert requests.post(f"{gateway}/v1/operator/vendors", json=vendor, headers=OPERATOR).status_code == 201
        product = {"gtin": gtin, "title": f"{word} Gebäck, 250 g", "category": "Lebensmittel", "price": f"{n + 2}.50"}
        put = requests.put(f"{gateway}/v1/vendors/{vendor_id}/products/gebaeck", json=product, headers=OPERATOR)
        assert put.status_code == 200, put.text
        stock = {"mode": "report", "lines": [{"sku": "gebaeck", "quantity": 3, "sequence": 1}]}
        assert requests.post(f"{gateway}/v1/vendors/{vendor_id}/stock", json=stock, headers=OPERATOR).ok
        shops.append(vendor)

    def both_in_stock():
        hits = requests.get(f"{gateway}/v1/search", params={"q": word}).json()["hits"]
        return len([h for h in hits if h["available"] == 3]) == 2

    poll(both_in_stock)
    return word, shops


def test_a_shopper_reserves_at_two_shops_and_the_operator_sees_the_order(gateway, two_shops_with_the_same_item):
    # Playwright's sync API runs in its own interpreter: this one is eventlet-patched (marktplatz_shared.testing)
    word, shops = two_shops_with_the_same_item
    scenario = {"base": gateway, "word": word, "shops": shops, "operator_key": OPERATOR_KEY}
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("browser_journeys.py")), json.dumps(scenario)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout.splitlines()[-1])["pickup_codes"] == 2


def test_the_pages_are_served_without_third_party_origins(gateway):
    for path in ("/", "/dashboard/", "/storefront/app.js", "/dashboard/dashboard.js"):
        response = requests.get(f"{gateway}{path}")
        assert response.status_code == 200, path
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "http://" not in response.text and "https://" not in response.text.replace("http://www.w3.org", "")
    assert requests.get(f"{gateway}/storefront/../app.py").status_code == 404
    assert "/dashboard/" not in requests.get(f"{gateway}/openapi.json").json()["paths"]
