"""The search service end to end: catalog events through RabbitMQ, RPCs over the broker, rebuild, query log."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from fixtures import CENTRE, products, vendors
from nameko.exceptions import RemoteError
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import inspect

from marktplatz_shared.db import kernel_metadata, make_engine, transaction
from marktplatz_shared.outbox import OutboxRelay
from marktplatz_shared.testing import wait_for
from search.service import SearchService


class CatalogRelay:
    """Stands in for the catalog: publishes what its outbox holds."""

    name = "catalog"
    relay = OutboxRelay()


STREAM: list[dict] = []


class FakeCatalog:
    """The catalog at the RPC port a rebuild uses: pages of published products."""

    name = "catalog"

    @rpc
    def list_vendors(self, cursor=None, limit=100):
        return {"vendors": [], "next_cursor": None}

    @rpc
    def stream_published_products(self, cursor=None, limit=500):
        start = int(cursor or 0)
        eventlet.sleep(0.05)  # a slow catalog: searches run while the rebuild waits for each page
        nxt = start + limit if start + limit < len(STREAM) else None
        return {"products": STREAM[start : start + limit], "next_cursor": str(nxt) if nxt else None}


@pytest.fixture
def config(amqp_uri, db_url, tmp_path):
    return {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": db_url,
        "SEARCH_INDEX_PATH": str(tmp_path / "index"),
        "SEARCH_COMMIT_INTERVAL": 0.1,
        "SEARCH_QUERY_LOG_FLUSH_INTERVAL": 0.1,
        "RETRY_DELAYS": [0.2, 0.2],
    }


@pytest.fixture
def catalog_db(new_db_url):
    engine = make_engine(new_db_url())
    kernel_metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def service(container_factory, config):
    container = container_factory(SearchService, config)
    container.start()
    return container


@pytest.fixture
def catalog(container_factory, amqp_uri, catalog_db):
    container = container_factory(
        CatalogRelay, {"AMQP_URI": amqp_uri, "DATABASE_URL": str(catalog_db.url), "OUTBOX_POLL_INTERVAL": 0.05}
    )
    container.start()

    def emit(event_type, data):
        with transaction(catalog_db, "catalog") as tx:
            return tx.emit(event_type, data)

    return emit


@pytest.fixture
def rpc_search(config):
    with ServiceRpcProxy("search", config) as proxy:
        yield proxy


def ids(result):
    return sorted(h["id"].split("/", 1)[1] for h in result["hits"])


def test_the_service_migrates_its_database_and_answers_over_the_broker(service, rpc_search, db_url):
    assert rpc_search.health() == {"service": "search", "status": "ok"}
    tables = set(inspect(make_engine(db_url)).get_table_names())
    assert {"outbox", "processed_events", "search_vendors", "search_query_log"} <= tables


def test_catalog_events_through_rabbitmq_become_searchable(service, catalog, rpc_search):
    prefix = f"e{uuid.uuid4().hex[:6]}"
    for v in vendors(prefix):
        catalog("vendor_registered", v)
    for p in products(prefix):
        catalog("product_upserted", p)
    wait_for(lambda: rpc_search.stats()["documents"] == len(products(prefix)), message="products indexed")
    wait_for(lambda: rpc_search.stats()["vendors"] == 3, message="vendors known")
    assert rpc_search.search({"q": "fahrradhelm"})["total"] == 2
    hit = rpc_search.search({"q": "kaffeemühle", "lat": CENTRE[0], "lon": CENTRE[1]})["hits"][0]
    assert hit["vendor_name"] == "Fernhandel Eichrode" and hit["distance_km"] > 5

    catalog("stock_changed", {"lines": [{"vendor_id": f"{prefix}-mode", "sku": "J2", "available": 4, "version": 3}]})
    wait_for(lambda: ids(rpc_search.search({"q": "jacke", "in_stock": True})) == ["J1", "J2"], message="stock")
    catalog("stock_changed", {"lines": [{"vendor_id": f"{prefix}-mode", "sku": "J2", "available": 0, "version": 2}]})
    catalog("product_withdrawn", {"vendor_id": f"{prefix}-fern", "sku": "K1"})
    wait_for(lambda: rpc_search.search({"q": "kaffeemühle"})["total"] == 0, message="withdrawal")
    assert ids(rpc_search.search({"q": "jacke", "in_stock": True})) == ["J1", "J2"], "the stale version was ignored"

    stats = rpc_search.stats()
    assert stats["documents"] == len(products(prefix)) - 1 and stats["vendors"] == 3
    assert stats["index_lag"]["observations"] >= 1
    assert stats["rebuild_reason"] is None


def test_a_redelivered_event_is_applied_once(service, catalog, rpc_search, db_url):
    prefix = f"d{uuid.uuid4().hex[:6]}"
    event = catalog("product_upserted", products(prefix)[0])
    wait_for(lambda: rpc_search.search({"q": "regenjacke"})["total"] == 1, message="indexed")
    engine = make_engine(db_url)
    from sqlalchemy import func, select

    from marktplatz_shared.db import processed_events_table

    def claimed():
        with engine.connect() as conn:
            return conn.execute(
                select(func.count()).where(processed_events_table.c.event_id == event.event_id)
            ).scalar_one()

    wait_for(lambda: claimed() == 1, message="the event claimed after its commit")


def test_a_rebuild_over_rpc_switches_the_index_while_searches_keep_answering(
    service, container_factory, config, rpc_search
):
    prefix = f"r{uuid.uuid4().hex[:6]}"
    STREAM[:] = [{**p, "published": True} for p in products(prefix)] * 1
    container_factory(FakeCatalog, config).start()
    answers = []

    def keep_searching():
        with ServiceRpcProxy("search", config) as proxy:
            while not done.ready():
                answers.append(proxy.search({"q": "fahrradhelm"})["total"])
                eventlet.sleep(0.01)

    done = eventlet.event.Event()
    searcher = eventlet.spawn(keep_searching)
    with ServiceRpcProxy("search", config) as proxy:
        result = proxy.rebuild()
    done.send(True)
    searcher.wait()
    assert result["products"] == len(STREAM)
    assert answers and set(answers) <= {0, 2}, "every search during the rebuild got an answer from a whole index"
    assert rpc_search.search({"q": "fahrradhelm"})["total"] == 2


def test_an_index_from_another_release_is_rebuilt_from_the_catalog_by_itself(container_factory, config, tmp_path):
    from test_tantivy_index import old_release_index

    prefix = f"u{uuid.uuid4().hex[:6]}"
    STREAM[:] = [{**p, "published": True} for p in products(prefix)]
    os.makedirs(config["SEARCH_INDEX_PATH"])
    old_release_index(config["SEARCH_INDEX_PATH"])
    config = {**config, "SEARCH_REBUILD_CHECK_SECONDS": 0.2}
    container_factory(SearchService, config).start()  # the catalog is not up yet: the first tries fail
    with ServiceRpcProxy("search", config) as proxy:
        assert proxy.stats()["documents"] == 0
        assert "another release" in proxy.stats()["rebuild_reason"]
        eventlet.sleep(0.5)
        container_factory(FakeCatalog, config).start()
        wait_for(lambda: proxy.search({"q": "fahrradhelm"})["total"] == 2, message="the index rebuilt from the catalog")
        assert proxy.stats()["documents"] == len(STREAM) and proxy.stats()["rebuild_reason"] is None


@pytest.mark.parametrize("query", [{"q": "x" * 10_000}, {"q": "jacke", "page": 10_000}, "not an object"])
def test_bad_queries_over_rpc_are_refused_as_invalid_input(service, rpc_search, query):
    with pytest.raises(RemoteError) as refused:
        rpc_search.search(query)
    assert refused.value.exc_type == "InvalidInput"
    assert rpc_search.search({"q": "und die"})["total"] == 0, "the service keeps answering"


def test_the_query_report_lists_top_queries_and_zero_result_queries(service, rpc_search):
    for q in ["fahrradhelm", "fahrradhelm", "einhornstaubsauger"]:
        rpc_search.search({"q": q})
    now = datetime.now(UTC)
    report = rpc_search.query_report((now - timedelta(minutes=1)).isoformat(), (now + timedelta(minutes=1)).isoformat())
    assert report["count"] == 3
    assert report["top_queries"][0] == {"q": "fahrradhelm", "count": 2}
    assert report["top_zero_result_queries"] == [
        {"q": "fahrradhelm", "count": 2},
        {"q": "einhornstaubsauger", "count": 1},
    ]
    assert report["latency_ms"]["p50"] is not None


def test_suggest_over_rpc_validates_its_arguments(service, rpc_search):
    assert rpc_search.suggest("fahr") == {"suggestions": []}
    with pytest.raises(RemoteError) as refused:
        rpc_search.suggest("fahr", 0)
    assert refused.value.exc_type == "InvalidInput"


def test_the_operator_command_rebuilds_shows_stats_and_reports_over_the_broker(
    service, container_factory, config, rpc_search, capsys
):
    import json

    from search import cli

    prefix = f"c{uuid.uuid4().hex[:6]}"
    STREAM[:] = [{**p, "published": True} for p in products(prefix)]
    container_factory(FakeCatalog, config).start()
    broker = ["--amqp-uri", config["AMQP_URI"]]

    assert cli.main([*broker, "rebuild"]) == 0
    assert json.loads(capsys.readouterr().out)["products"] == len(STREAM)
    assert rpc_search.search({"q": "fahrradhelm"})["total"] == 2
    rpc_search.search({"q": "einhornstaubsauger"})

    assert cli.main([*broker, "stats"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["documents"] == len(STREAM) and stats["rebuild_reason"] is None

    assert cli.main([*broker, "report"]) == 0  # the last 7 days
    report = json.loads(capsys.readouterr().out)
    assert {"q": "einhornstaubsauger", "count": 1} in report["top_zero_result_queries"]
    assert {"q": "fahrradhelm", "count": 1} in report["top_queries"]

    assert cli.main([*broker, "report", "--since", "gestern"]) == 1
    assert "since and until must be ISO 8601 times" in capsys.readouterr().err


def test_the_operator_command_says_when_no_search_service_answers(amqp_uri, capsys):
    from search import cli

    assert cli.main(["--amqp-uri", amqp_uri, "stats"]) == 2  # the tests' own vhost; no service started here
    assert "no search service is running on this broker" in capsys.readouterr().err


def test_the_operator_command_says_when_the_broker_is_unreachable_without_showing_its_password(capsys):
    from search import cli

    assert cli.main(["--amqp-uri", "amqp://ops:se%40cret@127.0.0.1:1/", "stats"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the broker at amqp://ops:**@127.0.0.1:1/" in err
    assert "cret" not in err
