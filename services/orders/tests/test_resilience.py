"""Never oversold under competition; expiry frees stock; a slow or absent catalog leaves nothing reserved;
personal data is erased after the retention period."""

import random
import uuid

import eventlet
import pytest
from backends import sqlite_only
from checkout_requests import line, shopper
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from marktplatz_shared.db import make_engine
from marktplatz_shared.errors import Conflict, Unavailable
from marktplatz_shared.testing import wait_for
from orders.adapters.tables import orders as orders_table


def test_100_shoppers_competing_for_20_units_across_vendors_buy_exactly_20_and_all_get_an_answer(
    start_catalog, start_orders, catalog_db, market, amqp_uri
):
    start_catalog()
    start_orders(max_workers=20)
    units = {(market["books"], "signiert"): 7, (market["bikes"], "klingel"): 8, (market["tea"], "matcha"): 5}
    for (vendor, sku), on_hand in units.items():
        catalog_db.add_stock(vendor, sku, on_hand)
    # every shopper wants one unit from one of the three shops
    rng = random.Random(20)
    baskets = [[line(*rng.choice(sorted(units)))] for _ in range(100)]

    def shop(basket):
        with ServiceRpcProxy("orders", {"AMQP_URI": amqp_uri}, timeout=120) as orders:
            try:
                return orders.checkout({"shopper": shopper(), "lines": basket}, str(uuid.uuid4()))
            except Conflict as short:
                return short

    answers = list(eventlet.GreenPool(100).imap(shop, baskets))

    assert len(answers) == 100
    sold = [a for a in answers if isinstance(a, dict)]
    refused = [a for a in answers if isinstance(a, Conflict)]
    assert len(sold) + len(refused) == 100  # every shopper got an order or a shortage, nobody an error
    assert len(sold) == 20
    assert catalog_db.totals() == (20, 20)  # on hand, reserved: every unit reserved exactly once
    for vendor, sku in units:
        assert catalog_db.stock(vendor, sku)["available"] == 0
        bought = [o for o in sold if o["vendor_orders"][0]["lines"][0]["sku"] == sku]
        assert len(bought) == units[(vendor, sku)]


def test_a_vendor_order_never_accepted_expires_and_its_stock_returns(
    start_catalog, start_orders, catalog_db, market, orders_rpc, orders_db_url
):
    start_catalog()
    start_orders(ACCEPT_WINDOW_SECONDS=0.5)
    catalog_db.add_stock(market["tea"], "oolong", 4)
    order = orders_rpc.checkout({"shopper": shopper(), "lines": [line(market["tea"], "oolong", 3)]}, str(uuid.uuid4()))
    (vo,) = order["vendor_orders"]
    assert catalog_db.stock(market["tea"], "oolong")["available"] == 1

    wait_for(lambda: catalog_db.reservation(vo["vendor_order_id"]) == "released", message="the reservation released")
    assert catalog_db.stock(market["tea"], "oolong") == {"on_hand": 4, "reserved": 0, "available": 4}
    shown = orders_rpc.get_order(order["order_id"], order["order_token"])
    assert shown["vendor_orders"][0]["state"] == "expired"
    assert shown["closed_at"] is not None


def test_checkout_while_catalog_is_down_answers_unavailable_and_reserves_nothing(
    start_orders, catalog_db, market, orders_rpc
):
    start_orders()  # and no catalog running
    catalog_db.add_stock(market["books"], "duden", 2)
    with pytest.raises(Unavailable) as refused:
        orders_rpc.checkout({"shopper": shopper(), "lines": [line(market["books"], "duden")]}, str(uuid.uuid4()))
    assert "retry" in str(refused.value)
    assert catalog_db.totals() == (2, 0)


def test_a_catalog_too_slow_for_checkout_leaves_no_reservation_behind_and_a_retry_succeeds(
    start_catalog, start_orders, catalog_db, market, amqp_uri
):
    slow = start_catalog(FAKE_CATALOG_RESERVE_DELAY=0.5)
    start_orders(CATALOG_RPC_TIMEOUT=0.3)
    catalog_db.add_stock(market["tea"], "assam", 5)
    request = {"shopper": shopper(), "lines": [line(market["tea"], "assam", 2)]}
    key = str(uuid.uuid4())
    with ServiceRpcProxy("orders", {"AMQP_URI": amqp_uri}, timeout=60) as orders:
        with pytest.raises(Unavailable):
            orders.checkout(request, key)
        # catalog still works through the queue: the reserve lands late, after orders gave up on it
        wait_for(lambda: catalog_db.reservation_count() >= 1, message="the late reserve to reach catalog")
        wait_for(lambda: catalog_db.active_reservations() == [], message="compensation to release it")
        assert catalog_db.totals() == (5, 0)

        slow.stop()
        start_catalog()
        wait_for(lambda: _retry(orders, request, key), timeout=20, message="a retry to succeed")
    assert catalog_db.stock(market["tea"], "assam")["reserved"] == 2


def _retry(orders, request, key):
    try:
        return orders.checkout(request, key)
    except Unavailable:
        return None


@sqlite_only
def test_the_shoppers_contact_is_erased_after_the_retention_period_once_the_order_is_closed(
    start_catalog, start_orders, catalog_db, market, orders_rpc, orders_db_url
):
    start_catalog()
    start_orders(PERSONAL_DATA_RETENTION_SECONDS=0.2)
    catalog_db.add_stock(market["bikes"], "lampe", 3)
    address = {"street": "Merseburger Str. 5", "city": "Leipzig"}
    request = {
        "shopper": shopper(),
        "lines": [line(market["bikes"], "lampe")],
        "fulfilment": {market["bikes"]: {"method": "delivery", "address": address}},
    }
    order = orders_rpc.checkout(request, str(uuid.uuid4()))
    open_order = orders_rpc.checkout({**request, "lines": [line(market["bikes"], "lampe", 2)]}, str(uuid.uuid4()))
    orders_rpc.cancel_by_shopper(order["order_id"], order["order_token"])

    erased = wait_for(
        lambda: (o := orders_rpc.get_order(order["order_id"], order["order_token"]))["shopper"]["erased"] and o,
        message="the contact to be erased",
    )
    assert erased["shopper"] == {"name": None, "email": None, "phone": None, "language": "de", "erased": True}
    assert erased["vendor_orders"][0]["fulfilment"]["address"] is None
    assert erased["vendor_orders"][0]["lines"][0]["sku"] == "lampe"  # the business record stays
    # an open order keeps its contact: the shop still needs it
    still_open = orders_rpc.get_order(open_order["order_id"], open_order["order_token"])
    assert still_open["shopper"]["email"] == "anna.schmidt@example.de"
    engine = make_engine(orders_db_url)
    with engine.connect() as conn:
        row = conn.execute(select(orders_table).where(orders_table.c.order_id == order["order_id"])).one()
    engine.dispose()
    assert (row.shopper_name, row.shopper_email, row.shopper_phone) == (None, None, None)
