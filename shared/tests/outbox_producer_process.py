"""A producer process for the crash tests, killed with SIGKILL at the moment the test names.

python outbox_producer_process.py DB_URL AMQP_URI SKU before-publish
    commits the state change and its event, prints "committed", then waits to be killed (the relay
    never ran: the event exists only in the outbox)
python outbox_producer_process.py DB_URL AMQP_URI SKU after-publish
    commits, relays with confirms, and kills itself before marking the row sent (the event is on the
    broker and still unsent in the outbox, so it will be published again)
"""

import os
import signal
import sys
import time

from probe import withdraw

from marktplatz_shared.db import make_engine
from marktplatz_shared.outbox import Relay


class RelayDyingBeforeMarking(Relay):
    @staticmethod
    def _mark_sent(conn, rows):
        os.kill(os.getpid(), signal.SIGKILL)


def main(db_url, amqp_uri, sku, moment):
    engine = make_engine(db_url)
    withdraw(engine, sku)
    print("committed", flush=True)
    if moment == "before-publish":
        time.sleep(600)
    else:
        RelayDyingBeforeMarking(engine, amqp_uri, "catalog").relay_batch()


if __name__ == "__main__":
    main(*sys.argv[1:5])
