"""Reservations against the real databases: all or nothing, idempotent, never below zero under concurrency."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from conftest import product_record, unique, vendor_record

from catalog import handlers
from marktplatz_shared.errors import Conflict
from marktplatz_shared.testing import wait_for

LATER = (datetime.now(UTC) + timedelta(hours=1)).isoformat()


@pytest.fixture
def shelf(db):
    """A vendor with products a (10 on hand) and b (2 on hand)."""
    vendor_id = unique()
    handlers.register_vendor(db, vendor_record(vendor_id))
    for sku in ("a", "b"):
        handlers.upsert_product(db, product_record(vendor_id, sku, price="4.50"))
    handlers.apply_stock_batch(
        db,
        vendor_id,
        "report",
        [{"sku": "a", "quantity": 10, "sequence": 1}, {"sku": "b", "quantity": 2, "sequence": 1}],
    )
    return vendor_id


def stock(db, vendor_id, sku):
    product = handlers.get_product(db, vendor_id, sku)
    return product["on_hand"], product["reserved"], product["available"]


def test_a_reservation_holds_every_line_with_its_price_and_title(db, shelf):
    result = handlers.reserve(db, "o-1", [{"vendor_id": shelf, "sku": "a", "quantity": 3}], LATER)
    assert result == {
        "status": "reserved",
        "lines": [
            {"vendor_id": shelf, "sku": "a", "quantity": 3, "unit_price": "4.50", "title": "Fahrradhelm Urban, Größe M"}
        ],
    }
    assert stock(db, shelf, "a") == (10, 3, 7)


def test_a_reservation_is_all_or_nothing(db, shelf):
    result = handlers.reserve(
        db,
        "o-2",
        [{"vendor_id": shelf, "sku": "a", "quantity": 3}, {"vendor_id": shelf, "sku": "b", "quantity": 5}],
        LATER,
    )
    assert result == {
        "status": "short",
        "shortages": [{"vendor_id": shelf, "sku": "b", "requested": 5, "available": 2}],
    }
    assert stock(db, shelf, "a") == (10, 0, 10)


def test_reserve_commit_and_release_are_idempotent(db, shelf):
    lines = [{"vendor_id": shelf, "sku": "a", "quantity": 2}]
    first = handlers.reserve(db, "o-3", lines, LATER)
    assert handlers.reserve(db, "o-3", lines, LATER) == first
    assert stock(db, shelf, "a") == (10, 2, 8)
    assert handlers.commit_reservation(db, "o-3") == {"status": "committed"}
    assert handlers.commit_reservation(db, "o-3") == {"status": "committed"}
    assert stock(db, shelf, "a") == (8, 0, 8)
    with pytest.raises(Conflict):
        handlers.release_reservation(db, "o-3")

    handlers.reserve(db, "o-4", lines, LATER)
    assert handlers.release_reservation(db, "o-4") == {"status": "released"}
    assert handlers.release_reservation(db, "o-4") == {"status": "released"}
    assert stock(db, shelf, "a") == (8, 0, 8)
    with pytest.raises(Conflict):
        handlers.commit_reservation(db, "o-4")
    with pytest.raises(Conflict):
        handlers.reserve(db, "o-4", [{"vendor_id": shelf, "sku": "a", "quantity": 1}], LATER)


def test_a_reserve_arriving_after_its_release_holds_nothing(db, shelf):
    assert handlers.release_reservation(db, "o-late") == {"status": "released"}  # the caller gave up first
    with pytest.raises(Conflict, match="released"):
        handlers.reserve(db, "o-late", [{"vendor_id": shelf, "sku": "a", "quantity": 2}], LATER)
    assert stock(db, shelf, "a") == (10, 0, 10)
    assert handlers.release_reservation(db, "o-late") == {"status": "released"}


def test_a_withdrawn_product_cannot_be_reserved(db, shelf):
    handlers.withdraw_product(db, shelf, "a")
    result = handlers.reserve(db, "o-5", [{"vendor_id": shelf, "sku": "a", "quantity": 1}], LATER)
    assert result["status"] == "short"


def test_expired_reservations_are_released(db, shelf):
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    handlers.reserve(db, "o-old", [{"vendor_id": shelf, "sku": "a", "quantity": 4}], past)
    handlers.reserve(db, "o-new", [{"vendor_id": shelf, "sku": "a", "quantity": 1}], LATER)
    assert handlers.release_expired(db, datetime.now(UTC)) == ["o-old"]
    assert stock(db, shelf, "a") == (10, 1, 9)


def test_fifty_concurrent_reservations_of_one_unit_against_ten_leave_exactly_ten_reserved(db, db_url, shelf, tmp_path):
    """5 processes x 10 threads, released together, each reserving 1 unit of the 10 available."""
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                os.path.join(os.path.dirname(__file__), "reserve_concurrently.py"),
                db_url,
                shelf,
                "a",
                str(go),
                f"p{n}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(5)
    ]
    wait_for(lambda: len(list(tmp_path.glob("*.ready"))) == 5, timeout=60, message="the worker processes")
    go.write_text("go")  # releases all 50 threads at once
    statuses = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0
        statuses += json.loads(out)
    assert len(statuses) == 50
    assert statuses.count("reserved") == 10
    assert statuses.count("short") == 40
    assert stock(db, shelf, "a") == (10, 10, 0)
