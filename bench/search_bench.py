"""Search benchmark: ``make bench-search`` (or ``python -m bench.search_bench [sizes...]``).

Builds seeded synthetic German catalogues (100k and 1M products by default) through the indexing pipeline
into a tantivy index and prints build docs/s, index size and p50/p99 latency of mixed queries (text,
filters, facets, distance, typos) at the backend.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime

from search.adapters.tantivy_backend import TantivyBackend
from search.domain.vendors import Vendor
from search.indexing import IndexingPipeline
from search.querying import search
from search.vendor_directory import VendorDirectory

SEED = 20250514
NOUNS = [
    "Jacke",
    "Helm",
    "Schloss",
    "Tasche",
    "Lampe",
    "Schuh",
    "Brot",
    "Kaffee",
    "Tee",
    "Buch",
    "Stift",
    "Schal",
    "Mütze",
    "Hose",
    "Becher",
    "Teller",
    "Messer",
    "Kissen",
    "Decke",
    "Ball",
    "Puppe",
    "Uhr",
    "Kabel",
    "Akku",
]
PREFIXES = [
    "Regen",
    "Fahrrad",
    "Kinder",
    "Winter",
    "Sommer",
    "Garten",
    "Küchen",
    "Leder",
    "Holz",
    "Bio",
    "Woll",
    "Sport",
    "Reise",
    "Haus",
    "Berg",
    "Wander",
    "Schul",
    "Büro",
    "Strand",
    "Hunde",
]
ADJ = ["rot", "blau", "grün", "gelb", "schwarz", "weiß", "grau", "braun", "groß", "klein", "leicht", "wasserdicht"]
BRANDS = ["Abus", "Weleda", "Lamy", "Lego", "Vaude", "Jack Wolfskin", "Tchibo", "Bosch", "Fissler", "WMF"]
CATS = [
    "Mode > Damen > Jacken",
    "Mode > Herren > Jacken",
    "Sport & Freizeit > Fahrrad",
    "Lebensmittel > Backwaren",
    "Haushalt > Küche",
    "Bücher > Romane",
    "Spielwaren > Holzspielzeug",
    "Elektronik > Beleuchtung",
    "Garten > Gartengeräte",
    "Schreibwaren > Büro",
]
QUERIES = [
    "regenjacke",
    "jacke regen",
    "fahrradhelm",
    "kinder buch",
    "holz spielzeug",
    "kaffee",
    "lampe",
    "abus",
    "wasserdichte tasche",
    "fahradhelm",
    "regenjake",
    "schwarz schuh",
    "bio brot",
    "wanderschuhe",
    "becher",
]


def vendors(n: int, rng: random.Random) -> list[Vendor]:
    return [
        Vendor(
            f"v{i}",
            f"Laden {i}",
            50.0 + rng.random(),
            9.0 + rng.random(),
            opening_hours={d: [["09:00", "18:00"]] for d in ("mo", "tu", "we", "th", "fr", "sa")},
            fulfilment=("pickup",) if i % 2 else ("pickup", "delivery"),
        )
        for i in range(n)
    ]


def product(i: int, rng: random.Random, n_vendors: int) -> dict:
    noun, prefix = rng.choice(NOUNS), rng.choice(PREFIXES)
    title = f"{rng.choice(ADJ).capitalize()} {prefix}{noun.lower()} {rng.choice(BRANDS)} Modell {i % 997}"
    return {
        "vendor_id": f"v{rng.randrange(n_vendors)}",
        "sku": f"S{i}",
        "gtin": f"{4000000000000 + i}",
        "title": title,
        "description": f"{noun} aus {rng.choice(ADJ)}em Material für {prefix} und Alltag.",
        "brand": rng.choice(BRANDS),
        "category": rng.choice(CATS),
        "price": f"{rng.uniform(1, 300):.2f}",
        "attributes": {"farbe": rng.choice(ADJ)},
        "available": rng.choice([0, 1, 3, 10]),
    }


def mixed_query(rng: random.Random) -> dict:
    q = {"q": rng.choice(QUERIES), "per_page": 20}
    kind = rng.randrange(5)
    if kind == 1:
        q.update(in_stock=True, price_max=100)
    elif kind == 2:
        q.update(category="Mode")
    elif kind == 3:
        q.update(lat=50.5, lon=9.5, max_km=30)
    elif kind == 4:
        q.update(lat=50.5, lon=9.5, sort="distance", facets=False)
    return q


def run(size: int) -> None:
    rng = random.Random(SEED)
    n_vendors = max(25, size // 500)
    directory = VendorDirectory(vendors(n_vendors, rng))
    with tempfile.TemporaryDirectory(prefix="bench-search-") as path:
        backend = TantivyBackend(path, writer_threads=2)
        pipeline = IndexingPipeline(backend, max_batch=10**9)
        at = datetime.now(UTC)
        started = time.perf_counter()
        for i in range(size):
            pipeline.product_upserted(product(i, rng, n_vendors), at)
            if len(pipeline._pending.docs) >= 50_000:
                pipeline.flush()
        pipeline.flush()
        build = time.perf_counter() - started
        stats = backend.stats()
        latencies = []
        for _ in range(50):
            search(mixed_query(rng), backend, directory)
        for _ in range(1000):
            q = mixed_query(rng)
            t = time.perf_counter()
            search(q, backend, directory)
            latencies.append((time.perf_counter() - t) * 1000)
        latencies.sort()
        print(
            f"| {size:>9,} | {size / build:>10,.0f} | {stats['size_bytes'] / 1e6:>8.1f} MB | "
            f"{statistics.median(latencies):>7.2f} | {latencies[int(len(latencies) * 0.99)]:>7.2f} |",
            flush=True,
        )
        backend.close()


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100_000, 1_000_000]
    print("| products  | build docs/s | index size | p50 ms | p99 ms |  (tantivy backend, mixed queries)")
    print("|-----------|--------------|------------|--------|--------|")
    for size in sizes:
        run(size)


if __name__ == "__main__":
    main(sys.argv[1:])
