"""A retailer's and a shopper's journeys through the gateway, every service its own process as `make up` runs
them, against the real broker. One platform for the module; every test makes its own shop (unique ids)."""

from __future__ import annotations

import uuid

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from bench.town_day import gtin13
from marktplatz_pos.publisher import StockPublisher
from marktplatz_shared.testing import BROKER_URI, _rabbitmqctl, _with_vhost, wait_for
from tests.chaos.platform_run import Platform

CENTRE = {"lat": 50.4790, "lon": 9.5230}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    vhost = f"mp-e2e-{uuid.uuid4().hex[:12]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    running = Platform(_with_vhost(BROKER_URI, vhost), tmp_path_factory.mktemp("e2e") / "var")
    try:
        running.up()
        yield running
    finally:
        running.down()
        _rabbitmqctl("delete_vhost", vhost, check=False)


@pytest.fixture
def shop(platform):
    """A shop registered by the operator near the town centre, with a retailer key the operator issued."""
    operator = {"Authorization": f"Bearer {platform.operator_key}"}
    vendor_id = f"e2e-{uuid.uuid4().hex[:8]}"
    vendor = {
        "vendor_id": vendor_id,
        "name": "Eisenwaren Hahn",
        "street": "Marktplatz 9",
        "postcode": "36148",
        "city": "Lindenau",
        "lat": 50.4795,
        "lon": 9.5228,
        "contact_email": "hahn@example.de",
        "fulfilment": ["pickup", "delivery"],
        "opening_hours": {d: [["00:00", "24:00"]] for d in ("mo", "tu", "we", "th", "fr", "sa", "su")},
    }
    registered = requests.post(f"{platform.url}/v1/operator/vendors", json=vendor, headers=operator)
    assert registered.status_code == 201, registered.text
    key = requests.post(f"{platform.url}/v1/operator/vendors/{vendor_id}/keys", json={}, headers=operator)
    assert key.status_code == 201, key.text
    return vendor_id, {"Authorization": f"Bearer {key.json()['api_key']}"}


def put_product(platform, vendor_id, auth, sku, title, price="7.50"):
    product = {"gtin": gtin13(uuid.uuid4().int % 10**11), "title": title, "category": "Haushalt", "price": price}
    answer = requests.put(f"{platform.url}/v1/vendors/{vendor_id}/products/{sku}", json=product, headers=auth)
    assert answer.status_code == 200, answer.text
    return answer.json()


def availability(platform, vendor_id, sku):
    return requests.get(f"{platform.url}/v1/products/{vendor_id}/{sku}").json()["available"]


def search_hit(platform, vendor_id, sku, **params):
    hits = requests.get(f"{platform.url}/v1/search", params=dict(CENTRE, **params)).json()["hits"]
    return next((h for h in hits if h["vendor_id"] == vendor_id and h["sku"] == sku), None)


def test_a_retailer_lists_products_and_pushes_stock_by_http_and_by_the_pos_connector(platform, shop):
    vendor_id, auth = shop
    put_product(platform, vendor_id, auth, "hammer", "Schlosserhammer 500 g")
    put_product(platform, vendor_id, auth, "zange", "Kombizange 180 mm")
    pushed = requests.post(
        f"{platform.url}/v1/vendors/{vendor_id}/stock",
        json={"mode": "report", "lines": [{"sku": "hammer", "quantity": 6, "sequence": 10}]},
        headers=auth,
    )
    assert pushed.status_code == 200, pushed.text
    with StockPublisher(platform.amqp_uri, vendor_id) as till:
        till.push("report", [{"sku": "zange", "quantity": 9, "sequence": 11}])
        till.push("adjust", [{"sku": "hammer", "delta": -2, "sequence": 12, "reason": "sale"}])
        till.push("report", [{"sku": "zange", "quantity": 1, "sequence": 5}])  # an old file sent late: stale
    wait_for(lambda: availability(platform, vendor_id, "hammer") == 4, message="the sale to reach the catalog")
    wait_for(lambda: availability(platform, vendor_id, "zange") == 9, message="the POS report to reach the catalog")
    hit = wait_for(
        lambda: (h := search_hit(platform, vendor_id, "zange", q="kombizange")) and h["available"] == 9 and h,
        message="the POS stock in search",
    )
    assert hit["distance_km"] < 1
    listed = requests.get(f"{platform.url}/v1/vendors/{vendor_id}/products", headers=auth).json()["products"]
    assert {p["sku"]: p["available"] for p in listed} == {"hammer": 4, "zange": 9}


def test_a_retailer_key_cannot_touch_another_shop(platform, shop):
    _, auth = shop
    other = "e2e-someone-else"
    denied = requests.put(
        f"{platform.url}/v1/vendors/{other}/products/x", json={"title": "x", "price": "1.00"}, headers=auth
    )
    assert denied.status_code == 403, denied.text


def test_a_shopper_finds_stock_near_the_centre_checks_out_and_the_shop_hands_it_over(platform, shop):
    vendor_id, auth = shop
    put_product(platform, vendor_id, auth, "laterne", "Gartenlaterne Messing", price="24.90")
    requests.post(
        f"{platform.url}/v1/vendors/{vendor_id}/stock",
        json={"mode": "report", "lines": [{"sku": "laterne", "quantity": 3, "sequence": 1}]},
        headers=auth,
    ).raise_for_status()
    hit = wait_for(
        lambda: search_hit(platform, vendor_id, "laterne", q="gartenlaternen", sort="distance", max_km=2),
        message="the lantern in a distance search near the centre",
    )
    assert hit["available"] == 3
    key = uuid.uuid4().hex
    body = {
        "shopper": {"name": "Jonas", "email": "jonas@example.de"},
        "lines": [{"vendor_id": vendor_id, "sku": "laterne", "quantity": 2}],
        "fulfilment": {vendor_id: {"method": "pickup"}},
    }
    placed = requests.post(f"{platform.url}/v1/checkout", json=body, headers={"Idempotency-Key": key})
    assert placed.status_code == 201, placed.text
    again = requests.post(f"{platform.url}/v1/checkout", json=body, headers={"Idempotency-Key": key})
    assert again.json()["order_id"] == placed.json()["order_id"]  # a retried request places no second order
    assert availability(platform, vendor_id, "laterne") == 1
    short = requests.post(
        f"{platform.url}/v1/checkout", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
    )  # two more than the one left
    assert short.status_code == 409, short.text

    order = placed.json()
    vendor_order_id = order["vendor_orders"][0]["vendor_order_id"]
    new = requests.get(f"{platform.url}/v1/vendors/{vendor_id}/orders", params={"state": "placed"}, headers=auth)
    assert [o["vendor_order_id"] for o in new.json()["orders"]] == [vendor_order_id]
    moves = f"{platform.url}/v1/vendors/{vendor_id}/orders/{vendor_order_id}/transitions"
    assert requests.post(moves, json={"action": "collect"}, headers=auth).status_code == 409  # not ready yet
    for action in ("accept", "ready", "collect"):
        moved = requests.post(moves, json={"action": action}, headers=auth)
        assert moved.status_code == 200, moved.text
    status = requests.get(
        f"{platform.url}/v1/orders/{order['order_id']}", headers={"X-Order-Token": order["order_token"]}
    ).json()
    assert status["vendor_orders"][0]["state"] == "collected"
    assert requests.get(f"{platform.url}/v1/products/{vendor_id}/laterne").json()["available"] == 1
    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}, timeout=30) as rpc:  # the sale left the shelf
        stock = rpc.catalog.get_product(vendor_id, "laterne")
    assert (stock["on_hand"], stock["reserved"]) == (1, 0)

    def emails():
        with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}, timeout=10) as rpc:
            sent = rpc.notifications.sent_for_order(order["order_id"])
        return sorted((n["event_type"], n["channel"]) for n in sent if n["status"] == "sent")

    wait_for(lambda: ("vendor_order_ready", "email") in emails(), message="the ready e-mail")
    assert emails().count(("order_placed", "email")) == 2  # the shopper and the shop, once each


def test_a_shopper_cancels_and_the_stock_returns_to_the_shelf(platform, shop):
    vendor_id, auth = shop
    put_product(platform, vendor_id, auth, "besen", "Straßenbesen Rosshaar")
    requests.post(
        f"{platform.url}/v1/vendors/{vendor_id}/stock",
        json={"mode": "report", "lines": [{"sku": "besen", "quantity": 2, "sequence": 1}]},
        headers=auth,
    ).raise_for_status()
    placed = requests.post(
        f"{platform.url}/v1/checkout",
        json={
            "shopper": {"name": "Mia", "email": "mia@example.de"},
            "lines": [{"vendor_id": vendor_id, "sku": "besen", "quantity": 2}],
            "fulfilment": {vendor_id: {"method": "delivery", "address": DELIVERY}},
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert placed.status_code == 201, placed.text
    assert availability(platform, vendor_id, "besen") == 0
    order = placed.json()
    cancelled = requests.post(
        f"{platform.url}/v1/orders/{order['order_id']}/cancel",
        json={},
        headers={"X-Order-Token": order["order_token"]},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["vendor_orders"][0]["state"] == "cancelled"
    assert availability(platform, vendor_id, "besen") == 2
    wait_for(
        lambda: (search_hit(platform, vendor_id, "besen", q="besen") or {}).get("available") == 2,
        message="search to show the stock back",
    )


DELIVERY = {"street": "Lindenweg 3", "postcode": "36148", "city": "Lindenau", "note": "bei Sommer klingeln"}
