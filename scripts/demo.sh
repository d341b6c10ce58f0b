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
