"""Search benchmark: ``make bench-search`` (or ``python -m bench.search_bench [sizes...]``).

Builds seeded synthetic German catalogues (100k and 1M products by default) with the indexing code's bulk
load into a tantivy index and prints build docs/s, index size and p50/p99 latency of mixed queries (text,
filters, facets, distance, typos) at the backend and through the search RPC: the search service started as
a ``nameko run`` process on a fresh RabbitMQ vhost over the built index, called with ClusterRpcProxy.
``--no-rpc`` measures the backend only.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from search.adapters.tantivy_backend import TantivyBackend
from search.domain.analysis import stems
from search.domain.fields import SCORED_FIELD
from search.domain.vendors import Vendor
from search.indexing import bulk_load
from search.querying import search
from search.vendor_directory import VendorDirectory

SERVICE_DIR = Path(__file__).resolve().parents[1] / "services" / "search"
VENV_BIN = Path(sys.executable).parent
BROKER_URI = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
WARMUP, MEASURED = 50, 1000
BREAKDOWN: list[tuple[int, dict[str, list[float]]]] = []

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
        q.update(_shopper(rng), max_km=30)
    elif kind == 4:
        q.update(_shopper(rng), sort="distance", facets=False)
    return q


def _shopper(rng: random.Random) -> dict:
    """Where a shopper stands: anywhere within about 11 km of the middle of the region, a new place each time,
    so that what a position costs (its distances, its shops' filter) is measured, not cached."""
    return {"lat": 50.5 + rng.uniform(-0.1, 0.1), "lon": 9.5 + rng.uniform(-0.15, 0.15)}


def kind_of(query: dict) -> str:
    """The kind mixed_query drew, for the breakdown."""
    if query.get("sort") == "distance":
        return "distance sort, no facets"
    if "max_km" in query:
        return "within 30 km, facets"
    if "category" in query:
        return "category filter, facets"
    if "in_stock" in query:
        return "in stock and price filter, facets"
    return "text, facets"


RAW_KIND = "raw tantivy, one query word's top 20, no filters, facets or Python (baseline)"


def raw_engine(backend: TantivyBackend, rounds: int = 1000) -> list[float]:
    """The same-run baseline: tantivy alone ranking one word of the benchmark's queries (a term query on the
    scored field, top 20 by BM25), timed like the queries, so that a slow hour of the machine shows as such."""
    import tantivy

    searcher, schema = backend.gen.searcher, backend.schema
    words = sorted({stem for q in QUERIES for stem in stems(q)})
    queries = [tantivy.Query.term_query(schema, SCORED_FIELD, words[i % len(words)]) for i in range(rounds)]
    return timed(lambda q: searcher.search(q, 20, False), [queries[0]] * WARMUP + queries)


RAW_PAIR_KIND = "raw tantivy, the same query twice at once, one on each core (baseline)"


def raw_engine_pair(backend: TantivyBackend, rounds: int = 1000) -> list[float]:
    """The same-run baseline for the two cores a search uses (its top hits and its facets run side by side):
    the one-word query of ``raw_engine`` on the caller's thread and, at the same time, on the backend's side
    thread, timed until both are done. On two free cores it takes the one-thread time plus the hand-over
    (about 0.06 ms); a neighbour on the second core shows here and not in the one-thread baseline."""
    import tantivy

    from search.adapters.tantivy_backend import SideThread

    searcher, schema, side = backend.gen.searcher, backend.schema, SideThread()
    words = sorted({stem for q in QUERIES for stem in stems(q)})
    queries = [tantivy.Query.term_query(schema, SCORED_FIELD, words[i % len(words)]) for i in range(rounds)]

    def both(query):
        other = side.submit(lambda: searcher.search(query, 20, False))
        searcher.search(query, 20, False)
        other.result()

    return timed(both, [queries[0]] * WARMUP + queries)


def percentiles(latencies: list[float]) -> tuple[float, float]:
    latencies = sorted(latencies)
    return statistics.median(latencies), latencies[int(len(latencies) * 0.99)]


def timed(call, queries: list[dict]) -> list[float]:
    for q in queries[:WARMUP]:
        call(q)
    latencies = []
    for q in queries[WARMUP:]:
        t = time.perf_counter()
        call(q)
        latencies.append((time.perf_counter() - t) * 1000)
    return latencies


def measure(call, queries: list[dict]) -> tuple[float, float]:
    return percentiles(timed(call, queries))


def _rabbitmqctl(*args: str) -> None:
    exe = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([exe, *args], check=True, capture_output=True, timeout=120)


def rpc_latency(index_dir: str, vendor_list: list[Vendor], queries: list[dict], work: str) -> tuple[float, float]:
    """Start the search service (``nameko run``) over the built index on a fresh vhost; time ``search`` calls."""
    from sqlalchemy.orm import Session

    from marktplatz_shared.db import make_engine
    from search.adapters import tables
    from search.service import migrate

    parts = urlsplit(BROKER_URI)
    vhost = f"mp-bench-{uuid.uuid4().hex[:10]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, parts.username or "guest", ".*", ".*", ".*")
    amqp = urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))
    db = f"sqlite:///{work}/search.db"
    migrate(db)
    engine = make_engine(db)
    with Session(engine) as session, session.begin():
        for v in vendor_list:
            tables.save_vendor(session, v, datetime.now(UTC))
    engine.dispose()
    env = {
        **os.environ,
        "AMQP_URI": amqp,
        "SEARCH_DATABASE_URL": db,
        "SEARCH_INDEX_PATH": index_dir,
        "SEARCH_METRICS_PORT": "0",
        "MIGRATE_ON_START": "false",
        "LOG_LEVEL": "WARNING",
        "MARKTPLATZ_VAR": work,
    }
    log = open(os.path.join(work, "service.log"), "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(VENV_BIN / "nameko"), "run", "--config", "config.yaml", "search.service"],
        cwd=SERVICE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        from nameko.standalone.rpc import ClusterRpcProxy

        with ClusterRpcProxy({"AMQP_URI": amqp}, timeout=30) as cluster:
            deadline = time.monotonic() + 60
            while True:
                try:
                    cluster.search.health()
                    break
                except Exception:  # noqa: BLE001 - not up yet: retried until the deadline
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"the search service did not start, see {log.name}") from None
                    time.sleep(0.5)
            return measure(cluster.search.search, queries)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        subprocess.run(
            [shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl", "delete_vhost", vhost], capture_output=True
        )


def run(size: int, with_rpc: bool) -> None:
    rng = random.Random(SEED)
    n_vendors = max(25, size // 500)
    vendor_list = vendors(n_vendors, rng)
    directory = VendorDirectory(vendor_list)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as work:
        index_dir = os.path.join(work, "index")
        backend = TantivyBackend(index_dir, writer_threads=2)
        started = time.perf_counter()
        bulk_load(backend, (product(i, rng, n_vendors) for i in range(size)), datetime.now(UTC))
        build = time.perf_counter() - started  # every document committed and searchable
        backend.close()  # waits for the segment merges the load set off, as a settled service would have them
        backend = TantivyBackend(index_dir)
        stats = backend.stats()
        queries = [mixed_query(rng) for _ in range(WARMUP + MEASURED)]
        latencies = timed(lambda q: search(q, backend, directory), queries)
        p50, p99 = percentiles(latencies)
        raw, raw_pair = raw_engine(backend), raw_engine_pair(backend)
        backend.close()
        by_kind: dict[str, list[float]] = {RAW_KIND: raw, RAW_PAIR_KIND: raw_pair}
        for q, ms in zip(queries[WARMUP:], latencies, strict=True):
            by_kind.setdefault(kind_of(q), []).append(ms)
        rpc = ("-", "-")
        if with_rpc:
            r50, r99 = rpc_latency(index_dir, vendor_list, queries, work)
            rpc = (f"{r50:.2f}", f"{r99:.2f}")
        print(
            f"| {size:>9,} | {size / build:>12,.0f} | {stats['size_bytes'] / 1e6:>8.1f} MB | {stats['segments']:>8} | "
            f"{p50:>6.2f} | {p99:>6.2f} | {rpc[0]:>10} | {rpc[1]:>10} |",
            flush=True,
        )
        BREAKDOWN.append((size, by_kind))


def main(argv: list[str]) -> None:
    with_rpc = "--no-rpc" not in argv
    sizes = [int(a) for a in argv if a != "--no-rpc"] or [100_000, 1_000_000]
    print(f"mixed queries, {MEASURED} timed after {WARMUP} warm-up; tantivy; RPC = search service over RabbitMQ")
    print()
    header = ["products", "build docs/s", "index size", "segments", "backend p50 ms", "backend p99 ms"]
    header += ["RPC p50 ms", "RPC p99 ms"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("-" * (len(h) + 2) for h in header) + "|")
    for size in sizes:
        run(size, with_rpc)
    print()
    print("Backend latency by kind of query (the segments a settled bulk load leaves vary from run to run):")
    print()
    print("| products, kind of query | queries | backend p50 ms | backend p99 ms |")
    print("|---|---:|---:|---:|")
    for size, by_kind in BREAKDOWN:
        for kind, ms in sorted(by_kind.items()):
            k50, k99 = percentiles(ms)
            print(f"| {size:,}, {kind} | {len(ms)} | {k50:.2f} | {k99:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
