"""Signed webhooks to a real HTTP receiver on localhost: signature, retries, no retry on 4xx, dead letters."""

import json

from order_events import order_placed, publish, shopper, unique, vendor, vendor_order, vendor_order_event
from webhook_docs import documented_verify_signature

from marktplatz_shared.dead_letters import list_dead_letters
from marktplatz_shared.testing import wait_for


def one_dead_letter(amqp_uri):
    return wait_for(lambda: list_dead_letters(amqp_uri, "notifications"), message="a dead letter")


def test_a_webhook_is_signed_so_that_the_documented_snippet_verifies_it(
    start_service, running_smtp, register_vendor, webhook_receiver, amqp_uri, notification_log
):
    start_service()
    hooked = vendor(webhook_url=webhook_receiver.url("/marktplatz/orders"), contact_email=None)
    other = vendor(contact_email=None)  # no webhook URL: no POST
    secret = register_vendor(hooked)
    register_vendor(other)
    ours = vendor_order(hooked)
    placed = publish(amqp_uri, order_placed(shopper("de"), ours, vendor_order(other)))

    [request] = wait_for(lambda: webhook_receiver.requests, message="the webhook")
    verify_signature = documented_verify_signature()
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/marktplatz/orders"
    assert verify_signature(secret, headers["Marktplatz-Signature"], body)
    assert not verify_signature(secret, headers["Marktplatz-Signature"], body.replace(b"K7Q2", b"XXXX"))
    assert not verify_signature("whsec_wrong", headers["Marktplatz-Signature"], body)
    assert headers["Marktplatz-Event-Id"] == placed.event_id
    assert headers["Marktplatz-Event-Type"] == "order_placed"
    payload = json.loads(body)
    assert payload["order_id"] == placed.data["order_id"]
    assert payload["vendor_order"] == {**ours, "fulfilment": {"method": "pickup", "address": None}}  # ours only
    wait_for(lambda: [e["status"] for e in notification_log(placed.data["order_id"], "webhook")] == ["sent"])


def test_a_rotated_secret_signs_the_next_webhook(start_service, register_vendor, webhook_receiver, amqp_uri, rpc):
    start_service()
    shop = vendor(webhook_url=webhook_receiver.url(), contact_email=None)
    old_secret = register_vendor(shop)
    new_secret = rpc("rotate_webhook_secret", shop["vendor_id"])["secret"]
    buyer, part = shopper(), vendor_order(shop)
    publish(amqp_uri, vendor_order_event("vendor_order_accepted", unique("o"), buyer, {**part, "state": "accepted"}))

    [request] = wait_for(lambda: webhook_receiver.requests, message="the webhook")
    verify_signature = documented_verify_signature()
    assert new_secret != old_secret
    assert verify_signature(new_secret, request["headers"]["Marktplatz-Signature"], request["body"])
    assert not verify_signature(old_secret, request["headers"]["Marktplatz-Signature"], request["body"])


def test_a_503_is_retried_and_the_webhook_delivered_once(
    start_service, running_smtp, register_vendor, webhook_receiver, amqp_uri, notification_log
):
    start_service()
    webhook_receiver.answer_with(503, 200)
    shop = vendor(webhook_url=webhook_receiver.url(), contact_email=None)
    register_vendor(shop)
    ready = publish(
        amqp_uri, vendor_order_event("vendor_order_ready", unique("o"), shopper(), vendor_order(shop, state="ready"))
    )

    [entry] = wait_for(
        lambda: [e for e in notification_log(ready.data["order_id"], "webhook") if e["status"] == "sent"],
        message="the webhook delivered",
    )
    assert entry["attempts"] == 2
    assert len(webhook_receiver.requests) == 2
    assert {r["body"] for r in webhook_receiver.requests} == {webhook_receiver.requests[0]["body"]}
    assert list_dead_letters(amqp_uri, "notifications") == []


def test_a_400_is_not_retried_and_is_dead_lettered_at_once(
    start_service, register_vendor, webhook_receiver, amqp_uri, notification_log
):
    start_service()
    webhook_receiver.answer_with(400)
    shop = vendor(webhook_url=webhook_receiver.url(), contact_email=None)
    register_vendor(shop)
    collected = publish(
        amqp_uri,
        vendor_order_event("vendor_order_collected", unique("o"), shopper(), vendor_order(shop, state="collected")),
    )

    [letter] = one_dead_letter(amqp_uri)
    assert letter.attempts == 1
    assert letter.message_id == collected.event_id
    assert letter.handler == "webhook_vendor_order_collected"
    assert "PermanentFailure" in letter.error and "answered 400" in letter.error
    assert len(webhook_receiver.requests) == 1
    [entry] = notification_log(collected.data["order_id"], "webhook")
    assert entry["status"] == "rejected" and "400" in entry["error"]


def test_a_webhook_failing_on_every_attempt_ends_in_the_dead_letters(
    start_service, running_smtp, register_vendor, webhook_receiver, amqp_uri, notification_log
):
    start_service()  # RETRY_DELAYS of three steps: four attempts in all
    webhook_receiver.answer_with(503)
    shop = vendor(webhook_url=webhook_receiver.url(), contact_email=None)
    register_vendor(shop)
    expired = publish(
        amqp_uri, vendor_order_event("order_expired", unique("o"), shopper(), vendor_order(shop, state="expired"))
    )

    [letter] = one_dead_letter(amqp_uri)
    assert letter.attempts == 4 and letter.reason == "failed"
    assert letter.handler == "webhook_order_expired"
    assert "answered 503" in letter.error
    assert len(webhook_receiver.requests) == 4
    [entry] = notification_log(expired.data["order_id"], "webhook")
    assert entry["status"] == "failed" and entry["attempts"] == 4


def test_a_receiver_that_does_not_answer_in_time_is_retried(
    start_service, register_vendor, webhook_receiver, amqp_uri, notification_log
):
    start_service(WEBHOOK_READ_TIMEOUT=0.3)
    webhook_receiver.hold_first_request()
    shop = vendor(webhook_url=webhook_receiver.url(), contact_email=None)
    register_vendor(shop)
    accepted = publish(
        amqp_uri,
        vendor_order_event("vendor_order_accepted", unique("o"), shopper(), vendor_order(shop, state="accepted")),
    )

    [entry] = wait_for(
        lambda: [e for e in notification_log(accepted.data["order_id"], "webhook") if e["status"] == "sent"],
        message="the webhook delivered after a timeout",
    )
    assert entry["attempts"] == 2
    webhook_receiver.release()
