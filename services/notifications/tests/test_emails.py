"""E-mails for order events, through a real SMTP server (aiosmtpd in its own process) and the Maildir sink."""

import logging
import mailbox

from order_events import order_placed, publish, shopper, unique, vendor, vendor_order, vendor_order_event
from prometheus_client import REGISTRY
from sqlalchemy import inspect

from marktplatz_shared.db import make_engine
from marktplatz_shared.dead_letters import list_dead_letters
from marktplatz_shared.testing import wait_for


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def completed_deliveries(entrypoint):
    """Deliveries an entrypoint finished without raising (each message ends with one, after its retries)."""
    labels = {"service": "notifications", "entrypoint": entrypoint, "kind": "event"}
    handled = REGISTRY.get_sample_value("marktplatz_entrypoint_duration_seconds_count", labels) or 0
    failed = sum(
        REGISTRY.get_sample_value("marktplatz_entrypoint_errors_total", {**labels, "error": error}) or 0
        for error in ("DeliveryFailed", "PermanentFailure")
    )
    return handled - failed


def test_the_service_migrates_its_database_and_answers_over_the_broker(start_service, rpc, db_url):
    start_service()
    assert rpc("health") == {"service": "notifications", "status": "ok"}
    tables = set(inspect(make_engine(db_url)).get_table_names())
    assert {"outbox", "processed_events", "vendors", "notifications"} <= tables


def test_order_confirmation_is_rendered_in_german_and_english_with_text_and_html(
    start_service, running_smtp, register_vendor, amqp_uri, notification_log, caplog
):
    start_service()
    shop = vendor(name="Spiel & <Buch>")
    register_vendor(shop)
    german, english = shopper("de"), shopper("en")
    caplog.set_level(logging.INFO)

    placed_de = publish(amqp_uri, order_placed(german, vendor_order(shop)))
    placed_en = publish(amqp_uri, order_placed(english, vendor_order(shop)))
    de_mail = wait_for(lambda: running_smtp.messages_to(german["email"]), message="the German confirmation")[0]
    en_mail = wait_for(lambda: running_smtp.messages_to(english["email"]), message="the English confirmation")[0]

    assert de_mail["Subject"] == f"Deine Bestellung {placed_de.data['order_id']} ist eingegangen"
    assert de_mail["From"] == "Marktplatz Lindenau <bestellungen@lindenau.example>"
    text, html = parts(de_mail)
    for expected in ("Hallo Anna Schmidt", "Abholcode: K7Q2", "Marktplatz 3", "04177 Leipzig", "2 × Die Blechtrommel"):
        assert expected in text
    assert "12,90 €" in text and "Summe: 25,80 €" in text
    assert "Mo: 09:00–18:00" in text and "Sa: 10:00–14:00" in text and "So: geschlossen" in text
    assert "Spiel &amp; &lt;Buch&gt;" in html and "<strong>K7Q2</strong>" in html and 'lang="de"' in html

    assert en_mail["Subject"] == f"We have received your order {placed_en.data['order_id']}"
    text, html = parts(en_mail)
    assert "Pickup code: K7Q2" in text and "€12.90" in text and "Total: €25.80" in text
    assert "Mon: 09:00–18:00" in text and "Sun: closed" in text
    assert "Spiel & <Buch>" in text and "Spiel &amp; &lt;Buch&gt;" in html and 'lang="en"' in html

    [entry] = wait_for(
        lambda: (
            notification_log(placed_de.data["order_id"], "email")[:1]
            and [
                e
                for e in notification_log(placed_de.data["order_id"], "email")
                if e["template"] == "order_confirmation"
            ]
        )
    )
    assert entry["status"] == "sent" and entry["recipient"].startswith("a***@example.de")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "a***@example.de" in logged
    assert german["email"] not in logged and english["email"] not in logged


def test_the_vendor_gets_a_new_order_email_and_the_shopper_ready_cancelled_and_expired_emails(
    start_service, running_smtp, register_vendor, amqp_uri
):
    start_service()
    shop = vendor(contact_email="team@buch-lindenau.example")
    register_vendor(shop)
    buyer = shopper("en")
    part = vendor_order(shop)
    placed = publish(amqp_uri, order_placed(buyer, part))
    order_id = placed.data["order_id"]
    publish(amqp_uri, vendor_order_event("vendor_order_ready", order_id, buyer, {**part, "state": "ready"}))
    publish(
        amqp_uri,
        vendor_order_event(
            "vendor_order_cancelled", order_id, buyer, {**part, "state": "cancelled"}, reason="Sold out", by="vendor"
        ),
    )
    publish(amqp_uri, vendor_order_event("order_expired", order_id, buyer, {**part, "state": "expired"}))

    to_vendor = wait_for(lambda: running_smtp.messages_to("team@buch-lindenau.example"), message="the vendor mail")
    assert to_vendor[0]["Subject"] == f"Neue Bestellung {part['vendor_order_id']} (1 Position)"
    text, _ = parts(to_vendor[0])
    assert "Anna Schmidt" in text and buyer["email"] in text and "Abholcode: K7Q2" in text

    to_shopper = wait_for(
        lambda: (lambda mails: mails if len(mails) == 4 else None)(running_smtp.messages_to(buyer["email"])),
        message="four shopper mails",
    )
    subjects = sorted(mail["Subject"] for mail in to_shopper)
    assert subjects == sorted(
        [
            f"We have received your order {order_id}",
            "Ready for pickup: your order at Buchhandlung Lindenau",
            "Cancelled: your order at Buchhandlung Lindenau",
            "Expired: your reservation at Buchhandlung Lindenau",
        ]
    )
    cancelled = next(mail for mail in to_shopper if mail["Subject"].startswith("Cancelled"))
    assert "Reason: Sold out" in parts(cancelled)[0]


def test_a_redelivered_event_sends_one_mail_per_recipient(
    start_service, running_smtp, register_vendor, amqp_uri, notification_log, webhook_receiver
):
    start_service()
    shop = vendor(webhook_url=webhook_receiver.url())
    register_vendor(shop)
    buyer = shopper("de")
    emails_before = completed_deliveries("email_order_placed")
    hooks_before = completed_deliveries("webhook_order_placed")

    placed = publish(amqp_uri, order_placed(buyer, vendor_order(shop)), copies=3)

    wait_for(lambda: completed_deliveries("email_order_placed") - emails_before == 3, message="3 copies handled")
    wait_for(lambda: completed_deliveries("webhook_order_placed") - hooks_before == 3, message="3 copies handled")
    assert len(running_smtp.messages_to(buyer["email"])) == 1
    assert len(running_smtp.messages_to(shop["contact_email"])) == 1
    assert len(webhook_receiver.requests) == 1
    log = notification_log(placed.data["order_id"])
    assert sorted((e["channel"], e["template"], e["status"]) for e in log) == [
        ("email", "order_confirmation", "sent"),
        ("email", "vendor_new_order", "sent"),
        ("webhook", "order_placed", "sent"),
    ]
    assert list_dead_letters(amqp_uri, "notifications") == []


def test_mail_held_while_the_smtp_server_is_down_goes_out_once_it_is_back(
    start_service, smtp_sink, register_vendor, amqp_uri, notification_log
):
    # the retry budget (0.2+0.4+0.8+1.6+3.2+6.4 s) is far longer than the outage, which ends after the first failure
    start_service(RETRY_DELAYS=[0.2, 0.4, 0.8, 1.6, 3.2, 6.4])
    shop = vendor(contact_email=None)
    register_vendor(shop)
    buyer = shopper("de")
    part = vendor_order(shop, state="ready")
    ready = publish(amqp_uri, vendor_order_event("vendor_order_ready", unique("o"), buyer, part))
    order_id = ready.data["order_id"]

    failed = wait_for(
        lambda: [e for e in notification_log(order_id) if e["status"] == "retrying"], message="a failed attempt"
    )
    assert "unavailable" in failed[0]["error"]
    smtp_sink.start()

    wait_for(lambda: [e for e in notification_log(order_id) if e["status"] == "sent"], message="the mail sent")
    [mail] = smtp_sink.messages_to(buyer["email"])
    assert mail["Subject"] == "Abholbereit: deine Bestellung bei Buchhandlung Lindenau"
    assert notification_log(order_id)[0]["attempts"] >= 2
    assert list_dead_letters(amqp_uri, "notifications") == []


def test_without_smtp_settings_mail_goes_to_a_maildir_under_var(
    start_service, register_vendor, amqp_uri, tmp_path, monkeypatch
):
    monkeypatch.setenv("MARKTPLATZ_VAR", str(tmp_path / "var"))
    start_service(MAIL_TRANSPORT="maildir")
    shop = vendor(contact_email=None)
    register_vendor(shop)
    buyer = shopper("en")
    publish(amqp_uri, order_placed(buyer, vendor_order(shop)))

    new_mail = tmp_path / "var" / "mail" / "new"
    wait_for(lambda: new_mail.is_dir() and len(list(new_mail.iterdir())) == 1, message="a message in var/mail/new")
    [message] = mailbox.Maildir(str(tmp_path / "var" / "mail"), create=False).values()
    assert message["To"] == buyer["email"]
    assert message["Subject"].startswith("We have received your order")
    assert message.is_multipart()


def test_an_order_for_a_shop_not_known_yet_waits_for_the_shop_then_mails_and_calls_it_once(
    start_service, running_smtp, register_vendor, amqp_uri, notification_log, webhook_receiver
):
    start_service(RETRY_DELAYS=[0.3, 0.6, 1.2, 2.4, 4.8])
    shop = vendor(contact_email="team@neu-lindenau.example", webhook_url=webhook_receiver.url())
    buyer = shopper("de")
    labels = {"service": "notifications", "entrypoint": "email_order_placed", "kind": "event"}

    def waits():
        return REGISTRY.get_sample_value("marktplatz_entrypoint_errors_total", {**labels, "error": "ShopNotKnownYet"})

    before = waits() or 0
    placed = publish(amqp_uri, order_placed(buyer, vendor_order(shop)))  # before the shop's vendor_registered
    order_id = placed.data["order_id"]
    wait_for(lambda: (waits() or 0) > before, message="the order event held back for its shop")
    assert running_smtp.messages_to(buyer["email"]) == [] and webhook_receiver.requests == []

    register_vendor(shop)

    wait_for(lambda: running_smtp.messages_to("team@neu-lindenau.example"), message="the shop's mail")
    [to_shopper] = wait_for(lambda: running_smtp.messages_to(buyer["email"]), message="the shopper's mail")
    assert "Marktplatz 3" in parts(to_shopper)[0], "the shop's address, known only from its registration"
    wait_for(lambda: webhook_receiver.requests, message="the shop's webhook")
    log = wait_for(lambda: (lambda e: e if len(e) == 3 else None)(notification_log(order_id)), message="3 sent")
    assert sorted((e["channel"], e["template"], e["status"]) for e in log) == [
        ("email", "order_confirmation", "sent"),
        ("email", "vendor_new_order", "sent"),
        ("webhook", "order_placed", "sent"),
    ]
    assert len(webhook_receiver.requests) == 1
    assert list_dead_letters(amqp_uri, "notifications") == []
