"""Put the product index template (index-template.json beside this file) into Elasticsearch; exit 0 when done.

Run by the search-index-template Job with ELASTICSEARCH_URL, ES_PASSWORD and ELASTICSEARCH_CA_CERTS set;
retries until Elasticsearch answers, so it may start before the cluster is ready.
"""

import base64
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

TEMPLATE_NAME = "marktplatz-products"
DEADLINE_SECONDS = 600


def put_template(url: str, password: str, ca_file: str, body: bytes) -> int:
    context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    request = urllib.request.Request(f"{url.rstrip('/')}/_index_template/{TEMPLATE_NAME}", data=body, method="PUT")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", "Basic " + base64.b64encode(f"elastic:{password}".encode()).decode())
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return response.status


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "index-template.json"), "rb") as handle:
        body = handle.read()
    json.loads(body)  # refuse to send a broken template
    url = os.environ["ELASTICSEARCH_URL"]
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        try:
            status = put_template(url, os.environ["ES_PASSWORD"], os.environ.get("ELASTICSEARCH_CA_CERTS", ""), body)
            print(f"index template {TEMPLATE_NAME}: HTTP {status}")
            return 0
        except (urllib.error.URLError, OSError) as exc:
            if time.monotonic() > deadline:
                print(f"giving up: {exc}", file=sys.stderr)
                return 1
            print(f"Elasticsearch not ready ({exc}); retrying", file=sys.stderr)
            time.sleep(5)


if __name__ == "__main__":
    sys.exit(main())
