import uuid

import pytest

from catalog.bootstrap import database, engine_for, migrate
from catalog.domain.gtin import gtin13_check_digit
from catalog.service import CatalogService


def unique(prefix="v"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def gtin(seed: int = 400638133393) -> str:
    first = f"{seed:012d}"[:12]
    return first + str(gtin13_check_digit(first))


def vendor_record(vendor_id, **changes):
    record = {
        "vendor_id": vendor_id,
        "name": "Radhaus Speiche",
        "kind": "Fahrradladen",
        "street": "Bahnhofstraße 18",
        "postcode": "36148",
        "city": "Lindenau",
        "lat": 50.4745,
        "lon": 9.5315,
        "opening_hours": {"mo": [["09:00", "12:30"], ["14:00", "18:00"]], "sa": [["09:00", "14:00"]]},
        "fulfilment": ["pickup", "delivery"],
        "contact_email": "laden@example.de",
        "webhook_url": "https://shop.example.de/hooks/marktplatz",
    }
    record.update(changes)
    return record


def product_record(vendor_id, sku, **changes):
    record = {
        "vendor_id": vendor_id,
        "sku": sku,
        "gtin": gtin(),
        "title": "Fahrradhelm Urban, Größe M",
        "description": "Leichter Helm für die Stadt.",
        "brand": "Abus",
        "category": "Sport & Freizeit > Fahrrad > Fahrradhelme",
        "price": "89.90",
        "attributes": {"farbe": "schwarz", "größe": "M"},
    }
    record.update(changes)
    return record


@pytest.fixture
def engine(db_url):
    migrate(db_url)
    engine = engine_for(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine):
    """What a catalog worker gets as ``self.db``, for calling the handlers directly."""
    return database(engine)


@pytest.fixture
def service_config(amqp_uri, db_url):
    return {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": db_url,
        "RETRY_DELAYS": [0.2],
        "OUTBOX_POLL_INTERVAL": 0.05,
        "RESERVATION_SWEEP_SECONDS": 0.2,
    }


@pytest.fixture
def catalog(container_factory, service_config):
    container = container_factory(CatalogService, service_config)
    container.start()
    return container
