"""Domain tests: GTIN, prices, categories, opening hours, reservations requests, who may send POS stock."""

import json
from pathlib import Path

import pytest
from conftest import product_record, vendor_record

from catalog.domain.gtin import gtin13_problem
from catalog.domain.pos_access import check_pos_sender
from catalog.domain.products import parse_price, validate_product
from catalog.domain.reservations import parse_request
from catalog.domain.vendors import apply_vendor_changes, validate_vendor
from marktplatz_shared.errors import InvalidInput

DEMO = Path(__file__).resolve().parents[3] / "demo-data"


def test_every_gtin_of_the_demo_data_has_a_valid_check_digit():
    gtins = [json.loads(line)["gtin"] for line in (DEMO / "products.jsonl").open(encoding="utf-8")]
    assert [g for g in gtins if gtin13_problem(g)] == []


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("4006381333932", "invalid check digit 2 (expected 1)"),
        ("400638133393", "must be 13 digits"),
        ("40063813339a1", "must be 13 digits"),
    ],
)
def test_an_invalid_gtin_is_named(code, problem):
    assert gtin13_problem(code) == problem


def test_prices_are_decimal_euros_with_at_most_two_decimals():
    assert str(parse_price("12.9")) == "12.90"
    assert str(parse_price(5)) == "5.00"
    for bad, message in (
        ("-1.00", "negative"),
        ("1.999", "two decimals"),
        ("abc", "decimal amount"),
        (None, "decimal"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_price(bad)


def test_a_product_names_every_problem_at_once():
    with pytest.raises(InvalidInput) as caught:
        validate_product(product_record("v-1", "s-1", gtin="4006381333932", price="-3.00", category="A >  > C"))
    assert set(caught.value.details) == {"gtin", "price", "category"}


def test_a_category_path_is_normalised():
    assert (
        validate_product(product_record("v-1", "s", category="Sport>Fahrrad >  Helme"))["category"]
        == "Sport > Fahrrad > Helme"
    )


def test_a_vendor_gets_every_weekday_with_missing_days_closed():
    vendor = validate_vendor(vendor_record("v-1"))
    assert vendor["opening_hours"]["su"] == []
    assert vendor["opening_hours"]["mo"] == [["09:00", "12:30"], ["14:00", "18:00"]]
    assert vendor["timezone"] == "Europe/Berlin"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"opening_hours": {"mo": [["18:00", "09:00"]]}}, "opening_hours.mo"),
        ({"opening_hours": {"tu": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "opening_hours.tu"),
        ({"timezone": "Europe/Lindenau"}, "timezone"),
        ({"fulfilment": ["teleport"]}, "fulfilment.0"),
        ({"lat": 95}, "lat"),
    ],
)
def test_an_invalid_vendor_is_refused_naming_the_field(changes, field):
    with pytest.raises(InvalidInput) as caught:
        validate_vendor(vendor_record("v-1", **changes))
    assert field in caught.value.details


def test_a_vendor_id_cannot_change():
    with pytest.raises(InvalidInput, match="vendor_id"):
        apply_vendor_changes(validate_vendor(vendor_record("v-1")), {"vendor_id": "v-2"})


def test_a_reservation_request_merges_lines_of_one_product_and_needs_an_offset():
    _, lines, _ = parse_request(
        "o-1",
        [
            {"vendor_id": "v", "sku": "b", "quantity": 1},
            {"vendor_id": "v", "sku": "a", "quantity": 2},
            {"vendor_id": "v", "sku": "b", "quantity": 3},
        ],
        "2030-01-01T10:00:00+01:00",
    )
    assert [(line.sku, line.quantity) for line in lines] == [("a", 2), ("b", 4)]
    with pytest.raises(InvalidInput) as caught:
        parse_request("o-1", [{"vendor_id": "v", "sku": "a", "quantity": 0}], "2030-01-01T10:00:00")
    assert set(caught.value.details) == {"lines.0.quantity", "expires_at"}


def test_a_retailer_user_may_send_only_for_its_own_vendor():
    check_pos_sender("pos-v-lin-03", "v-lin-03", ["guest"], "pos-")
    check_pos_sender("guest", "v-lin-03", ["guest"], "pos-")
    for user in ("pos-v-lin-04", None, "", "v-lin-03"):
        with pytest.raises(InvalidInput):
            check_pos_sender(user, "v-lin-03", ["guest"], "pos-")
