"""The pure parts: which notifications an event causes, formatting, signatures, how answers are sorted."""

import hashlib
import hmac

import pytest
from order_events import order_placed, shopper, vendor, vendor_order, vendor_order_event
from webhook_docs import documented_verify_signature

from marktplatz_shared.events import parse_event
from notifications.domain import model, planning
from notifications.domain.delivery import DeliveryFailed, DeliveryRejected, webhook_outcome
from notifications.domain.formatting import format_price, opening_hours_rows
from notifications.domain.signing import new_webhook_secret, signature_header


def received(event):
    return parse_event(event.to_message())


def profile(data):
    return model.VendorProfile(
        vendor_id=data["vendor_id"],
        name=data["name"],
        street=data["street"],
        postcode=data["postcode"],
        city=data["city"],
        opening_hours=data["opening_hours"],
        contact_email=data["contact_email"],
        webhook_url=data["webhook_url"],
    )


def test_an_order_placed_mails_the_shopper_once_and_each_vendor_with_a_contact_address():
    books = vendor(contact_email="books@example.de", webhook_url="https://books.example/hook")
    toys = vendor(contact_email=None, webhook_url=None)
    event = received(order_placed(shopper("en"), vendor_order(books), vendor_order(toys)))
    vendors = {v["vendor_id"]: profile(v) for v in (books, toys)}

    emails = planning.emails_for(event, vendors, vendor_language="de")
    assert [(e.template, e.language, e.recipient) for e in emails] == [
        ("order_confirmation", "en", event.data["shopper"]["email"]),
        ("vendor_new_order", "de", "books@example.de"),
    ]
    assert [shop["vendor_id"] for shop in emails[0].context["shops"]] == [books["vendor_id"], toys["vendor_id"]]
    hooks = planning.webhooks_for(event, vendors)
    assert [(h.vendor_id, h.url) for h in hooks] == [(books["vendor_id"], "https://books.example/hook")]
    assert hooks[0].payload["vendor_order"]["vendor_id"] == books["vendor_id"]
    assert "vendor_orders" not in hooks[0].payload


@pytest.mark.parametrize(
    ("event_type", "template"),
    [
        ("vendor_order_accepted", None),
        ("vendor_order_ready", "order_ready"),
        ("vendor_order_collected", None),
        ("vendor_order_cancelled", "order_cancelled"),
        ("order_expired", "order_expired"),
    ],
)
def test_vendor_order_events_mail_the_shopper_only_where_the_shopper_needs_to_know(event_type, template):
    shop = vendor(webhook_url="https://shop.example/hook")
    event = received(vendor_order_event(event_type, "o-1", shopper(), vendor_order(shop)))
    emails = planning.emails_for(event, {shop["vendor_id"]: profile(shop)})
    assert [e.template for e in emails] == ([template] if template else [])
    assert len(planning.webhooks_for(event, {shop["vendor_id"]: profile(shop)})) == 1


def test_an_unknown_vendor_still_gets_its_shopper_mail_with_the_name_from_the_order():
    shop = vendor(name="Spielwaren Kunze")
    event = received(vendor_order_event("vendor_order_ready", "o-1", shopper(), vendor_order(shop)))
    [email] = planning.emails_for(event, {})
    assert email.context["shop"]["name"] == "Spielwaren Kunze"
    assert email.context["shop"]["address_lines"] == []
    assert planning.webhooks_for(event, {}) == []


def test_prices_and_opening_hours_read_as_each_language_writes_them():
    assert format_price("1234.5", "de") == "1.234,50 €"
    assert format_price("1234.5", "en") == "€1,234.50"
    hours = {"mo": [["09:00", "13:00"], ["14:00", "18:00"]]}
    assert opening_hours_rows(hours, "de")[0] == ("Mo", "09:00–13:00, 14:00–18:00")
    assert opening_hours_rows(hours, "en")[6] == ("Sun", "closed")


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body_and_the_documented_snippet_accepts_it():
    secret, body = new_webhook_secret(), b'{"event_id":"e1"}'
    header = signature_header(secret, 1767225600, body)
    expected = hmac.new(secret.encode(), b"1767225600." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1767225600,v1={expected}"
    verify_signature = documented_verify_signature()
    assert verify_signature(secret, header, body, now=1767225600 + 299)
    assert not verify_signature(secret, header, body, now=1767225600 + 301)  # too old: a replay
    assert not verify_signature(secret, "garbage", body, now=1767225600)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, None),
        (204, None),
        (500, DeliveryFailed),
        (503, DeliveryFailed),
        (429, DeliveryFailed),
        (408, DeliveryFailed),
        (400, DeliveryRejected),
        (401, DeliveryRejected),
        (404, DeliveryRejected),
        (410, DeliveryRejected),
        (301, DeliveryRejected),
    ],
)
def test_webhook_answers_are_retried_on_5xx_and_429_and_never_on_other_4xx(status, outcome):
    assert webhook_outcome(status) is outcome


def test_the_log_keys_an_email_recipient_regardless_of_case_and_does_not_keep_the_address():
    key = model.recipient_key(model.EMAIL, "Anna@Example.de ")
    assert key == model.recipient_key(model.EMAIL, "anna@example.de")
    assert "anna" not in key and len(key) == 64
