"""The catalog service over the real broker: the RPC contract, POS events, who may send them, dead letters."""

import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit, urlunsplit

import pytest
from amqp.exceptions import PreconditionFailed
from conftest import product_record, unique, vendor_record
from kombu import Connection, Producer, Queue
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import inspect

from catalog import handlers
from marktplatz_shared.broker import event_exchange
from marktplatz_shared.db import make_engine
from marktplatz_shared.dead_letters import list_dead_letters
from marktplatz_shared.events import Event
from marktplatz_shared.testing import wait_for


def publish_pos(amqp_uri, vendor_id, lines, mode="report", user_id="guest", body=None):
    event_type = "stock_reported" if mode == "report" else "stock_adjusted"
    data = {"vendor_id": vendor_id, "lines": lines}
    # Event(...) is not validated: the tests also send what a broken POS would
    event = (
        Event(event_type=event_type, data=data, producer="pos", correlation_id="corr-test") if body is None else None
    )
    payload = body if body is not None else json.dumps(event.to_message())
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        Producer(conn.channel()).publish(
            payload,
            exchange="pos.events",
            routing_key=event_type,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            user_id=user_id,
            message_id=event.event_id if event else str(uuid.uuid4()),
            retry=False,
        )
    return event


def rabbitmqctl(*args):
    exe = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([exe, *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def retailer_uri(amqp_uri):
    """A retailer's broker user pos-<vendor> that may only write to pos.events in the test's vhost."""
    vendor_id = unique()
    user, password = f"pos-{vendor_id}", uuid.uuid4().hex
    vhost = unquote(urlsplit(amqp_uri).path[1:])
    rabbitmqctl("add_user", user, password)
    rabbitmqctl("set_permissions", "-p", vhost, user, "^$", r"^pos\.events$", "^$")
    parts = urlsplit(amqp_uri)
    yield (
        vendor_id,
        urlunsplit((parts.scheme, f"{user}:{password}@{parts.hostname}:{parts.port or 5672}", parts.path, "", "")),
    )
    subprocess.run([shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl", "delete_user", user], capture_output=True)


def seed(db_url, vendor_id, skus=("a", "b")):
    from catalog.bootstrap import database, engine_for

    engine = engine_for(db_url)
    db = database(engine)
    handlers.register_vendor(db, vendor_record(vendor_id))
    for sku in skus:
        handlers.upsert_product(db, product_record(vendor_id, sku))
    engine.dispose()


def listen(amqp_uri, event_type="stock_changed"):
    queue = Queue(
        f"test-{uuid.uuid4().hex[:8]}", exchange=event_exchange("catalog"), routing_key=event_type, durable=False
    )
    with Connection(amqp_uri) as conn:
        queue(conn.channel()).declare()
    return queue


def received(amqp_uri, queue):
    bodies = []
    with Connection(amqp_uri) as conn:
        bound = queue(conn.channel())
        while (message := bound.get(no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
    return bodies


def product_of(config, vendor_id, sku):
    with ServiceRpcProxy("catalog", config) as catalog:
        return catalog.get_product(vendor_id, sku)


def test_the_service_migrates_its_database_and_answers_over_the_broker(catalog, service_config, db_url):
    with ServiceRpcProxy("catalog", service_config) as rpc:
        assert rpc.health() == {"service": "catalog", "status": "ok"}
    assert {"outbox", "vendors", "products", "stock", "reservations"} <= set(
        inspect(make_engine(db_url)).get_table_names()
    )


def test_the_rpc_contract_from_shop_to_sale(catalog, service_config):
    vendor_id = unique()
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    with ServiceRpcProxy("catalog", service_config) as rpc:
        assert rpc.register_vendor(vendor_record(vendor_id))["vendor_id"] == vendor_id
        assert rpc.update_vendor(vendor_id, {"name": "Radhaus Speiche & Co"})["name"] == "Radhaus Speiche & Co"
        assert vendor_id in [v["vendor_id"] for v in rpc.list_vendors(None, 100)["vendors"]]
        assert rpc.upsert_product(product_record(vendor_id, "HB-1"))["available"] == 0
        result = rpc.apply_stock_batch(vendor_id, "report", [{"sku": "HB-1", "quantity": 3, "sequence": 1}])
        assert result == {
            "applied": 1,
            "stale": 0,
            "unknown_skus": [],
            "changed": [{"sku": "HB-1", "available": 3, "version": 1}],
        }
        reserved = rpc.reserve("order-1", [{"vendor_id": vendor_id, "sku": "HB-1", "quantity": 2}], later)
        assert reserved["status"] == "reserved" and reserved["lines"][0]["unit_price"] == "89.90"
        assert rpc.commit_reservation("order-1") == {"status": "committed"}
        product = rpc.get_product(vendor_id, "HB-1")
        assert (product["on_hand"], product["reserved"], product["available"]) == (1, 0, 1)
        assert [p["sku"] for p in rpc.get_offers([{"vendor_id": vendor_id, "sku": "HB-1"}])] == ["HB-1"]
        assert rpc.withdraw_product(vendor_id, "HB-1")["published"] is False
        with pytest.raises(RemoteError) as invalid:
            rpc.upsert_product(product_record(vendor_id, "HB-2", gtin="4006381333932"))
        assert invalid.value.exc_type == "InvalidInput" and "check digit" in invalid.value.value
        with pytest.raises(RemoteError) as missing:
            rpc.get_vendor(unique())
        assert missing.value.exc_type == "NotFound"


def test_a_pos_event_is_applied_once_and_stock_changed_is_published(catalog, service_config, amqp_uri, db_url):
    vendor_id = unique()
    seed(db_url, vendor_id)
    queue = listen(amqp_uri)
    event = publish_pos(
        amqp_uri, vendor_id, [{"sku": "a", "quantity": 4, "sequence": 1}, {"sku": "b", "quantity": 0, "sequence": 1}]
    )
    publish_pos(amqp_uri, vendor_id, [], body=json.dumps(event.to_message()))  # a redelivery
    changes = wait_for(lambda: received(amqp_uri, queue), message="stock_changed")
    assert [e["data"]["lines"] for e in changes] == [
        [{"vendor_id": vendor_id, "sku": "a", "available": 4, "version": 1}]
    ]
    publish_pos(amqp_uri, vendor_id, [{"sku": "a", "delta": -1, "sequence": 2, "reason": "sale"}], mode="adjust")
    wait_for(lambda: product_of(service_config, vendor_id, "a")["available"] == 3, message="the sale")
    assert product_of(service_config, vendor_id, "a")["version"] == 2  # the duplicate had no effect


def test_a_pos_message_claiming_another_vendor_is_refused(catalog, service_config, amqp_uri, db_url, retailer_uri):
    own_vendor, uri = retailer_uri
    other_vendor = unique()
    seed(db_url, own_vendor)
    seed(db_url, other_vendor)
    user = urlsplit(uri).username
    publish_pos(uri, other_vendor, [{"sku": "a", "quantity": 99, "sequence": 1}], user_id=user)
    letters = wait_for(lambda: list_dead_letters(amqp_uri, "catalog"), message="a dead letter")
    assert len(letters) == 1
    assert f"broker user '{user}' may not send stock for vendor '{other_vendor}'" in letters[0].error
    assert letters[0].attempts == 1  # parked at once, not retried
    publish_pos(uri, own_vendor, [{"sku": "a", "quantity": 5, "sequence": 1}], user_id=user)
    wait_for(lambda: product_of(service_config, own_vendor, "a")["available"] == 5, message="the retailer's own stock")
    assert product_of(service_config, other_vendor, "a")["available"] == 0


def test_the_broker_refuses_a_retailer_posing_as_another_user(catalog, amqp_uri, retailer_uri):
    vendor_id, uri = retailer_uri
    with pytest.raises(PreconditionFailed, match="user_id property"):
        publish_pos(uri, vendor_id, [{"sku": "a", "quantity": 1, "sequence": 1}], user_id="guest")


def test_bad_pos_messages_are_dead_lettered_and_the_consumer_keeps_running(catalog, service_config, amqp_uri, db_url):
    vendor_id = unique()
    seed(db_url, vendor_id)
    publish_pos(amqp_uri, vendor_id, [], body='{"not": "an event"')
    publish_pos(amqp_uri, vendor_id, [{"sku": "a", "quantity": -1, "sequence": 1}])
    publish_pos(amqp_uri, unique(), [{"sku": "a", "quantity": 1, "sequence": 1}])  # unknown vendor
    publish_pos(amqp_uri, vendor_id, [{"sku": "a", "quantity": 1, "sequence": i} for i in range(5001)])  # oversized
    publish_pos(amqp_uri, vendor_id, [{"sku": "a", "quantity": 7, "sequence": 1}])
    wait_for(lambda: product_of(service_config, vendor_id, "a")["available"] == 7, message="the good message")
    letters = wait_for(
        lambda: len(list_dead_letters(amqp_uri, "catalog")) == 4 and list_dead_letters(amqp_uri, "catalog")
    )
    errors = " | ".join(letter.error for letter in letters)
    assert "data.lines.0.quantity" in errors and "unknown vendor" in errors and "data.lines" in errors


def test_expired_reservations_are_released_by_the_service(catalog, service_config, db_url):
    vendor_id = unique()
    seed(db_url, vendor_id)
    soon = (datetime.now(UTC) + timedelta(seconds=0.5)).isoformat()
    with ServiceRpcProxy("catalog", service_config) as rpc:
        rpc.apply_stock_batch(vendor_id, "report", [{"sku": "a", "quantity": 2, "sequence": 1}])
        assert (
            rpc.reserve("o-expiring", [{"vendor_id": vendor_id, "sku": "a", "quantity": 2}], soon)["status"]
            == "reserved"
        )
        assert rpc.get_product(vendor_id, "a")["available"] == 0
    wait_for(lambda: product_of(service_config, vendor_id, "a")["available"] == 2, message="the expiry")
