"""Reliable event handling against the real broker: retries, dead letters, duplicates, malformed input."""

import json
import socket
import subprocess
import time
import uuid

from kombu import Connection, Producer, Queue
from probe import effect_counts, withdraw

from marktplatz_shared.broker import event_exchange
from marktplatz_shared.db import make_engine
from marktplatz_shared.dead_letters import list_dead_letters, replay_dead_letters
from marktplatz_shared.events import new_event
from marktplatz_shared.outbox import Relay
from marktplatz_shared.testing import wait_for


def publish_raw(amqp_uri, body, content_type="application/json", routing_key="product_withdrawn"):
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel())
        exchange = event_exchange("catalog")
        exchange.declare(channel=producer.channel)
        producer.publish(
            body,
            exchange=exchange,
            routing_key=routing_key,
            content_type=content_type,
            content_encoding="utf-8",
            delivery_mode=2,
            retry=False,
        )


def publish_event(amqp_uri, sku):
    event = new_event("catalog", "product_withdrawn", {"vendor_id": "v-probe", "sku": sku}, "corr-" + sku)
    publish_raw(amqp_uri, json.dumps(event.to_message()))
    return event


def sku(prefix="ok"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_an_event_has_one_effect_and_carries_its_correlation_id(consumer, consumer_db, amqp_uri):
    item = sku()
    publish_event(amqp_uri, item)
    wait_for(lambda: effect_counts(consumer_db).get(item) == 1, message="the effect")
    with consumer_db.connect() as conn:
        assert conn.exec_driver_sql("select correlation_id from probe_effects").scalar() == "corr-" + item


def test_a_duplicate_delivery_has_no_second_effect(consumer, consumer_db, amqp_uri):
    item = sku()
    event = new_event("catalog", "product_withdrawn", {"vendor_id": "v-probe", "sku": item}, "c")
    for _ in range(3):
        publish_raw(amqp_uri, json.dumps(event.to_message()))
    marker = sku()
    publish_event(amqp_uri, marker)  # handled after the duplicates: once it is in, they were all seen
    wait_for(lambda: effect_counts(consumer_db).get(marker) == 1, message="the marker event")
    wait_for(lambda: effect_counts(consumer_db).get(item) == 1, message="the duplicated event")
    assert list_dead_letters(amqp_uri, "probe") == []


def test_a_handler_failing_twice_then_succeeding_has_one_effect(consumer, consumer_db, amqp_uri):
    item = sku("fail-twice")
    publish_event(amqp_uri, item)
    wait_for(lambda: effect_counts(consumer_db).get(item) == 1, message="the effect after two retries")
    with consumer_db.connect() as conn:
        assert conn.exec_driver_sql("select count from probe_attempts").scalar() == 3
    assert list_dead_letters(amqp_uri, "probe") == []


def test_a_handler_that_always_fails_ends_in_dead_letters_and_replay_delivers_it_again(consumer, consumer_db, amqp_uri):
    item = sku("always-fail")
    event = publish_event(amqp_uri, item)
    letters = wait_for(lambda: list_dead_letters(amqp_uri, "probe"), message="a dead letter")
    assert len(letters) == 1
    letter = letters[0]
    assert letter.reason == "failed"
    assert f"RuntimeError: cannot handle {item}" in letter.error
    assert letter.attempts == 4  # the first try and three retries
    assert letter.message_id == event.event_id
    assert letter.queue == "evt-catalog-product_withdrawn--probe.on_product_withdrawn"
    assert effect_counts(consumer_db).get(item) is None

    def tries():
        with consumer_db.connect() as conn:
            return conn.exec_driver_sql("select count from probe_attempts").scalar()

    assert replay_dead_letters(amqp_uri, "probe", letter.message_id) == 1
    wait_for(lambda: tries() == 8, message="the replayed message to be tried again")
    wait_for(lambda: len(list_dead_letters(amqp_uri, "probe")) == 1, message="the message back in dead letters")


def test_malformed_and_invalid_messages_are_dead_lettered_and_the_consumer_goes_on(consumer, consumer_db, amqp_uri):
    publish_raw(amqp_uri, "{not json")
    publish_raw(amqp_uri, "plain text", content_type="text/plain")
    invalid = new_event("catalog", "product_withdrawn", {"vendor_id": "v-probe", "sku": "x"}, "c").to_message()
    invalid["data"] = {"vendor_id": "v-probe"}  # sku missing
    publish_raw(amqp_uri, json.dumps(invalid))
    good = sku()
    publish_event(amqp_uri, good)

    wait_for(lambda: effect_counts(consumer_db).get(good) == 1, message="the valid event after the bad ones")
    letters = wait_for(
        lambda: (lambda ls: ls if len(ls) == 3 else None)(list_dead_letters(amqp_uri, "probe")),
        message="three dead letters",
    )
    reasons = sorted(letter.reason for letter in letters)
    assert reasons == ["invalid", "undecodable", "undecodable"]
    invalid_letter = next(letter for letter in letters if letter.reason == "invalid")
    assert "product_withdrawn" in invalid_letter.error and "data.sku" in invalid_letter.error
    assert all(letter.message_id for letter in letters)


def test_events_through_the_outbox_are_published_in_order_and_handled_once(
    consumer, consumer_db, amqp_uri, producer_db_url
):
    engine = make_engine(producer_db_url)
    with Connection(amqp_uri) as conn:
        tap = Queue("tap", exchange=event_exchange("catalog"), routing_key="#", durable=False)
        tap(conn.channel()).declare()
        items = [sku() for _ in range(20)]
        for item in items:
            withdraw(engine, item)
        relay = Relay(engine, amqp_uri, "catalog")
        assert relay.drain() == 20
        assert relay.update_gauges() == (0, 0.0)
        relay.close()
        channel = conn.channel()
        published = []
        while (message := channel.basic_get("tap", no_ack=True)) is not None:
            published.append(json.loads(message.body)["data"]["sku"])
    assert published == items
    wait_for(lambda: all(effect_counts(consumer_db).get(i) == 1 for i in items), message="all effects")


def test_the_dead_letters_cli_lists_shows_and_replays(consumer, amqp_uri, capsys):
    from marktplatz_shared.dead_letters import main

    assert main(["--service", "probe", "--amqp-uri", amqp_uri, "list"]) == 0
    assert "0 dead letter(s)" in capsys.readouterr().out
    event = publish_event(amqp_uri, sku("always-fail"))
    wait_for(lambda: list_dead_letters(amqp_uri, "probe"), message="a dead letter")

    assert main(["--service", "probe", "--amqp-uri", amqp_uri, "list"]) == 0
    listing = capsys.readouterr().out
    assert "1 dead letter(s)" in listing and event.event_id in listing and "failed" in listing
    assert main(["--service", "probe", "--amqp-uri", amqp_uri, "show", event.event_id]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["body"] and json.loads(shown["body"])["event_id"] == event.event_id
    assert main(["--service", "probe", "--amqp-uri", amqp_uri, "show", "no-such-id"]) == 1
    assert main(["--service", "probe", "--amqp-uri", amqp_uri, "replay", "--all"]) == 0
    assert "replayed 1 dead letter(s)" in capsys.readouterr().out


def test_with_quorum_queues_handling_retries_and_dead_letters_work_alike(
    container_factory, consumer_config, consumer_db, amqp_uri
):
    from probe import ProbeConsumer

    container_factory(ProbeConsumer, dict(consumer_config, QUEUE_TYPE="quorum")).start()
    good, bad = sku(), sku("always-fail")
    publish_event(amqp_uri, good)
    publish_event(amqp_uri, bad)
    wait_for(lambda: effect_counts(consumer_db).get(good) == 1, message="the effect")
    wait_for(lambda: list_dead_letters(amqp_uri, "probe"), message="the dead letter")
    vhost = amqp_uri.rsplit("/", 1)[1]
    listing = subprocess.run(
        ["rabbitmqctl", "list_queues", "-p", vhost, "name", "type", "--no-table-headers"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    types = dict(line.split() for line in listing.splitlines() if line.strip() and "\t" in line)
    assert types["evt-catalog-product_withdrawn--probe.on_product_withdrawn"] == "quorum"
    assert types["probe.dead-letters"] == "quorum"


def test_a_permanent_failure_is_dead_lettered_at_once_without_retries(consumer, consumer_db, amqp_uri):
    item = sku("permanent")
    publish_event(amqp_uri, item)
    letters = wait_for(lambda: list_dead_letters(amqp_uri, "probe"), message="a dead letter")
    assert letters[0].attempts == 1
    assert f"PermanentFailure: {item} can never be handled" in letters[0].error
    with consumer_db.connect() as conn:
        assert conn.exec_driver_sql("select count from probe_attempts").scalar() == 1


def test_a_consumer_loop_that_stops_without_an_error_is_started_again_and_nothing_is_lost(
    consumer, consumer_db, amqp_uri, monkeypatch
):
    import eventlet

    from marktplatz_shared import consumer as reliable

    queue_consumer = next(e for e in consumer.extensions if type(e).__name__ == "ReliableQueueConsumer")
    first = sku("before")
    publish_event(amqp_uri, first)
    wait_for(lambda: effect_counts(consumer_db).get(first) == 1, message="handled before the stall")

    stuck = eventlet.event.Event()
    original = type(queue_consumer).on_iteration
    calls = {"n": 0}

    def stall_once(self):
        calls["n"] += 1
        if calls["n"] == 1:
            stuck.wait()  # the loop stops here, no error, no reconnect: what was seen after broker restarts
        return original(self)

    monkeypatch.setattr(type(queue_consumer), "on_iteration", stall_once)
    wait_for(lambda: calls["n"] >= 1, message="the loop stalled")
    restarts = reliable.CONSUMER_RESTARTS.labels("probe")._value.get()
    monkeypatch.setattr(reliable, "CONSUMER_STALL_SECONDS", 3.0)  # only now: a healthy loop is never restarted
    during = sku("during")
    publish_event(amqp_uri, during)
    wait_for(lambda: effect_counts(consumer_db).get(during) == 1, timeout=20, message="handled after the restart")
    assert reliable.CONSUMER_RESTARTS.labels("probe")._value.get() > restarts


def test_a_consumer_whose_connection_broke_under_an_ack_consumes_again_on_a_new_one(consumer, consumer_db, amqp_uri):
    """Seen after RabbitMQ restarts: a worker's ack hit the broken socket first (py-amqp then marks the
    connection not connected and the error is tolerated), and kombu's drain silently opened a new connection
    without the consumers: the loop turned on, the queue filled. The loop must notice and set up again."""
    queue_consumer = next(e for e in consumer.extensions if type(e).__name__ == "ReliableQueueConsumer")
    first = sku("before")
    publish_event(amqp_uri, first)
    wait_for(lambda: effect_counts(consumer_db).get(first) == 1, message="handled before the break")
    kombu_consumer = next(iter(queue_consumer._consumers.values()))
    broken = kombu_consumer.channel.connection
    broken._transport.connected = False  # what py-amqp's transport does when a write fails with EPIPE
    time.sleep(2.5)  # the loop drains with a 1 s timeout: it turns past the break at least once
    if broken._transport.sock is not None:  # and the broker sees the old connection go, as after its restart
        broken._transport.sock.shutdown(socket.SHUT_RDWR)
    after = sku("after")
    publish_event(amqp_uri, after)
    wait_for(lambda: effect_counts(consumer_db).get(after) == 1, timeout=20, message="handled after the break")
    assert next(iter(queue_consumer._consumers.values())).channel.connection is not broken


def test_the_diagnostics_dump_shows_each_queue_consumer_and_the_stacks(consumer, amqp_uri, capfd):
    import os
    import signal

    import eventlet

    os.kill(os.getpid(), signal.SIGUSR1)  # what an operator does: kill -USR1 <service pid>
    eventlet.sleep(0.2)
    text = capfd.readouterr().err
    state = next(line for line in text.splitlines() if line.startswith("--- ReliableQueueConsumer of probe"))
    assert "evt-catalog-product_withdrawn--probe.on_product_withdrawn" in state, state
    assert "connected True" in state and "channel open True" in state, state
    assert "--- greenlet" in text and "drain_events" in text


def test_listing_dead_letters_waits_while_a_quorum_queue_s_process_starts():
    """RabbitMQ refuses a basic.get on a quorum queue whose process is not up yet (just declared, or after a
    restart) with INTERNAL_ERROR "noproc"; the dead-letter tools try again for a moment, other errors at once."""
    import pytest
    from amqp.exceptions import InternalError

    from marktplatz_shared.dead_letters import while_queue_starts

    tries = []

    def starting():
        tries.append(1)
        if len(tries) < 3:
            raise InternalError("Basic.get: (541) INTERNAL_ERROR - Cannot get a message from queue: noproc")
        return ["letter"]

    assert while_queue_starts(starting) == ["letter"] and len(tries) == 3
    with pytest.raises(InternalError, match="noproc"):
        while_queue_starts(lambda: (_ for _ in ()).throw(InternalError("noproc")), wait=0.3)
    tries.clear()

    def broken():
        tries.append(1)
        raise InternalError("something else")

    with pytest.raises(InternalError, match="something else"):
        while_queue_starts(broken)
    assert len(tries) == 1
