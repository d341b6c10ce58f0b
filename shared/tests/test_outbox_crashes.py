"""The outbox under crashes: SIGKILL between commit and publish, and a broker restart while the relay runs."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import eventlet
import pytest
from probe import effect_counts, withdraw
from sqlalchemy import func, select

from marktplatz_shared.db import make_engine, outbox_table
from marktplatz_shared.outbox import Relay
from marktplatz_shared.testing import restart_rabbitmq, wait_for

HERE = Path(__file__).parent


def run_producer(db_url, amqp_uri, sku, moment):
    env = dict(os.environ, PYTHONPATH=str(HERE))
    return subprocess.Popen(
        [sys.executable, str(HERE / "outbox_producer_process.py"), db_url, amqp_uri, sku, moment],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def unsent(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).where(outbox_table.c.sent_at.is_(None))).scalar()


@pytest.mark.parametrize("moment", ["before-publish", "after-publish"])
def test_an_event_has_exactly_one_effect_when_the_producer_is_killed(
    moment, consumer, consumer_db, amqp_uri, producer_db_url
):
    sku = f"ok-{uuid.uuid4().hex[:8]}"
    process = run_producer(producer_db_url, amqp_uri, sku, moment)
    assert process.stdout.readline().strip() == "committed"
    if moment == "before-publish":
        process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL

    engine = make_engine(producer_db_url)
    assert unsent(engine) == 1  # the event survived the crash in the outbox
    relay = Relay(engine, amqp_uri, "catalog")  # the restarted producer's relay
    assert relay.drain() == 1
    relay.close()

    wait_for(lambda: effect_counts(consumer_db).get(sku) == 1, message="the effect")
    if moment == "after-publish":
        # the event went out twice; the second copy must not have been applied
        def both_copies_handled():
            with consumer_db.connect() as conn:
                return conn.exec_driver_sql("select count from probe_attempts").scalar() == 2

        wait_for(both_copies_handled, message="the duplicate delivery to be seen")
    assert effect_counts(consumer_db) == {sku: 1}


def test_every_event_has_one_effect_when_rabbitmq_restarts_while_the_relay_runs(
    producer, consumer, consumer_db, amqp_uri, producer_db_url
):
    engine = make_engine(producer_db_url)
    skus = [f"ok-{uuid.uuid4().hex[:8]}" for _ in range(60)]
    for sku in skus[:20]:
        withdraw(engine, sku)
    wait_for(lambda: len(effect_counts(consumer_db)) == 20, message="the first events")

    restart = eventlet.spawn(restart_rabbitmq)
    for sku in skus[20:40]:  # recorded while the broker goes down and comes back
        withdraw(engine, sku)
        eventlet.sleep(0.05)
    restart.wait()
    for sku in skus[40:]:
        withdraw(engine, sku)

    wait_for(lambda: len(effect_counts(consumer_db)) == 60, timeout=90, message="all 60 effects after the restart")
    assert effect_counts(consumer_db) == {sku: 1 for sku in skus}
    wait_for(lambda: unsent(engine) == 0, message="the outbox to be empty")
