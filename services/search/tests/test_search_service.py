from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import inspect

from marktplatz_shared.db import make_engine
from search.service import SearchService


def test_the_service_migrates_its_database_and_answers_over_the_broker(container_factory, amqp_uri, db_url):
    config = {"AMQP_URI": amqp_uri, "DATABASE_URL": db_url}
    container_factory(SearchService, config).start()
    with ServiceRpcProxy("search", config) as search:
        assert search.health() == {"service": "search", "status": "ok"}
    assert {"outbox", "processed_events"} <= set(inspect(make_engine(db_url)).get_table_names())
