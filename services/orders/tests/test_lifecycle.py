"""Vendor orders after checkout: the vendor's transitions, the shopper's cancel, the vendor's list, events, stock."""

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
    catalog_db.add_stock(market["books"], "atlas", 10, price="24.00", title="Atlas Sachsen")
    catalog_db.add_stock(market["tea"], "rooibos", 10, price="5.50", title="Rooibos 100 g")
    return market


@pytest.fixture
def running(start_catalog, start_orders):
    start_catalog()
    return start_orders()


def place(orders_rpc, shelves, quantity=1):
    request = {
        "shopper": shopper(),
        "lines": [line(shelves["books"], "atlas", quantity), line(shelves["tea"], "rooibos", quantity)],
    }
    order = orders_rpc.checkout(request, str(uuid.uuid4()))
    by_vendor = {vo["vendor_id"]: vo for vo in order["vendor_orders"]}
    return order, by_vendor[shelves["books"]], by_vendor[shelves["tea"]]


def events(orders_db_url, event_type):
    engine = make_engine(orders_db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(outbox_table.c.body).where(outbox_table.c.event_type == event_type)).all()
    finally:
        engine.dispose()
    return [json.loads(r.body)["data"] for r in rows]


def test_accept_ready_collect_commits_the_reservation_and_emits_an_event_at_each_step(
    running, orders_rpc, shelves, catalog_db, orders_db_url
):
    order, books, _ = place(orders_rpc, shelves, quantity=2)
    vendor, vo_id = shelves["books"], books["vendor_order_id"]

    assert orders_rpc.transition(vendor, vo_id, "accept")["state"] == "accepted"
    ready = orders_rpc.transition(vendor, vo_id, "ready")
    assert ready["state"] == "ready" and ready["expires_at"] is not None
    collected = orders_rpc.transition(vendor, vo_id, "collect")
    assert collected["state"] == "collected"

    assert catalog_db.reservation(vo_id) == "committed"
    assert catalog_db.stock(vendor, "atlas") == {"on_hand": 8, "reserved": 0, "available": 8}
    for event_type in ("vendor_order_accepted", "vendor_order_ready", "vendor_order_collected"):
        (data,) = events(orders_db_url, event_type)
        assert data["vendor_order"]["vendor_order_id"] == vo_id
        assert data["vendor_order"]["pickup_code"] == books["pickup_code"]
        assert data["shopper"]["email"] == "anna.schmidt@example.de" and data["by"] == "vendor"
    # the other shop's part is untouched
    shown = orders_rpc.get_order(order["order_id"], order["order_token"])
    assert {vo["vendor_id"]: vo["state"] for vo in shown["vendor_orders"]} == {
        vendor: "collected",
        shelves["tea"]: "placed",
    }


@sqlite_only
def test_an_illegal_transition_is_refused_with_the_current_state(running, orders_rpc, shelves):
    _, books, _ = place(orders_rpc, shelves)
    with pytest.raises(Conflict) as refused:
        orders_rpc.transition(shelves["books"], books["vendor_order_id"], "collect")
    assert refused.value.args[1] == {"current_state": "placed"}
    with pytest.raises(InvalidInput):
        orders_rpc.transition(shelves["books"], books["vendor_order_id"], "expire")  # the clock's, not the vendor's


@sqlite_only
def test_a_vendor_cannot_touch_another_shops_order(running, orders_rpc, shelves):
    _, books, _ = place(orders_rpc, shelves)
    with pytest.raises(NotFound):
        orders_rpc.transition(shelves["tea"], books["vendor_order_id"], "accept")


@sqlite_only
def test_a_vendor_cancel_releases_the_stock_and_tells_why(running, orders_rpc, shelves, catalog_db, orders_db_url):
    _, _, tea = place(orders_rpc, shelves, quantity=3)
    orders_rpc.transition(shelves["tea"], tea["vendor_order_id"], "accept")
    cancelled = orders_rpc.transition(shelves["tea"], tea["vendor_order_id"], "cancel", "Ware beschädigt")

    assert (cancelled["state"], cancelled["cancel_reason"], cancelled["cancelled_by"]) == (
        "cancelled",
        "Ware beschädigt",
        "vendor",
    )
    assert catalog_db.stock(shelves["tea"], "rooibos") == {"on_hand": 10, "reserved": 0, "available": 10}
    (data,) = events(orders_db_url, "vendor_order_cancelled")
    assert (data["reason"], data["by"]) == ("Ware beschädigt", "vendor")


@sqlite_only
def test_the_shopper_cancels_the_whole_order_with_the_token_and_all_stock_returns(
    running, orders_rpc, shelves, catalog_db
):
    order, _, _ = place(orders_rpc, shelves, quantity=2)
    with pytest.raises(NotFound):
        orders_rpc.cancel_by_shopper(order["order_id"], "not-the-token")

    cancelled = orders_rpc.cancel_by_shopper(order["order_id"], order["order_token"])
    assert {vo["state"] for vo in cancelled["vendor_orders"]} == {"cancelled"}
    assert {vo["cancelled_by"] for vo in cancelled["vendor_orders"]} == {"shopper"}
    assert cancelled["closed_at"] is not None
    assert catalog_db.totals() == (20, 0)
    with pytest.raises(Conflict):
        orders_rpc.cancel_by_shopper(order["order_id"], order["order_token"])


@sqlite_only
def test_a_vendor_lists_its_orders_by_state_page_by_page(running, orders_rpc, shelves):
    placed = [place(orders_rpc, shelves)[1]["vendor_order_id"] for _ in range(5)]
    orders_rpc.transition(shelves["books"], placed[0], "accept")

    seen, cursor = [], None
    while True:
        page = orders_rpc.list_vendor_orders(shelves["books"], "placed", cursor, 2)
        seen += [vo["vendor_order_id"] for vo in page["orders"]]
        assert len(page["orders"]) <= 2
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == placed[1:]  # oldest first, only the placed ones, each once
    everything = orders_rpc.list_vendor_orders(shelves["books"])
    assert [vo["vendor_order_id"] for vo in everything["orders"]] == placed
    assert everything["orders"][0]["shopper"]["name"] == "Anna Schmidt"  # the shop knows who collects
    assert orders_rpc.list_vendor_orders(shelves["bikes"]) == {"orders": [], "next_cursor": None}
