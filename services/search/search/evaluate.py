"""Relevance evaluation: ``python -m search.evaluate --catalog DIR`` (format: demo-data/README.md).

Loads DIR/vendors.jsonl and DIR/products.jsonl into a fresh embedded index (the bulk load of the indexing code
the service uses), runs DIR/queries.jsonl through the search use case, prints nDCG@10 per query and, last,
``nDCG@10=<mean> zero_result_rate=<rate> queries=<n>``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime

from .adapters.tantivy_backend import TantivyBackend
from .domain.vendors import Vendor
from .indexing import bulk_load
from .querying import search
from .vendor_directory import VendorDirectory

#: a fixed instant, so that evaluation runs are repeatable
EVALUATED_AT = datetime(2025, 5, 14, 10, 0, tzinfo=UTC)


def ndcg_at_10(ranking: list[str], relevant: dict[str, int]) -> float:
    """The reference implementation of demo-data/README.md."""
    seen, ranked = set(), []
    for pid in ranking:
        if pid not in seen:
            seen.add(pid)
            ranked.append(pid)
    dcg = sum((2 ** relevant.get(pid, 0) - 1) / math.log2(i + 2) for i, pid in enumerate(ranked[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg


@dataclass
class Evaluation:
    per_query: list[tuple[str, str, float, int]]  # id, q, nDCG@10, hits

    @property
    def ndcg(self) -> float:
        return sum(s for _i, _q, s, _n in self.per_query) / len(self.per_query)

    @property
    def zero_result_rate(self) -> float:
        return sum(1 for *_rest, n in self.per_query if n == 0) / len(self.per_query)


def _jsonl(path: str):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_catalog(directory: str, index_dir: str) -> tuple[TantivyBackend, VendorDirectory]:
    backend = TantivyBackend(index_dir)
    vendors = VendorDirectory([Vendor.from_data(v) for v in _jsonl(os.path.join(directory, "vendors.jsonl"))])
    rows = []
    for row in _jsonl(os.path.join(directory, "products.jsonl")):
        data = {**row, "available": row.get("available", row.get("quantity", 0))}
        data.pop("quantity", None)
        rows.append(data)
    bulk_load(backend, rows, EVALUATED_AT)
    return backend, vendors


def query_of(row: dict) -> dict:
    query = {"q": row["q"], "per_page": 10, "facets": False}
    if "lat" in row and "lon" in row:
        query.update(lat=row["lat"], lon=row["lon"])
    query.update(row.get("filters") or {})
    return query


def evaluate(directory: str) -> Evaluation:
    with tempfile.TemporaryDirectory(prefix="search-eval-") as index_dir:
        backend, vendors = load_catalog(directory, index_dir)
        rows = []
        for row in _jsonl(os.path.join(directory, "queries.jsonl")):
            result = search(query_of(row), backend, vendors, now=EVALUATED_AT)
            ranking = [hit["id"] for hit in result["hits"]]
            rows.append((row["id"], row["q"], ndcg_at_10(ranking, row["relevant"]), len(ranking)))
        backend.close()
    return Evaluation(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True, help="directory with vendors.jsonl, products.jsonl, queries.jsonl")
    args = parser.parse_args(argv)
    result = evaluate(args.catalog)
    for query_id, q, score, hits in result.per_query:
        print(f"{query_id}\t{score:.4f}\thits={hits}\t{q}")
    print(f"nDCG@10={result.ndcg:.4f} zero_result_rate={result.zero_result_rate:.4f} queries={len(result.per_query)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
