"""Use cases against the real databases (SQLite and PostgreSQL): state and outbox events change together."""

import json
from datetime import datetime

import pytest
from conftest import product_record, unique, vendor_record
from sqlalchemy import select

from catalog import handlers
from catalog.adapters.tables import stock_rejections
from marktplatz_shared.db import outbox_table
from marktplatz_shared.errors import Conflict, InvalidInput, NotFound


def recorded(engine, event_type):
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox_table.c.body).where(outbox_table.c.event_type == event_type).order_by(outbox_table.c.id)
        ).scalars()
        return [json.loads(body)["data"] for body in rows]


@pytest.fixture
def shop(db):
    vendor_id = unique()
    handlers.register_vendor(db, vendor_record(vendor_id))
    return vendor_id


def stock_of(db, vendor_id, sku):
    product = handlers.get_product(db, vendor_id, sku)
    return product["on_hand"], product["reserved"], product["available"]


def test_registering_a_vendor_records_vendor_registered_and_a_repeat_is_a_no_op(db, engine):
    vendor_id = unique()
    first = handlers.register_vendor(db, vendor_record(vendor_id))
    again = handlers.register_vendor(db, vendor_record(vendor_id))
    assert first == again == handlers.get_vendor(db, vendor_id)
    assert [e["vendor_id"] for e in recorded(engine, "vendor_registered")] == [vendor_id]
    with pytest.raises(Conflict):
        handlers.register_vendor(db, vendor_record(vendor_id, name="Anderer Name"))


def test_updating_a_vendor_changes_only_the_given_fields_and_records_vendor_updated(db, engine, shop):
    updated = handlers.update_vendor(
        db, shop, {"fulfilment": ["pickup"], "opening_hours": {"su": [["10:00", "12:00"]]}}
    )
    assert updated["fulfilment"] == ["pickup"]
    assert updated["opening_hours"]["su"] == [["10:00", "12:00"]] and updated["opening_hours"]["mo"] == []
    assert updated["name"] == "Radhaus Speiche"
    handlers.update_vendor(db, shop, {"fulfilment": ["pickup"]})  # no change: no second event
    assert len(recorded(engine, "vendor_updated")) == 1
    with pytest.raises(NotFound):
        handlers.update_vendor(db, unique(), {"name": "x"})


def test_vendors_are_listed_in_pages(db):
    ids = sorted(unique() for _ in range(5))
    for vendor_id in ids:
        handlers.register_vendor(db, vendor_record(vendor_id))
    seen, cursor = [], None
    while True:
        page = handlers.list_vendors(db, cursor, 2)
        seen += [v["vendor_id"] for v in page["vendors"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    first = handlers.list_vendors(db, None, 1)["vendors"][0]
    assert datetime.fromisoformat(first["updated_at"]).tzinfo is not None, "when it last changed, in UTC"


def test_a_product_of_an_unknown_vendor_is_refused(db):
    with pytest.raises(NotFound, match="unknown vendor"):
        handlers.upsert_product(db, product_record(unique(), "s-1"))


def test_upserting_a_product_records_product_upserted_once_per_change(db, engine, shop):
    product = handlers.upsert_product(db, product_record(shop, "HB-1"))
    assert product["price"] == "89.90" and product["available"] == 0 and product["published"] is True
    handlers.upsert_product(db, product_record(shop, "HB-1"))
    handlers.upsert_product(db, product_record(shop, "HB-1", price="79.90"))
    events = recorded(engine, "product_upserted")
    assert [e["price"] for e in events] == ["89.90", "79.90"]


def test_a_withdrawn_product_leaves_the_published_stream_and_records_product_withdrawn(db, engine, shop):
    for sku in ("a", "b", "c"):
        handlers.upsert_product(db, product_record(shop, sku))
    handlers.withdraw_product(db, shop, "b")
    handlers.withdraw_product(db, shop, "b")
    assert recorded(engine, "product_withdrawn") == [{"vendor_id": shop, "sku": "b"}]
    streamed, cursor = [], None
    while True:
        page = handlers.stream_published_products(db, cursor, 1)
        streamed += [p["sku"] for p in page["products"] if p["vendor_id"] == shop]
        if not (cursor := page["next_cursor"]):
            break
    assert streamed == ["a", "c"]
    assert [p["sku"] for p in handlers.list_products(db, shop, None, 10)["products"]] == ["a", "b", "c"]


def test_offers_leave_out_unknown_refs(db, shop):
    handlers.upsert_product(db, product_record(shop, "a"))
    offers = handlers.get_offers(db, [{"vendor_id": shop, "sku": "zz"}, {"vendor_id": shop, "sku": "a"}])
    assert [o["sku"] for o in offers] == ["a"]


def test_a_stock_batch_emits_one_stock_changed_with_the_lines_whose_availability_changed(db, engine, shop):
    for sku in ("a", "b", "c"):
        handlers.upsert_product(db, product_record(shop, sku))
    handlers.apply_stock_batch(db, shop, "report", [{"sku": "c", "quantity": 0, "sequence": 1}])
    result = handlers.apply_stock_batch(
        db,
        shop,
        "report",
        [
            {"sku": "a", "quantity": 5, "sequence": 1},
            {"sku": "b", "quantity": 2, "sequence": 1},
            {"sku": "c", "quantity": 0, "sequence": 2},
            {"sku": "ghost", "quantity": 1, "sequence": 1},
        ],
    )
    assert result["applied"] == 3 and result["stale"] == 0 and result["unknown_skus"] == ["ghost"]
    assert [c["sku"] for c in result["changed"]] == ["a", "b"]
    assert recorded(engine, "stock_changed") == [
        {
            "lines": [
                {"vendor_id": shop, "sku": "a", "available": 5, "version": 1},
                {"vendor_id": shop, "sku": "b", "available": 2, "version": 1},
            ]
        }
    ]
    with engine.connect() as conn:
        assert conn.execute(select(stock_rejections.c.sku, stock_rejections.c.reason)).all() == [
            ("ghost", "unknown sku")
        ]
    assert handlers.rejected_stock_lines(db, shop)[0]["sku"] == "ghost"


def test_a_stale_stock_batch_changes_nothing_and_emits_nothing(db, engine, shop):
    handlers.upsert_product(db, product_record(shop, "a"))
    handlers.apply_stock_batch(db, shop, "adjust", [{"sku": "a", "delta": 5, "sequence": 7, "reason": "delivery"}])
    again = handlers.apply_stock_batch(
        db, shop, "adjust", [{"sku": "a", "delta": 5, "sequence": 7, "reason": "delivery"}]
    )
    older = handlers.apply_stock_batch(db, shop, "report", [{"sku": "a", "quantity": 1, "sequence": 6}])
    assert (again["stale"], older["stale"]) == (1, 1)
    assert stock_of(db, shop, "a") == (5, 0, 5)
    assert len(recorded(engine, "stock_changed")) == 1


def test_a_batch_with_one_bad_line_applies_nothing(db, engine, shop):
    handlers.upsert_product(db, product_record(shop, "a"))
    with pytest.raises(InvalidInput) as caught:
        handlers.apply_stock_batch(
            db,
            shop,
            "report",
            [{"sku": "a", "quantity": 3, "sequence": 1}, {"sku": "a", "quantity": -3, "sequence": 2}],
        )
    assert "lines.1.quantity" in caught.value.details
    assert stock_of(db, shop, "a") == (0, 0, 0)
    assert recorded(engine, "stock_changed") == []


def test_a_stock_batch_for_an_unknown_vendor_is_refused(db):
    with pytest.raises(InvalidInput, match="unknown vendor"):
        handlers.apply_stock_batch(db, unique(), "report", [{"sku": "a", "quantity": 3, "sequence": 1}])


def test_stock_freshness_tells_when_each_shop_last_sent_stock(db, shop):
    quiet = unique()
    handlers.register_vendor(db, vendor_record(quiet))
    handlers.upsert_product(db, product_record(shop, "a"))
    before = {v["vendor_id"]: v["last_pos_update"] for v in handlers.stock_freshness(db)["vendors"]}
    assert before[shop] is None and before[quiet] is None
    handlers.apply_stock_batch(db, shop, "report", [{"sku": "a", "quantity": 5, "sequence": 1}])
    after = {v["vendor_id"]: v["last_pos_update"] for v in handlers.stock_freshness(db)["vendors"]}
    assert after[shop] is not None and after[shop].endswith("+00:00")
    assert after[quiet] is None
