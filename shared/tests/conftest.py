import pytest
from probe import CatalogProducer, ProbeConsumer, create_tables


@pytest.fixture
def consumer_config(amqp_uri, db_url):
    return {"AMQP_URI": amqp_uri, "DATABASE_URL": db_url, "RETRY_DELAYS": [0.2, 0.2, 0.2], "MIGRATE_ON_START": False}


@pytest.fixture
def consumer_db(db_url):
    engine = create_tables(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def producer_db_url(new_db_url):
    url = new_db_url()
    create_tables(url).dispose()
    return url


@pytest.fixture
def consumer(container_factory, consumer_config, consumer_db):
    container = container_factory(ProbeConsumer, consumer_config)
    container.start()
    return container


@pytest.fixture
def producer(container_factory, amqp_uri, producer_db_url):
    config = {"AMQP_URI": amqp_uri, "DATABASE_URL": producer_db_url, "OUTBOX_POLL_INTERVAL": 0.05}
    container = container_factory(CatalogProducer, config)
    container.start()
    return container
