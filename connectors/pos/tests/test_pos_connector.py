"""The POS connector against the real broker: confirmed batches, a broker restart mid-push, the watch folder."""

import json
import os
import subprocess
import sys

import pytest
from kombu import Connection, Queue

from marktplatz_pos.exports import ExportError, parse_export
from marktplatz_pos.publisher import StockPublisher
from marktplatz_pos.watcher import watch
from marktplatz_shared.broker import event_exchange
from marktplatz_shared.events import parse_event
from marktplatz_shared.testing import restart_rabbitmq, wait_for


@pytest.fixture
def pos_queue(amqp_uri):
    """A durable queue on pos.events, declared the way the catalog's consumer declares it."""
    queue = Queue("test-pos-inbox", exchange=event_exchange("pos"), routing_key="#", durable=True)
    with Connection(amqp_uri) as conn:
        queue(conn.channel()).declare()
    return queue


def drain(amqp_uri, queue):
    messages = []
    with Connection(amqp_uri) as conn:
        bound = queue(conn.channel())
        while (message := bound.get(no_ack=True)) is not None:
            messages.append(message)
    return messages


def report_lines(count, sequence=1):
    return [{"sku": f"SKU-{i:05d}", "quantity": i % 7, "sequence": sequence} for i in range(count)]


def test_an_export_is_pushed_as_confirmed_persistent_pos_events_from_the_connection_user(amqp_uri, pos_queue):
    with StockPublisher(amqp_uri, "v-lin-03", batch_size=100) as publisher:
        result = publisher.push("report", report_lines(250))
    assert (result.lines, result.messages) == (250, 3)
    messages = drain(amqp_uri, pos_queue)
    events = [parse_event(json.loads(m.body), producer="pos", event_type="stock_reported") for m in messages]
    assert [len(e.data["lines"]) for e in events] == [100, 100, 50]
    assert {e.data["vendor_id"] for e in events} == {"v-lin-03"}
    assert [m.properties["message_id"] for m in messages] == result.event_ids == [e.event_id for e in events]
    assert {(m.properties["user_id"], m.properties["delivery_mode"], m.content_type) for m in messages} == {
        ("guest", 2, "application/json")
    }


def test_a_push_survives_a_broker_restart_in_the_middle_and_every_line_arrives(amqp_uri, pos_queue):
    restarted = []

    def restart_after_second_batch(index, _count):
        if index == 1 and not restarted:
            restart_rabbitmq()
            restarted.append(True)

    lines = report_lines(1000, sequence=5)
    with StockPublisher(
        amqp_uri, "v-lin-03", batch_size=100, retry_for=120, on_confirmed=restart_after_second_batch
    ) as publisher:
        result = publisher.push("report", lines)
    assert restarted and result.lines == 1000 and result.reconnects >= 1
    messages = wait_for(lambda: drain(amqp_uri, pos_queue), timeout=30, message="the pushed messages")
    arrived = {json.loads(m.body)["event_id"]: json.loads(m.body)["data"]["lines"] for m in messages}
    assert set(result.event_ids) <= set(arrived)  # a batch unconfirmed at the restart may arrive twice: same id
    assert sorted(line["sku"] for eid in result.event_ids for line in arrived[eid]) == sorted(x["sku"] for x in lines)


def test_a_bad_export_names_every_bad_line_and_nothing_is_sent():
    text = "sku;quantity;sequence\nA;3;1\nB;-1;1\nC;drei;1\n;4;1\nD;1\n"
    with pytest.raises(ExportError) as caught:
        parse_export(text, "report")
    assert caught.value.problems == [
        "line 3: quantity: Must be greater than or equal to 0.",
        "line 4: quantity: not a whole number: 'drei'",
        "line 5: sku: Missing data for required field.",
        "line 6: 2 fields, the header has 3",
    ]
    with pytest.raises(ExportError, match="needs the column"):
        parse_export("sku,delta\nA,1\n", "adjust")


def test_a_report_without_sequences_takes_the_export_time():
    assert parse_export("sku,quantity\nA,3\n", "report", default_sequence=1700) == [
        {"sku": "A", "quantity": 3, "sequence": 1700}
    ]


def test_watch_moves_each_export_to_done_or_failed_with_a_reason(amqp_uri, pos_queue, tmp_path):
    (tmp_path / "morning.csv").write_text("sku,quantity,sequence\nA,3,1\nB,4,1\n")
    (tmp_path / "sales.adjust.csv").write_text("sku,delta,sequence,reason\nA,-1,2,sale\n")
    (tmp_path / "broken.csv").write_text("sku,quantity,sequence\nA,-3,1\n")
    with StockPublisher(amqp_uri, "v-lin-03") as publisher:
        outcome = watch(str(tmp_path), publisher, once=True)
    assert sorted(outcome.done) == ["morning.csv", "sales.adjust.csv"] and outcome.failed == ["broken.csv"]
    assert sorted(os.listdir(tmp_path / "done")) == ["morning.csv", "sales.adjust.csv"]
    assert "line 2: quantity" in (tmp_path / "failed" / "broken.csv.reason.txt").read_text()
    types = sorted(m.delivery_info["routing_key"] for m in drain(amqp_uri, pos_queue))
    assert types == ["stock_adjusted", "stock_reported"]


def test_the_command_line_pushes_a_file_and_says_what_was_confirmed(amqp_uri, pos_queue, tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("sku,quantity,sequence\nA,3,1\nB,4,1\n")
    cli = os.path.join(os.path.dirname(sys.executable), "marktplatz-pos")
    done = subprocess.run(
        [cli, "--amqp-uri", amqp_uri, "push", "--vendor", "v-lin-03", "--file", str(export)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "sent 2 lines (report) in 1 messages, all confirmed" in done.stdout
    assert len(drain(amqp_uri, pos_queue)) == 1
