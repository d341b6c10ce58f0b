#!/usr/bin/env bash
# Import the Lindenau demo region (demo-data/) into the running platform's catalog through the importer, which
# goes through the same handlers as single writes; the running catalog publishes the events from its outbox.
# Running it again changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-$ROOT/.venv}
VAR=${MARKTPLATZ_VAR:-$ROOT/var}
export CATALOG_DATABASE_URL=${CATALOG_DATABASE_URL:-sqlite:///$VAR/catalog.db}
"$VENV/bin/python" -W ignore -m catalog.importer \
  --vendors "$ROOT/demo-data/vendors.jsonl" --products "$ROOT/demo-data/products.jsonl"

# Where to point a browser or curl, once search has indexed the region (the relay and indexer run behind the import)
URL="http://${GATEWAY_HOST:-127.0.0.1}:${GATEWAY_PORT:-8000}"
"$VENV/bin/python" - "$URL" <<'PY'
import json, sys, time, urllib.request
url = sys.argv[1] + "/v1/search?q=regenjacke&lat=50.4790&lon=9.5230&sort=distance&max_km=5"
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        if json.load(urllib.request.urlopen(url, timeout=5))["total"] > 0:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit("search did not show the demo region within 120 s: see var/log/search.log")
PY
cat <<TXT

Marktplatz Lindenau is running: $URL   (API docs: $URL/docs, OpenAPI: $URL/openapi.json)

  # search near the town centre, nearest first
  curl '$URL/v1/search?q=regenjacke&lat=50.4790&lon=9.5230&sort=distance&max_km=5'

  # a product's availability in its shop and in every other shop that lists it
  curl '$URL/v1/products/v-lin-01/SW-64735'

  # a checkout (click & collect); the Idempotency-Key makes a repeated request return the same order
  curl -X POST '$URL/v1/checkout' -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-checkout-1' \\
    -d '{"shopper": {"name": "Anna Demo", "email": "anna@example.de"},
         "lines": [{"vendor_id": "v-lin-01", "sku": "SW-64735", "quantity": 1}],
         "fulfilment": {"v-lin-01": {"method": "pickup"}}}'

E-mails land in ${VAR#"$ROOT"/}/mail/new/, logs in ${VAR#"$ROOT"/}/log/. \`make down\` stops everything.
TXT
