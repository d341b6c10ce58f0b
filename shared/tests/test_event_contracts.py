import uuid

import pytest

from marktplatz_shared.events import EVENT_CONTRACTS, EventValidationError, new_event, parse_event

STOCK_CHANGED = {"lines": [{"vendor_id": "v-lin-01", "sku": "SW-1", "available": 3, "version": 7}]}


def test_an_event_survives_the_wire_round_trip():
    event = new_event("catalog", "stock_changed", STOCK_CHANGED, correlation_id="req-1")
    received = parse_event(event.to_message(), producer="catalog", event_type="stock_changed")
    assert received.event_id == event.event_id
    assert received.correlation_id == "req-1"
    assert received.data["lines"][0]["available"] == 3
    assert received.occurred_at.tzinfo is not None


def test_a_validation_error_names_the_event_and_the_field():
    bad = {"lines": [{"vendor_id": "v-lin-01", "sku": "SW-1", "available": -1, "version": 7}]}
    with pytest.raises(EventValidationError) as err:
        new_event("catalog", "stock_changed", bad, correlation_id="c")
    assert "stock_changed" in str(err.value)
    assert "data.lines.0.available" in str(err.value)


def test_a_missing_envelope_field_is_named():
    body = new_event("catalog", "stock_changed", STOCK_CHANGED, "c").to_message()
    del body["occurred_at"]
    with pytest.raises(EventValidationError, match="stock_changed.*occurred_at"):
        parse_event(body)


def test_an_unknown_field_in_the_data_is_refused():
    body = new_event("catalog", "product_withdrawn", {"vendor_id": "v1", "sku": "A"}, "c").to_message()
    body["data"]["colour"] = "red"
    with pytest.raises(EventValidationError, match="data.colour"):
        parse_event(body)


@pytest.mark.parametrize("body", [None, [], "text", 42])
def test_a_body_that_is_not_an_object_is_refused(body):
    with pytest.raises(EventValidationError, match="expected a JSON object"):
        parse_event(body)


def test_an_event_type_without_contract_is_refused():
    with pytest.raises(EventValidationError, match="no contract"):
        new_event("catalog", "stock_teleported", {}, "c")


def test_a_handler_refuses_an_event_type_it_did_not_subscribe_to():
    body = new_event("catalog", "product_withdrawn", {"vendor_id": "v1", "sku": "A"}, "c").to_message()
    with pytest.raises(EventValidationError, match="received 'product_withdrawn'"):
        parse_event(body, event_type="product_upserted")


def test_an_unsupported_schema_version_is_refused():
    body = new_event("catalog", "product_withdrawn", {"vendor_id": "v1", "sku": "A"}, "c").to_message()
    body["schema_version"] = 99
    with pytest.raises(EventValidationError, match="schema_version 99"):
        parse_event(body)


def test_the_catalogue_holds_the_starting_event_types():
    types = {event_type for _, event_type in EVENT_CONTRACTS}
    assert {
        "vendor_registered",
        "vendor_updated",
        "product_upserted",
        "product_withdrawn",
        "stock_changed",
        "stock_reported",
        "stock_adjusted",
        "order_placed",
        "vendor_order_accepted",
        "vendor_order_ready",
        "vendor_order_collected",
        "vendor_order_cancelled",
        "order_expired",
    } <= types


def test_pos_lines_carry_a_sequence_number():
    data = {"vendor_id": "v1", "lines": [{"sku": "A", "quantity": 3}]}
    with pytest.raises(EventValidationError, match="data.lines.0.sequence"):
        new_event("pos", "stock_reported", data, "c")


def test_event_ids_are_uuids():
    event = new_event("catalog", "product_withdrawn", {"vendor_id": "v1", "sku": "A"}, "c")
    assert uuid.UUID(event.event_id)
