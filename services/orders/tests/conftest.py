import uuid

import pytest
from fake_catalog import CatalogDb, FakeCatalog
from nameko.exceptions import deserialize_to_instance
from nameko.standalone.rpc import ServiceRpcProxy

from marktplatz_shared import errors
from orders.service import OrdersService

# the standalone proxies of the tests get the kernel's errors back with their details, as the gateway does
for _cls in (errors.NotFound, errors.InvalidInput, errors.Conflict, errors.Unavailable):
    deserialize_to_instance(_cls)

#: short windows and busy timers, so housekeeping shows within a test's patience
FAST = {
    "OUTBOX_POLL_INTERVAL": 0.05,
    "EXPIRY_INTERVAL": 0.1,
    "SETTLEMENT_INTERVAL": 0.1,
    "ERASURE_INTERVAL": 0.1,
    "CATALOG_RPC_TIMEOUT": 3.0,
    "STALE_CHECKOUT_SECONDS": 10.0,
    "RELEASE_GRACE_SECONDS": 0.5,
    "ENVIRONMENT": "test",
}


@pytest.fixture
def catalog_db(new_db_url):
    db = CatalogDb(new_db_url())
    yield db
    db.dispose()


@pytest.fixture
def orders_db_url(new_db_url):
    return new_db_url()


@pytest.fixture
def start_catalog(catalog_db, container_factory, amqp_uri):  # databases first: dropped after the containers stop
    def start(**config):
        container = container_factory(
            FakeCatalog, {"AMQP_URI": amqp_uri, "DATABASE_URL": catalog_db.url, "max_workers": 20, **config}
        )
        container.start()
        return container

    return start


@pytest.fixture
def start_orders(orders_db_url, container_factory, amqp_uri):
    def start(**config):
        container = container_factory(
            OrdersService, {"AMQP_URI": amqp_uri, "DATABASE_URL": orders_db_url, **FAST, **config}
        )
        container.start()
        return container

    return start


@pytest.fixture
def orders_rpc(amqp_uri):
    with ServiceRpcProxy("orders", {"AMQP_URI": amqp_uri}, timeout=60) as proxy:
        yield proxy


@pytest.fixture
def market(catalog_db):
    """Three shops of the Lindenau demo region, unique per test."""
    suffix = uuid.uuid4().hex[:6]
    shops = {
        "books": f"buchhandlung-{suffix}",
        "bikes": f"fahrradladen-{suffix}",
        "tea": f"teehaus-{suffix}",
    }
    catalog_db.add_vendor(shops["books"], "Buchhandlung Seitenweise", ["pickup"])
    catalog_db.add_vendor(shops["bikes"], "Fahrrad Kette", ["pickup", "delivery"])
    catalog_db.add_vendor(shops["tea"], "Teehaus Lindenau", ["pickup", "delivery"])
    return shops
