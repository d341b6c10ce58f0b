"""A worker process of the concurrency test: 10 real OS threads each reserve 1 unit once the go file exists.

Usage: reserve_concurrently.py DB_URL VENDOR SKU GO_FILE PREFIX  -> prints a JSON list of statuses
"""

import json
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from catalog import handlers
from catalog.bootstrap import database, engine_for

THREADS = 10


def main():
    url, vendor_id, sku, go_file, prefix = sys.argv[1:6]
    engine = engine_for(url)
    expires = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    statuses = [None] * THREADS

    def reserve(index):
        while not os.path.exists(go_file):
            time.sleep(0.005)
        result = handlers.reserve(
            database(engine), f"{prefix}-{index}", [{"vendor_id": vendor_id, "sku": sku, "quantity": 1}], expires
        )
        statuses[index] = result["status"]

    threads = [threading.Thread(target=reserve, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    with open(f"{go_file}.{prefix}.ready", "w") as ready:  # every thread is waiting for the go file now
        ready.write("ready")
    for thread in threads:
        thread.join()
    engine.dispose()
    print(json.dumps(statuses))


if __name__ == "__main__":
    main()
