"""Events as catalog and orders publish them: the JSON envelope on their ``<service>.events`` exchange."""

import json
import uuid

from kombu import Connection, Producer

from marktplatz_shared.broker import event_exchange
from marktplatz_shared.events import new_event


def publish(amqp_uri, event, copies=1):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel())
        exchange = event_exchange(event.producer)
        exchange.declare(channel=producer.channel)
        for _ in range(copies):
            producer.publish(
                json.dumps(event.to_message()),
                exchange=exchange,
                routing_key=event.event_type,
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                retry=False,
            )
    return event


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def vendor(vendor_id=None, **changes):
    data = {
        "vendor_id": vendor_id or unique("v"),
        "name": "Buchhandlung Lindenau",
        "kind": "books",
        "street": "Marktplatz 3",
        "postcode": "04177",
        "city": "Leipzig",
        "lat": 51.34,
        "lon": 12.33,
        "opening_hours": {"mo": [["09:00", "18:00"]], "sa": [["10:00", "14:00"]]},
        "fulfilment": ["pickup"],
        "contact_email": "laden@buch-lindenau.example",
        "webhook_url": None,
    }
    data.update(changes)
    return data


def vendor_order(vendor_data, **changes):
    data = {
        "vendor_order_id": unique("vo"),
        "vendor_id": vendor_data["vendor_id"],
        "vendor_name": vendor_data["name"],
        "state": "placed",
        "fulfilment": {"method": "pickup"},
        "pickup_code": "K7Q2",
        "lines": [{"sku": "blechtrommel", "title": "Die Blechtrommel", "quantity": 2, "unit_price": "12.90"}],
        "total": "25.80",
    }
    data.update(changes)
    return data


def shopper(language="de", email_address=None):
    return {
        "name": "Anna Schmidt",
        "email": email_address or f"anna.{uuid.uuid4().hex[:6]}@example.de",
        "phone": None,
        "language": language,
    }


def order_placed(shopper_data, *vendor_orders):
    total = sum(float(vo["total"]) for vo in vendor_orders)
    data = {
        "order_id": unique("o"),
        "shopper": shopper_data,
        "vendor_orders": list(vendor_orders),
        "total": f"{total:.2f}",
    }
    return new_event("orders", "order_placed", data, correlation_id=unique("corr"))


def vendor_order_event(event_type, order_id, shopper_data, vendor_order_data, **extra):
    data = {"order_id": order_id, "shopper": shopper_data, "vendor_order": vendor_order_data, **extra}
    return new_event("orders", event_type, data, correlation_id=unique("corr"))
