"""Checkout through the orders RPC, against a faithful fake catalog over the real broker and real databases."""

import json
import uuid

import pytest
from backends import sqlite_only
from checkout_requests import line, shopper
from sqlalchemy import select

from marktplatz_shared.db import make_engine, outbox_table
from marktplatz_shared.errors import Conflict, InvalidInput, NotFound


@pytest.fixture
def shelves(catalog_db, market):
    catalog_db.add_stock(market["books"], "krimi-1", 5, price="14.90", title="Leipziger Allerlei (Krimi)")
    catalog_db.add_stock(market["bikes"], "schlauch-28", 10, price="6.49", title="Fahrradschlauch 28 Zoll")
    catalog_db.add_stock(market["tea"], "sencha", 3, price="8.20", title="Sencha Bio 100 g")
    return market


@pytest.fixture
def running(start_catalog, start_orders):
    start_catalog()
    return start_orders()


def outbox_events(orders_db_url, event_type):
    engine = make_engine(orders_db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(outbox_table.c.body).where(outbox_table.c.event_type == event_type)).all()
    finally:
        engine.dispose()
    return [json.loads(r.body)["data"] for r in rows]


def test_a_checkout_across_three_vendors_makes_one_order_with_a_priced_vendor_order_per_shop(
    running, orders_rpc, shelves, catalog_db, orders_db_url
):
    address = {"street": "Georg-Schwarz-Str. 10", "postcode": "04177", "city": "Leipzig"}
    request = {
        "shopper": shopper(),
        "lines": [
            line(shelves["books"], "krimi-1", 2),
            line(shelves["bikes"], "schlauch-28", 1),
            line(shelves["tea"], "sencha", 3),
        ],
        "fulfilment": {shelves["tea"]: {"method": "delivery", "address": address}},
    }
    order = orders_rpc.checkout(request, str(uuid.uuid4()))

    by_vendor = {vo["vendor_id"]: vo for vo in order["vendor_orders"]}
    assert set(by_vendor) == set(shelves.values())
    assert by_vendor[shelves["books"]]["lines"] == [
        {
            "sku": "krimi-1",
            "title": "Leipziger Allerlei (Krimi)",
            "quantity": 2,
            "unit_price": "14.90",
            "total": "29.80",
        },
    ]
    assert by_vendor[shelves["books"]]["total"] == "29.80"
    assert by_vendor[shelves["tea"]]["fulfilment"] == {"method": "delivery", "address": address}
    assert by_vendor[shelves["bikes"]]["vendor_name"] == "Fahrrad Kette"
    assert order["total"] == "60.89"
    assert {vo["state"] for vo in order["vendor_orders"]} == {"placed"}
    codes = [vo["pickup_code"] for vo in order["vendor_orders"]]
    assert all(len(code) == 6 for code in codes)
    assert len(order["order_token"]) >= 43

    # the stock is reserved in catalog, one reservation per vendor order
    assert catalog_db.stock(shelves["tea"], "sencha") == {"on_hand": 3, "reserved": 3, "available": 0}
    assert sorted(catalog_db.active_reservations()) == sorted(by_vendor[v]["vendor_order_id"] for v in by_vendor)

    # the shopper reads the order back with the token, nobody can without it
    assert orders_rpc.get_order(order["order_id"], order["order_token"])["vendor_orders"] == order["vendor_orders"]
    with pytest.raises(NotFound):
        orders_rpc.get_order(order["order_id"], "guessed-token")

    # order_placed carries what notifications need
    (placed,) = outbox_events(orders_db_url, "order_placed")
    assert placed["order_id"] == order["order_id"]
    assert placed["shopper"] == shopper()
    assert sorted(vo["pickup_code"] for vo in placed["vendor_orders"]) == sorted(codes)
    assert placed["total"] == "60.89"


@sqlite_only
def test_prices_come_from_catalog_and_a_client_price_is_refused(running, orders_rpc, shelves):
    request = {"shopper": shopper(), "lines": [{**line(shelves["tea"], "sencha"), "unit_price": "0.01"}]}
    with pytest.raises(InvalidInput) as refused:
        orders_rpc.checkout(request, str(uuid.uuid4()))
    assert "lines.0.unit_price" in refused.value.args[1]


def test_a_shortage_names_the_short_lines_and_how_many_are_missing_and_reserves_nothing(
    running, orders_rpc, shelves, catalog_db
):
    request = {
        "shopper": shopper(),
        "lines": [
            line(shelves["books"], "krimi-1", 1),
            line(shelves["tea"], "sencha", 5),
            line(shelves["bikes"], "schlauch-28", 11),
        ],
    }
    with pytest.raises(Conflict) as refused:
        orders_rpc.checkout(request, str(uuid.uuid4()))

    # nameko's error serialisation turns numbers in exception arguments into strings
    shortages = [
        {**s, **{k: int(s[k]) for k in ("requested", "available", "missing")}}
        for s in sorted(refused.value.args[1]["shortages"], key=lambda s: s["sku"])
    ]
    assert shortages == [
        {"vendor_id": shelves["bikes"], "sku": "schlauch-28", "requested": 11, "available": 10, "missing": 1},
        {"vendor_id": shelves["tea"], "sku": "sencha", "requested": 5, "available": 3, "missing": 2},
    ]
    assert catalog_db.totals() == (18, 0)
    assert catalog_db.active_reservations() == []


@sqlite_only
def test_a_retried_checkout_with_the_same_idempotency_key_returns_the_same_order(
    running, orders_rpc, shelves, catalog_db, orders_db_url
):
    request = {"shopper": shopper(), "lines": [line(shelves["tea"], "sencha", 2)]}
    key = str(uuid.uuid4())
    first = orders_rpc.checkout(request, key)
    again = orders_rpc.checkout(request, key)

    assert again == first  # same order, same pickup code, same token
    assert catalog_db.stock(shelves["tea"], "sencha")["reserved"] == 2
    assert len(outbox_events(orders_db_url, "order_placed")) == 1
    with pytest.raises(Conflict) as refused:
        orders_rpc.checkout({**request, "lines": [line(shelves["tea"], "sencha", 1)]}, key)
    assert refused.value.args[1]["reason"] == "idempotency_key_reused"


def test_concurrent_retries_with_one_idempotency_key_end_with_one_order(
    running, amqp_uri, shelves, catalog_db, orders_db_url
):
    import eventlet
    from nameko.standalone.rpc import ServiceRpcProxy

    request = {"shopper": shopper(), "lines": [line(shelves["bikes"], "schlauch-28", 1)]}
    key = str(uuid.uuid4())

    def attempt(_):
        with ServiceRpcProxy("orders", {"AMQP_URI": amqp_uri}, timeout=60) as orders:
            return orders.checkout(request, key)

    results = list(eventlet.GreenPool(8).imap(attempt, range(8)))
    assert len({r["order_id"] for r in results}) == 1
    assert catalog_db.stock(shelves["bikes"], "schlauch-28")["reserved"] == 1
    assert len(outbox_events(orders_db_url, "order_placed")) == 1


@sqlite_only
def test_delivery_is_refused_for_a_shop_that_does_not_deliver(running, orders_rpc, shelves, catalog_db):
    request = {
        "shopper": shopper(),
        "lines": [line(shelves["books"], "krimi-1")],
        "fulfilment": {shelves["books"]: {"method": "delivery", "address": {"street": "Lindenstr. 1"}}},
    }
    with pytest.raises(InvalidInput) as refused:
        orders_rpc.checkout(request, str(uuid.uuid4()))
    assert f"fulfilment.{shelves['books']}.method" in refused.value.args[1]
    assert catalog_db.active_reservations() == []
